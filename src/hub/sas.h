// IoT Hub shared access signatures (spec azure-iot.md §1.3): signing a resource URI with a key, and reading and
// checking the token a module presents to vigil's edge listener. Pure (the clock is passed in).
#pragma once

#include <cstdint>
#include <string>

#include "core/result.h"

namespace vigil::hub {

// HMAC-SHA256 of `data` with the base64-decoded `key_base64`, as base64.
Result<std::string> hmac_sha256_base64(const std::string& key_base64, const std::string& data);

// "SharedAccessSignature sr=…&sig=…&se=…[&skn=…]" for `resource_uri` (e.g. host/devices/dev), expiring at `expiry`
// (seconds since the epoch).
Result<std::string> sas_token(const std::string& resource_uri, const std::string& key_base64, std::int64_t expiry,
                              const std::string& policy_name = {});

struct SasToken {
  std::string signed_resource;  // sr as sent (URL-encoded): what was signed
  std::string resource_uri;     // sr decoded, e.g. host/devices/dev/modules/mod
  std::string signature;        // sig decoded: base64 text
  std::int64_t expiry = 0;      // se
  std::string policy;           // skn, when present
};

// Reads a token; a missing sr, sig or se, a repeated or unknown field, or an se that is not a number is an error.
Result<SasToken> parse_sas_token(const std::string& text);

// The token is for exactly `resource_uri`, not expired at `now_s`, and signed with `key_raw` (raw key bytes).
// The error says which check failed, never the signature or the key.
Status check_sas_token(const SasToken& token, const std::string& resource_uri, const std::string& key_raw,
                       std::int64_t now_s);

}  // namespace vigil::hub
