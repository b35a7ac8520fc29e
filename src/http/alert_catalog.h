// AlertCatalog: what the alert review page and its API read and change — the alerts a deployment raised, each with
// its snapshot and clip. http/ defines it; the runtime's SQLite index (deploy/alert_index.h) implements it.
//
// An alert as the API shows it:
//   {"id", "time" (captureTime, ISO 8601 UTC), "camera", "tag", "event", "objectId", "probability", "reviewed",
//    "snapshot": "/snapshots/<id>.jpg" | null, "clip": "/clips/<id>.mp4" | null, "clipSeconds", "clipState":
//    "recording" | "ready" | "none", "alert": the message body as sent}
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace vigil::http {

struct AlertQuery {
  std::string camera, tag, event;
  std::string from, to;           // captureTime bounds (ISO 8601), inclusive; empty: open
  std::optional<bool> reviewed;
  int limit = 50;                 // 1..500
  int offset = 0;
};

class AlertCatalog {
 public:
  virtual ~AlertCatalog() = default;
  // {"alerts": [newest first], "total": matching count, "cameras": [...], "tags": [...]} (the last two: for filters)
  virtual nlohmann::json list(const AlertQuery& q) = 0;
  virtual std::optional<nlohmann::json> get(const std::string& id) = 0;
  virtual bool set_reviewed(const std::string& id, bool reviewed) = 0;  // false: no such alert
  virtual bool remove(const std::string& id) = 0;                       // the alert and its files no other alert needs
  // The file behind an alert: kind "clip" or "snapshot"; nullopt when it has none (yet).
  virtual std::optional<std::string> file(const std::string& id, const std::string& kind) = 0;
};

}  // namespace vigil::http
