#include "vision/tf_graph.h"

#include <cmath>
#include <cstring>
#include <map>
#include <optional>

#include "vision/protobuf_wire.h"

namespace vigil::vision {
namespace {

// Field numbers (tensorflow/core/framework/*.proto).
constexpr std::uint32_t kGraphNode = 1;
constexpr std::uint32_t kNodeName = 1, kNodeOp = 2, kNodeInput = 3, kNodeAttr = 5;
constexpr std::uint32_t kEntryKey = 1, kEntryValue = 2;
constexpr std::uint32_t kAttrShape = 7, kAttrTensor = 8;
constexpr std::uint32_t kShapeDim = 2, kDimSize = 1;
constexpr std::uint32_t kTensorContent = 4, kTensorFloatVal = 5;

constexpr std::string_view kDataBnPrefix = "data_bn/";

struct Node {
  std::string_view raw;   // the NodeDef bytes
  std::string name, op;
  std::vector<std::string> inputs;
  std::map<std::string, std::string_view, std::less<>> attrs;  // key -> AttrValue bytes
};

Result<std::vector<Node>> parse_nodes(std::string_view graph) {
  std::vector<Node> nodes;
  bool nodes_ok = true;
  const bool ok = pb::for_each_field(graph, [&](const pb::Field& f) {
    if (f.number != kGraphNode || f.type != pb::WireType::Bytes) return true;
    Node n;
    n.raw = f.bytes;
    nodes_ok = pb::for_each_field(f.bytes, [&](const pb::Field& nf) {
      if (nf.type != pb::WireType::Bytes) return true;
      if (nf.number == kNodeName) n.name = std::string(nf.bytes);
      else if (nf.number == kNodeOp) n.op = std::string(nf.bytes);
      else if (nf.number == kNodeInput) n.inputs.emplace_back(nf.bytes);
      else if (nf.number == kNodeAttr) {
        std::string key;
        std::string_view value;
        pb::for_each_field(nf.bytes, [&](const pb::Field& e) {
          if (e.number == kEntryKey && e.type == pb::WireType::Bytes) key = std::string(e.bytes);
          if (e.number == kEntryValue && e.type == pb::WireType::Bytes) value = e.bytes;
          return true;
        });
        n.attrs.emplace(std::move(key), value);
      }
      return true;
    });
    if (!nodes_ok) return false;
    nodes.push_back(std::move(n));
    return true;
  });
  if (!ok || !nodes_ok) {
    return make_error(ErrorCode::InvalidArgument,
                      "not a TensorFlow GraphDef (the protobuf wire format is broken or truncated)");
  }
  if (nodes.empty()) return make_error(ErrorCode::InvalidArgument, "the TensorFlow graph holds no nodes");
  return nodes;
}

// Sub-message `number` of `message`, or empty.
std::string_view sub(std::string_view message, std::uint32_t number) {
  std::string_view out;
  pb::for_each_field(message, [&](const pb::Field& f) {
    if (f.number == number && f.type == pb::WireType::Bytes) out = f.bytes;
    return true;
  });
  return out;
}

std::vector<long long> shape_dims(std::string_view shape) {
  std::vector<long long> dims;
  pb::for_each_field(shape, [&](const pb::Field& f) {
    if (f.number != kShapeDim || f.type != pb::WireType::Bytes) return true;
    long long size = 0;
    pb::for_each_field(f.bytes, [&](const pb::Field& d) {
      if (d.number == kDimSize && d.type == pb::WireType::Varint) size = static_cast<long long>(d.varint);
      return true;
    });
    dims.push_back(size);
    return true;
  });
  return dims;
}

// Float values of a Const node's tensor; a single value is returned as one element.
std::optional<std::vector<float>> const_floats(const Node& n) {
  if (n.op != "Const") return std::nullopt;
  auto it = n.attrs.find("value");
  if (it == n.attrs.end()) return std::nullopt;
  std::string_view tensor = sub(it->second, kAttrTensor);
  std::vector<float> values;
  pb::for_each_field(tensor, [&](const pb::Field& f) {
    if (f.number == kTensorContent && f.type == pb::WireType::Bytes) values = pb::unpack_floats(f.bytes);
    if (f.number == kTensorFloatVal && f.type == pb::WireType::Bytes) {
      auto v = pb::unpack_floats(f.bytes);
      values.insert(values.end(), v.begin(), v.end());
    }
    if (f.number == kTensorFloatVal && f.type == pb::WireType::Fixed32) {
      float v = 0;
      auto bits = static_cast<std::uint32_t>(f.varint);
      std::memcpy(&v, &bits, 4);
      values.push_back(v);
    }
    return true;
  });
  if (values.empty()) return std::nullopt;
  return values;
}

std::string input_node_name(std::string_view input) {
  std::string s(input);
  if (!s.empty() && s[0] == '^') s.erase(0, 1);
  auto colon = s.find(':');
  if (colon != std::string::npos) s.resize(colon);
  return s;
}

bool in_data_bn(std::string_view name) { return name.substr(0, kDataBnPrefix.size()) == kDataBnPrefix; }

std::array<float, 3> per_channel(const std::vector<float>& v, float fallback) {
  if (v.empty()) return {fallback, fallback, fallback};
  if (v.size() == 1) return {v[0], v[0], v[0]};
  return {v[0], v[1], v[2]};
}

}  // namespace

bool TfGraphInfo::has_node(std::string_view name) const {
  for (const auto& n : node_names)
    if (n == name) return true;
  return false;
}

Result<TfGraphInfo> inspect_tf_graph(std::string_view graph) {
  auto nodes = parse_nodes(graph);
  if (!nodes) return nodes.error();
  TfGraphInfo info;
  for (const auto& n : *nodes) {
    info.node_names.push_back(n.name);
    if (in_data_bn(n.name)) info.has_data_bn = true;
    if (n.op == "Placeholder" && info.input_name.empty()) {
      info.input_name = n.name;
      auto it = n.attrs.find("shape");
      if (it != n.attrs.end()) {
        auto dims = shape_dims(sub(it->second, kAttrShape));
        if (dims.size() == 4) {  // NHWC
          info.input_height = static_cast<int>(dims[1] > 0 ? dims[1] : 0);
          info.input_width = static_cast<int>(dims[2] > 0 ? dims[2] : 0);
        }
      }
    }
  }
  if (info.input_name.empty())
    return make_error(ErrorCode::InvalidArgument, "the TensorFlow graph has no Placeholder (input) node");
  return info;
}

Result<StrippedGraph> strip_data_bn(std::string_view graph) {
  auto parsed = parse_nodes(graph);
  if (!parsed) return parsed.error();
  const auto& nodes = *parsed;

  // The block's input: the node outside data_bn that data_bn nodes read (the Placeholder).
  std::string source;
  std::optional<std::vector<float>> mean, variance, eps, gamma, beta;
  for (const auto& n : nodes) {
    if (!in_data_bn(n.name)) continue;
    for (const auto& in : n.inputs) {
      std::string src = input_node_name(in);
      if (!in_data_bn(src) && source.empty()) source = src;
    }
    if (n.op != "Const") continue;
    auto values = const_floats(n);
    const std::string& nm = n.name;
    auto ends_with = [&](std::string_view s) { return nm.size() >= s.size() && nm.compare(nm.size() - s.size(), s.size(), s) == 0; };
    if (ends_with("/mean") || ends_with("/moving_mean")) mean = values;
    else if (ends_with("/variance") || ends_with("/moving_variance")) variance = values;
    else if (ends_with("/gamma") || ends_with("/scale")) gamma = values;
    else if (ends_with("/beta") || ends_with("/offset")) beta = values;
    else if (values && values->size() == 1) eps = values;
    else {
      return make_error(ErrorCode::Unsupported,
                        "the graph's input block data_bn holds a constant vigil does not understand ('" + nm +
                            "'); convert the model to ONNX or export it again from Custom Vision");
    }
  }
  if (source.empty() || !mean || !variance) {
    return make_error(ErrorCode::Unsupported,
                      "the graph's input block data_bn lacks the mean/variance constants vigil expects");
  }

  StrippedGraph out;
  const auto m = per_channel(*mean, 0.f);
  const auto v = per_channel(*variance, 1.f);
  const float e = eps ? (*eps)[0] : 1e-5f;
  const auto g = per_channel(gamma ? *gamma : std::vector<float>{}, 1.f);
  const auto b = per_channel(beta ? *beta : std::vector<float>{}, 0.f);
  for (int c = 0; c < 3; ++c) {
    out.norm.mean[c] = m[c];
    out.norm.scale[c] = g[c] / std::sqrt(v[c] + e);
    out.norm.offset[c] = b[c];
  }

  // Re-emit the graph: every top-level field except data_bn nodes, with inputs into data_bn redirected.
  std::string& g_out = out.graph_def;
  g_out.reserve(graph.size());
  bool ok = pb::for_each_field(graph, [&](const pb::Field& f) {
    if (f.number != kGraphNode || f.type != pb::WireType::Bytes) {
      g_out.append(f.raw);
      return true;
    }
    std::string name;
    bool reads_block = false;
    pb::for_each_field(f.bytes, [&](const pb::Field& nf) {
      if (nf.number == kNodeName && nf.type == pb::WireType::Bytes) name = std::string(nf.bytes);
      if (nf.number == kNodeInput && nf.type == pb::WireType::Bytes && in_data_bn(input_node_name(nf.bytes)))
        reads_block = true;
      return true;
    });
    if (in_data_bn(name)) return true;  // drop
    if (!reads_block) {
      g_out.append(f.raw);
      return true;
    }
    std::string node;
    pb::for_each_field(f.bytes, [&](const pb::Field& nf) {
      if (nf.number == kNodeInput && nf.type == pb::WireType::Bytes && in_data_bn(input_node_name(nf.bytes))) {
        if (nf.bytes.substr(0, 1) != "^") pb::append_bytes_field(node, kNodeInput, source);
      } else {
        node.append(nf.raw);
      }
      return true;
    });
    pb::append_bytes_field(g_out, kGraphNode, node);
    return true;
  });
  if (!ok) return make_error(ErrorCode::InvalidArgument, "the TensorFlow graph could not be re-written");
  return out;
}

}  // namespace vigil::vision
