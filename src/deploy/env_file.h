// Variables for a deployment manifest, as iotedgedev and docker compose read them: a `.env` file of
// KEY=VALUE lines (`KEY = "value"`, 'single quotes', `export KEY=…`, # comments, blank lines), and
// `$VAR` / `${VAR}` references in the manifest's strings ($$ is a literal $). The process environment wins
// over the file. A reference to a variable that is set nowhere is an error naming the variable and the
// place in the manifest. Pure; the caller reads the file and the environment.
#pragma once

#include <map>
#include <string>

#include "core/result.h"

namespace vigil::deploy {

using Variables = std::map<std::string, std::string>;

// Parses the text of a .env file. Errors name the line.
Result<Variables> parse_env_file(const std::string& text, const std::string& file_name);

// Replaces $VAR and ${VAR} in `text`. `where` names the place for the error message.
Result<std::string> substitute(const std::string& text, const Variables& vars, const std::string& where);

}  // namespace vigil::deploy
