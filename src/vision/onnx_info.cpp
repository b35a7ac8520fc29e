#include "vision/onnx_info.h"

#include <set>

#include "vision/protobuf_wire.h"

namespace vigil::vision {
namespace {

// onnx.proto field numbers.
constexpr std::uint32_t kModelGraph = 7, kModelMetadata = 14;
constexpr std::uint32_t kGraphInitializer = 5, kGraphInput = 11, kGraphOutput = 12;
constexpr std::uint32_t kTensorName = 8;  // TensorProto.name
constexpr std::uint32_t kValueName = 1, kValueType = 2;
constexpr std::uint32_t kTypeTensor = 1, kTensorElemType = 1, kTensorShape = 2;
constexpr std::uint32_t kShapeDim = 1, kDimValue = 1;
constexpr std::uint32_t kKey = 1, kValue = 2;

OnnxTensorInfo parse_value_info(std::string_view vi) {
  OnnxTensorInfo t;
  pb::for_each_field(vi, [&](const pb::Field& f) {
    if (f.type != pb::WireType::Bytes) return true;
    if (f.number == kValueName) t.name = std::string(f.bytes);
    if (f.number != kValueType) return true;
    pb::for_each_field(f.bytes, [&](const pb::Field& tf) {
      if (tf.number != kTypeTensor || tf.type != pb::WireType::Bytes) return true;
      pb::for_each_field(tf.bytes, [&](const pb::Field& tt) {
        if (tt.number == kTensorElemType && tt.type == pb::WireType::Varint) t.elem_type = static_cast<int>(tt.varint);
        if (tt.number == kTensorShape && tt.type == pb::WireType::Bytes) {
          pb::for_each_field(tt.bytes, [&](const pb::Field& d) {
            if (d.number != kShapeDim || d.type != pb::WireType::Bytes) return true;
            std::int64_t v = -1;
            pb::for_each_field(d.bytes, [&](const pb::Field& dv) {
              if (dv.number == kDimValue && dv.type == pb::WireType::Varint) v = static_cast<std::int64_t>(dv.varint);
              return true;
            });
            t.dims.push_back(v > 0 ? v : -1);
            return true;
          });
        }
        return true;
      });
      return true;
    });
    return true;
  });
  return t;
}

}  // namespace

Result<OnnxInfo> inspect_onnx(std::string_view model) {
  OnnxInfo info;
  std::string_view graph;
  bool ok = pb::for_each_field(model, [&](const pb::Field& f) {
    if (f.type != pb::WireType::Bytes) return true;
    if (f.number == kModelGraph) graph = f.bytes;
    if (f.number == kModelMetadata) {
      std::string k, v;
      pb::for_each_field(f.bytes, [&](const pb::Field& e) {
        if (e.type == pb::WireType::Bytes && e.number == kKey) k = std::string(e.bytes);
        if (e.type == pb::WireType::Bytes && e.number == kValue) v = std::string(e.bytes);
        return true;
      });
      info.metadata[k] = v;
    }
    return true;
  });
  if (!ok || graph.empty())
    return make_error(ErrorCode::InvalidArgument, "not an ONNX model (no graph found in the protobuf)");

  std::set<std::string, std::less<>> initializers;
  std::vector<OnnxTensorInfo> inputs;
  ok = pb::for_each_field(graph, [&](const pb::Field& f) {
    if (f.type != pb::WireType::Bytes) return true;
    if (f.number == kGraphInitializer) {
      pb::for_each_field(f.bytes, [&](const pb::Field& t) {
        if (t.number == kTensorName && t.type == pb::WireType::Bytes) initializers.emplace(t.bytes);
        return true;
      });
    } else if (f.number == kGraphInput) {
      inputs.push_back(parse_value_info(f.bytes));
    } else if (f.number == kGraphOutput) {
      info.outputs.push_back(parse_value_info(f.bytes));
    }
    return true;
  });
  if (!ok) return make_error(ErrorCode::InvalidArgument, "the ONNX graph is truncated or malformed");
  for (auto& in : inputs)
    if (!initializers.count(in.name)) info.inputs.push_back(std::move(in));
  if (info.inputs.empty()) return make_error(ErrorCode::InvalidArgument, "the ONNX graph declares no input");
  if (info.outputs.empty()) return make_error(ErrorCode::InvalidArgument, "the ONNX graph declares no output");
  return info;
}

}  // namespace vigil::vision
