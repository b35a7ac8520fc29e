// The floor for `vigil serve`: what one image costs in-process with no HTTP at all — JPEG decode, the
// model's preprocessing and the forward pass — measured on the same model and JPEG as the HTTP benchmark.
// usage: vigil_floor_bench MODEL_DIR IMAGE.jpg [iterations]
// prints one JSON line: median milliseconds of decode, prepare, forward and the whole, and the whole's rate.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include "core/files.h"
#include "vision/image_io.h"
#include "vision/model.h"

using namespace vigil;
using Clock = std::chrono::steady_clock;

static double ms(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double, std::milli>(b - a).count(); }

static double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s MODEL_DIR IMAGE [iterations]\n", argv[0]);
    return 2;
  }
  const int n = argc > 3 ? std::atoi(argv[3]) : 200;
  auto model = vision::load_model(argv[1]);
  auto bytes = read_file(argv[2]);
  if (!model || !bytes) {
    std::fprintf(stderr, "cannot load the model or the image\n");
    return 1;
  }
  std::vector<double> decode, prepare, forward, total;
  for (int i = 0; i < n + 10; ++i) {
    const auto t0 = Clock::now();
    auto img = vision::decode_image(*bytes);
    const auto t1 = Clock::now();
    auto input = (*model)->prepare(*img);
    const auto t2 = Clock::now();
    auto raw = (*model)->infer(*input);
    const auto t3 = Clock::now();
    auto p = (*model)->decode(*raw, *input);
    const auto t4 = Clock::now();
    if (i < 10) continue;  // warm-up
    decode.push_back(ms(t0, t1));
    prepare.push_back(ms(t1, t2));
    forward.push_back(ms(t2, t3));
    total.push_back(ms(t0, t4));
  }
  const double whole = median(total);
  std::printf("{\"decode_ms\": %.3f, \"prepare_ms\": %.3f, \"forward_ms\": %.3f, \"total_ms\": %.3f, \"per_s\": %.1f}\n",
              median(decode), median(prepare), median(forward), whole, 1000.0 / whole);
  return 0;
}
