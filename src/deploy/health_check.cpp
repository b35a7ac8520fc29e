#include "deploy/health_check.h"

#include <sstream>

#include "core/log.h"
#include "deploy/child_process.h"

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

HealthProbe::HealthProbe(std::string module, HealthCheckSpec spec, std::map<std::string, std::string> env, std::string cwd)
    : module_(std::move(module)),
      spec_(std::move(spec)),
      env_(std::move(env)),
      cwd_(std::move(cwd)),
      started_(std::chrono::steady_clock::now()),
      verdict_(spec_.retries, spec_.start_period_s) {
  thread_ = std::thread([this] { run(); });
}

HealthProbe::~HealthProbe() { stop(); }

void HealthProbe::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool HealthProbe::healthy() const {
  std::lock_guard lock(mutex_);
  return verdict_.healthy();
}

std::pair<bool, std::string> HealthProbe::check_once() {
  auto last = std::make_shared<std::pair<std::mutex, std::string>>();
  ChildOptions co;
  co.argv = spec_.argv;
  co.env = env_;
  co.cwd = cwd_;
  co.on_line = [last](const std::string& line) {
    if (line.empty()) return;
    std::lock_guard lock(last->first);
    last->second = line;
  };
  auto child = ChildProcess::spawn(std::move(co));
  if (!child) return {false, child.error().message};
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(spec_.timeout_s);
  std::optional<int> code;
  while (!(code = (*child)->poll())) {
    std::unique_lock lock(mutex_);
    if (stopping_) break;
    if (std::chrono::steady_clock::now() >= deadline) break;
    wake_.wait_for(lock, std::chrono::milliseconds(20));
  }
  if (!code) {
    (*child)->stop(std::chrono::milliseconds(500));
    child->reset();  // joins its reader: `last` is complete
    std::ostringstream what;
    what << "timed out after " << spec_.timeout_s << " s";
    return {false, what.str()};
  }
  child->reset();
  std::lock_guard lock(last->first);
  std::string what = "exit code " + std::to_string(*code);
  if (!last->second.empty()) what += ": " + last->second;
  return {*code == 0, what};
}

void HealthProbe::run() {
  const auto interval = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(spec_.interval_s));
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      if (wake_.wait_for(lock, interval, [this] { return stopping_; })) return;
    }
    auto [passed, what] = check_once();
    const double since = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    if (verdict_.record(passed, since)) {
      if (verdict_.healthy()) {
        LOG_INFO("health", "[" << module_ << "] healthy again (" << what << ")");
      } else {
        LOG_WARN("health", "[" << module_ << "] unhealthy: " << verdict_.failing_streak()
                                << " failed health checks in a row (last: " << what << ")");
      }
    } else if (!passed) {
      LOG_DEBUG("health", "[" << module_ << "] health check failed (" << what << ")");
    }
  }
}

namespace {

class CheckedModule : public ModuleInstance {
 public:
  CheckedModule(std::unique_ptr<ModuleInstance> module, std::unique_ptr<HealthProbe> probe)
      : module_(std::move(module)), probe_(std::move(probe)) {}
  void stop() override {
    probe_->stop();
    module_->stop();
  }
  std::optional<int> exit_code() override { return module_->exit_code(); }
  bool healthy() override { return module_->healthy() && probe_->healthy(); }
  Status update_desired(const nlohmann::json& desired) override { return module_->update_desired(desired); }
  bool restarts_for_desired() const override { return module_->restarts_for_desired(); }

 private:
  std::unique_ptr<ModuleInstance> module_;
  std::unique_ptr<HealthProbe> probe_;
};

}  // namespace

std::unique_ptr<ModuleInstance> with_health_check(std::unique_ptr<ModuleInstance> module, std::unique_ptr<HealthProbe> probe) {
  return std::make_unique<CheckedModule>(std::move(module), std::move(probe));
}

}  // namespace vigil::deploy
