// Evidence: the packet ring against a naive reference, FFmpeg's libraries through capture/libav.h on real video
// (vtest.avi: demux, decode, keyframe-only decode, encode, remux bit-exact), the clip recorder's windows (pre-roll
// from a keyframe, post-roll extended while the object is seen, capped), the alert index with clip retention that
// spares clips a waiting outbox message names, and the web access rules.
#include <filesystem>
#include <fstream>
#include <future>
#include <random>

#include <gtest/gtest.h>

#include "capture/clip_recorder.h"
#include "capture/libav.h"
#include "capture/packet_ring.h"
#include "core/message.h"
#include "deploy/alert_index.h"
#include "http/access.h"
#include "hub/outbox.h"
#include "test_support.h"

namespace vigil {
namespace {

namespace fs = std::filesystem;
using capture::EncodedPacket;
using capture::PacketPtr;

PacketPtr packet(double t, bool key, std::size_t bytes = 100) {
  auto p = std::make_shared<EncodedPacket>();
  p->t = t;
  p->key = key;
  p->data.assign(bytes, 0);
  return p;
}

fs::path temp_dir(const std::string& name) {
  auto d = fs::temp_directory_path() / ("vigil-clips-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

TEST(PacketRing, StartsAtAKeyframeAndMatchesANaiveReferenceWithinItsWindow) {
  std::mt19937 rng(7);
  for (int round = 0; round < 50; ++round) {
    const double keep = 2 + rng() % 5;
    capture::PacketRing ring(keep, 1u << 30);
    std::vector<PacketPtr> all;  // the reference keeps everything
    double t = 0;
    for (int i = 0; i < 400; ++i) {
      t += 0.04;
      auto p = packet(t, i % 25 == 0 || rng() % 40 == 0);
      all.push_back(p);
      ring.push(p);
      ASSERT_TRUE(ring.since(-1).front()->key);
      // Any start within the window: the ring answers as the reference would.
      const double from = t - keep * (rng() % 1000) / 1000.0;
      std::size_t start = 0;
      for (std::size_t j = 0; j < all.size(); ++j)
        if (all[j]->key && all[j]->t <= from) start = j;
      const auto got = ring.since(from);
      ASSERT_EQ(got.front(), all[start]) << "round " << round << " packet " << i << " from " << from;
      ASSERT_EQ(got.size(), all.size() - start);
    }
  }
}

TEST(PacketRing, NeverHoldsMoreThanItsByteCapAndDropsLeadingNonKeyframes) {
  capture::PacketRing ring(1000, 10'000);
  ring.push(packet(0, false));
  EXPECT_TRUE(ring.empty());  // nothing could decode a packet before the first keyframe
  for (int i = 0; i < 300; ++i) ring.push(packet(i * 0.1, i % 30 == 0, 200));
  EXPECT_LE(ring.bytes(), 10'000u);
  EXPECT_TRUE(ring.since(-1).front()->key);
}

// The first `n` frames of vtest.avi and its packets, read through the wrapper.
struct Read {
  std::vector<cv::Mat> frames;
  std::vector<double> times;
  std::vector<PacketPtr> packets;
  capture::MediaFormatPtr format;
};

Read read_video(const std::string& path, std::size_t n, bool keyframes_only = false) {
  Read r;
  capture::VideoReader reader;
  capture::ReaderOptions o;
  o.keyframes_only = keyframes_only;
  EXPECT_TRUE(reader.open(path, o, [&](const capture::MediaFormatPtr& f, PacketPtr p) {
    r.format = f;
    r.packets.push_back(std::move(p));
  }).ok());
  while (r.frames.size() < n) {
    auto f = reader.read();
    EXPECT_TRUE(f.ok());
    if (!f.ok() || !*f) break;
    r.frames.push_back((*f)->image);
    r.times.push_back((*f)->t);
  }
  return r;
}

TEST(Libav, ReadsVtestWithItsOwnTimestampsAndPackets) {
  REQUIRE_FILE(test::kVtest);
  const auto r = read_video(test::kVtest, 50);
  ASSERT_EQ(r.frames.size(), 50u);
  EXPECT_EQ(r.frames[0].cols, 768);
  EXPECT_EQ(r.frames[0].rows, 576);
  for (std::size_t i = 0; i < r.times.size(); ++i) EXPECT_NEAR(r.times[i], i * 0.1, 1e-6);  // 10 fps
  ASSERT_GE(r.packets.size(), 50u);
  EXPECT_TRUE(r.packets[0]->key);
  ASSERT_TRUE(r.format);
  EXPECT_EQ(capture::codec_name(*r.format), "msmpeg4v3");
  EXPECT_FALSE(capture::can_remux(*r.format));  // MP4 cannot hold it: its clips are encoded instead
}

TEST(Libav, KeyframeOnlyDecodingGivesExactlyTheKeyframes) {
  REQUIRE_FILE(test::kVtest);
  const auto all = read_video(test::kVtest, 100000);
  const auto keys = read_video(test::kVtest, 100000, true);
  const auto n_keys = std::count_if(all.packets.begin(), all.packets.end(), [](const PacketPtr& p) { return p->key; });
  EXPECT_EQ(keys.frames.size(), static_cast<std::size_t>(n_keys));
  EXPECT_LT(keys.frames.size(), all.frames.size() / 5);
  EXPECT_EQ(keys.packets.size(), all.packets.size());  // every packet is still handed out, for clips
}

TEST(Libav, EncodesWritesRemuxesAndReadsBackBitExact) {
  REQUIRE_FILE(test::kVtest);
  const auto src = read_video(test::kVtest, 40);
  auto enc = capture::VideoEncoder::open(src.frames[0].cols, src.frames[0].rows, 10);
  ASSERT_TRUE(enc.ok()) << enc.error().message;
  std::vector<PacketPtr> packets;
  for (std::size_t i = 0; i < src.frames.size(); ++i) {
    auto out = (*enc)->encode(src.frames[i], i * 0.1);
    ASSERT_TRUE(out.ok());
    packets.insert(packets.end(), out->begin(), out->end());
  }
  ASSERT_FALSE(packets.empty());
  EXPECT_TRUE(packets[0]->key);
  const auto dir = temp_dir("libav");
  const std::string first = (dir / "encoded.mp4").string(), second = (dir / "remuxed.mp4").string();
  ASSERT_TRUE(capture::write_clip(first, *(*enc)->format(), packets).ok());
  auto info = capture::probe_clip(first);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->codec, "h264");
  EXPECT_EQ(info->frames, static_cast<std::int64_t>(packets.size()));
  EXPECT_NEAR(info->seconds, packets.size() * 0.1, 0.15);
  EXPECT_FALSE(fs::exists(first + ".part"));
  // Read that file's packets back and remux them: the decoded frames are the same, bit for bit.
  const auto a = read_video(first, 1000);
  ASSERT_TRUE(capture::can_remux(*a.format));
  ASSERT_TRUE(capture::write_clip(second, *a.format, a.packets).ok());
  const auto b = read_video(second, 1000);
  EXPECT_EQ(a.frames.size(), packets.size());
  ASSERT_EQ(a.frames.size(), b.frames.size());
  for (std::size_t i = 0; i < a.frames.size(); ++i) EXPECT_EQ(cv::norm(a.frames[i], b.frames[i], cv::NORM_INF), 0) << i;
  fs::remove_all(dir);
}

TEST(Libav, HwaccelThatIsNotThereDecodesInSoftwareAndSaysWhy) {
  REQUIRE_FILE(test::kVtest);
  for (const char* h : {"vaapi", "nonsense", "v4l2m2m"}) {
    capture::VideoReader reader;
    capture::ReaderOptions o;
    o.hwaccel = h;
    ASSERT_TRUE(reader.open(test::kVtest, o, nullptr).ok()) << h;
    EXPECT_TRUE(reader.read().ok()) << h;
    EXPECT_EQ(reader.decoder_notes().rfind("software (", 0), 0u) << h << ": " << reader.decoder_notes();
  }
}

// A ten-second timeline of encoded frames at 10 fps with a keyframe each second, fed to a recorder as a camera
// would: packets, then the processed frame's two clocks.
struct Timeline {
  std::vector<cv::Mat> frames;
  capture::WallTime origin = std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000));
  capture::WallTime at(double t) const {
    return origin + std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::duration<double>(t));
  }
};

TEST(ClipRecorder, PreRollFromTheKeyframeBeforePostRollExtendedWhileSeenAndCapped) {
  REQUIRE_FILE(test::kVtest);
  const auto src = read_video(test::kVtest, 30);
  auto enc = capture::VideoEncoder::open(src.frames[0].cols / 2, src.frames[0].rows / 2, 10);
  ASSERT_TRUE(enc.ok());
  const auto dir = temp_dir("recorder");
  std::mutex m;
  std::vector<capture::ClipDone> done;
  capture::ClipOptions o;
  o.dir = dir.string();
  o.pre_roll_s = 3;
  o.post_roll_s = 2;
  o.max_s = 9;
  capture::ClipRecorder rec("cam", o, [&](const capture::ClipDone& d) {
    std::lock_guard lock(m);
    done.push_back(d);
  });
  Timeline tl;
  for (int i = 0; i <= 250; ++i) {
    const double t = i * 0.1;
    auto out = (*enc)->encode(src.frames[i % src.frames.size()], t);
    ASSERT_TRUE(out.ok());
    for (auto& p : *out) rec.on_packet((*enc)->format(), p);
    rec.on_processed(src.frames[0], tl.at(t), t);
    if (i == 50) {
      EXPECT_TRUE(rec.request("a1", tl.at(4.95), ""));   // a plain alert: 3 s before, 2 s after
      EXPECT_TRUE(rec.request("b1", tl.at(5.0), "obj"));  // an object's: extended while it is seen
    }
    if (i == 60) {
      EXPECT_TRUE(rec.request("b2", tl.at(6.0), "obj"));  // the same object: the same clip
    }
    if (i >= 50 && i <= 70) rec.seen("obj", tl.at(t));
    if (i == 120) {
      EXPECT_TRUE(rec.request("c1", tl.at(12.0), "long"));
    }
    if (i >= 120) rec.seen("long", tl.at(t));  // in view to the end: capped at max_s
  }
  rec.close();
  std::lock_guard lock(m);
  ASSERT_EQ(done.size(), 3u);
  std::map<std::string, capture::ClipDone> by;
  for (const auto& d : done) by[d.alert_ids[0]] = d;
  ASSERT_TRUE(by.count("a1") && by.count("b1") && by.count("c1"));
  EXPECT_TRUE(by["a1"].error.empty()) << by["a1"].error;
  EXPECT_GE(by["a1"].pre_roll_s, 3 - 1e-6);
  EXPECT_LE(by["a1"].pre_roll_s, 4.0);  // from the keyframe at or before 1.95 s (one a second)
  EXPECT_NEAR(by["a1"].seconds, by["a1"].pre_roll_s + 2 + 0.1, 0.15);  // to 2 s after the alert, that frame included
  EXPECT_EQ(by["b1"].alert_ids, (std::vector<std::string>{"b1", "b2"}));
  EXPECT_NEAR(by["b1"].seconds, by["b1"].pre_roll_s + 2 + 2 + 0.1, 0.15);  // seen until 7 s, then 2 s more
  EXPECT_TRUE(by["a1"].remuxed);
  EXPECT_NEAR(by["c1"].seconds, 9 + 0.1, 0.15);  // CLIP_MAX_S from 3 s before the alert, however long it is seen
  EXPECT_TRUE(fs::exists(by["c1"].path));
  fs::remove_all(dir);
}

TEST(AlertIndex, ListsFiltersReviewsRemovesAndTrimsClipsButNotThoseTheOutboxStillNames) {
  const auto dir = temp_dir("index");
  auto index = deploy::AlertIndex::open((dir / "alerts.db").string());
  ASSERT_TRUE(index.ok()) << index.error().message;
  auto& x = **index;
  auto body = [](const std::string& id, const std::string& cam, const std::string& time) {
    nlohmann::ordered_json b;
    b["tag"] = "person";
    b["probability"] = 0.9;
    b["camera"] = cam;
    b["event"] = "detected";
    b["captureTime"] = time;
    b["alertId"] = id;
    return b;
  };
  std::vector<std::string> ids = {"a", "b", "c", "d"};
  for (std::size_t i = 0; i < ids.size(); ++i) {
    x.add(body(ids[i], i % 2 ? "yard" : "front", "2026-11-30T10:00:0" + std::to_string(i) + ".000Z"), "recording", 1000 + i);
    const auto clip = (dir / (ids[i] + ".mp4")).string();
    std::ofstream(clip) << std::string(1000, 'x');
    x.set_clip({ids[i]}, clip, 5, 1000);
  }
  auto all = x.list({});
  EXPECT_EQ(all["total"], 4);
  EXPECT_EQ(all["alerts"][0]["id"], "d");  // newest first
  EXPECT_EQ(all["cameras"], (nlohmann::json{"front", "yard"}));
  http::AlertQuery q;
  q.camera = "yard";
  EXPECT_EQ(x.list(q)["total"], 2);
  q = {};
  q.from = "2026-11-30T10:00:01.000Z";
  q.to = "2026-11-30T10:00:02.000Z";
  EXPECT_EQ(x.list(q)["total"], 2);
  EXPECT_TRUE(x.set_reviewed("b", true));
  EXPECT_FALSE(x.set_reviewed("nope", true));
  q = {};
  q.reviewed = false;
  EXPECT_EQ(x.list(q)["total"], 3);
  EXPECT_EQ(x.get("b")->at("clip"), "/clips/b.mp4");
  EXPECT_EQ(*x.file("b", "clip"), (dir / "b.mp4").string());

  // Retention: 4000 bytes of clips, 2500 allowed. The outbox still holds a message naming b.mp4.
  auto box = hub::Outbox::open((dir / "outbox.db").string(), {});
  ASSERT_TRUE(box.ok());
  Message waiting = make_json_message(R"({"event":"clip","clip":")" + (dir / "b.mp4").string() + R"("})", std::chrono::system_clock::now());
  ASSERT_TRUE((*box)->append(waiting, {{"$upstream", 0, 0}}, 1).ok());
  const auto t = x.trim_clips(0, 2500, 5000, [&](const std::string& name) { return (*box)->holds_text(name); });
  EXPECT_EQ(t.kept_for_outbox, 1u);
  EXPECT_FALSE(fs::exists(dir / "a.mp4"));
  EXPECT_TRUE(fs::exists(dir / "b.mp4"));   // named by a waiting message
  EXPECT_FALSE(fs::exists(dir / "c.mp4"));  // oldest first until under the cap
  EXPECT_TRUE(fs::exists(dir / "d.mp4"));
  EXPECT_EQ(x.get("a")->at("clipState"), "expired");
  EXPECT_TRUE(x.get("a")->at("clip").is_null());
  // By age: everything older than 1 s at time 10,000 ms, except b again.
  x.trim_clips(1000, 1u << 30, 10'000, [&](const std::string& name) { return (*box)->holds_text(name); });
  EXPECT_FALSE(fs::exists(dir / "d.mp4"));
  EXPECT_TRUE(fs::exists(dir / "b.mp4"));

  EXPECT_TRUE(x.remove("b"));
  EXPECT_FALSE(fs::exists(dir / "b.mp4"));
  EXPECT_FALSE(x.get("b"));
  fs::remove_all(dir);
}

http::HttpRequest req(const std::string& path, const std::string& addr, std::multimap<std::string, std::string> headers = {}) {
  http::HttpRequest r;
  r.method = "GET";
  r.path = path;
  r.remote_addr = addr;
  r.headers = std::move(headers);
  return r;
}

TEST(Access, PasswordHashesVerifyAndRejectWhatTheyShould) {
  const auto h = http::hash_password("correct horse", 1000);
  EXPECT_TRUE(http::verify_password("correct horse", h));
  EXPECT_FALSE(http::verify_password("correct hors", h));
  EXPECT_NE(h, http::hash_password("correct horse", 1000));  // a fresh salt each time
  EXPECT_EQ(h.find('$'), std::string::npos);                    // safe inside a manifest
  for (const char* bad : {"", "pbkdf2-sha256.10.AAAA.BBBB", "md5.1000.c2FsdHNhbHQ=.aGFzaGhhc2hoYXNoaGFzaA==", "x:y"})
    EXPECT_FALSE(http::verify_password("correct horse", bad)) << bad;
}

TEST(Access, LoopbackIsOpenOtherAddressesNeedAUserOrTheToken) {
  auto open = http::AccessControl::make({"", "", "127.0.0.1", false});
  ASSERT_TRUE(open.ok());
  EXPECT_FALSE((*open)->check(req("/api/alerts", "127.0.0.1")));
  auto lan = http::AccessControl::make({"", "", "0.0.0.0", false});
  EXPECT_FALSE((*lan)->check(req("/api/alerts", "127.0.0.1")));
  EXPECT_EQ((*lan)->check(req("/api/alerts", "192.168.1.20"))->status, 401);
  EXPECT_FALSE((*lan)->check(req("/health", "192.168.1.20")));
  const std::string token = "0123456789abcdef0123";
  auto users = http::AccessControl::make({"alice:" + http::hash_password("pw-pw-pw-pw", 1000), token, "127.0.0.1", false});
  ASSERT_TRUE(users.ok());
  EXPECT_EQ((*users)->check(req("/api/alerts", "127.0.0.1"))->status, 401);  // users given: everyone logs in
  EXPECT_EQ((*users)->check(req("/", "127.0.0.1", {{"accept", "text/html"}}))->content_type.rfind("text/html", 0), 0u);
  EXPECT_FALSE((*users)->check(req("/api/alerts", "127.0.0.1", {{"authorization", "Bearer " + token}})));
  EXPECT_TRUE((*users)->check(req("/api/alerts", "127.0.0.1", {{"authorization", "Bearer " + token + "x"}})));
  EXPECT_FALSE(http::AccessControl::make({"alice", "", "0.0.0.0", false}).ok());
  EXPECT_FALSE(http::AccessControl::make({"alice:plain", "", "0.0.0.0", false}).ok());
  EXPECT_FALSE(http::AccessControl::make({"", "short", "0.0.0.0", false}).ok());
}

}  // namespace
}  // namespace vigil
