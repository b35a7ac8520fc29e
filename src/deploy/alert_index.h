// AlertIndex: every alert `vigil run` raised, kept in SQLite (alerts.db in the state folder) with its snapshot and
// clip, for the review page and its API (http/alert_catalog.h). Alerts are indexed as they are sent; a clip is
// added when it has been written. Thread-safe.
//
// A clip's state in the index:  recording ──▶ ready ──▶ expired (retention deleted the file)
//                                    └──────▶ none (no video came, or it could not be written)
//
// Retention (trim_clips): clips older than max_age or beyond max_bytes in total go, oldest first — except a clip a
// message still waiting in the outbox names (that message would carry a dead path).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "http/alert_catalog.h"

struct sqlite3;

namespace vigil {
class Stmt;
}

namespace vigil::deploy {

class AlertIndex : public http::AlertCatalog {
 public:
  static Result<std::unique_ptr<AlertIndex>> open(const std::string& path);
  ~AlertIndex() override;
  AlertIndex(const AlertIndex&) = delete;
  AlertIndex& operator=(const AlertIndex&) = delete;

  // An alert as sent (its body). `clip_state`: "recording" when a clip was asked for, else "none".
  void add(const nlohmann::ordered_json& body, const std::string& clip_state, std::int64_t now_ms);
  void set_clip(const std::vector<std::string>& ids, const std::string& path, double seconds, std::uint64_t bytes);
  void set_no_clip(const std::vector<std::string>& ids);

  nlohmann::json list(const http::AlertQuery& q) override;
  std::optional<nlohmann::json> get(const std::string& id) override;
  bool set_reviewed(const std::string& id, bool reviewed) override;
  bool remove(const std::string& id) override;
  std::optional<std::string> file(const std::string& id, const std::string& kind) override;

  struct Trimmed {
    std::uint64_t files = 0, bytes = 0, kept_for_outbox = 0;
  };
  // `still_needed(file_name)`: true while a waiting message names the clip.
  Trimmed trim_clips(std::int64_t max_age_ms, std::uint64_t max_bytes, std::int64_t now_ms,
                     const std::function<bool(const std::string&)>& still_needed);
  std::uint64_t clip_bytes();  // the clips the index holds, in total

 private:
  AlertIndex(sqlite3* db) : db_(db) {}
  static nlohmann::json row_json(Stmt& q);
  void forget_file(const std::string& column, const std::string& path);  // removed unless another alert has it

  sqlite3* db_;
  std::mutex mutex_;
};

}  // namespace vigil::deploy
