// ModelRunner: the owner thread(s) of a loaded model. Callers on any thread call predict(); the image is
// prepared and the result decoded on the caller's thread, and only the forward pass is posted to an owner
// thread. With several instances (independent copies of the network, one thread each) requests run in
// parallel; nothing is shared between instances. The queue is bounded: when it is full predict() fails
// at once with Unavailable instead of queueing without bound.
//
//   caller: decode bytes ─▶ prepare ─▶ [queue ≤ capacity] ─▶ owner: infer ─▶ caller: decode ─▶ Prediction
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "vision/model.h"

namespace vigil::vision {

struct PredictTimings {
  double prepare_ms = 0, queue_ms = 0, infer_ms = 0, decode_ms = 0;
};

class ModelRunner {
 public:
  // Starts one owner thread per instance. All instances must be loaded from the same folder.
  ModelRunner(std::vector<std::unique_ptr<Model>> instances, std::size_t queue_capacity = 64);
  ~ModelRunner();  // stops the threads; waiting callers get an Unavailable error
  ModelRunner(const ModelRunner&) = delete;
  ModelRunner& operator=(const ModelRunner&) = delete;

  const ModelInfo& info() const { return instances_.front()->info(); }

  // Thread-safe.
  Result<Prediction> predict(const cv::Mat& bgr, PredictTimings* timings = nullptr);

  std::size_t queue_depth() const;
  std::uint64_t inferences() const { return inferences_.load(); }
  std::uint64_t rejected() const { return rejected_.load(); }
  std::size_t instances() const { return instances_.size(); }

 private:
  struct Job {
    const PreparedInput* input;
    std::promise<Result<RawOutput>> done;
    std::chrono::steady_clock::time_point queued;
    double queue_ms = 0, infer_ms = 0;
  };
  void loop(Model& model);

  std::vector<std::unique_ptr<Model>> instances_;
  std::vector<std::thread> threads_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job*> queue_;
  std::size_t capacity_;
  bool stopping_ = false;
  std::atomic<std::uint64_t> inferences_{0}, rejected_{0};
};

// Loads `instances` copies of the model at `path` and starts their owner threads.
Result<std::unique_ptr<ModelRunner>> make_model_runner(const std::string& path, const LoadOptions& options,
                                                       int instances);

}  // namespace vigil::vision
