#include "deploy/health_rules.h"

namespace vigil::deploy {
namespace {

using json = nlohmann::json;

Error bad_check(const std::string& where, const std::string& what) {
  return make_error(ErrorCode::InvalidArgument, where + ": " + what);
}

// A Docker duration (nanoseconds, a whole number ≥ 0) in seconds; `fallback` when absent or 0 (Docker's "inherit").
Result<double> duration_s(const json& hc, const char* key, double fallback, const std::string& where) {
  auto it = hc.find(key);
  if (it == hc.end() || it->is_null()) return fallback;
  if (!it->is_number_integer() || it->get<std::int64_t>() < 0)
    return bad_check(where + "." + key, "must be a whole number of nanoseconds, e.g. 30000000000 for 30 s");
  const std::int64_t ns = it->get<std::int64_t>();
  if (ns == 0) return fallback;
  if (ns < 1000000) return bad_check(where + "." + key, "is under 1 ms (Docker's unit is nanoseconds: 1 s = 1000000000)");
  return static_cast<double>(ns) / 1e9;
}

}  // namespace

Result<std::optional<HealthCheckSpec>> parse_healthcheck(const json& create_options, const std::string& where_options) {
  if (!create_options.is_object()) return std::optional<HealthCheckSpec>{};
  auto it = create_options.find("Healthcheck");
  if (it == create_options.end() || it->is_null()) return std::optional<HealthCheckSpec>{};
  const std::string where = where_options + ".Healthcheck";
  if (!it->is_object()) return bad_check(where, "must be an object like {\"Test\": [\"CMD-SHELL\", \"…\"], \"Interval\": …}");
  const json& hc = *it;

  auto test = hc.find("Test");
  if (test == hc.end() || !test->is_array() || test->empty())
    return bad_check(where + ".Test", "must be [\"CMD\", program, args…], [\"CMD-SHELL\", command] or [\"NONE\"]");
  std::vector<std::string> words;
  for (const auto& w : *test) {
    if (!w.is_string()) return bad_check(where + ".Test", "must hold only strings");
    words.push_back(w.get<std::string>());
  }
  HealthCheckSpec spec;
  if (words[0] == "NONE") return std::optional<HealthCheckSpec>{};
  if (words[0] == "CMD" && words.size() >= 2) {
    spec.argv.assign(words.begin() + 1, words.end());
  } else if (words[0] == "CMD-SHELL" && words.size() == 2) {
    spec.argv = {"/bin/sh", "-c", words[1]};
  } else {
    return bad_check(where + ".Test", "'" + words[0] + "' with " + std::to_string(words.size() - 1) +
                                          " words: write [\"CMD\", program, args…] or [\"CMD-SHELL\", command]");
  }
  auto interval = duration_s(hc, "Interval", 30, where);
  if (!interval) return interval.error();
  auto timeout = duration_s(hc, "Timeout", 30, where);
  if (!timeout) return timeout.error();
  auto start = duration_s(hc, "StartPeriod", 0, where);
  if (!start) return start.error();
  spec.interval_s = *interval;
  spec.timeout_s = *timeout;
  spec.start_period_s = *start;
  if (auto r = hc.find("Retries"); r != hc.end() && !r->is_null()) {
    if (!r->is_number_integer() || r->get<std::int64_t>() < 0 || r->get<std::int64_t>() > 1000)
      return bad_check(where + ".Retries", "must be a whole number from 0 to 1000 (0: Docker's default, 3)");
    if (r->get<int>() > 0) spec.retries = r->get<int>();
  }
  return std::optional<HealthCheckSpec>(std::move(spec));
}

bool HealthVerdict::record(bool passed, double since_start_s) {
  const bool was = healthy_;
  if (passed) {
    started_ = true;
    streak_ = 0;
    healthy_ = true;
  } else if (started_ || since_start_s >= start_period_s_) {
    if (++streak_ >= retries_) healthy_ = false;
  }
  return was != healthy_;
}

}  // namespace vigil::deploy
