// HMAC-SHA256, the one place that calls OpenSSL: IoT Hub SAS signatures and webhook signatures.
#pragma once

#include <string>

namespace vigil::uplink {

// The raw 32-byte MAC of `data` under `key` (both raw bytes).
std::string hmac_sha256(const std::string& key, const std::string& data);

}  // namespace vigil::uplink
