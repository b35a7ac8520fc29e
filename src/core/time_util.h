// Time formatting shared by logs and message envelopes.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vigil {

// "2026-11-25T12:00:00.123456" (UTC, no zone suffix) with `fraction_digits` (0..6) after the second.
std::string format_utc_iso(std::chrono::system_clock::time_point t, int fraction_digits);

// Milliseconds since the Unix epoch, now (outbox times, module start/exit times).
std::int64_t unix_now_ms();

// The time as UTC to the second, safe in a file name: "2026-11-30T16-04-05".
std::string file_stamp(std::chrono::system_clock::time_point t);

// Reads "2026-11-25T12:00:00[.fff…][Z|+hh:mm|-hh:mm]" (RFC 3339; no zone = UTC). nullopt when it is not one.
std::optional<std::chrono::system_clock::time_point> parse_utc_iso(std::string_view text);

}  // namespace vigil
