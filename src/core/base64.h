// Base64 (RFC 4648, standard alphabet, with padding): message bodies in JSON, SAS keys and signatures.
#pragma once

#include <string>

#include "core/result.h"

namespace vigil {

std::string base64_encode(const std::string& bytes);
Result<std::string> base64_decode(const std::string& text);  // stops at '='; other characters are errors

}  // namespace vigil
