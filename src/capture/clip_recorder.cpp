#include "capture/clip_recorder.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "core/guard.h"
#include "core/log.h"

namespace vigil::capture {
namespace {

// How much more than the pre-roll the ring keeps: an alert is decided a little after its frame was read (the
// model, the hub, a per-object alert's best frame from its first second), later still in a fast replay.
constexpr double kRingSlackS = 10;
constexpr std::size_t kRingMaxBytes = 64u << 20;

}  // namespace

ClipRecorder::ClipRecorder(std::string camera, ClipOptions options, Done done)
    : camera_(std::move(camera)),
      options_(std::move(options)),
      done_(std::move(done)),
      ring_(options_.pre_roll_s + kRingSlackS, kRingMaxBytes) {
  writer_ = std::thread([this] { guarded("clips", camera_, [this] { write_loop(); }); });
}

ClipRecorder::~ClipRecorder() { close(); }

double ClipRecorder::media_of(WallTime t) const {
  return clock_->second + std::chrono::duration<double>(t - clock_->first).count();
}

void ClipRecorder::on_packet(const MediaFormatPtr& format, PacketPtr packet) {
  std::lock_guard lock(mutex_);
  if (format != source_format_) {
    source_format_ = format;
    source_packets_ = format && can_remux(*format);
    if (format && !source_packets_)
      LOG_INFO("clips", "[" << camera_ << "] " << codec_name(*format)
                            << " video does not fit in MP4: its clips are encoded from the processed frames");
  }
  if (source_packets_) push_locked(format, std::move(packet));
}

void ClipRecorder::push_locked(const MediaFormatPtr& format, PacketPtr packet) {
  if (closed_ || !format || !packet) return;
  if (format != format_) {  // a new stream (a reconnect): old packets do not fit it
    finish_all_locked();
    ring_.clear();
    format_ = format;
  }
  ring_.push(packet);
  for (std::size_t i = 0; i < open_.size();) {
    Open& c = open_[i];
    if (!c.packets.empty() || packet->key) c.packets.push_back(packet);
    if (packet->t > c.end_t && !c.packets.empty()) {
      finish_locked(i);
      continue;
    }
    ++i;
  }
}

void ClipRecorder::on_processed(const cv::Mat& frame, WallTime frame_time, double media_t) {
  std::lock_guard lock(mutex_);
  if (closed_) return;
  if (source_packets_) {
    if (!std::isnan(media_t)) clock_ = {frame_time, media_t};
    return;
  }
  if (!encoder_.joinable()) encoder_ = std::thread([this] { guarded("clips", camera_, [this] { encode_loop(); }); });
  to_encode_ = {frame, frame_time};
  wake_.notify_all();
}

void ClipRecorder::encode_loop() {
  std::unique_ptr<VideoEncoder> encoder;
  std::optional<WallTime> origin;
  for (;;) {
    std::pair<cv::Mat, WallTime> job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || to_encode_; });
      if (stopping_) return;
      job = std::move(*to_encode_);
      to_encode_.reset();
      if (!origin) {
        origin = job.second;
        clock_ = {job.second, 0.0};
      }
    }
    if (!encoder) {
      auto e = VideoEncoder::open(job.first.cols, job.first.rows, options_.encode_fps);
      if (!e) {
        LOG_WARN("clips", "[" << camera_ << "] no clips: " << e.error().message);
        return;
      }
      encoder = std::move(*e);
    }
    auto packets = encoder->encode(job.first, std::chrono::duration<double>(job.second - *origin).count());
    if (!packets) {
      LOG_WARN("clips", "[" << camera_ << "] " << packets.error().message);
      continue;
    }
    std::lock_guard lock(mutex_);
    for (auto& p : *packets) push_locked(encoder->format(), std::move(p));
  }
}

void ClipRecorder::seen(const std::string& object_id, WallTime frame_time) {
  std::lock_guard lock(mutex_);
  if (!clock_) return;
  const double t = media_of(frame_time);
  for (auto& c : open_)
    if (c.object == object_id) c.end_t = std::min(c.cap_t, std::max(c.end_t, t + options_.post_roll_s));
}

bool ClipRecorder::request(const std::string& alert_id, WallTime frame_time, const std::string& object_id, std::string* why) {
  std::lock_guard lock(mutex_);
  auto fail = [&](const char* text) {
    if (why) *why = text;
    return false;
  };
  if (closed_) return fail("the camera stopped");
  if (!clock_ || !format_) return fail("no video yet");
  const double t = media_of(frame_time);
  if (!object_id.empty())
    for (auto& c : open_)
      if (c.object == object_id) {
        c.ids.push_back(alert_id);
        c.end_t = std::min(c.cap_t, std::max(c.end_t, t + options_.post_roll_s));
        return true;
      }
  Open c;
  c.ids = {alert_id};
  c.object = object_id;
  c.alert_t = t;
  c.end_t = t + options_.post_roll_s;
  c.cap_t = t - options_.pre_roll_s + std::max(options_.max_s, options_.pre_roll_s + options_.post_roll_s);
  c.format = format_;
  c.remuxed = !encoder_.joinable();
  c.packets = ring_.since(t - options_.pre_roll_s);
  open_.push_back(std::move(c));
  if (ring_.newest_t() > open_.back().end_t && !open_.back().packets.empty()) finish_locked(open_.size() - 1);
  return true;
}

void ClipRecorder::finish_locked(std::size_t i) {
  writing_.push_back(std::move(open_[i]));  // one without packets is reported by the writer, in order with the rest
  open_.erase(open_.begin() + static_cast<std::ptrdiff_t>(i));
  wake_.notify_all();
}

void ClipRecorder::finish_all_locked() {
  while (!open_.empty()) finish_locked(0);
}

void ClipRecorder::write_loop() {
  for (;;) {
    Open clip;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return !writing_.empty() || (stopping_ && open_.empty()); });
      if (writing_.empty()) return;
      clip = std::move(writing_.front());
      writing_.pop_front();
    }
    write(std::move(clip));
  }
}

void ClipRecorder::write(Open clip) {
  ClipDone d;
  d.camera = camera_;
  d.alert_ids = clip.ids;
  d.object_id = clip.object;
  d.remuxed = clip.remuxed;
  if (clip.packets.empty() || !clip.format) {
    d.error = "no video came after the alert";
  } else {
    d.path = options_.dir + "/" + clip.ids.front() + ".mp4";
    d.codec = codec_name(*clip.format);
    d.pre_roll_s = std::max(0.0, clip.alert_t - clip.packets.front()->t);
    if (auto seconds = write_clip(d.path, *clip.format, clip.packets); !seconds) {
      d.error = seconds.error().message;
      d.path.clear();
    } else {
      std::error_code ec;
      d.bytes = std::filesystem::file_size(d.path, ec);
      d.seconds = *seconds;
    }
  }
  if (!d.error.empty()) LOG_WARN("clips", "[" << camera_ << "] no clip for alert " << d.alert_ids.front() << ": " << d.error);
  if (done_) guarded("clips", camera_, [&] { done_(d); });
}

void ClipRecorder::close() {
  {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    closed_ = true;
    finish_all_locked();
    stopping_ = true;
  }
  wake_.notify_all();
  if (encoder_.joinable()) encoder_.join();
  if (writer_.joinable()) writer_.join();
}

std::shared_ptr<ClipRecorder> ClipRegistry::open(const std::string& camera, ClipOptions options) {
  options.dir = dir_;
  auto r = std::make_shared<ClipRecorder>(camera, std::move(options), done_);
  std::lock_guard lock(mutex_);
  recorders_[camera] = r;
  return r;
}

void ClipRegistry::close(const std::string& camera, const std::shared_ptr<ClipRecorder>& recorder) {
  {
    std::lock_guard lock(mutex_);
    if (auto it = recorders_.find(camera); it != recorders_.end() && it->second == recorder) recorders_.erase(it);
  }
  if (recorder) recorder->close();
}

bool ClipRegistry::request(const std::string& camera, const std::string& alert_id, WallTime frame_time,
                           const std::string& object_id, std::string* why) {
  std::shared_ptr<ClipRecorder> r;
  {
    std::lock_guard lock(mutex_);
    if (auto it = recorders_.find(camera); it != recorders_.end()) r = it->second;
  }
  if (!r) {
    if (why) *why = "camera '" + camera + "' records no clips here";
    return false;
  }
  return r->request(alert_id, frame_time, object_id, why);
}

}  // namespace vigil::capture
