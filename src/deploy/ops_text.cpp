#include "deploy/ops_text.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "core/time_util.h"

namespace vigil::deploy {
namespace {

RuntimeStatus status_from_name(const std::string& n) {
  for (RuntimeStatus s : {RuntimeStatus::Unknown, RuntimeStatus::Backoff, RuntimeStatus::Running, RuntimeStatus::Unhealthy,
                          RuntimeStatus::Stopped, RuntimeStatus::Failed, RuntimeStatus::Dead})
    if (n == runtime_status_name(s)) return s;
  return RuntimeStatus::Unknown;
}

std::string pad(const std::string& s, std::size_t width) { return s.size() >= width ? s + " " : s + std::string(width - s.size(), ' '); }

}  // namespace

nlohmann::json state_to_json(const ModuleState& s) {
  nlohmann::json j = {{"name", s.name},
                      {"kind", s.kind},
                      {"image", s.image},
                      {"status", runtime_status_name(s.status)},
                      {"startedAt", s.started_at_ms},
                      {"exitedAt", s.exited_at_ms},
                      {"restartCount", s.restart_count},
                      {"nextRestartInSeconds", std::round(s.next_restart_in_s * 10) / 10}};
  j["exitCode"] = s.exit_code ? nlohmann::json(*s.exit_code) : nlohmann::json(nullptr);
  if (!s.last_error.empty()) j["lastError"] = s.last_error;
  return j;
}

ModuleState state_from_json(const nlohmann::json& j) {
  ModuleState s;
  s.name = j.value("name", "");
  s.kind = j.value("kind", "");
  s.image = j.value("image", "");
  s.status = status_from_name(j.value("status", "unknown"));
  s.started_at_ms = j.value("startedAt", std::int64_t{0});
  s.exited_at_ms = j.value("exitedAt", std::int64_t{0});
  s.restart_count = j.value("restartCount", 0);
  s.next_restart_in_s = j.value("nextRestartInSeconds", 0.0);
  if (j.contains("exitCode") && j["exitCode"].is_number_integer()) s.exit_code = j["exitCode"].get<int>();
  s.last_error = j.value("lastError", "");
  return s;
}

std::string humanize_seconds(double s) {
  if (s < 0) s = 0;
  if (s < 20) {
    const long n = std::lround(std::floor(s));
    return std::to_string(n) + (n == 1 ? " second" : " seconds");
  }
  if (s < 45) return "less than a minute";
  if (s < 90) return "a minute";
  if (s < 45 * 60) return std::to_string(std::lround(s / 60)) + " minutes";
  if (s < 90 * 60) return "an hour";
  if (s < 22 * 3600) return std::to_string(std::lround(s / 3600)) + " hours";
  if (s < 36 * 3600) return "a day";
  return std::to_string(std::lround(s / 86400)) + " days";
}

std::string describe_state(const ModuleState& s, std::int64_t now_ms) {
  const double since_start = (now_ms - s.started_at_ms) / 1000.0, since_exit = (now_ms - s.exited_at_ms) / 1000.0;
  const std::string code = s.exit_code ? " (" + std::to_string(*s.exit_code) + ")" : "";
  switch (s.status) {
    case RuntimeStatus::Running: return "Up " + humanize_seconds(since_start);
    case RuntimeStatus::Unhealthy: return "Up " + humanize_seconds(since_start) + " (unhealthy)";
    case RuntimeStatus::Backoff:
      return "Backoff" + code + ", restart " + std::to_string(s.restart_count) + " in " + humanize_seconds(s.next_restart_in_s);
    case RuntimeStatus::Stopped:
      return s.exited_at_ms ? "Stopped " + humanize_seconds(since_exit) + " ago" : "Stopped";
    case RuntimeStatus::Failed:
      return s.exited_at_ms ? "Failed" + code + " " + humanize_seconds(since_exit) + " ago" : "Failed";
    case RuntimeStatus::Dead: return "Dead";
    case RuntimeStatus::Unknown: return "Unknown";
  }
  return "Unknown";
}

std::string format_module_table(std::vector<ModuleState> states, std::int64_t now_ms) {
  std::sort(states.begin(), states.end(), [](const ModuleState& a, const ModuleState& b) { return a.name < b.name; });
  std::vector<std::vector<std::string>> rows = {{"NAME", "STATUS", "DESCRIPTION", "CONFIG"}};
  for (const auto& s : states) rows.push_back({s.name, runtime_status_name(s.status), describe_state(s, now_ms), s.image});
  std::vector<std::size_t> width(4, 15);
  for (const auto& r : rows)
    for (std::size_t i = 0; i < 3; ++i) width[i] = std::max(width[i], r[i].size() + 1);
  std::string out;
  for (const auto& r : rows) out += pad(r[0], width[0]) + pad(r[1], width[1]) + pad(r[2], width[2]) + r[3] + "\n";
  return out;
}

Result<std::chrono::system_clock::time_point> parse_since(const std::string& text, std::chrono::system_clock::time_point now) {
  if (auto t = parse_utc_iso(text)) return *t;
  if (!text.empty() && text.size() <= 12 && std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); }))
    return std::chrono::system_clock::time_point(std::chrono::seconds(std::stoll(text)));
  // Durations: NUMBER UNIT pairs, with or without spaces ("1 day", "2 days 3 hours", "90m", "30s").
  double total = 0;
  std::size_t i = 0;
  bool any = false;
  auto bad = [&] {
    return make_error(ErrorCode::InvalidArgument, "--since '" + text + "': give a duration (\"1 day\", \"90 minutes\", "
                                                  "\"10m\"), an RFC 3339 time or a Unix timestamp");
  };
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i == text.size()) break;
    std::size_t j = i;
    while (j < text.size() && (std::isdigit(static_cast<unsigned char>(text[j])) || text[j] == '.')) ++j;
    if (j == i || j - i > 12) return bad();
    double n = 0;
    try {
      n = std::stod(text.substr(i, j - i));
    } catch (const std::exception&) {
      return bad();
    }
    while (j < text.size() && std::isspace(static_cast<unsigned char>(text[j]))) ++j;
    std::size_t k = j;
    while (k < text.size() && std::isalpha(static_cast<unsigned char>(text[k]))) ++k;
    const std::string unit = text.substr(j, k - j);
    double mult = 0;
    if (unit == "s" || unit == "sec" || unit == "secs" || unit == "second" || unit == "seconds") mult = 1;
    else if (unit == "m" || unit == "min" || unit == "mins" || unit == "minute" || unit == "minutes") mult = 60;
    else if (unit == "h" || unit == "hour" || unit == "hours") mult = 3600;
    else if (unit == "d" || unit == "day" || unit == "days") mult = 86400;
    else if (unit == "w" || unit == "week" || unit == "weeks") mult = 7 * 86400;
    else return bad();
    total += n * mult;
    any = true;
    i = k;
  }
  if (!any) return bad();
  return now - std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::duration<double>(total));
}

std::string format_reported(const nlohmann::json& modules) {
  std::string out;
  if (!modules.is_array()) return out;
  for (const auto& m : modules)
    if (m.is_object() && m.contains("reported") && m["reported"].is_object())
      out += "  " + m.value("name", "?") + "  " + m["reported"].dump() + "\n";
  return out.empty() ? out : "Reported properties:\n" + out;
}

}  // namespace vigil::deploy
