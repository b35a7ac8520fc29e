#include "alert/alert_module.h"

#include <cmath>
#include <limits>

#include "core/json_text.h"
#include "core/log.h"
#include "core/text.h"
#include "core/time_util.h"
#include "vision/prediction_json.h"

namespace vigil::alert {

AlertModule::AlertModule(ModuleContext& context, AlertRules rules, std::function<Clock::time_point()> now)
    : context_(context), now_(std::move(now)), engine_(std::move(rules)), overlay_(overlay_of(engine_.rules())) {
  context_.metrics().describe("vigil_alert_predictions_total", "counter", "Predictions the alert module evaluated");
  context_.metrics().describe("vigil_alert_alerts_total", "counter", "Alerts sent, by tag");
  context_.metrics().describe("vigil_alert_bad_input_total", "counter", "Input messages that were not predictions");
  context_.metrics().describe("vigil_objects_total", "counter", "Tracked objects the alert module has seen, by camera and tag");
  context_.metrics().describe("vigil_line_crossings_total", "counter", "Line crossings that alerted, by camera, line and direction");
}

namespace {

// The frame's own time (captureTime), so that a replay at any speed decides as the live camera did; the clock
// only for messages without one.
AlertModule::Clock::time_point frame_time(const Message& in, const std::function<AlertModule::Clock::time_point()>& now) {
  if (auto c = in.properties.find("captureTime"); c != in.properties.end())
    if (auto t = parse_utc_iso(c->second)) return *t;
  return now();
}

std::uint64_t frame_number(const Message& in) {
  auto f = in.properties.find("frameNumber");
  const auto n = f == in.properties.end() ? std::nullopt : parse_whole(f->second, 1, std::numeric_limits<long long>::max());
  return n ? static_cast<std::uint64_t>(*n) : 0;
}

}  // namespace

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
  const auto when = frame_time(in, now_);
  const std::uint64_t frame = frame_number(in);
  std::vector<Decision> decisions;
  bool snapshot = false;
  {
    std::lock_guard lock(mutex_);
    decisions = engine_.evaluate(cam, *prediction, when, frame);
    snapshot = engine_.rules().snapshot;
    // Only an object's alert shows an earlier frame (its best one: frame, time, snapshot): keep the inputs only then.
    if (engine_.rules().per_object && engine_.rules().snapshot_best) remember_input(cam, frame, in, *prediction);
    for (const auto& d : decisions) {
      nlohmann::json j = decision_to_json(d);
      j["time"] = format_utc_iso(when, 3) + "Z";
      j["messageId"] = in.system.message_id;
      if (frame) j["frameNumber"] = frame;
      recent_.push_front(std::move(j));
      if (recent_.size() > 100) recent_.pop_back();
    }
    if (const auto& totals = engine_.objects_total(); totals != objects_published_) {
      for (const auto& [key, n] : totals)
        context_.metrics().set("vigil_objects_total", {{"camera", key.first}, {"tag", key.second}}, static_cast<double>(n));
      objects_published_ = totals;
    }
  }
  context_.metrics().inc("vigil_alert_predictions_total");
  for (const auto& d : decisions)
    if (d.alert) send_alert(d, in, *prediction, cam, snapshot);
}

void AlertModule::remember_input(const std::string& camera, std::uint64_t frame, const Message& in,
                                 const vision::Prediction& p) {
  if (frame == 0) return;
  auto& q = inputs_[camera];
  q.push_back({frame, in, p});
  while (q.size() > 64) q.pop_front();
}

// The input that carried `frame` (for an object's best frame), or the one at hand.
std::pair<Message, vision::Prediction> AlertModule::input_for(const std::string& camera, std::uint64_t frame,
                                                              const Message& in, const vision::Prediction& p) const {
  std::lock_guard lock(mutex_);
  if (frame != 0)
    if (auto it = inputs_.find(camera); it != inputs_.end())
      for (const auto& r : it->second)
        if (r.frame == frame) return {r.message, r.prediction};
  return {in, p};
}

void AlertModule::send_alert(const Decision& d, const Message& in, const vision::Prediction& p, const std::string& cam,
                             bool snapshot) {
  const auto [source, shown] = input_for(cam, d.frame, in, p);
  auto capture = source.properties.find("captureTime");
  auto frame = source.properties.find("frameNumber");
  nlohmann::ordered_json body;
  body["tag"] = d.tag;
  body["probability"] = vision::round8(d.probability);
  body["camera"] = cam;
  if (!d.event.empty()) body["event"] = d.event;
  if (!d.object_id.empty()) body["objectId"] = d.object_id;
  if (!d.line.empty()) body["line"] = d.line, body["direction"] = d.direction;
  if (!d.zone.empty()) body["zone"] = d.zone;
  if (d.event == "loitering" || d.event == "ended") body["seconds"] = std::round(d.seconds * 100) / 100;
  if (capture != source.properties.end()) body["captureTime"] = capture->second;
  Message out = make_json_message("", now_());
  body["alertId"] = out.system.message_id;
  if (frame != source.properties.end()) {
    body["frameNumber"] = frame->second;
    out.properties["frameNumber"] = frame->second;
  }
  if (const auto decided = frame_number(in); d.frame != 0 && decided != d.frame) body["decidedFrame"] = decided;
  if (d.box)
    body["box"] = {{"left", vision::round8(d.box->left)}, {"top", vision::round8(d.box->top)},
                   {"width", vision::round8(d.box->width)}, {"height", vision::round8(d.box->height)}};
  if (snapshot && snapshotter_ && d.event != "ended") {
    const vision::Overlay drawn = overlay();
    std::string path = snapshotter_(source, shown, drawn, out.system.message_id);
    if (path.empty() && frame_number(source) != frame_number(in))
      path = snapshotter_(in, p, drawn, out.system.message_id);  // the best frame is no longer held: the current one
    if (!path.empty()) {
      body["snapshot"] = path;
      out.properties["snapshot"] = path;
    }
  }
  out.body = json_text(body);
  out.system.correlation_id = in.system.message_id;
  out.properties["camera"] = cam;
  out.properties["tag"] = d.tag;
  if (!d.event.empty()) out.properties["event"] = d.event;
  auto& m = context_.metrics();
  m.inc("vigil_alert_alerts_total", {{"tag", d.tag}});
  if (d.event == "crossed")
    m.inc("vigil_line_crossings_total", {{"camera", cam}, {"line", d.line}, {"direction", d.direction}});
  LOG_INFO("alert", "[" << context_.module_id() << "] ALERT " << d.tag << " " << d.probability << " on " << cam
                        << (d.event.empty() ? "" : " " + d.event + " " + d.object_id)
                        << (d.line.empty() ? "" : " line " + d.line + " " + d.direction)
                        << (d.zone.empty() ? "" : " zone " + d.zone));
  context_.send("output1", std::move(out));
  if (observer_) observer_(context_.module_id(), body);
}

void AlertModule::send_followup(const nlohmann::ordered_json& body) {
  Message out = make_json_message(json_text(body), now_());
  out.system.correlation_id = string_field(body, "alertId");
  for (const char* key : {"camera", "tag", "event"})
    if (const std::string v = string_field(body, key); !v.empty()) out.properties[key] = v;
  context_.send("output1", std::move(out));
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
  overlay_ = overlay_of(engine_.rules());
  LOG_INFO("alert", "[" << context_.module_id() << "] rules updated: " << json_text(patch));
  return ok_status();
}

nlohmann::json AlertModule::explain(std::size_t last) const {
  std::lock_guard lock(mutex_);
  nlohmann::json out = nlohmann::json::array();
  for (std::size_t i = 0; i < recent_.size() && i < last; ++i) out.push_back(recent_[i]);
  return out;
}

vision::Overlay AlertModule::overlay() const {
  std::lock_guard lock(mutex_);
  return overlay_;
}

AlertRules AlertModule::rules() const {
  std::lock_guard lock(mutex_);
  return engine_.rules();
}

}  // namespace vigil::alert
