// The protobuf reader and the data_bn rewrite, on real Custom Vision exports.
#include <cmath>

#include <gtest/gtest.h>

#include "core/files.h"
#include "test_support.h"
#include "vision/protobuf_wire.h"
#include "vision/tf_graph.h"

using namespace vigil;
using namespace vigil::vision;

TEST(ProtobufWire, VarintRoundTripAndMalformedInput) {
  std::string msg;
  pb::append_bytes_field(msg, 1, "hello");
  pb::append_varint(msg, (3u << 3) | 0);
  pb::append_varint(msg, 300);
  bool ok = false;
  auto fields = pb::parse_fields(msg, ok);
  ASSERT_TRUE(ok);
  ASSERT_EQ(fields.size(), 2u);
  EXPECT_EQ(fields[0].bytes, "hello");
  EXPECT_EQ(fields[1].number, 3u);
  EXPECT_EQ(fields[1].varint, 300u);
  EXPECT_EQ(fields[0].raw.size() + fields[1].raw.size(), msg.size());

  pb::parse_fields(msg.substr(0, 4), ok);  // length says 5, only 2 bytes follow
  EXPECT_FALSE(ok);
  pb::parse_fields(std::string("\x0b\x00", 2), ok);  // wire type 3 (group) is refused
  EXPECT_FALSE(ok);
  pb::parse_fields(std::string(12, '\xff'), ok);  // endless varint
  EXPECT_FALSE(ok);
}

TEST(TfGraph, FindsDataBnAndInputSizeInRealExports) {
  const auto ab = test::shared_path("models/cv-applebanana-tf/model.pb");
  const auto f7 = test::shared_path("models/cv-fruits7-tf/model.pb");
  REQUIRE_FILE(ab);
  auto bytes = read_file(ab);
  ASSERT_TRUE(bytes.ok());
  auto info = inspect_tf_graph(*bytes);
  ASSERT_TRUE(info.ok()) << info.error().message;
  EXPECT_TRUE(info->has_data_bn);
  EXPECT_EQ(info->input_name, "Placeholder");
  EXPECT_EQ(info->input_width, 227);
  EXPECT_EQ(info->input_height, 227);
  EXPECT_TRUE(info->has_node("loss"));

  auto old = inspect_tf_graph(*read_file(f7));
  ASSERT_TRUE(old.ok());
  EXPECT_FALSE(old->has_data_bn);
}

TEST(TfGraph, StripDataBnRewiresAndRecoversTheConstants) {
  const auto ab = test::shared_path("models/cv-fruits4-tf/model.pb");
  REQUIRE_FILE(ab);
  auto bytes = read_file(ab);
  auto stripped = strip_data_bn(*bytes);
  ASSERT_TRUE(stripped.ok()) << stripped.error().message;
  // PROVENANCE: mean (104, 117, 123), variance 1, eps 1e-5.
  EXPECT_FLOAT_EQ(stripped->norm.mean[0], 104.f);
  EXPECT_FLOAT_EQ(stripped->norm.mean[1], 117.f);
  EXPECT_FLOAT_EQ(stripped->norm.mean[2], 123.f);
  for (float s : stripped->norm.scale) EXPECT_NEAR(s, 1.0 / std::sqrt(1.0 + 1e-5), 1e-7);
  auto after = inspect_tf_graph(stripped->graph_def);
  ASSERT_TRUE(after.ok());
  EXPECT_FALSE(after->has_data_bn);
  EXPECT_TRUE(after->has_node("conv1/Conv2D"));
  EXPECT_LT(stripped->graph_def.size(), bytes->size());
}

TEST(TfGraph, BrokenBytesAreAnErrorNotACrash) {
  EXPECT_FALSE(inspect_tf_graph("not a graph at all").ok());
  EXPECT_FALSE(inspect_tf_graph("").ok());
  const auto ab = test::shared_path("models/cv-applebanana-tf/model.pb");
  REQUIRE_FILE(ab);
  auto bytes = read_file(ab);
  auto half = bytes->substr(0, bytes->size() / 2);
  EXPECT_FALSE(inspect_tf_graph(half).ok());
  EXPECT_FALSE(strip_data_bn(half).ok());
}
