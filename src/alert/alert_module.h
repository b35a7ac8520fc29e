// AlertModule: the tutorial's alert module and more. It takes prediction messages on input1 (the Custom Vision
// envelope, as the camera sends it), runs them through the AlertEngine (alert/rules.h) at the frame's own time
// (its captureTime property), and sends each alert on output1: {"tag": "Apple", "probability": 0.93, "camera":
// "front", "captureTime": "…", "alertId": "…"} with a fresh messageId and the prediction's messageId as
// correlationId (the tutorial's consumers read only "tag"). Per-object alerts add "event" (detected, crossed,
// loitering, ended), "objectId", and "line"/"direction", "zone", "seconds" as they apply; a "detected" alert shows
// the object's best frame of its first second (the last 64 inputs per camera are kept for that).
// Rules change at run time with update_rules(): the JSON is validated first and applied at once; an invalid update
// is refused with a message and the old rules stay. The last 100 decisions, with their traces, are kept for
// explain(). Thread-safe: on_message() is called by the hub's delivery thread, the rest from any thread.
#pragma once

#include <deque>
#include <map>
#include <mutex>

#include <nlohmann/json.hpp>

#include "alert/rules.h"
#include "core/module_context.h"

namespace vigil::alert {

class AlertModule {
 public:
  using Clock = AlertEngine::Clock;
  AlertModule(ModuleContext& context, AlertRules rules, std::function<Clock::time_point()> now = Clock::now);

  // Before the first message: stores the frame behind an alert (boxes drawn) and returns where, or "" when the
  // frame is not at hand. Used when the rules ask for snapshots.
  using Snapshotter = std::function<std::string(const Message& prediction, const vision::Prediction& p,
                                                const vision::Overlay& overlay, const std::string& alert_id)>;
  void set_snapshotter(Snapshotter s) { snapshotter_ = std::move(s); }
  // Before the first message: told of each alert this module sends (its body), after it was sent, on the sending thread —
  // where vigil run cuts its clip and indexes it.
  using AlertObserver = std::function<void(const std::string& module, const nlohmann::ordered_json& body)>;
  void set_alert_observer(AlertObserver o) { observer_ = std::move(o); }
  // A follow-up to an alert sent earlier (its clip is ready): `body` goes out on output1 with the properties camera,
  // tag and event taken from it, and the alert's id as correlationId. Any thread.
  void send_followup(const nlohmann::ordered_json& body);

  void on_message(const Message& prediction);
  Status update_rules(const nlohmann::json& patch);   // keys not in `patch` keep their current values
  Status replace_rules(const nlohmann::json& rules);  // a whole rule set: keys left out take their defaults
  nlohmann::json explain(std::size_t last = 20) const;  // newest first
  AlertRules rules() const;
  vision::Overlay overlay() const;  // the rules' zones and lines, for previews (any thread)

 private:
  Status apply_rules(const nlohmann::json& j, bool whole);
  void remember_input(const std::string& camera, std::uint64_t frame, const Message& in, const vision::Prediction& p);
  std::pair<Message, vision::Prediction> input_for(const std::string& camera, std::uint64_t frame, const Message& in,
                                                   const vision::Prediction& p) const;
  void send_alert(const Decision& d, const Message& in, const vision::Prediction& p, const std::string& camera,
                  bool snapshot);

  struct Input {
    std::uint64_t frame = 0;
    Message message;
    vision::Prediction prediction;
  };

  ModuleContext& context_;
  std::function<Clock::time_point()> now_;
  Snapshotter snapshotter_;
  AlertObserver observer_;
  mutable std::mutex mutex_;
  AlertEngine engine_;
  vision::Overlay overlay_;  // the rules' zones and lines, drawn on every preview frame: made when the rules change
  std::deque<nlohmann::json> recent_;
  std::map<std::string, std::deque<Input>> inputs_;  // per camera, the last 64 (per-object best frames only)
  std::map<std::pair<std::string, std::string>, std::uint64_t> objects_published_;  // on /metrics already
};

}  // namespace vigil::alert
