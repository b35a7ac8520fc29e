// Outbox: the durable store-and-forward queues, in SQLite (WAL journal, synchronous=FULL), the only SQLite
// user (outbox.cpp, and outbox_recovery.cpp for a damaged file at start). append() returns only after the message is committed to disk, so a sender may be acknowledged then;
// the message survives kill -9 and a power cut. Each endpoint has its own queue, read in order of priority
// (0 first) and then arrival; a delivered message is removed by id. Expired messages (their route's TTL or the
// store-and-forward default) are dropped when read or swept, and an optional size cap evicts the oldest first;
// both are counted. A full volume never wedges it (hub/outbox_space.h): the log is bounded, below a free-space
// reserve the oldest messages make room for new ones (counted as evicted), a ballast file is given up to checkpoint
// and delete when the volume fills anyway, and it recovers by itself when space returns, with a WARN per change.
// Thread-safe (one connection behind a mutex).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/message.h"
#include "core/result.h"
#include "hub/outbox_space.h"

struct sqlite3;

namespace vigil::hub {

struct OutboxOptions {
  std::int64_t default_ttl_s = 7200;  // storeAndForwardConfiguration.timeToLiveSecs; < 0 = keep forever
  std::uint64_t max_bytes = 0;        // storeLimits.maxSizeBytes; 0 = no cap
  std::uint64_t reserve_bytes = 64ull << 20;  // free space kept on the volume (at most 1/8 of it): hub/outbox_space.h
};

struct OutboxEntry {
  std::int64_t id = 0;
  std::string endpoint;
  int priority = 0;
  std::int64_t enqueued_ms = 0;
  Message message;
};

struct EndpointStats {
  std::uint64_t depth = 0, bytes = 0;
  std::int64_t oldest_enqueued_ms = 0;  // 0 when empty
  std::uint64_t expired = 0, evicted = 0;  // since this process opened the store
};

struct OutboxAppend {
  std::string endpoint;
  int priority = 0;
  std::uint32_t ttl_s = 0;  // 0: the default
};

struct OutboxRecovery {
  bool damaged = false;
  std::string why;       // SQLite's verdict
  std::string moved_to;  // where the damaged file went
  std::uint64_t kept = 0;  // rows read back into the new store
  std::uint64_t lost = 0;  // ids whose row could not be read
};

class Outbox {
 public:
  // Before open(): PRAGMA quick_check; a damaged file is moved aside (outbox.db.corrupt-<time>) and its readable
  // rows copied into a new store at `path`, with a WARN (outbox_recovery.cpp). Nothing to do: {damaged = false}.
  static Result<OutboxRecovery> recover_if_damaged(const std::string& path, OutboxOptions options);
  // Opens (creating) the store at `path`, after recover_if_damaged(). Errors name the file and the cause.
  static Result<std::unique_ptr<Outbox>> open(const std::string& path, OutboxOptions options);
  // For tools next to a running hub (`vigil outbox`): an existing store only, never recovered or moved aside.
  static Result<std::unique_ptr<Outbox>> open_existing(const std::string& path);
  ~Outbox();
  Outbox(const Outbox&) = delete;
  Outbox& operator=(const Outbox&) = delete;

  // One message to several endpoints, in one durable transaction. `now_ms`: milliseconds since the epoch.
  Status append(const Message& m, const std::vector<OutboxAppend>& targets, std::int64_t now_ms);
  // Up to `max` unexpired entries of one endpoint, in delivery order. Expired ones met on the way are deleted.
  Result<std::vector<OutboxEntry>> peek(const std::string& endpoint, std::size_t max, std::int64_t now_ms);
  Status remove(const std::vector<std::int64_t>& ids);
  // Deletes every expired entry; returns how many.
  Result<std::uint64_t> sweep(std::int64_t now_ms);

  std::map<std::string, EndpointStats> stats();
  // Which uplink each $upstream queue stood for when last recorded (hub/queue_plan.h).
  std::map<std::string, std::string> uplinks();
  // In one transaction: renames the queues `moves` name (from → to, all at once), then records `current`.
  Status reassign(const std::vector<std::pair<std::string, std::string>>& moves, const std::map<std::string, std::string>& current);
  std::vector<std::string> endpoints();
  // Whether a waiting message contains `text` (a clip's file name: retention keeps what is still to be sent).
  bool holds_text(const std::string& text);
  // `vigil outbox`: every message of queue `from` joins queue `to` (after what waits there, by id), or is deleted.
  // Both return how many; a running hub's pump for `to` picks them up within a second.
  Result<std::uint64_t> move_queue(const std::string& from, const std::string& to);
  Result<std::uint64_t> drop_queue(const std::string& endpoint);

 private:
  Outbox(sqlite3* db, std::string path, OutboxOptions options);
  static Result<std::unique_ptr<Outbox>> open_store(const std::string& path, OutboxOptions options);
  // All with mutex_ held.
  Status exec(const char* sql);
  Status insert(const std::string& json, const std::vector<OutboxAppend>& targets, std::int64_t now_ms);
  Status remove_ids(const std::vector<std::int64_t>& ids);
  Status evict_over_cap();
  std::uint64_t evict_oldest(std::uint64_t bytes);  // at least `bytes` of the oldest messages; returns how many
  void watch_space(std::uint64_t inside);            // Ok ⇄ Low from the volume's free space and the store's own
  std::uint64_t free_pages_bytes();                  // the store's free pages, reused before the file grows
  std::uint64_t store_bytes() const;                 // its file and its log, on disk
  void set_space(SpaceState next, std::uint64_t free_bytes, std::uint64_t inside);  // with its WARN
  void free_log_room();  // the ballast given up and the log checkpointed, to start over in the space it has
  bool note_no_space();                 // after a failed call: SQLITE_FULL sets no_space_ (reset by insert/remove)
  Error sql_error(const std::string& what);

  sqlite3* db_;
  std::string path_;
  OutboxOptions options_;
  SpaceLimits limits_;
  Ballast ballast_;
  SpaceState space_ = SpaceState::Ok;
  bool no_space_ = false;
  std::uint64_t evicted_since_low_ = 0;
  std::mutex mutex_;
  std::map<std::string, std::uint64_t> expired_, evicted_;
};

}  // namespace vigil::hub
