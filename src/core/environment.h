// The process environment as NAME → value (settings, .env substitution, a child's environment).
#pragma once

#include <map>
#include <string>

namespace vigil {

std::map<std::string, std::string> environment_variables();

}  // namespace vigil
