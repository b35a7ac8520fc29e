#include "alert/alert_module.h"

#include "core/json_text.h"
#include "core/log.h"
#include "core/time_util.h"
#include "vision/prediction_json.h"

namespace vigil::alert {

AlertModule::AlertModule(ModuleContext& context, AlertRules rules, std::function<Clock::time_point()> now)
    : context_(context), now_(std::move(now)), engine_(std::move(rules)) {
  context_.metrics().describe("vigil_alert_predictions_total", "counter", "Predictions the alert module evaluated");
  context_.metrics().describe("vigil_alert_alerts_total", "counter", "Alerts sent, by tag");
  context_.metrics().describe("vigil_alert_bad_input_total", "counter", "Input messages that were not predictions");
}

void AlertModule::on_message(const Message& in) {
  auto prediction = vision::parse_prediction_envelope(in.body);
  if (!prediction) {
    context_.metrics().inc("vigil_alert_bad_input_total");
    LOG_WARN("alert", "[" << context_.module_id() << "] input is not a prediction (" << prediction.error().message
                          << "); send the Custom Vision JSON envelope");
    return;
  }
  auto camera = in.properties.find("camera");
  const std::string cam = camera != in.properties.end() ? camera->second : in.system.connection_module_id;
  auto capture = in.properties.find("captureTime");
  auto frame = in.properties.find("frameNumber");
  const auto now = now_();
  std::vector<Decision> decisions;
  bool snapshot = false;
  {
    std::lock_guard lock(mutex_);
    decisions = engine_.evaluate(cam, *prediction, now);
    snapshot = engine_.rules().snapshot;
    for (const auto& d : decisions) {
      nlohmann::json j = decision_to_json(d);
      j["time"] = format_utc_iso(now, 3) + "Z";
      j["messageId"] = in.system.message_id;
      recent_.push_front(std::move(j));
      if (recent_.size() > 100) recent_.pop_back();
    }
  }
  context_.metrics().inc("vigil_alert_predictions_total");
  for (const auto& d : decisions) {
    if (!d.alert) continue;
    nlohmann::ordered_json body;
    body["tag"] = d.tag;
    body["probability"] = vision::round8(d.probability);
    body["camera"] = cam;
    if (capture != in.properties.end()) body["captureTime"] = capture->second;
    Message out = make_json_message("", now);
    body["alertId"] = out.system.message_id;
    if (frame != in.properties.end()) {
      body["frameNumber"] = frame->second;
      out.properties["frameNumber"] = frame->second;
    }
    if (d.box)
      body["box"] = {{"left", vision::round8(d.box->left)}, {"top", vision::round8(d.box->top)},
                     {"width", vision::round8(d.box->width)}, {"height", vision::round8(d.box->height)}};
    if (snapshot && snapshotter_) {
      const std::string path = snapshotter_(in, *prediction, out.system.message_id);
      if (!path.empty()) {
        body["snapshot"] = path;
        out.properties["snapshot"] = path;
      }
    }
    out.body = json_text(body);
    out.system.correlation_id = in.system.message_id;
    out.properties["camera"] = cam;
    out.properties["tag"] = d.tag;
    context_.metrics().inc("vigil_alert_alerts_total", {{"tag", d.tag}});
    LOG_INFO("alert", "[" << context_.module_id() << "] ALERT " << d.tag << " " << d.probability << " on " << cam);
    context_.send("output1", std::move(out));
  }
}

Status AlertModule::update_rules(const nlohmann::json& patch) { return apply_rules(patch, false); }

Status AlertModule::replace_rules(const nlohmann::json& rules) { return apply_rules(rules, true); }

Status AlertModule::apply_rules(const nlohmann::json& patch, bool whole) {
  std::lock_guard lock(mutex_);
  auto next = parse_rules(patch, whole ? AlertRules{} : engine_.rules());
  if (!next) {
    LOG_WARN("alert", "[" << context_.module_id() << "] rule update refused, the old rules stay: " << next.error().message);
    return next.error();
  }
  engine_.set_rules(std::move(*next));
  LOG_INFO("alert", "[" << context_.module_id() << "] rules updated: " << json_text(patch));
  return ok_status();
}

nlohmann::json AlertModule::explain(std::size_t last) const {
  std::lock_guard lock(mutex_);
  nlohmann::json out = nlohmann::json::array();
  for (std::size_t i = 0; i < recent_.size() && i < last; ++i) out.push_back(recent_[i]);
  return out;
}

AlertRules AlertModule::rules() const {
  std::lock_guard lock(mutex_);
  return engine_.rules();
}

}  // namespace vigil::alert
