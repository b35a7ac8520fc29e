#include "vision/model_runner.h"
#include "core/guard.h"
#include <algorithm>

namespace vigil::vision {
namespace {
double ms_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}
}  // namespace

ModelRunner::ModelRunner(std::vector<std::unique_ptr<Model>> instances, std::size_t capacity)
    : instances_(std::move(instances)), capacity_(capacity) {
  for (auto& m : instances_) threads_.emplace_back([this, model = m.get()] { loop(*model); });
}

ModelRunner::~ModelRunner() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& t : threads_) t.join();
  for (Job* job : queue_) job->done.set_value(make_error(ErrorCode::Unavailable, "the model is shutting down"));
}

std::size_t ModelRunner::queue_depth() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return queue_.size();
}

void ModelRunner::loop(Model& model) {
  for (;;) {
    Job* job = nullptr;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      job = queue_.front();
      queue_.pop_front();
    }
    job->queue_ms = ms_since(job->queued);
    const auto start = std::chrono::steady_clock::now();
    Result<RawOutput> out = make_error(ErrorCode::Internal, "the model failed on this image (see the log)");
    (void)guarded("model", "runner", [&] { out = model.infer(*job->input); });
    job->infer_ms = ms_since(start);
    inferences_.fetch_add(1);
    job->done.set_value(std::move(out));
  }
}

Result<Prediction> ModelRunner::predict(const cv::Mat& bgr, PredictTimings* timings) {
  const Model& front = *instances_.front();
  auto t0 = std::chrono::steady_clock::now();
  auto input = front.prepare(bgr);
  if (!input) return input.error();

  Job job{&*input, {}, std::chrono::steady_clock::now()};
  auto future = job.done.get_future();
  const double prepare_ms = ms_since(t0);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) return make_error(ErrorCode::Unavailable, "the model is shutting down");
    if (queue_.size() >= capacity_) {
      rejected_.fetch_add(1);
      return make_error(ErrorCode::Unavailable, "the model is busy (" + std::to_string(capacity_) +
                                                    " requests waiting); retry shortly");
    }
    queue_.push_back(&job);
  }
  wake_.notify_one();
  auto raw = future.get();
  if (!raw) return raw.error();
  t0 = std::chrono::steady_clock::now();
  Prediction p = front.decode(*raw, *input);
  if (timings) *timings = {prepare_ms, job.queue_ms, job.infer_ms, ms_since(t0)};
  return p;
}

Result<std::unique_ptr<ModelRunner>> make_model_runner(const std::string& path, const LoadOptions& options,
                                                       int instances) {
  std::vector<std::unique_ptr<Model>> models;
  for (int i = 0; i < std::max(1, instances); ++i) {
    auto model = load_model(path, options);
    if (!model) return model.error();
    models.push_back(std::move(*model));
  }
  return std::make_unique<ModelRunner>(std::move(models));
}

}  // namespace vigil::vision
