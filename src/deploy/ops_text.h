// The text of the operating commands, as pure functions (spec azure-iot.md §6, `iotedge list|logs`):
//   vigil list    NAME  STATUS  DESCRIPTION  CONFIG, columns at least 15 wide, sorted by name; DESCRIPTION as
//                 iotedge writes it: "Up 12 seconds", "Up 3 minutes", "Stopped 2 hours ago", "Failed (137) 5
//                 minutes ago", and vigil's "Backoff (1), restart 2 in 8 seconds"; then the reported properties of
//                 the modules that reported some (vigil:iotedge modules' twins), a line each
//   vigil logs    --since T: a duration ("1 day", "90 minutes", "2 days 3 hours", "10m", "30s"), an RFC 3339
//                 time or a Unix timestamp
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "deploy/supervisor.h"

namespace vigil::deploy {

nlohmann::json state_to_json(const ModuleState& s);
ModuleState state_from_json(const nlohmann::json& j);

// "12 seconds" below 20 s (precise), then rough: "less than a minute", "a minute", "3 minutes", "an hour",
// "5 hours", "a day", "3 days".
std::string humanize_seconds(double seconds);
std::string describe_state(const ModuleState& s, std::int64_t now_ms);
std::string format_module_table(std::vector<ModuleState> states, std::int64_t now_ms);
// "Reported properties:\n  NAME  {…}\n" from status.json's modules (those with "reported"); empty when none has any.
std::string format_reported(const nlohmann::json& modules);

Result<std::chrono::system_clock::time_point> parse_since(const std::string& text, std::chrono::system_clock::time_point now);

}  // namespace vigil::deploy
