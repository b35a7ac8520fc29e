#include "deploy/health_check.h"

#include <sstream>

#include "core/guard.h"
#include "core/log.h"
#include "deploy/child_process.h"

namespace vigil::deploy {

HealthProbe::HealthProbe(std::string module, HealthCheckSpec spec, std::map<std::string, std::string> env, std::string cwd)
    : module_(std::move(module)),
      spec_(std::move(spec)),
      env_(std::move(env)),
      cwd_(std::move(cwd)),
      started_(std::chrono::steady_clock::now()),
      verdict_(spec_.retries, spec_.start_period_s) {
  thread_ = std::thread([this] { (void)guarded("agent", "health check", [this] { run(); }); });
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
