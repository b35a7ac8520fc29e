// What one camera costs to watch, and what a clip costs, on this machine: CPU seconds per second of video for
//   libav-full       FFmpeg's libraries through capture/libav.h, every frame decoded (vigil's default)
//   libav-keyframes  the same with DECODE=keyframes
//   opencv           OpenCV's VideoCapture (vigil's capture before the FFmpeg backend)
// each reading the whole file as fast as it can (interleaved, `runs` times; medians), then for a clip of `clip_s`
// seconds: remuxing its packets (write_clip) vs encoding its frames (VideoEncoder, as for raw sources), and the
// detector's time per frame (the model on one decoded frame, resized as the camera would).
// usage: vigil_capture_bench VIDEO MODEL_DIR [runs] [clip_s]     prints one JSON object
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <opencv2/videoio.hpp>

#include "capture/libav.h"
#include "vision/model.h"

using namespace vigil;

namespace {

double cpu_now() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

double wall_now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

struct Pass {
  double cpu = 0, wall = 0;
  std::size_t frames = 0;
};

Pass read_libav(const std::string& path, bool keyframes, std::vector<capture::PacketPtr>* packets,
                capture::MediaFormatPtr* format, std::vector<cv::Mat>* keep, std::size_t keep_n) {
  Pass p;
  const double c0 = cpu_now(), w0 = wall_now();
  capture::VideoReader reader;
  capture::ReaderOptions o;
  o.keyframes_only = keyframes;
  auto sink = [&](const capture::MediaFormatPtr& f, capture::PacketPtr pk) {
    if (packets) packets->push_back(std::move(pk));
    if (format) *format = f;
  };
  if (!reader.open(path, o, packets ? capture::VideoReader::PacketSink(sink) : nullptr)) return p;
  for (;;) {
    auto f = reader.read();
    if (!f || !*f) break;
    if (keep && keep->size() < keep_n) keep->push_back((*f)->image);
    ++p.frames;
  }
  p.cpu = cpu_now() - c0;
  p.wall = wall_now() - w0;
  return p;
}

Pass read_opencv(const std::string& path) {
  Pass p;
  const double c0 = cpu_now(), w0 = wall_now();
  cv::VideoCapture cap(path, cv::CAP_FFMPEG);
  cv::Mat frame;
  while (cap.read(frame)) ++p.frames;
  p.cpu = cpu_now() - c0;
  p.wall = wall_now() - w0;
  return p;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s VIDEO MODEL_DIR [runs] [clip_s]\n", argv[0]);
    return 2;
  }
  const std::string video = argv[1];
  const int runs = argc > 3 ? std::atoi(argv[3]) : 3;
  const double clip_s = argc > 4 ? std::atof(argv[4]) : 10;
  auto info = capture::probe_clip(video);
  if (!info) {
    std::fprintf(stderr, "%s\n", info.error().message.c_str());
    return 1;
  }
  std::vector<double> full, keys, ocv;
  std::size_t full_frames = 0, key_frames = 0;
  for (int r = 0; r < runs; ++r) {
    const Pass a = read_libav(video, false, nullptr, nullptr, nullptr, 0);
    const Pass b = read_libav(video, true, nullptr, nullptr, nullptr, 0);
    const Pass c = read_opencv(video);
    full.push_back(a.cpu / info->seconds);
    keys.push_back(b.cpu / info->seconds);
    ocv.push_back(c.cpu / info->seconds);
    full_frames = a.frames;
    key_frames = b.frames;
  }

  // A clip of clip_s seconds: its packets remuxed, vs its frames encoded.
  std::vector<capture::PacketPtr> packets;
  capture::MediaFormatPtr format;
  std::vector<cv::Mat> frames;
  const double fps = full_frames / info->seconds;
  read_libav(video, false, &packets, &format, &frames, static_cast<std::size_t>(clip_s * fps));
  std::vector<capture::PacketPtr> clip;
  for (const auto& p : packets)
    if (p->t < clip_s) clip.push_back(p);
  const std::string out = (std::filesystem::temp_directory_path() / "vigil-capture-bench.mp4").string();
  std::vector<double> remux, encode;
  for (int r = 0; r < runs; ++r) {
    double c0 = cpu_now();
    if (!capture::write_clip(out, *format, clip)) return 1;
    remux.push_back(cpu_now() - c0);
    c0 = cpu_now();
    auto enc = capture::VideoEncoder::open(frames[0].cols, frames[0].rows, fps);
    if (!enc) return 1;
    std::vector<capture::PacketPtr> encoded;
    for (std::size_t i = 0; i < frames.size(); ++i) {
      auto got = (*enc)->encode(frames[i], static_cast<double>(i) / fps);
      if (got) encoded.insert(encoded.end(), got->begin(), got->end());
    }
    if (!capture::write_clip(out, *(*enc)->format(), encoded)) return 1;
    encode.push_back(cpu_now() - c0);
  }
  std::filesystem::remove(out);

  // The detector on one frame, as the camera gives it.
  double infer_ms = 0;
  if (auto model = vision::load_model(argv[2])) {
    std::vector<double> ms;
    for (int i = 0; i < 30; ++i) {
      const double w0 = wall_now();
      auto input = (*model)->prepare(frames[static_cast<std::size_t>(i) % frames.size()]);
      auto raw = (*model)->infer(*input);
      auto p = (*model)->decode(*raw, *input);
      if (i >= 5) ms.push_back((wall_now() - w0) * 1000);
    }
    infer_ms = median(ms);
  }
  std::printf("{\"video\": \"%s\", \"codec\": \"%s\", \"width\": %d, \"height\": %d, \"seconds\": %.1f, \"frames\": %zu, "
              "\"keyframes\": %zu, \"cpu_per_video_s\": {\"libav_full\": %.3f, \"libav_keyframes\": %.3f, \"opencv\": %.3f}, "
              "\"clip_s\": %.1f, \"clip_cpu_s\": {\"remux\": %.4f, \"encode\": %.3f}, \"infer_ms\": %.1f}\n",
              video.c_str(), info->codec.c_str(), info->width, info->height, info->seconds, full_frames, key_frames,
              median(full), median(keys), median(ocv), clip_s, median(remux), median(encode), infer_ms);
  return 0;
}
