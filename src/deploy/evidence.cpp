#include "deploy/evidence.h"

#include <filesystem>

#include "core/guard.h"
#include "core/json_text.h"
#include "core/log.h"
#include "core/time_util.h"

namespace vigil::deploy {
namespace {

constexpr std::size_t kMaxPending = 2000;  // alerts whose clip is being cut; beyond that the oldest lose the follow-up


}  // namespace

Result<std::unique_ptr<Evidence>> Evidence::open(const std::string& work_dir, hub::Outbox& outbox, ModuleOf module_of,
                                                 RetentionOptions retention) {
  std::error_code ec;
  std::filesystem::create_directories(work_dir + "/clips", ec);
  if (ec) return make_error(ErrorCode::Unavailable, "cannot make " + work_dir + "/clips: " + ec.message());
  auto index = AlertIndex::open(work_dir + "/alerts.db");
  if (!index) return index.error();
  if (retention.max_bytes == 0) {
    const auto space = std::filesystem::space(work_dir, ec);
    retention.max_bytes = std::min<std::uint64_t>(2ull << 30, ec ? (2ull << 30) : space.capacity / 4);
  }
  std::unique_ptr<Evidence> e(new Evidence(std::move(*index), outbox, std::move(module_of), retention));
  e->clips_ = std::make_shared<capture::ClipRegistry>(work_dir + "/clips", [p = e.get()](const capture::ClipDone& d) { p->on_clip(d); });
  e->retention_thread_ = std::thread([p = e.get()] { guarded("clips", "retention", [p] { p->retention_loop(); }); });
  return e;
}

Evidence::Evidence(std::shared_ptr<AlertIndex> index, hub::Outbox& outbox, ModuleOf module_of, RetentionOptions retention)
    : index_(std::move(index)), outbox_(outbox), module_of_(std::move(module_of)), retention_(retention) {}

Evidence::~Evidence() { stop(); }

void Evidence::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (retention_thread_.joinable()) retention_thread_.join();
}

void Evidence::on_alert(const std::string& module, const nlohmann::ordered_json& body) {
  const std::string id = string_field(body, "alertId");
  if (id.empty()) return;
  const auto when = parse_utc_iso(string_field(body, "captureTime"));
  index_->add(body, when ? "recording" : "none", unix_now_ms());  // before the clip can be done
  if (!when) return;
  {
    std::lock_guard lock(mutex_);
    if (pending_.size() >= kMaxPending) pending_.erase(pending_.begin());
    pending_[id] = {module, body};
  }
  std::string why;
  if (clips_->request(string_field(body, "camera"), id, *when, string_field(body, "objectId"), &why)) return;
  {
    std::lock_guard lock(mutex_);
    pending_.erase(id);
  }
  index_->set_no_clip({id});
  LOG_DEBUG("clips", "no clip for alert " << id << ": " << why);
}

void Evidence::on_clip(const capture::ClipDone& d) {
  if (!d.error.empty()) {
    index_->set_no_clip(d.alert_ids);
  } else {
    index_->set_clip(d.alert_ids, d.path, d.seconds, d.bytes);
    LOG_INFO("clips", "[" << d.camera << "] " << d.path << ": " << d.seconds << " s, " << d.bytes / 1024 << " KB, "
                          << d.codec << (d.remuxed ? " (remuxed)" : " (encoded)"));
  }
  std::vector<Pending> followups;
  {
    std::lock_guard lock(mutex_);
    for (const auto& id : d.alert_ids)
      if (auto it = pending_.find(id); it != pending_.end()) {
        followups.push_back(std::move(it->second));
        pending_.erase(it);
      }
    trim_due_ = true;
  }
  wake_.notify_all();
  if (!d.error.empty()) return;
  for (const auto& p : followups) {
    auto module = module_of_(p.module);
    if (!module) continue;  // the module was removed meanwhile: the index still has the clip
    nlohmann::ordered_json f;
    f["tag"] = p.alert.value("tag", "");
    f["camera"] = d.camera;
    f["event"] = "clip";
    f["alertId"] = string_field(p.alert, "alertId");
    if (!d.object_id.empty()) f["objectId"] = d.object_id;
    f["alertIds"] = d.alert_ids;
    f["clip"] = d.path;
    if (!retention_.public_url.empty()) {
      std::string base = retention_.public_url;
      while (!base.empty() && base.back() == '/') base.pop_back();
      f["clipUrl"] = base + "/clips/" + f["alertId"].get<std::string>() + ".mp4";
    }
    f["clipSeconds"] = std::round(d.seconds * 100) / 100;
    f["clipBytes"] = d.bytes;
    f["preRollSeconds"] = std::round(d.pre_roll_s * 100) / 100;
    if (auto t = string_field(p.alert, "captureTime"); !t.empty()) f["captureTime"] = t;
    module->send_followup(f);
  }
}

void Evidence::trim() {
  const auto t = index_->trim_clips(static_cast<std::int64_t>(retention_.max_age_days * 86400e3), retention_.max_bytes,
                                    unix_now_ms(), [this](const std::string& name) { return outbox_.holds_text(name); });
  if (t.files > 0) LOG_INFO("clips", "retention: " << t.files << " clips (" << t.bytes / 1024 << " KB) deleted, oldest first");
  if (t.kept_for_outbox > 0)
    LOG_DEBUG("clips", "retention: " << t.kept_for_outbox << " clips kept: messages waiting in the outbox name them");
}

void Evidence::retention_loop() {
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, std::chrono::seconds(60), [this] { return stopping_ || trim_due_; });
      if (stopping_) return;
      trim_due_ = false;
    }
    trim();
  }
}

}  // namespace vigil::deploy
