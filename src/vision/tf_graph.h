// Inspects and rewrites TensorFlow frozen graphs (GraphDef .pb) as exported by Azure Custom Vision.
//
// Newer exports open with a constant-only input "batch norm" that OpenCV 4.6 cannot import:
//
//   Placeholder ─┬─ data_bn/data_bn/mul (x * rsqrt(variance + eps)) ─┐
//                └─ (data_bn/mean ─ Neg) * rsqrt(...) ───────────────┴─ data_bn/data_bn/add_1 ─▶ conv1/Conv2D
//
// strip_data_bn() removes every `data_bn/*` node, feeds its consumers from the Placeholder, and returns the
// per-channel affine map it computed (y = (x - mean) * scale + offset) so preprocessing can apply it instead.
// Pure functions over bytes: no OpenCV, no files.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace vigil::vision {

// Per-channel affine input normalisation, in the network's channel order: y = (x - mean) * scale + offset.
struct InputNorm {
  std::array<float, 3> mean{0, 0, 0};
  std::array<float, 3> scale{1, 1, 1};
  std::array<float, 3> offset{0, 0, 0};
};

struct TfGraphInfo {
  std::string input_name;           // the Placeholder node
  int input_height = 0;             // from its shape attribute (0 when unknown)
  int input_width = 0;
  bool has_data_bn = false;
  std::vector<std::string> node_names;
  bool has_node(std::string_view name) const;
};

Result<TfGraphInfo> inspect_tf_graph(std::string_view graph_def);

struct StrippedGraph {
  std::string graph_def;  // the rewritten GraphDef bytes
  InputNorm norm;         // what the removed block computed
};

// Requires info.has_data_bn. Fails with a message when the block holds something other than
// mean / variance / epsilon (and optional gamma / beta) constants.
Result<StrippedGraph> strip_data_bn(std::string_view graph_def);

}  // namespace vigil::vision
