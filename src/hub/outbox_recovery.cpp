// The outbox's start-up check (the other half of the SQLite wrapper, with outbox.cpp): PRAGMA quick_check on the
// file before it is opened; a damaged store (cut short, a bad header, a bad page in the middle) is moved aside as
// outbox.db.corrupt-<time> and every row that can still be read goes into a new store, so the device starts and
// loses only what the damage took.
#include <sqlite3.h>

#include <algorithm>
#include <filesystem>

#include "core/log.h"
#include "core/time_util.h"
#include "hub/outbox.h"

namespace vigil::hub {
namespace {

namespace fs = std::filesystem;

// "ok", or what is wrong (SQLite's words).
std::string quick_check(const std::string& path) {
  sqlite3* db = nullptr;
  std::string verdict;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    verdict = db ? sqlite3_errmsg(db) : "cannot open";
  } else {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db, "PRAGMA quick_check;", -1, &s, nullptr) != SQLITE_OK) {
      verdict = sqlite3_errmsg(db);
    } else {
      const int rc = sqlite3_step(s);
      if (rc == SQLITE_ROW) {
        const auto* t = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
        verdict = t ? t : "no answer";
      } else {
        verdict = sqlite3_errmsg(db);
      }
    }
    sqlite3_finalize(s);
  }
  sqlite3_close(db);
  return verdict;
}

struct Row {
  std::string endpoint, message;
  std::int64_t priority = 0, enqueued_ms = 0, expires_ms = 0, size = 0;
};

const char kColumns[] = "SELECT endpoint, priority, enqueued_ms, expires_ms, size, message FROM outbox ";

Row row_of(sqlite3_stmt* s) {
  auto text = [&](int c) {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, c));
    return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s, c))) : std::string();
  };
  return {text(0), text(5), sqlite3_column_int64(s, 1), sqlite3_column_int64(s, 2), sqlite3_column_int64(s, 3),
          sqlite3_column_int64(s, 4)};
}

std::int64_t single_int(sqlite3* db, const char* sql) {
  sqlite3_stmt* s = nullptr;
  std::int64_t v = 0;
  if (sqlite3_prepare_v2(db, sql, -1, &s, nullptr) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW) v = sqlite3_column_int64(s, 0);
  sqlite3_finalize(s);
  return v;
}

struct Salvage {
  std::vector<Row> rows;
  std::uint64_t unreadable = 0;  // ids whose lookup hit the damage
};

// A table scan in rowid order (the order of arrival) until the damage stops it, then a lookup of each id after the
// last one read, up to the highest id handed out: a damaged page loses its own rows, not the ones after it.
Salvage readable_rows(const std::string& path) {
  Salvage out;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    return out;
  }
  std::int64_t last = 0;
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT endpoint, priority, enqueued_ms, expires_ms, size, message, id FROM outbox NOT INDEXED",
                         -1, &s, nullptr) == SQLITE_OK)
    while (sqlite3_step(s) == SQLITE_ROW) {
      out.rows.push_back(row_of(s));
      last = sqlite3_column_int64(s, 6);
    }
  sqlite3_finalize(s);
  const std::int64_t highest = std::max(single_int(db, "SELECT seq FROM sqlite_sequence WHERE name = 'outbox'"),
                                        single_int(db, "SELECT max(id) FROM outbox"));
  constexpr std::int64_t kMaxLookups = 2000000;
  if (sqlite3_prepare_v2(db, (std::string(kColumns) + "WHERE id = ?").c_str(), -1, &s, nullptr) == SQLITE_OK)
    for (std::int64_t id = last + 1; id <= highest && id - last <= kMaxLookups; ++id) {
      sqlite3_bind_int64(s, 1, id);
      const int rc = sqlite3_step(s);
      if (rc == SQLITE_ROW) out.rows.push_back(row_of(s));
      else if (rc != SQLITE_DONE) ++out.unreadable;
      sqlite3_reset(s);
    }
  sqlite3_finalize(s);
  sqlite3_close(db);
  return out;
}

Status write_rows(const std::string& path, const std::vector<Row>& rows) {
  sqlite3* db = nullptr;
  Status result = ok_status();
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    result = make_error(ErrorCode::Unavailable, "cannot reopen " + path);
  } else {
    sqlite3_exec(db, "BEGIN IMMEDIATE;", nullptr, nullptr, nullptr);
    sqlite3_stmt* s = nullptr;
    sqlite3_prepare_v2(db, "INSERT INTO outbox(endpoint, priority, enqueued_ms, expires_ms, size, message) VALUES (?,?,?,?,?,?)",
                       -1, &s, nullptr);
    for (const auto& r : rows) {
      sqlite3_bind_text(s, 1, r.endpoint.data(), static_cast<int>(r.endpoint.size()), SQLITE_TRANSIENT);
      sqlite3_bind_int64(s, 2, r.priority);
      sqlite3_bind_int64(s, 3, r.enqueued_ms);
      sqlite3_bind_int64(s, 4, r.expires_ms);
      sqlite3_bind_int64(s, 5, r.size);
      sqlite3_bind_text(s, 6, r.message.data(), static_cast<int>(r.message.size()), SQLITE_TRANSIENT);
      if (sqlite3_step(s) != SQLITE_DONE) result = make_error(ErrorCode::Unavailable, std::string("salvage: ") + sqlite3_errmsg(db));
      sqlite3_reset(s);
    }
    sqlite3_finalize(s);
    sqlite3_exec(db, result ? "COMMIT;" : "ROLLBACK;", nullptr, nullptr, nullptr);
  }
  sqlite3_close(db);
  return result;
}

}  // namespace

Result<OutboxRecovery> Outbox::recover_if_damaged(const std::string& path, OutboxOptions options) {
  OutboxRecovery report;
  std::error_code ec;
  if (!fs::exists(path, ec) || fs::file_size(path, ec) == 0) return report;
  const std::string verdict = quick_check(path);
  if (verdict == "ok") return report;
  report.damaged = true;
  report.why = verdict;
  std::replace(report.why.begin(), report.why.end(), '\n', ' ');
  report.moved_to = path + ".corrupt-" + file_stamp(std::chrono::system_clock::now());
  for (const char* suffix : {"", "-wal", "-shm"}) {
    if (!fs::exists(path + suffix, ec)) continue;
    fs::rename(path + suffix, report.moved_to + suffix, ec);
    if (ec) return make_error(ErrorCode::Unavailable, "the outbox " + path + " is damaged (" + verdict +
                                                          ") and cannot be moved aside: " + ec.message());
  }
  const auto salvage = readable_rows(report.moved_to);
  const auto& rows = salvage.rows;
  {
    auto fresh = open_store(path, options);  // the schema
    if (!fresh) return fresh.error();
  }
  if (auto s = write_rows(path, rows); !s) return s.error();
  report.kept = rows.size();
  report.lost = salvage.unreadable;
  if (report.kept == 0 && report.lost == 0)
    LOG_WARN("hub", "the outbox " << path << " was damaged (" << report.why << ") and nothing in it could be read: moved to "
                                  << report.moved_to << "; starting with an empty store");
  else
    LOG_WARN("hub", "the outbox " << path << " was damaged (" << report.why << "): moved to " << report.moved_to << "; "
                                  << report.kept << " message(s) could still be read and are queued again, "
                                  << report.lost << " could not (more if the damage hit the table's own pages)");
  return report;
}

}  // namespace vigil::hub
