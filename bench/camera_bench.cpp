// In-process camera measurements that need several cameras in one process or a scripted scene. Each mode
// prints one JSON line. usage:
//   vigil_camera_bench forward MODEL VIDEO [frames]        forward pass alone on prepared vtest frames
//   vigil_camera_bench cameras MODEL VIDEO K [seconds]     K cameras (lossless file sources) share one model
//   vigil_camera_bench static MODEL IMAGE on|off [seconds] one still image at 10 fps, motion gate on or off
//   vigil_camera_bench appear MODEL BACKGROUND OBJECT      a static scene, then OBJECT pasted in: latency
//                                                          from its capture to its message on output1
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "capture/camera_module.h"
#include "core/log.h"
#include "vision/model_runner.h"

using namespace vigil;
using Clock = std::chrono::steady_clock;

namespace {

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

double rss_mib() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  return 0;
}

// Seconds since midnight UTC, from a time point or from "YYYY-MM-DDTHH:MM:SS.mmmZ".
double seconds_of_day(std::chrono::system_clock::time_point t) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  return static_cast<double>(ms % 86400000) / 1000.0;
}
double seconds_of_day(const std::string& iso) {
  return std::stoi(iso.substr(11, 2)) * 3600 + std::stoi(iso.substr(14, 2)) * 60 + std::stod(iso.substr(17, 6));
}

class CountingContext : public ModuleContext {
 public:
  const std::string& module_id() const override { return id_; }
  Metrics& metrics() override { return metrics_; }
  void send(const std::string& output, Message m) override {
    if (output != "output1") return;
    const auto now = std::chrono::system_clock::now();
    std::lock_guard lock(mutex_);
    ++sent;
    if (!watch_tag.empty() && !first_hit && m.body.find("\"" + watch_tag + "\"") != std::string::npos) {
      first_hit = now;
      hit_frame = std::stoull(m.properties["frameNumber"]);
      hit_delay_s = seconds_of_day(now) - seconds_of_day(m.properties["captureTime"]);
    }
  }
  std::string id_ = "camera", watch_tag;
  Metrics metrics_;
  std::mutex mutex_;
  std::uint64_t sent = 0, hit_frame = 0;
  double hit_delay_s = 0;  // from the hit frame's capture to its message
  std::optional<std::chrono::system_clock::time_point> first_hit;
};

int g_instances = 1;

std::shared_ptr<vision::ModelRunner> runner_for(const std::string& model) {
  auto r = vision::make_model_runner(model, {}, g_instances);
  if (!r) {
    std::fprintf(stderr, "%s\n", r.error().message.c_str());
    std::exit(1);
  }
  return std::shared_ptr<vision::ModelRunner>(std::move(*r));
}

capture::ModelProvider shared(std::shared_ptr<vision::ModelRunner> runner) {
  return [runner](const std::string&) -> Result<std::shared_ptr<vision::ModelRunner>> { return runner; };
}

int forward(const std::string& model_dir, const std::string& video, int frames) {
  auto model = vision::load_model(model_dir);
  if (!model) return 1;
  cv::VideoCapture cap(video);
  std::vector<vision::PreparedInput> inputs;
  cv::Mat f;
  while (static_cast<int>(inputs.size()) < frames && cap.read(f)) inputs.push_back(*(*model)->prepare(f));
  for (int i = 0; i < 5; ++i) (void)(*model)->infer(inputs[0]);
  const auto t0 = Clock::now();
  const double c0 = cpu_seconds();
  for (const auto& in : inputs) (void)(*model)->infer(in);
  const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  std::printf("{\"mode\": \"forward\", \"frames\": %zu, \"fps\": %.2f, \"cpu_s_per_frame\": %.5f}\n", inputs.size(),
              inputs.size() / secs, (cpu_seconds() - c0) / inputs.size());
  return 0;
}

int cameras(const std::string& model, const std::string& video, int k, double seconds) {
  auto runner = runner_for(model);
  std::vector<std::unique_ptr<CountingContext>> contexts;
  std::vector<std::unique_ptr<capture::CameraModule>> cams;
  for (int i = 0; i < k; ++i) {
    capture::CameraSettings s;
    s.video_path = video;
    s.endpoint = model;
    s.realtime = false;  // every frame, as fast as the model goes
    s.motion_gate = false;
    s.camera_id = "cam" + std::to_string(i);
    contexts.push_back(std::make_unique<CountingContext>());
    auto cam = capture::make_camera_module(*contexts.back(), s, shared(runner));
    if (!cam) return 1;
    cams.push_back(std::move(*cam));
  }
  const auto t0 = Clock::now();
  const double c0 = cpu_seconds();
  for (auto& c : cams) c->start();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  std::vector<std::uint64_t> per;
  std::uint64_t total = 0;
  for (auto& c : cams) {
    per.push_back(c->counters().inferred);
    total += per.back();
  }
  const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  const double cpu = cpu_seconds() - c0;
  const double rss = rss_mib();
  for (auto& c : cams) c->stop();
  nlohmann::json j = {{"mode", "cameras"}, {"cameras", k}, {"frames", total}, {"fps", total / secs},
                      {"cpu_s_per_frame", cpu / std::max<std::uint64_t>(1, total)}, {"rss_mib", rss}, {"per_camera", per}};
  std::printf("%s\n", j.dump().c_str());
  return 0;
}

int still(const std::string& model, const std::string& image, bool gate, double seconds) {
  auto runner = runner_for(model);
  CountingContext ctx;
  capture::CameraSettings s;
  s.video_path = image;
  s.endpoint = model;
  s.capture_fps = 10;
  s.motion_gate = gate;
  auto cam = capture::make_camera_module(ctx, s, shared(runner));
  if (!cam) return 1;
  const double c0 = cpu_seconds();
  (*cam)->start();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  const auto c = (*cam)->counters();
  const double cpu = cpu_seconds() - c0;
  (*cam)->stop();
  std::printf("{\"mode\": \"static\", \"gate\": %s, \"seconds\": %.1f, \"processed\": %llu, \"inferred\": %llu, "
              "\"cpu_s\": %.3f}\n",
              gate ? "true" : "false", seconds, static_cast<unsigned long long>(c.processed),
              static_cast<unsigned long long>(c.inferred), cpu);
  return 0;
}

int appear(const std::string& model, const std::string& background, const std::string& object) {
  cv::Mat bg = cv::imread(background), obj = cv::imread(object);
  if (bg.empty() || obj.empty()) return 1;
  const auto dir = std::filesystem::temp_directory_path() / ("vigil-appear-bench-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  cv::Mat with = bg.clone();
  cv::Mat small;
  const double scale = 0.6 * bg.rows / obj.rows;
  cv::resize(obj, small, {}, scale, scale, cv::INTER_AREA);
  small.copyTo(with(cv::Rect(bg.cols - small.cols - 10, bg.rows - small.rows - 10, small.cols, small.rows)));
  const int static_frames = 100;  // 10 s of the empty scene at 10 fps, then the object stays
  for (int i = 0; i < static_frames + 30; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "%04d.jpg", i);
    cv::imwrite((dir / name).string(), i < static_frames ? bg : with);
  }
  auto runner = runner_for(model);
  CountingContext ctx;
  ctx.watch_tag = "dog";
  capture::CameraSettings s;
  s.video_path = dir.string();
  s.endpoint = model;
  s.capture_fps = 10;
  s.loop_video = false;
  auto cam = capture::make_camera_module(ctx, s, shared(runner));
  if (!cam) return 1;
  (*cam)->start();
  (*cam)->wait();
  const auto c = (*cam)->counters();
  // Frame n is captured 0.1 s after frame n-1; the first frame with the object is static_frames + 1.
  double latency = -1;
  if (ctx.first_hit) latency = 0.1 * static_cast<double>(ctx.hit_frame - (static_frames + 1)) + ctx.hit_delay_s;
  std::printf("{\"mode\": \"appear\", \"frames\": %llu, \"inferred\": %llu, \"skipped\": %llu, \"first_frame_with_tag\": %llu, "
              "\"latency_s\": %.3f}\n",
              static_cast<unsigned long long>(c.processed), static_cast<unsigned long long>(c.inferred),
              static_cast<unsigned long long>(c.skipped), static_cast<unsigned long long>(ctx.hit_frame), latency);
  std::filesystem::remove_all(dir);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  log::set_level(log::Level::Warn);
  if (const char* n = std::getenv("INSTANCES")) g_instances = std::atoi(n);
  if (const char* t = std::getenv("CV_THREADS")) cv::setNumThreads(std::atoi(t));
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "forward" && argc >= 4) return forward(argv[2], argv[3], argc > 4 ? std::atoi(argv[4]) : 200);
  if (mode == "cameras" && argc >= 5) return cameras(argv[2], argv[3], std::atoi(argv[4]), argc > 5 ? std::atof(argv[5]) : 10);
  if (mode == "static" && argc >= 5) return still(argv[2], argv[3], std::string(argv[4]) == "on", argc > 5 ? std::atof(argv[5]) : 10);
  if (mode == "appear" && argc >= 5) return appear(argv[2], argv[3], argv[4]);
  std::fprintf(stderr, "usage: see the comment at the top of bench/camera_bench.cpp\n");
  return 2;
}
