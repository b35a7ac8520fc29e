// Time formatting shared by logs and message envelopes.
#pragma once

#include <chrono>
#include <string>

namespace vigil {

// "2026-11-25T12:00:00.123456" (UTC, no zone suffix) with `fraction_digits` (0..6) after the second.
std::string format_utc_iso(std::chrono::system_clock::time_point t, int fraction_digits);

}  // namespace vigil
