// HMAC-SHA256 and random bytes through OpenSSL: IoT Hub SAS signatures (made and checked), module keys, webhook
// signatures, session ids and secrets.
#pragma once

#include <cstddef>
#include <string>

namespace vigil {

// The raw 32-byte MAC of `data` under `key` (both raw bytes).
std::string hmac_sha256(const std::string& key, const std::string& data);

// `n` bytes from OpenSSL's CSPRNG; throws when it has none (it never happens on Linux after boot).
std::string random_bytes(std::size_t n);

}  // namespace vigil
