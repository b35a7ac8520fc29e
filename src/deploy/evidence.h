// Evidence: what `vigil run` keeps of each alert, beside the message itself. Every alert an alert module sends is
// indexed (alert_index.h) and, when its camera records clips, gets one (capture/clip_recorder.h). When the clip is
// written, the index learns where it is and the alert module sends a follow-up on output1:
//   {"tag", "camera", "event": "clip", "alertId", "objectId"?, "alertIds" (all the alerts it shows), "clip" (the
//    file), "clipUrl" (with a public URL), "clipSeconds", "clipBytes", "preRollSeconds", "captureTime"}
// The first alert message is never held back for its clip. Retention runs once a minute and after each clip:
// clips older than `max_age_days` or beyond `max_bytes` in total go, oldest first, except those a message waiting
// in the outbox still names.
//
// Threads: on_alert on the alert module's (hub delivery) thread; clips finish on each recorder's writer thread;
// retention on its own thread. Thread-safe.
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "alert/alert_module.h"
#include "capture/clip_recorder.h"
#include "deploy/alert_index.h"
#include "hub/outbox.h"

namespace vigil::deploy {

struct RetentionOptions {
  double max_age_days = 30;
  std::uint64_t max_bytes = 0;  // 0: a quarter of the state volume, at most 2 GiB
  std::string public_url;       // when set, clip messages carry "clipUrl": <public_url>/clips/<alertId>.mp4
};

class Evidence {
 public:
  using ModuleOf = std::function<std::shared_ptr<alert::AlertModule>(const std::string& module)>;
  static Result<std::unique_ptr<Evidence>> open(const std::string& work_dir, hub::Outbox& outbox, ModuleOf module_of,
                                                RetentionOptions retention);
  ~Evidence();  // stop()

  std::shared_ptr<capture::ClipRegistry> clips() const { return clips_; }
  std::shared_ptr<AlertIndex> index() const { return index_; }

  void on_alert(const std::string& module, const nlohmann::ordered_json& body);
  void stop();

 private:
  Evidence(std::shared_ptr<AlertIndex> index, hub::Outbox& outbox, ModuleOf module_of, RetentionOptions retention);
  void on_clip(const capture::ClipDone& done);
  void retention_loop();
  void trim();

  struct Pending {
    std::string module;
    nlohmann::ordered_json alert;
  };

  std::shared_ptr<AlertIndex> index_;
  hub::Outbox& outbox_;
  ModuleOf module_of_;
  RetentionOptions retention_;
  std::shared_ptr<capture::ClipRegistry> clips_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::map<std::string, Pending> pending_;  // alert id → what its follow-up needs, while its clip is cut
  bool stopping_ = false, trim_due_ = false;
  std::thread retention_thread_;
};

}  // namespace vigil::deploy
