// Reads what an ONNX model file says about itself without a runtime: graph inputs and outputs (name, element
// type, shape) and metadata_props (Custom Vision puts the pixel format and range there). Pure, over bytes.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace vigil::vision {

struct OnnxTensorInfo {
  std::string name;
  int elem_type = 0;             // ONNX TensorProto.DataType: 1 float, 10 float16, ...
  std::vector<std::int64_t> dims;  // -1 where symbolic or unknown
};

struct OnnxInfo {
  std::vector<OnnxTensorInfo> inputs;   // graph inputs that are not initializers
  std::vector<OnnxTensorInfo> outputs;
  std::map<std::string, std::string> metadata;
};

Result<OnnxInfo> inspect_onnx(std::string_view model);

}  // namespace vigil::vision
