#include "deploy/local_modules.h"

#include "core/log.h"
#include "http/http_server.h"
#include "http/prediction_api.h"

namespace vigil::deploy {
namespace {

class CameraInstance : public ModuleInstance {
 public:
  CameraInstance(std::unique_ptr<ModuleContext> context, std::unique_ptr<capture::CameraModule> camera, CameraTotals& totals)
      : context_(std::move(context)), camera_(std::move(camera)), totals_(totals) {}
  ~CameraInstance() override { stop(); }
  void stop() override {
    if (!camera_) return;
    camera_->stop();
    totals_.add(camera_->counters());
    camera_.reset();
  }
  std::optional<int> exit_code() override {
    if (camera_ && camera_->finished()) return 0;  // a file without LOOP_VIDEO was read to its end
    return std::nullopt;
  }
  bool healthy() override { return !camera_ || camera_->healthy(); }

 private:
  std::unique_ptr<ModuleContext> context_;  // outlives the camera, which sends through it
  std::unique_ptr<capture::CameraModule> camera_;
  CameraTotals& totals_;
};

class VisionInstance : public ModuleInstance {
 public:
  VisionInstance(std::shared_ptr<vision::ModelRunner> runner, std::unique_ptr<http::HttpServer> server)
      : runner_(std::move(runner)), server_(std::move(server)) {}
  ~VisionInstance() override { stop(); }
  void stop() override {
    if (server_) server_->stop();
    server_.reset();
  }
  std::optional<int> exit_code() override { return std::nullopt; }

 private:
  std::shared_ptr<vision::ModelRunner> runner_;
  std::unique_ptr<http::HttpServer> server_;
};

class AlertInstance : public ModuleInstance {
 public:
  AlertInstance(std::shared_ptr<alert::AlertModule> module, std::shared_ptr<AlertSlot> slot)
      : module_(std::move(module)), slot_(std::move(slot)) {
    slot_->set(module_);
  }
  ~AlertInstance() override { stop(); }
  void stop() override { slot_->set(nullptr); }
  std::optional<int> exit_code() override { return std::nullopt; }
  Status update_desired(const nlohmann::json& desired) override {
    // The desired properties are the whole rule set: keys left out return to their defaults.
    return module_->replace_rules(desired);
  }

 private:
  std::shared_ptr<alert::AlertModule> module_;
  std::shared_ptr<AlertSlot> slot_;
};

class ExecInstance : public ModuleInstance {
 public:
  ExecInstance(std::unique_ptr<ChildProcess> child, DesiredPublisher publish)
      : child_(std::move(child)), publish_(std::move(publish)) {}
  void stop() override { child_->stop(); }
  std::optional<int> exit_code() override { return child_->poll(); }
  // An isolated vigil module reads its desired properties from the manifest when it starts.
  bool restarts_for_desired() const override { return !publish_; }
  Status update_desired(const nlohmann::json& desired) override { return publish_(desired); }

 private:
  std::unique_ptr<ChildProcess> child_;
  DesiredPublisher publish_;
};

}  // namespace

Result<std::shared_ptr<vision::ModelRunner>> ModelCache::get(const std::string& path) {
  std::lock_guard lock(mutex_);
  if (auto it = runners_.find(path); it != runners_.end()) return it->second;
  auto runner = vision::make_model_runner(path, {device_}, instances_);
  if (!runner) return runner.error();
  std::shared_ptr<vision::ModelRunner> shared(std::move(*runner));
  runners_[path] = shared;
  return shared;
}

void CameraTotals::add(const capture::CameraCounters& c) {
  std::lock_guard lock(mutex);
  sum.captured += c.captured;
  sum.processed += c.processed;
  sum.inferred += c.inferred;
  sum.skipped += c.skipped;
  sum.dropped += c.dropped;
  sum.errors += c.errors;
  sum.sent += c.sent;
}

Result<std::unique_ptr<ModuleInstance>> start_camera(std::unique_ptr<ModuleContext> context,
                                                     const capture::CameraSettings& settings, ModelCache& models,
                                                     http::PreviewServer* preview, CameraTotals& totals, CameraHooks hooks) {
  auto provider = [&models](const std::string& model) { return models.get(model); };
  auto camera = capture::make_camera_module(*context, settings, provider);
  if (!camera) return camera.error();
  if (preview) preview->add_camera((*camera)->shared_view());
  (*camera)->set_frame_observer(std::move(hooks.frames));
  (*camera)->set_overlay_source(std::move(hooks.overlay));
  (*camera)->set_clip_registry(std::move(hooks.clips));
  (*camera)->start();
  return std::unique_ptr<ModuleInstance>(std::make_unique<CameraInstance>(std::move(context), std::move(*camera), totals));
}

Result<std::unique_ptr<ModuleInstance>> start_vision(const std::string& name, const VisionPlan& plan, ModelCache& models,
                                                     Metrics& metrics) {
  auto runner = models.get(plan.model);
  if (!runner) return runner.error();
  std::unique_ptr<http::HttpServer> server;
  if (!plan.host.empty()) {
    http::ServerOptions so;
    so.tls_cert_file = plan.tls_cert_file;
    so.tls_key_file = plan.tls_key_file;
    server = std::make_unique<http::HttpServer>(so);
    http::add_prediction_api(*server, **runner, metrics, {plan.prediction_key, {}});
    if (auto s = server->listen(plan.host, plan.port); !s)
      return make_error(s.error().code, "the Custom Vision API of " + name + ": " + s.error().message);
    server->start();
    LOG_INFO("vision", "[" << name << "] " << plan.model << ", Custom Vision API on " << (server->tls() ? "https" : "http") << "://" << plan.host << ":"
                           << server->port() << "/image");
  } else {
    LOG_INFO("vision", "[" << name << "] " << plan.model << " loaded (in-process only; bind a port to serve HTTP)");
  }
  return std::unique_ptr<ModuleInstance>(std::make_unique<VisionInstance>(std::move(*runner), std::move(server)));
}

void AlertSlot::on_message(const Message& m) {
  if (auto module = get()) module->on_message(m);
}

void AlertSlot::set(std::shared_ptr<alert::AlertModule> module) {
  std::lock_guard lock(mutex_);
  module_ = std::move(module);
}

std::shared_ptr<alert::AlertModule> AlertSlot::get() const {
  std::lock_guard lock(mutex_);
  return module_;
}

Result<std::unique_ptr<ModuleInstance>> start_alert(std::unique_ptr<ModuleContext> context, const alert::AlertRules& rules,
                                                    std::shared_ptr<AlertSlot> slot, alert::AlertModule::Snapshotter snapshots,
                                                    alert::AlertModule::AlertObserver observer) {
  // The module and its context go together, when the last holder (this instance or a delivery in progress) lets go.
  ModuleContext* ctx = context.release();
  std::shared_ptr<alert::AlertModule> module(new alert::AlertModule(*ctx, rules), [ctx](alert::AlertModule* m) {
    delete m;
    delete ctx;
  });
  module->set_snapshotter(std::move(snapshots));
  module->set_alert_observer(std::move(observer));
  return std::unique_ptr<ModuleInstance>(std::make_unique<AlertInstance>(std::move(module), std::move(slot)));
}

Result<std::unique_ptr<ModuleInstance>> start_exec(const std::string& name, ChildOptions options, DesiredPublisher publish) {
  options.on_line = [name](const std::string& line) { LOG_INFO("exec", "[" << name << "] " << line); };
  auto child = ChildProcess::spawn(std::move(options));
  if (!child) return child.error();
  return std::unique_ptr<ModuleInstance>(std::make_unique<ExecInstance>(std::move(*child), std::move(publish)));
}

}  // namespace vigil::deploy
