// The vision engine on real models and media (answers from ../shared/*/PROVENANCE.md), and on the small ONNX
// models tests/tools/make_onnx_models.py builds.
#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "test_support.h"
#include "vision/image_io.h"
#include "vision/model.h"
#include "vision/dnn_net.h"
#include "vision/model_runner.h"

using namespace vigil;
using namespace vigil::vision;
namespace fs = std::filesystem;

namespace {

float prob(const Prediction& p, const std::string& tag) {
  float best = 0;
  for (const auto& t : p.tags)
    if (t.tag == tag) best = std::max(best, t.probability);
  return best;
}

int count(const Prediction& p, const std::string& tag, float min_prob) {
  int n = 0;
  for (const auto& t : p.tags) n += t.tag == tag && t.probability >= min_prob;
  return n;
}

std::unique_ptr<Model> load(const std::string& path) {
  auto m = load_model(path);
  EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error().message);
  return m.ok() ? std::move(*m) : nullptr;
}

Prediction run(Model& m, const std::string& image) {
  auto img = read_image_file(image);
  EXPECT_TRUE(img.ok()) << image;
  auto p = m.predict(*img);
  EXPECT_TRUE(p.ok());
  return p.ok() ? *p : Prediction{};
}

cv::Mat vtest_frame0() {
  cv::VideoCapture cap(test::kVtest);
  cv::Mat f;
  cap.read(f);
  return f;
}

}  // namespace

TEST(RealModels, AppleBananaClassifier) {
  const auto dir = test::shared_path("models/cv-applebanana-tf");
  REQUIRE_FILE(dir);
  auto m = load(dir);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->info().format, "customvision-tf");
  EXPECT_EQ(m->info().variant, "data_bn rewritten");
  EXPECT_EQ(m->info().labels, (std::vector<std::string>{"Apple", "Banana"}));
  for (const char* f : {"apple1.jpg", "apple2.jpg"}) {
    auto p = run(*m, test::shared_path(std::string("media/") + f));
    EXPECT_GE(prob(p, "Apple"), 0.9f) << f;
    EXPECT_LT(prob(p, "Banana"), 0.1f) << f;
  }
  for (const char* f : {"banana1.jpg", "banana2.jpg"}) {
    auto p = run(*m, test::shared_path(std::string("media/") + f));
    EXPECT_GE(prob(p, "Banana"), 0.9f) << f;
    EXPECT_LT(prob(p, "Apple"), 0.1f) << f;
  }
  auto neg = run(*m, test::shared_path("media/backpod.jpg"));
  EXPECT_LT(prob(neg, "Apple"), 0.1f);
  EXPECT_LT(prob(neg, "Banana"), 0.1f);
  // Sigmoid outputs are independent: every label is reported, in label order.
  ASSERT_EQ(neg.tags.size(), 2u);
  EXPECT_EQ(neg.tags[0].tag, "Apple");
}

TEST(RealModels, OldExportWithoutDataBn) {
  const auto dir = test::shared_path("models/cv-fruits7-tf");
  REQUIRE_FILE(dir);
  auto m = load(dir);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->info().variant, "");
  EXPECT_GE(prob(run(*m, test::shared_path("media/apple1.jpg")), "Apple"), 0.9f);
  EXPECT_GE(prob(run(*m, test::shared_path("media/banana2.jpg")), "Banana"), 0.9f);
}

TEST(RealModels, YoloFastestXlFindsDogBicycleCar) {
  const auto dir = test::shared_path("models/yolo-fastest-1.1-xl-coco");
  REQUIRE_FILE(dir);
  auto m = load(dir);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->info().input_size, cv::Size(320, 320));
  auto p = run(*m, test::shared_path("media/dog.jpg"));
  EXPECT_GE(prob(p, "dog"), 0.5f);
  EXPECT_GE(prob(p, "bicycle"), 0.5f);
  EXPECT_GE(prob(p, "car"), 0.5f);
  for (const auto& t : p.tags) {
    ASSERT_TRUE(t.box);
    EXPECT_GE(t.box->left, 0.f);
    EXPECT_LE(t.box->left + t.box->width, 1.0001f);
    EXPECT_LE(t.box->top + t.box->height, 1.0001f);
  }
  // The dog is in the lower left of dog.jpg.
  for (const auto& t : p.tags) {
    if (t.tag == "dog") {
      EXPECT_LT(t.box->left + t.box->width / 2, 0.5f);
    }
  }
  for (std::size_t i = 1; i < p.tags.size(); ++i) EXPECT_GE(p.tags[i - 1].probability, p.tags[i].probability);
}

TEST(RealModels, PeopleOnVtestFrame0) {
  REQUIRE_FILE(test::kVtest);
  const auto dir = test::shared_path("models/yolo-fastest-1.1-xl-coco");
  REQUIRE_FILE(dir);
  cv::Mat frame = vtest_frame0();
  ASSERT_FALSE(frame.empty());
  auto yolo = load(dir);
  auto p = yolo->predict(frame);
  ASSERT_TRUE(p.ok());
  EXPECT_GE(count(*p, "person", 0.25f), 3);

  auto hog = load(kBuiltinPerson);
  ASSERT_TRUE(hog);
  auto h = hog->predict(frame);
  ASSERT_TRUE(h.ok());
  EXPECT_GE(count(*h, "person", 0.5f), 1);
  for (const auto& t : h->tags) {
    ASSERT_TRUE(t.box);
    EXPECT_GT(t.box->height, t.box->width);  // people stand upright
  }
}

TEST(RealModels, BuiltinPersonNeedsNoFilesAndIgnoresTinyImages) {
  auto hog = load(kBuiltinPerson);
  ASSERT_TRUE(hog);
  EXPECT_EQ(hog->info().labels, std::vector<std::string>{"person"});
  auto p = hog->predict(cv::Mat(20, 20, CV_8UC3, cv::Scalar(0)));
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->tags.empty());
}

TEST(OnnxModels, ClassifierHonoursPixelFormatMetadata) {
  cv::Mat red(50, 80, CV_8UC3, cv::Scalar(0, 0, 255));
  for (const char* name : {"classifier-rgb", "classifier-bgr"}) {
    auto m = load(test::test_model(name));
    ASSERT_TRUE(m) << name;
    EXPECT_EQ(m->info().format, "customvision-onnx");
    EXPECT_EQ(m->info().task, Task::Classification);
    EXPECT_EQ(m->info().input_size, cv::Size(16, 16));
    auto p = m->predict(red);
    ASSERT_TRUE(p.ok());
    EXPECT_GT(prob(*p, "Red"), 0.99f) << name;
    EXPECT_LT(prob(*p, "Blue"), 0.01f) << name;
    EXPECT_LT(prob(*p, "Green"), 0.01f) << name;
  }
}

TEST(OnnxModels, DetectorGridDecodesToTheRedQuadrant) {
  auto m = load(test::test_model("detector"));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->info().task, Task::Detection);
  cv::Mat img(300, 400, CV_8UC3, cv::Scalar(0, 0, 0));
  img(cv::Rect(0, 0, 200, 150)).setTo(cv::Scalar(0, 0, 255));  // red top-left quadrant
  auto p = m->predict(img);
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p->tags.size(), 1u);
  const auto& t = p->tags[0];
  EXPECT_EQ(t.tag, "Apple");
  EXPECT_EQ(t.index, 0);
  // softmax(3, 0) * sigmoid(40 - 20)
  EXPECT_NEAR(t.probability, std::exp(3.0) / (std::exp(3.0) + 1.0), 1e-4);
  ASSERT_TRUE(t.box);
  EXPECT_NEAR(t.box->left + t.box->width / 2, 0.25, 1e-4);
  EXPECT_NEAR(t.box->top + t.box->height / 2, 0.25, 1e-4);
  EXPECT_NEAR(t.box->width, 0.573 / 2, 1e-4);
  EXPECT_NEAR(t.box->height, 0.677 / 2, 1e-4);
}

TEST(ModelLoader, ErrorsSayWhatWasFoundAndExpected) {
  auto missing = load_model("/nonexistent/model");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::NotFound);
  EXPECT_NE(missing.error().message.find("does not exist"), std::string::npos);

  const fs::path dir = fs::temp_directory_path() / ("vigil-loader-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "readme.md") << "hi";
  auto unknown = load_model(dir.string());
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message.find("readme.md"), std::string::npos) << unknown.error().message;
  EXPECT_NE(unknown.error().message.find("labels.txt"), std::string::npos);

  std::ofstream(dir / "model.pb") << "garbage";
  std::ofstream(dir / "labels.txt") << "A\nB\n";
  auto broken = load_model(dir.string());
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.error().message.find("model.pb"), std::string::npos) << broken.error().message;

  std::ofstream(dir / "vigil-model.json") << R"({"colour":"rgb"})";
  auto badcfg = load_model(dir.string());
  ASSERT_FALSE(badcfg.ok());
  EXPECT_NE(badcfg.error().message.find("'colour'"), std::string::npos) << badcfg.error().message;
  fs::remove_all(dir);

  auto cuda = load_model(kBuiltinPerson, {"cuda"});
  EXPECT_FALSE(cuda.ok());
}

TEST(ModelLoader, LabelCountMismatchIsReported) {
  const auto src = test::test_model("classifier-rgb");
  REQUIRE_FILE(src);
  const fs::path dir = fs::temp_directory_path() / ("vigil-labels-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  fs::copy_file(fs::path(src) / "model.onnx", dir / "model.onnx", fs::copy_options::overwrite_existing);
  std::ofstream(dir / "labels.txt") << "Only\nTwo\n";
  auto m = load_model(dir.string());
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.error().message.find("labels"), std::string::npos) << m.error().message;
  fs::remove_all(dir);
}

TEST(ModelLoader, CudaIsRefusedClearlyWithoutACudaBuild) {
  const auto dir = test::shared_path("models/yolo-fastest-1.1-body");
  REQUIRE_FILE(dir);
  if (cuda_available()) GTEST_SKIP() << "this OpenCV has CUDA";
  auto m = load_model(dir, {"cuda"});
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.error().message.find("CUDA"), std::string::npos);
}

TEST(ModelRunner, ConcurrentCallersGetTheirOwnAnswers) {
  const auto dir = test::shared_path("models/cv-applebanana-tf");
  REQUIRE_FILE(dir);
  std::vector<std::unique_ptr<Model>> instances;
  instances.push_back(load(dir));
  instances.push_back(load(dir));
  ModelRunner runner(std::move(instances));
  auto apple = read_image_file(test::shared_path("media/apple1.jpg"));
  auto banana = read_image_file(test::shared_path("media/banana1.jpg"));
  std::atomic<int> wrong{0}, done{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        const bool is_apple = (t + i) % 2 == 0;
        auto p = runner.predict(is_apple ? *apple : *banana);
        if (!p.ok() || prob(*p, is_apple ? "Apple" : "Banana") < 0.9f) ++wrong;
        ++done;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(done.load(), 80);
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(runner.inferences(), 80u);
}
