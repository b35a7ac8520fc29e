#include "hub/outbox.h"

#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "core/json_text.h"
#include "core/sqlite.h"
#include "core/log.h"
#include "hub/outbox_space.h"

namespace vigil::hub {
namespace {

constexpr std::uint64_t kPageBytes = 4096;  // SQLite's default page size, which the store keeps

const char kSchema[] =
    "CREATE TABLE IF NOT EXISTS outbox ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  endpoint TEXT NOT NULL,"
    "  priority INTEGER NOT NULL,"
    "  enqueued_ms INTEGER NOT NULL,"
    "  expires_ms INTEGER NOT NULL,"  // 0: never
    "  size INTEGER NOT NULL,"
    "  message TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS outbox_order ON outbox(endpoint, priority, id);"
    "CREATE TABLE IF NOT EXISTS uplinks (endpoint TEXT PRIMARY KEY, uplink TEXT NOT NULL);";

}  // namespace

Outbox::Outbox(sqlite3* db, std::string path, OutboxOptions options)
    : db_(db),
      path_(std::move(path)),
      options_(options),
      limits_(space_limits(volume_space(path_).value_or(VolumeSpace{}).total, options.reserve_bytes)),
      ballast_(path_ + ".reserve", limits_.ballast) {}

Outbox::~Outbox() { sqlite3_close(db_); }

Error Outbox::sql_error(const std::string& what) {
  note_no_space();
  return make_error(ErrorCode::Unavailable, "outbox " + path_ + ": " + what + ": " + sqlite3_errmsg(db_));
}

Status Outbox::exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    note_no_space();
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    return make_error(ErrorCode::Unavailable, "outbox " + path_ + ": " + msg);
  }
  return ok_status();
}

Result<std::unique_ptr<Outbox>> Outbox::open(const std::string& path, OutboxOptions options) {
  if (auto r = recover_if_damaged(path, options); !r) return r.error();
  return open_store(path, options);
}

Result<std::unique_ptr<Outbox>> Outbox::open_existing(const std::string& path) {
  if (::access(path.c_str(), R_OK | W_OK) != 0)
    return make_error(ErrorCode::NotFound, "no outbox at " + path + " (" + std::strerror(errno) + ")");
  return open_store(path, {});
}

Result<std::unique_ptr<Outbox>> Outbox::open_store(const std::string& path, OutboxOptions options) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr) !=
      SQLITE_OK) {
    std::string why = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return make_error(ErrorCode::Unavailable, "cannot open the outbox " + path + ": " + why +
                                                  " (is the folder there and writable?)");
  }
  std::unique_ptr<Outbox> box(new Outbox(db, path, options));
  sqlite3_busy_timeout(db, 5000);
  // WAL + FULL: a commit is on disk (fsync of the log) before append() returns. The log is checkpointed and
  // truncated at a size that suits the volume, so it never grows into the space the messages need.
  const std::string wal = "PRAGMA journal_size_limit=" + std::to_string(box->limits_.wal_bytes) +
                          "; PRAGMA wal_autocheckpoint=" + std::to_string(std::max<std::uint64_t>(box->limits_.wal_bytes / kPageBytes, 8)) + ";";
  // auto_vacuum=INCREMENTAL (takes effect in a new file): pages freed by delivery can go back to the volume.
  for (const char* sql : {"PRAGMA auto_vacuum=INCREMENTAL;", "PRAGMA journal_mode=WAL;", "PRAGMA synchronous=FULL;", wal.c_str(), kSchema})
    if (auto s = box->exec(sql); !s) return s.error();
  {
    std::lock_guard lock(box->mutex_);
    box->watch_space(box->free_pages_bytes());
  }
  return box;
}

std::uint64_t Outbox::store_bytes() const {
  std::error_code ec1, ec2;
  const auto db = std::filesystem::file_size(path_, ec1), wal = std::filesystem::file_size(path_ + "-wal", ec2);
  return (ec1 ? 0 : db) + (ec2 ? 0 : wal);
}

std::uint64_t Outbox::free_pages_bytes() {
  Stmt count(db_, "PRAGMA freelist_count");
  if (!count.ok() || count.step() != SQLITE_ROW) return 0;
  return static_cast<std::uint64_t>(count.i64(0)) * kPageBytes;
}

void Outbox::watch_space(std::uint64_t inside) {
  auto v = volume_space(path_);
  if (!v) return;
  // A store with more free pages than a reserve's worth, on a short volume, gives the rest back
  // (auto_vacuum=INCREMENTAL; in WAL mode the file shrinks at the checkpoint, so that at once too). It keeps a
  // reserve's worth: room to go on storing when another writer fills the volume.
  if (v->free < limits_.reserve + limits_.ballast && inside > limits_.reserve + limits_.ballast) {
    const std::string vacuum = "PRAGMA incremental_vacuum(" + std::to_string((inside - limits_.reserve) / kPageBytes) + ");";
    if (exec(vacuum.c_str()) && exec("PRAGMA wal_checkpoint(RESTART);")) {
      const std::uint64_t after = free_pages_bytes();
      v->free += inside - std::min(inside, after);
      inside = after;
    }
  }
  // The ballast only from the volume's own free space (made from the store's free pages it would only be given
  // up again at the next write).
  if (!ballast_.present() && v->free >= limits_.reserve + limits_.ballast) ballast_.make();
  // The store's free pages are reused before the file grows: they count as room. Back to Ok only with half the
  // reserve more, so that the space a checkpoint gives back after an eviction does not flap the state.
  const std::uint64_t room = v->free + inside;
  const std::uint64_t back = limits_.reserve + (space_ == SpaceState::Ok ? 0 : limits_.reserve / 2);
  if (room >= back && space_ != SpaceState::Ok) set_space(SpaceState::Ok, v->free, inside);
  else if (room < limits_.reserve && space_ == SpaceState::Ok) set_space(SpaceState::Low, v->free, inside);
}

void Outbox::set_space(SpaceState next, std::uint64_t free_bytes, std::uint64_t inside) {
  const SpaceState before = space_;
  space_ = next;
  std::uint64_t depth = 0;
  if (Stmt q(db_, "SELECT COUNT(*) FROM outbox"); q.ok() && q.step() == SQLITE_ROW) depth = static_cast<std::uint64_t>(q.i64(0));
  const std::string where = "the state volume of " + path_ + " has " + std::to_string(free_bytes / 1024) + " KiB free" +
                            (inside ? " (and the store " + std::to_string(inside / 1024) + " KiB of reusable pages)" : "");
  if (next == SpaceState::Ok) {
    LOG_WARN("outbox", where << ": the outbox grows again (" << depth << " message(s) wait; " << evicted_since_low_
                             << " evicted while space was short)");
    evicted_since_low_ = 0;
  } else if (next == SpaceState::Low && before == SpaceState::Ok) {
    LOG_WARN("outbox", where << ", under the " << limits_.reserve / 1024 << " KiB it keeps free: once the store holds "
                             << limits_.capacity / 1024 << " KiB, the oldest of its " << depth << " waiting message(s) make "
                             << "room for new ones (free space, or move the state folder with --state-dir)");
  } else if (next == SpaceState::Low) {
    LOG_WARN("outbox", "messages are stored again (" << where << "; " << depth << " wait)");
  } else {
    LOG_ERROR("outbox", "the state volume of " << path_ << " is full and nothing more could be evicted: new messages are "
                        "refused until space returns (" << depth << " wait; free space on the volume)");
  }
}

bool Outbox::note_no_space() {
  // Sticky until the next insert or remove: a ROLLBACK that fails after a failed COMMIT must not hide the cause.
  if ((sqlite3_extended_errcode(db_) & 0xFF) == SQLITE_FULL) no_space_ = true;
  return no_space_;
}

std::uint64_t Outbox::evict_oldest(std::uint64_t bytes) {
  if (bytes == 0 || !exec("BEGIN IMMEDIATE;")) return 0;
  Stmt oldest(db_, "SELECT id, endpoint, size FROM outbox ORDER BY id LIMIT 4096");
  Stmt del(db_, "DELETE FROM outbox WHERE id = ?");
  std::map<std::string, std::uint64_t> by_endpoint;
  std::uint64_t n = 0, freed = 0;
  while (freed < bytes && oldest.ok() && oldest.step() == SQLITE_ROW) {
    del.bind(1, oldest.i64(0));
    const bool deleted = del.step() == SQLITE_DONE;
    del.reset();
    if (!deleted) break;
    ++by_endpoint[oldest.text(1)];
    freed += static_cast<std::uint64_t>(oldest.i64(2));
    ++n;
  }
  oldest.reset();
  if (!exec("COMMIT;")) {
    (void)exec("ROLLBACK;");
    return 0;
  }
  for (const auto& [e, k] : by_endpoint) evicted_[e] += k;
  evicted_since_low_ += n;
  return n;
}

void Outbox::free_log_room() {
  if (ballast_.release()) LOG_WARN("outbox", "the state volume of " << path_ << " is full: gave up its ballast to keep going");
  // RESTART, not TRUNCATE: the log starts over in the file it has (journal_size_limit keeps it that size), whose
  // blocks are already on disk; a truncated log would have to grow again on a full volume.
  (void)exec("PRAGMA wal_checkpoint(RESTART);");
}

Status Outbox::append(const Message& m, const std::vector<OutboxAppend>& targets, std::int64_t now_ms) {
  if (targets.empty()) return ok_status();
  const std::string json = json_text(message_to_json(m));
  const std::uint64_t need = json.size() * targets.size() + 64 * targets.size();
  std::lock_guard lock(mutex_);
  const std::uint64_t inside = free_pages_bytes();
  watch_space(inside);
  if (space_ != SpaceState::Ok && inside < 2 * need && store_bytes() + 2 * need > limits_.capacity)
    (void)evict_oldest(2 * need);  // a store at its capacity stops growing
  Status st = insert(json, targets, now_ms);
  if (!st && no_space_) {  // the volume filled anyway (another writer): the ballast and a checkpoint make room …
    free_log_room();
    st = insert(json, targets, now_ms);
  }
  if (!st && no_space_) {  // … and if that was not enough, the oldest messages
    (void)evict_oldest(4 * need);
    st = insert(json, targets, now_ms);
  }
  if (!st) {
    if (no_space_ && space_ != SpaceState::Full) set_space(SpaceState::Full, volume_space(path_).value_or(VolumeSpace{}).free, 0);
    return st;
  }
  if (space_ == SpaceState::Full) set_space(SpaceState::Low, volume_space(path_).value_or(VolumeSpace{}).free, 0);
  if (options_.max_bytes) return evict_over_cap();
  return ok_status();
}

Status Outbox::insert(const std::string& json, const std::vector<OutboxAppend>& targets, std::int64_t now_ms) {
  no_space_ = false;
  if (auto s = exec("BEGIN IMMEDIATE;"); !s) return s;
  Stmt ins(db_, "INSERT INTO outbox(endpoint, priority, enqueued_ms, expires_ms, size, message) VALUES (?,?,?,?,?,?)");
  if (!ins.ok()) {
    const Error e = sql_error("prepare insert");
    (void)exec("ROLLBACK;");
    return e;
  }
  for (const auto& t : targets) {
    const std::int64_t ttl = t.ttl_s ? static_cast<std::int64_t>(t.ttl_s) : options_.default_ttl_s;
    ins.bind(1, t.endpoint);
    ins.bind(2, t.priority);
    ins.bind(3, now_ms);
    ins.bind(4, ttl < 0 ? 0 : now_ms + ttl * 1000);
    ins.bind(5, static_cast<std::int64_t>(json.size()));
    ins.bind(6, json);
    if (ins.step() != SQLITE_DONE) {
      const Error e = sql_error("insert");
      (void)exec("ROLLBACK;");
      return e;
    }
    ins.reset();
  }
  if (auto s = exec("COMMIT;"); !s) {
    (void)exec("ROLLBACK;");
    return s;
  }
  return ok_status();
}

Status Outbox::evict_over_cap() {
  Stmt total(db_, "SELECT COALESCE(SUM(size), 0) FROM outbox");
  if (!total.ok() || total.step() != SQLITE_ROW) return sql_error("size");
  const auto bytes = static_cast<std::uint64_t>(total.i64(0));
  if (bytes <= options_.max_bytes) return ok_status();
  const std::uint64_t n = evict_oldest(bytes - options_.max_bytes);
  LOG_WARN("outbox", "store over its cap of " << options_.max_bytes << " bytes: evicted the " << n << " oldest message(s)");
  return ok_status();
}

Result<std::vector<OutboxEntry>> Outbox::peek(const std::string& endpoint, std::size_t max, std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  Stmt q(db_, "SELECT id, priority, enqueued_ms, expires_ms, message FROM outbox WHERE endpoint = ? "
              "ORDER BY priority, id LIMIT ?");
  if (!q.ok()) return sql_error("prepare select");
  Stmt del(db_, "DELETE FROM outbox WHERE id = ?");
  std::vector<OutboxEntry> out;
  q.bind(1, endpoint);
  q.bind(2, static_cast<std::int64_t>(max));
  std::vector<std::int64_t> expired;
  int rc;
  while ((rc = q.step()) == SQLITE_ROW) {
    const std::int64_t expires = q.i64(3);
    if (expires && expires <= now_ms) {
      expired.push_back(q.i64(0));
      continue;
    }
    auto doc = nlohmann::json::parse(q.text(4), nullptr, false);
    auto m = doc.is_discarded() ? Result<Message>(make_error(ErrorCode::Internal, "not JSON")) : message_from_json(doc);
    if (!m) {
      LOG_ERROR("outbox", "entry " << q.i64(0) << " is unreadable (" << m.error().message << "); dropping it");
      expired.push_back(q.i64(0));
      continue;
    }
    out.push_back({q.i64(0), endpoint, static_cast<int>(q.i64(1)), q.i64(2), std::move(*m)});
  }
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) return sql_error("select");
  for (auto id : expired) {
    del.bind(1, id);
    del.step();
    del.reset();
  }
  expired_[endpoint] += expired.size();
  return out;
}

Status Outbox::remove(const std::vector<std::int64_t>& ids) {
  if (ids.empty()) return ok_status();
  std::lock_guard lock(mutex_);
  Status st = remove_ids(ids);
  if (!st && no_space_) {  // even a delete needs room in the log: the ballast gives it
    free_log_room();
    st = remove_ids(ids);
  }
  return st;
}

Status Outbox::remove_ids(const std::vector<std::int64_t>& ids) {
  no_space_ = false;
  if (auto s = exec("BEGIN IMMEDIATE;"); !s) return s;
  Stmt del(db_, "DELETE FROM outbox WHERE id = ?");
  for (auto id : ids) {
    del.bind(1, id);
    if (del.step() != SQLITE_DONE) {
      const Error e = sql_error("delete");
      (void)exec("ROLLBACK;");
      return e;
    }
    del.reset();
  }
  return exec("COMMIT;");
}

Result<std::uint64_t> Outbox::sweep(std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  Stmt q(db_, "SELECT endpoint, COUNT(*) FROM outbox WHERE expires_ms != 0 AND expires_ms <= ? GROUP BY endpoint");
  q.bind(1, now_ms);
  std::uint64_t n = 0;
  while (q.step() == SQLITE_ROW) {
    expired_[q.text(0)] += static_cast<std::uint64_t>(q.i64(1));
    n += static_cast<std::uint64_t>(q.i64(1));
  }
  Stmt del(db_, "DELETE FROM outbox WHERE expires_ms != 0 AND expires_ms <= ?");
  del.bind(1, now_ms);
  if (del.step() != SQLITE_DONE) return sql_error("sweep");
  return n;
}

std::map<std::string, EndpointStats> Outbox::stats() {
  std::lock_guard lock(mutex_);
  std::map<std::string, EndpointStats> out;
  Stmt q(db_, "SELECT endpoint, COUNT(*), COALESCE(SUM(size), 0), MIN(enqueued_ms) FROM outbox GROUP BY endpoint");
  while (q.step() == SQLITE_ROW) {
    auto& s = out[q.text(0)];
    s.depth = static_cast<std::uint64_t>(q.i64(1));
    s.bytes = static_cast<std::uint64_t>(q.i64(2));
    s.oldest_enqueued_ms = q.i64(3);
  }
  for (const auto& [e, n] : expired_) out[e].expired = n;
  for (const auto& [e, n] : evicted_) out[e].evicted = n;
  return out;
}

std::map<std::string, std::string> Outbox::uplinks() {
  std::lock_guard lock(mutex_);
  std::map<std::string, std::string> out;
  Stmt q(db_, "SELECT endpoint, uplink FROM uplinks");
  while (q.ok() && q.step() == SQLITE_ROW) out[q.text(0)] = q.text(1);
  return out;
}

Status Outbox::reassign(const std::vector<std::pair<std::string, std::string>>& moves,
                        const std::map<std::string, std::string>& current) {
  std::lock_guard lock(mutex_);
  if (auto s = exec("BEGIN IMMEDIATE;"); !s) return s;
  auto fail = [&](const std::string& what) {
    const Error e = sql_error(what);
    (void)exec("ROLLBACK;");
    return e;
  };
  Stmt rename(db_, "UPDATE outbox SET endpoint = ? WHERE endpoint = ?");
  if (!rename.ok()) return fail("prepare rename");
  // Through temporary names, so that queues may swap places.
  for (std::size_t pass = 0; pass < 2; ++pass)
    for (std::size_t i = 0; i < moves.size(); ++i) {
      const std::string temp = "\x01move-" + std::to_string(i);
      rename.bind(1, pass == 0 ? temp : moves[i].second);
      rename.bind(2, pass == 0 ? moves[i].first : temp);
      if (rename.step() != SQLITE_DONE) return fail("rename a queue");
      rename.reset();
    }
  if (auto s = exec("DELETE FROM uplinks;"); !s) return fail("forget the uplinks");
  Stmt ins(db_, "INSERT INTO uplinks(endpoint, uplink) VALUES (?, ?)");
  if (!ins.ok()) return fail("prepare uplinks");
  for (const auto& [endpoint, uplink] : current) {
    ins.bind(1, endpoint);
    ins.bind(2, uplink);
    if (ins.step() != SQLITE_DONE) return fail("record the uplinks");
    ins.reset();
  }
  return exec("COMMIT;");
}

bool Outbox::holds_text(const std::string& text) {
  std::lock_guard lock(mutex_);
  Stmt q(db_, "SELECT 1 FROM outbox WHERE instr(message, ?) > 0 LIMIT 1");
  if (!q.ok()) return true;  // unsure: say yes, so nothing a message needs is deleted
  q.bind(1, text);
  return q.step() == SQLITE_ROW;
}

std::vector<std::string> Outbox::endpoints() {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  Stmt q(db_, "SELECT DISTINCT endpoint FROM outbox");
  while (q.step() == SQLITE_ROW) out.push_back(q.text(0));
  return out;
}

Result<std::uint64_t> Outbox::move_queue(const std::string& from, const std::string& to) {
  std::lock_guard lock(mutex_);
  Stmt q(db_, "UPDATE outbox SET endpoint = ? WHERE endpoint = ?");
  if (!q.ok()) return sql_error("prepare move");
  q.bind(1, to);
  q.bind(2, from);
  if (q.step() != SQLITE_DONE) return sql_error("move a queue");
  return static_cast<std::uint64_t>(sqlite3_changes(db_));
}

Result<std::uint64_t> Outbox::drop_queue(const std::string& endpoint) {
  std::lock_guard lock(mutex_);
  Stmt q(db_, "DELETE FROM outbox WHERE endpoint = ?");
  if (!q.ok()) return sql_error("prepare drop");
  q.bind(1, endpoint);
  if (q.step() != SQLITE_DONE) return sql_error("drop a queue");
  return static_cast<std::uint64_t>(sqlite3_changes(db_));
}

}  // namespace vigil::hub
