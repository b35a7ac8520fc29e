#include "deploy/alert_index.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "core/json_text.h"
#include "core/log.h"
#include "core/sqlite.h"
#include "core/time_util.h"

namespace vigil::deploy {
namespace {

const char kSchema[] =
    "CREATE TABLE IF NOT EXISTS alerts ("
    "  id TEXT PRIMARY KEY,"
    "  time TEXT NOT NULL,"        // captureTime (ISO 8601 UTC), else when it was indexed
    "  camera TEXT NOT NULL, tag TEXT NOT NULL, event TEXT NOT NULL, object TEXT NOT NULL,"
    "  probability REAL NOT NULL,"
    "  snapshot TEXT, clip TEXT, clip_state TEXT NOT NULL, clip_seconds REAL, clip_bytes INTEGER,"
    "  reviewed INTEGER NOT NULL DEFAULT 0,"
    "  created_ms INTEGER NOT NULL,"
    "  body TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS alerts_time ON alerts(time);"
    "CREATE INDEX IF NOT EXISTS alerts_clip ON alerts(clip);";

const char kColumns[] = "id, time, camera, tag, event, object, probability, snapshot, clip, clip_state, clip_seconds, reviewed, body";


}  // namespace

Result<std::unique_ptr<AlertIndex>> AlertIndex::open(const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr) != SQLITE_OK) {
    const std::string why = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return make_error(ErrorCode::Unavailable, "cannot open the alert index " + path + ": " + why);
  }
  sqlite3_busy_timeout(db, 5000);
  for (const char* sql : {"PRAGMA journal_mode=WAL;", "PRAGMA synchronous=NORMAL;", kSchema}) {
    char* err = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      const std::string why = err ? err : "unknown error";
      sqlite3_free(err);
      sqlite3_close(db);
      return make_error(ErrorCode::Unavailable, "the alert index " + path + ": " + why +
                                                    " (move the file away to start a new index; alerts already sent are not affected)");
    }
  }
  return std::unique_ptr<AlertIndex>(new AlertIndex(db));
}

AlertIndex::~AlertIndex() { sqlite3_close(db_); }

void AlertIndex::add(const nlohmann::ordered_json& body, const std::string& clip_state, std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  Stmt q(db_, "INSERT OR REPLACE INTO alerts (id, time, camera, tag, event, object, probability, snapshot, clip_state, "
              "created_ms, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  std::string time = string_field(body, "captureTime");
  if (time.empty()) time = format_utc_iso(std::chrono::system_clock::time_point(std::chrono::milliseconds(now_ms)), 3) + "Z";
  const auto p = body.find("probability");
  q.bind(1, string_field(body, "alertId"));
  q.bind(2, time);
  q.bind(3, string_field(body, "camera"));
  q.bind(4, string_field(body, "tag"));
  q.bind(5, string_field(body, "event"));
  q.bind(6, string_field(body, "objectId"));
  q.bind_real(7, p != body.end() && p->is_number() ? p->get<double>() : 0.0);
  const std::string snapshot = string_field(body, "snapshot");
  if (!snapshot.empty()) q.bind(8, snapshot);
  q.bind(9, clip_state);
  q.bind(10, now_ms);
  q.bind(11, body.dump());
  if (q.step() != SQLITE_DONE) LOG_WARN("alert", "the alert index refused an alert: " << sqlite3_errmsg(db_));
}

void AlertIndex::set_clip(const std::vector<std::string>& ids, const std::string& path, double seconds, std::uint64_t bytes) {
  std::lock_guard lock(mutex_);
  Stmt q(db_, "UPDATE alerts SET clip = ?, clip_state = 'ready', clip_seconds = ?, clip_bytes = ? WHERE id = ?");
  for (const auto& id : ids) {
    q.bind(1, path);
    q.bind_real(2, seconds);
    q.bind(3, static_cast<std::int64_t>(bytes));
    q.bind(4, id);
    q.step();
    q.reset();
  }
}

void AlertIndex::set_no_clip(const std::vector<std::string>& ids) {
  std::lock_guard lock(mutex_);
  Stmt q(db_, "UPDATE alerts SET clip_state = 'none' WHERE id = ?");
  for (const auto& id : ids) {
    q.bind(1, id);
    q.step();
    q.reset();
  }
}

nlohmann::json AlertIndex::row_json(Stmt& q) {
  const std::string id = q.text(0);
  nlohmann::json j = {{"id", id},           {"time", q.text(1)},     {"camera", q.text(2)}, {"tag", q.text(3)},
                      {"event", q.text(4)}, {"objectId", q.text(5)}, {"probability", q.real(6)}};
  j["snapshot"] = q.null(7) ? nlohmann::json() : nlohmann::json("/snapshots/" + id + ".jpg");
  j["clip"] = q.null(8) ? nlohmann::json() : nlohmann::json("/clips/" + id + ".mp4");
  j["clipState"] = q.text(9);
  j["clipSeconds"] = q.null(10) ? nlohmann::json() : nlohmann::json(std::round(q.real(10) * 10) / 10);
  j["reviewed"] = q.i64(11) != 0;
  j["alert"] = nlohmann::json::parse(q.text(12), nullptr, false);
  return j;
}

nlohmann::json AlertIndex::list(const http::AlertQuery& in) {
  std::lock_guard lock(mutex_);
  std::string where = " WHERE 1=1";
  std::vector<std::string> binds;
  auto eq = [&](const char* column, const std::string& value) {
    if (value.empty()) return;
    where += std::string(" AND ") + column + " = ?";
    binds.push_back(value);
  };
  eq("camera", in.camera);
  eq("tag", in.tag);
  eq("event", in.event);
  if (!in.from.empty()) where += " AND time >= ?", binds.push_back(in.from);
  if (!in.to.empty()) where += " AND time <= ?", binds.push_back(in.to);
  if (in.reviewed) where += *in.reviewed ? " AND reviewed = 1" : " AND reviewed = 0";
  nlohmann::json out = {{"alerts", nlohmann::json::array()}, {"total", 0}};
  const std::string select = std::string("SELECT ") + kColumns + " FROM alerts" + where +
                             " ORDER BY time DESC, created_ms DESC LIMIT " + std::to_string(std::clamp(in.limit, 1, 500)) +
                             " OFFSET " + std::to_string(std::max(0, in.offset));
  Stmt q(db_, select.c_str());
  Stmt n(db_, ("SELECT count(*) FROM alerts" + where).c_str());
  for (std::size_t i = 0; i < binds.size(); ++i) {
    q.bind(static_cast<int>(i + 1), binds[i]);
    n.bind(static_cast<int>(i + 1), binds[i]);
  }
  while (q.step() == SQLITE_ROW) out["alerts"].push_back(row_json(q));
  if (n.step() == SQLITE_ROW) out["total"] = n.i64(0);
  for (const char* column : {"camera", "tag"}) {
    Stmt d(db_, (std::string("SELECT DISTINCT ") + column + " FROM alerts ORDER BY 1").c_str());
    auto& list = out[std::string(column) == "camera" ? "cameras" : "tags"] = nlohmann::json::array();
    while (d.step() == SQLITE_ROW) list.push_back(d.text(0));
  }
  return out;
}

std::optional<nlohmann::json> AlertIndex::get(const std::string& id) {
  std::lock_guard lock(mutex_);
  Stmt q(db_, (std::string("SELECT ") + kColumns + " FROM alerts WHERE id = ?").c_str());
  q.bind(1, id);
  if (q.step() != SQLITE_ROW) return std::nullopt;
  return row_json(q);
}

bool AlertIndex::set_reviewed(const std::string& id, bool reviewed) {
  std::lock_guard lock(mutex_);
  Stmt q(db_, "UPDATE alerts SET reviewed = ? WHERE id = ?");
  q.bind(1, static_cast<std::int64_t>(reviewed));
  q.bind(2, id);
  return q.step() == SQLITE_DONE && sqlite3_changes(db_) > 0;
}

void AlertIndex::forget_file(const std::string& column, const std::string& path) {
  if (path.empty()) return;
  Stmt q(db_, ("SELECT 1 FROM alerts WHERE " + column + " = ? LIMIT 1").c_str());
  q.bind(1, path);
  if (q.step() == SQLITE_ROW) return;  // another alert shows it too (one clip per object)
  std::error_code ec;
  std::filesystem::remove(path, ec);
}

bool AlertIndex::remove(const std::string& id) {
  std::lock_guard lock(mutex_);
  std::string snapshot, clip;
  {
    Stmt q(db_, "SELECT snapshot, clip FROM alerts WHERE id = ?");
    q.bind(1, id);
    if (q.step() != SQLITE_ROW) return false;
    snapshot = q.text(0);
    clip = q.text(1);
  }
  Stmt d(db_, "DELETE FROM alerts WHERE id = ?");
  d.bind(1, id);
  if (d.step() != SQLITE_DONE) return false;
  forget_file("snapshot", snapshot);
  forget_file("clip", clip);
  return true;
}

std::optional<std::string> AlertIndex::file(const std::string& id, const std::string& kind) {
  if (kind != "clip" && kind != "snapshot") return std::nullopt;
  std::lock_guard lock(mutex_);
  Stmt q(db_, ("SELECT " + kind + " FROM alerts WHERE id = ?").c_str());
  q.bind(1, id);
  if (q.step() != SQLITE_ROW || q.null(0)) return std::nullopt;
  return q.text(0);
}

std::uint64_t AlertIndex::clip_bytes() {
  std::lock_guard lock(mutex_);
  Stmt q(db_, "SELECT sum(b) FROM (SELECT max(clip_bytes) AS b FROM alerts WHERE clip IS NOT NULL GROUP BY clip)");
  return q.step() == SQLITE_ROW ? static_cast<std::uint64_t>(q.i64(0)) : 0;
}

AlertIndex::Trimmed AlertIndex::trim_clips(std::int64_t max_age_ms, std::uint64_t max_bytes, std::int64_t now_ms,
                                           const std::function<bool(const std::string&)>& still_needed) {
  std::lock_guard lock(mutex_);
  struct Clip {
    std::string path;
    std::int64_t created = 0;
    std::uint64_t bytes = 0;
  };
  std::vector<Clip> clips;  // oldest first
  std::uint64_t total = 0;
  {
    Stmt q(db_, "SELECT clip, min(created_ms), max(clip_bytes) FROM alerts WHERE clip IS NOT NULL GROUP BY clip "
                "ORDER BY 2 ASC");
    while (q.step() == SQLITE_ROW) {
      clips.push_back({q.text(0), q.i64(1), static_cast<std::uint64_t>(q.i64(2))});
      total += clips.back().bytes;
    }
  }
  Trimmed t;
  Stmt expire(db_, "UPDATE alerts SET clip = NULL, clip_state = 'expired' WHERE clip = ?");
  for (const auto& c : clips) {
    const bool old = max_age_ms > 0 && now_ms - c.created > max_age_ms;
    if (!old && total <= max_bytes) break;
    if (still_needed && still_needed(std::filesystem::path(c.path).filename().string())) {
      ++t.kept_for_outbox;
      continue;
    }
    std::error_code ec;
    std::filesystem::remove(c.path, ec);
    expire.bind(1, c.path);
    expire.step();
    expire.reset();
    total -= std::min(total, c.bytes);
    ++t.files;
    t.bytes += c.bytes;
  }
  return t;
}

}  // namespace vigil::deploy
