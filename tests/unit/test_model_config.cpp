#include <gtest/gtest.h>

#include "vision/model_config.h"

using namespace vigil::vision;

TEST(ModelConfig, ReadsEveryKey) {
  auto c = parse_model_config(R"({"format":"darknet","task":"detection","labels":["a","b"],"input_width":416,
    "input_height":320,"color_order":"rgb","pixel_range":"0-1","mean":[1,2,3],"threshold":0.3,"nms_iou":0.5,
    "max_detections":7,"outputs":["yolo_1"],"comment":"free text"})");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(*c->format, "darknet");
  EXPECT_EQ(*c->task, Task::Detection);
  EXPECT_EQ(c->labels->size(), 2u);
  EXPECT_EQ(*c->input_width, 416);
  EXPECT_EQ(*c->input_height, 320);
  EXPECT_TRUE(*c->rgb);
  EXPECT_FLOAT_EQ(*c->pixel_scale, 1.f / 255.f);
  EXPECT_FLOAT_EQ((*c->mean)[2], 3.f);
  EXPECT_FLOAT_EQ(*c->threshold, 0.3f);
  EXPECT_FLOAT_EQ(*c->nms_iou, 0.5f);
  EXPECT_EQ(*c->max_detections, 7);
  EXPECT_EQ(c->outputs->front(), "yolo_1");
}

TEST(ModelConfig, ErrorsNameTheKey) {
  struct Case { const char* json; const char* needle; };
  for (const Case& k : {Case{R"({"treshold":0.5})", "'treshold'"}, Case{R"({"threshold":1.5})", "'threshold'"},
                        Case{R"({"input_width":"big"})", "'input_width'"}, Case{R"({"color_order":"grb"})", "'color_order'"},
                        Case{R"({"labels":[]})", "'labels'"}, Case{R"([1,2])", "object"}, Case{"{", "not valid JSON"}}) {
    auto c = parse_model_config(k.json);
    ASSERT_FALSE(c.ok()) << k.json;
    EXPECT_NE(c.error().message.find(k.needle), std::string::npos) << c.error().message;
  }
}
