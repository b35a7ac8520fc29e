// The durable outbox: order by priority then arrival, per-endpoint queues, TTL expiry, the size cap, and
// durability — a child process appends and is killed with SIGKILL right after append() returns; every message
// it acknowledged must be there when the store is opened again.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "hub/outbox.h"

using namespace vigil;
using namespace vigil::hub;

namespace {

std::string temp_store(const char* name) {
  const auto p = std::filesystem::temp_directory_path() / (std::string("vigil-") + name + "-" + std::to_string(::getpid()) + ".db");
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(p.string() + suffix);
  return p.string();
}

Message msg(int seq) {
  Message m = make_json_message("{\"seq\":" + std::to_string(seq) + "}", std::chrono::system_clock::now());
  m.properties["seq"] = std::to_string(seq);
  return m;
}

std::vector<std::string> seqs(const std::vector<OutboxEntry>& entries) {
  std::vector<std::string> out;
  for (const auto& e : entries) out.push_back(e.message.properties.at("seq"));
  return out;
}

}  // namespace

TEST(Outbox, OrderPerEndpointAndPriority) {
  const auto path = temp_store("order");
  auto box = Outbox::open(path, {});
  ASSERT_TRUE(box.ok()) << box.error().message;
  auto& b = **box;
  ASSERT_TRUE(b.append(msg(1), {{"$upstream", 10, 0}, {"/modules/a/inputs/i", 10, 0}}, 1000).ok());
  ASSERT_TRUE(b.append(msg(2), {{"$upstream", 10, 0}}, 1001).ok());
  ASSERT_TRUE(b.append(msg(3), {{"$upstream", 0, 0}}, 1002).ok());  // a priority-0 alert jumps the queue
  ASSERT_TRUE(b.append(msg(4), {{"$upstream", 10, 0}}, 1003).ok());
  auto up = b.peek("$upstream", 10, 2000);
  ASSERT_TRUE(up.ok());
  EXPECT_EQ(seqs(*up), (std::vector<std::string>{"3", "1", "2", "4"}));
  EXPECT_EQ(seqs(*b.peek("/modules/a/inputs/i", 10, 2000)), (std::vector<std::string>{"1"}));
  // Delivering the head of one endpoint does not touch the other.
  ASSERT_TRUE(b.remove({(*up)[0].id, (*up)[1].id}).ok());
  EXPECT_EQ(seqs(*b.peek("$upstream", 10, 2000)), (std::vector<std::string>{"2", "4"}));
  EXPECT_EQ(seqs(*b.peek("/modules/a/inputs/i", 10, 2000)), (std::vector<std::string>{"1"}));
  const auto stats = b.stats();
  EXPECT_EQ(stats.at("$upstream").depth, 2u);
  EXPECT_EQ(stats.at("$upstream").oldest_enqueued_ms, 1001);
  // The message comes back whole.
  const auto e = (*b.peek("$upstream", 1, 2000))[0];
  EXPECT_EQ(e.message.body, "{\"seq\":2}");
  EXPECT_EQ(e.message.content_type, "application/json");
  EXPECT_FALSE(e.message.system.message_id.empty());
}

TEST(Outbox, TimeToLive) {
  const auto path = temp_store("ttl");
  auto box = Outbox::open(path, {60, 0});
  ASSERT_TRUE(box.ok());
  auto& b = **box;
  ASSERT_TRUE(b.append(msg(1), {{"$upstream", 10, 0}}, 0).ok());       // default TTL 60 s
  ASSERT_TRUE(b.append(msg(2), {{"$upstream", 10, 3600}}, 0).ok());    // route TTL 1 h
  ASSERT_TRUE(b.append(msg(3), {{"$upstream", 10, 5}}, 0).ok());       // route TTL 5 s
  EXPECT_EQ(seqs(*b.peek("$upstream", 10, 4000)), (std::vector<std::string>{"1", "2", "3"}));
  EXPECT_EQ(seqs(*b.peek("$upstream", 10, 30000)), (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(b.sweep(61000).value(), 1u);
  EXPECT_EQ(seqs(*b.peek("$upstream", 10, 61000)), (std::vector<std::string>{"2"}));
  EXPECT_EQ(b.stats().at("$upstream").expired, 2u);
  auto forever = Outbox::open(temp_store("forever"), {-1, 0});
  ASSERT_TRUE((*forever)->append(msg(9), {{"$upstream", 10, 0}}, 0).ok());
  EXPECT_EQ((*forever)->peek("$upstream", 10, 1000LL * 86400 * 365).value().size(), 1u);
}

TEST(Outbox, SizeCapEvictsOldestFirst) {
  const auto path = temp_store("cap");
  auto box = Outbox::open(path, {-1, 2000});
  ASSERT_TRUE(box.ok());
  auto& b = **box;
  for (int i = 1; i <= 40; ++i) ASSERT_TRUE(b.append(msg(i), {{"$upstream", 10, 0}}, i).ok());
  const auto left = seqs(*b.peek("$upstream", 100, 100));
  ASSERT_FALSE(left.empty());
  EXPECT_LT(left.size(), 40u);
  EXPECT_EQ(left.back(), "40");  // the newest survive
  EXPECT_LE(b.stats().at("$upstream").bytes, 2000u);
  EXPECT_EQ(b.stats().at("$upstream").evicted + left.size(), 40u);
}

TEST(Outbox, SurvivesSigkill) {
  const auto path = temp_store("kill");
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(fds[0]);
    auto box = Outbox::open(path, {-1, 0});
    if (!box) _exit(2);
    for (int i = 1;; ++i) {
      if (!(*box)->append(msg(i), {{"$upstream", 10, 0}}, i).ok()) _exit(3);
      // Acknowledge to the parent only after append() returned, like a hub acknowledging a sender.
      if (write(fds[1], &i, sizeof i) != sizeof i) _exit(4);
    }
  }
  close(fds[1]);
  int acked = 0, v = 0;
  while (acked < 200 && read(fds[0], &v, sizeof v) == sizeof v) acked = v;
  kill(child, SIGKILL);
  while (read(fds[0], &v, sizeof v) == sizeof v) acked = v;  // acknowledgements already in the pipe
  close(fds[0]);
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));
  auto box = Outbox::open(path, {-1, 0});
  ASSERT_TRUE(box.ok());
  const auto entries = *(*box)->peek("$upstream", 100000, 0);
  ASSERT_GE(static_cast<int>(entries.size()), acked);
  for (int i = 0; i < acked; ++i) EXPECT_EQ(entries[static_cast<std::size_t>(i)].message.properties.at("seq"), std::to_string(i + 1));
}

TEST(Outbox, UnwritableFolderIsAClearError) {
  auto box = Outbox::open("/nonexistent-folder/outbox.db", {});
  ASSERT_FALSE(box.ok());
  EXPECT_NE(box.error().message.find("/nonexistent-folder/outbox.db"), std::string::npos);
}

namespace {

// A store of `n` messages of ~1 KB each, closed (its log checkpointed into the file).
void fill(const std::string& path, int n) {
  auto box = Outbox::open(path, {});
  ASSERT_TRUE(box.ok());
  for (int i = 1; i <= n; ++i) {
    Message m = msg(i);
    m.body = "{\"seq\":" + std::to_string(i) + ",\"pad\":\"" + std::string(1000, 'x') + "\"}";
    ASSERT_TRUE((*box)->append(m, {{"$upstream", 0, 0}}, 1000 + i).ok());
  }
}

void damage(const std::string& path, std::uintmax_t offset, std::size_t bytes) {
  std::FILE* f = std::fopen(path.c_str(), "r+b");
  ASSERT_NE(f, nullptr);
  std::fseek(f, static_cast<long>(offset), SEEK_SET);
  const std::string junk(bytes, '\x5a');
  std::fwrite(junk.data(), 1, junk.size(), f);
  std::fclose(f);
}

// Opens the damaged store: it must start, with a fresh store holding what could be read, in order, and the damaged
// file kept aside.
std::vector<std::string> reopen_after_damage(const std::string& path) {
  auto box = Outbox::open(path, {});
  EXPECT_TRUE(box.ok()) << (box.ok() ? "" : box.error().message);
  if (!box.ok()) return {};
  bool aside = false;
  for (const auto& e : std::filesystem::directory_iterator(std::filesystem::path(path).parent_path()))
    aside |= e.path().string().rfind(path + ".corrupt-", 0) == 0;
  EXPECT_TRUE(aside) << "the damaged file is kept next to the store";
  auto all = (*box)->peek("$upstream", 1000, 2000);
  EXPECT_TRUE(all.ok());
  EXPECT_TRUE((*box)->append(msg(9999), {{"$upstream", 0, 0}}, 3000).ok()) << "the new store takes messages";
  return all.ok() ? seqs(*all) : std::vector<std::string>{};
}

void remove_store(const std::string& path) {
  for (const auto& e : std::filesystem::directory_iterator(std::filesystem::path(path).parent_path()))
    if (e.path().string().rfind(path, 0) == 0) std::filesystem::remove(e.path());
}

}  // namespace

TEST(OutboxDamage, CutShortStartsEmptyWithTheFileKeptAside) {
  const auto path = temp_store("cut");
  fill(path, 50);
  std::filesystem::resize_file(path, 100);  // less than the first page
  EXPECT_TRUE(reopen_after_damage(path).empty());
  remove_store(path);
}

TEST(OutboxDamage, ABadHeaderStartsEmptyWithTheFileKeptAside) {
  const auto path = temp_store("header");
  fill(path, 50);
  damage(path, 0, 16);  // "SQLite format 3\0" no more
  EXPECT_TRUE(reopen_after_damage(path).empty());
  remove_store(path);
}

TEST(OutboxDamage, APageDamagedInTheMiddleKeepsEveryReadableMessageInOrder) {
  const auto path = temp_store("middle");
  fill(path, 200);
  const auto size = std::filesystem::file_size(path);
  damage(path, size / 2 / 4096 * 4096, 4096);  // one page in the middle, all of it
  const auto kept = reopen_after_damage(path);
  // A 4 KB page holds three of these messages: the damage takes a few, never the rows after it.
  EXPECT_GE(kept.size(), 190u);
  EXPECT_LT(kept.size(), 200u);
  for (std::size_t i = 1; i < kept.size(); ++i) EXPECT_LT(std::stoi(kept[i - 1]), std::stoi(kept[i])) << "in order";
  remove_store(path);
}

TEST(OutboxSpace, LimitsScaleWithTheVolume) {
  const auto tiny = vigil::hub::space_limits(2u << 20, 64u << 20);  // a 2 MB volume
  EXPECT_EQ(tiny.reserve, 256u * 1024);                             // 1/8 of it, not 64 MB
  EXPECT_EQ(tiny.ballast, 64u * 1024);
  EXPECT_EQ(tiny.capacity, (2u << 20) - 256u * 1024);
  EXPECT_EQ(tiny.wal_bytes, 64u * 1024);
  const auto card = vigil::hub::space_limits(64ull << 30, 64u << 20);  // a 64 GB card
  EXPECT_EQ(card.reserve, 64u << 20);
  EXPECT_EQ(card.ballast, 8u << 20);
  EXPECT_EQ(card.capacity, (64ull << 30) - (64u << 20));
  EXPECT_EQ(card.wal_bytes, 4u << 20);
  EXPECT_EQ(vigil::hub::space_limits(0, 64u << 20).reserve, 0u);  // unknown volume: nothing reserved
}

TEST(OutboxSpace, TheBallastIsMadeAndGivenUp) {
  const std::string path = testing::TempDir() + "/ballast-" + std::to_string(getpid());
  vigil::hub::Ballast b(path, 32 * 1024);
  EXPECT_FALSE(b.present());
  b.make();
  EXPECT_TRUE(b.present());
  EXPECT_TRUE(b.release());
  EXPECT_FALSE(b.present());
  EXPECT_FALSE(b.release());  // nothing left to give
  const auto v = vigil::hub::volume_space(path);
  ASSERT_TRUE(v.has_value());
  EXPECT_GT(v->total, 0u);
}
