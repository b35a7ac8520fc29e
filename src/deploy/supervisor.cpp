#include "deploy/supervisor.h"

#include "core/guard.h"
#include "core/log.h"
#include "core/time_util.h"

namespace vigil::deploy {

Supervisor::Supervisor(std::vector<ModuleSpec> modules, ModuleStarter starter, AgentSettings agent, bool restarts)
    : starter_(std::move(starter)), agent_(agent), restarts_(restarts) {
  for (auto& m : modules) {
    auto slot = std::make_unique<Slot>();
    slot->state.name = m.name;
    slot->state.kind = kind_name(m.kind);
    slot->state.image = m.image;
    slot->state.status = m.running ? RuntimeStatus::Unknown : RuntimeStatus::Stopped;
    slot->spec = std::move(m);
    slots_.push_back(std::move(slot));
  }
}

Supervisor::~Supervisor() { stop_all(); }

void Supervisor::start(Slot& s, Clock::time_point now) {
  LOG_INFO("agent", "[" << s.spec.name << "] starting (" << s.spec.image << ")");
  auto instance = starter_(s.spec);  // may take seconds: no state lock held
  s.started = now;
  if (!instance) {
    {
      std::lock_guard lock(mutex_);
      s.state.started_at_ms = unix_now_ms();
      s.state.last_error = instance.error().message;
    }
    LOG_ERROR("agent", "[" << s.spec.name << "] did not start: " << instance.error().message);
    on_exit(s, 1, false, now);
    return;
  }
  s.instance = std::move(*instance);
  std::lock_guard lock(mutex_);
  s.running = true;
  s.state.started_at_ms = unix_now_ms();
  s.state.status = RuntimeStatus::Running;
  s.state.exit_code.reset();
  s.state.last_error.clear();
}

void Supervisor::on_exit(Slot& s, int code, bool unhealthy, Clock::time_point now) {
  ExitFacts facts{code, unhealthy, std::chrono::duration<double>(now - s.started).count()};
  RestartDecision d;
  {
    std::lock_guard lock(mutex_);
    d = restarts_ ? decide_after_exit(s.spec.restart, facts, s.state.restart_count, agent_)
                  : RestartDecision{false, 0, s.state.restart_count, code ? RuntimeStatus::Failed : RuntimeStatus::Stopped};
    s.running = false;
    s.state.exit_code = code;
    s.state.exited_at_ms = unix_now_ms();
    s.state.restart_count = d.restart_count;
    s.state.status = d.status;
  }
  if (d.restart) {
    s.restart_at = now + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(d.delay_s));
    LOG_WARN("agent", "[" << s.spec.name << "] exited with code " << code << "; restart " << d.restart_count << " in "
                          << d.delay_s << " s (restartPolicy " << restart_policy_name(s.spec.restart) << ")");
  } else if (code) {
    LOG_WARN("agent", "[" << s.spec.name << "] exited with code " << code << "; not restarted (restartPolicy "
                          << restart_policy_name(s.spec.restart) << ", " << d.restart_count << " restarts)");
  } else {
    LOG_INFO("agent", "[" << s.spec.name << "] ended");
  }
}

void Supervisor::start_all(bool watch) {
  {
    std::lock_guard control(control_);
    for (auto& s : slots_)
      if (s->spec.running) start(*s, Clock::now());
  }
  if (!watch) return;
  watcher_ = std::thread([this] {
    while (!stopping_) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (!stopping_) (void)guarded("agent", "supervisor", [this] { tick(Clock::now()); });  // try again in 100 ms
    }
  });
}

void Supervisor::tick(Clock::time_point now) {
  std::lock_guard control(control_);
  if (stopping_) return;
  for (auto& sp : slots_) {
    Slot& s = *sp;
    RuntimeStatus status;
    {
      std::lock_guard lock(mutex_);
      status = s.state.status;
    }
    if (s.instance) {
      if (auto code = s.instance->exit_code()) {
        halt(s);
        on_exit(s, *code, false, now);
      } else if (const bool healthy = s.instance->healthy(); healthy || !restarts_when_unhealthy(s.spec.restart)) {
        std::lock_guard lock(mutex_);
        s.state.status = healthy ? RuntimeStatus::Running : RuntimeStatus::Unhealthy;
      } else {
        LOG_WARN("agent", "[" << s.spec.name << "] is unhealthy; stopping it");
        halt(s);
        on_exit(s, 0, true, now);
      }
    } else if (status == RuntimeStatus::Backoff && now >= s.restart_at) {
      start(s, now);
    }
    std::lock_guard lock(mutex_);
    s.state.next_restart_in_s =
        s.state.status == RuntimeStatus::Backoff ? std::max(0.0, std::chrono::duration<double>(s.restart_at - now).count()) : 0;
  }
}

void Supervisor::stop_all() {
  stopping_ = true;
  if (watcher_.joinable()) watcher_.join();
  std::lock_guard control(control_);
  for (auto it = slots_.rbegin(); it != slots_.rend(); ++it)
    if ((*it)->instance) stop_for_good(**it);  // a failed or backing-off module keeps its status
}

void Supervisor::halt(Slot& s) {  // `running` stays true until on_exit or stop_for_good says what follows
  s.instance->stop();  // may take seconds: no state lock held
  s.instance.reset();
}

void Supervisor::stop_for_good(Slot& s) {
  if (s.instance) {
    LOG_INFO("agent", "[" << s.spec.name << "] stopping");
    halt(s);
    std::lock_guard lock(mutex_);
    s.state.exited_at_ms = unix_now_ms();
  }
  std::lock_guard lock(mutex_);
  s.running = false;
  s.state.status = RuntimeStatus::Stopped;
}

void Supervisor::stop_kind(const std::string& kind) {
  std::lock_guard control(control_);
  for (auto& s : slots_)
    if (s->state.kind == kind) stop_for_good(*s);  // kind never changes: readable without mutex_
}

Supervisor::Slot* Supervisor::find(const std::string& module) {
  for (auto& s : slots_)
    if (s->spec.name == module) return s.get();
  return nullptr;
}

std::vector<ModuleState> Supervisor::states() const {
  std::lock_guard lock(mutex_);
  std::vector<ModuleState> out;
  for (const auto& s : slots_) out.push_back(s->state);
  return out;
}

Status Supervisor::update_desired(const std::string& module, const nlohmann::json& desired) {
  std::lock_guard control(control_);
  Slot* s = find(module);
  if (!s) return make_error(ErrorCode::NotFound, "no module named " + module);
  if (!s->instance) {
    s->spec.desired = desired;  // the next start uses them
    return ok_status();
  }
  if (s->instance->restarts_for_desired()) {  // at once, not counted as a restart
    LOG_INFO("agent", "[" << module << "] restarting to apply its new desired properties");
    s->spec.desired = desired;
    halt(*s);
    start(*s, Clock::now());
    return ok_status();
  }
  auto st = s->instance->update_desired(desired);
  if (st) s->spec.desired = desired;
  return st;
}

Status Supervisor::replace(const ModuleSpec& spec) {
  std::lock_guard control(control_);
  Slot* s = find(spec.name);
  if (!s) return make_error(ErrorCode::NotFound, "no module named " + spec.name);
  s->spec = spec;
  if (!spec.running) {  // "status": "stopped"
    if (s->instance) stop_for_good(*s);
    return ok_status();
  }
  if (s->instance) halt(*s);
  else if (std::lock_guard lock(mutex_); s->state.status == RuntimeStatus::Backoff)
    return ok_status();  // it starts with the new spec when its back-off ends
  start(*s, Clock::now());
  return ok_status();
}

bool Supervisor::all_done(const std::string& kind) const {
  std::lock_guard lock(mutex_);
  for (const auto& s : slots_) {
    if (!kind.empty() && s->state.kind != kind) continue;
    if (s->running || s->state.status == RuntimeStatus::Backoff) return false;
  }
  return true;
}

}  // namespace vigil::deploy
