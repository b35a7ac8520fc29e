// Internal to the vision engine: the constructors behind load_model(). One per model family.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "core/result.h"
#include "vision/model.h"
#include "vision/model_config.h"

namespace vigil::vision {

struct CustomVisionFiles {
  std::string dir;
  std::string model_path;           // model.pb or model.onnx
  std::string labels_path;          // labels.txt (may be empty when the config gives labels)
  std::optional<Task> manifest_task;  // from cvexport.manifest DomainType
  bool onnx = false;
};

struct DarknetFiles {
  std::string dir, cfg_path, weights_path, names_path;
};

Result<std::unique_ptr<Model>> make_customvision_model(const CustomVisionFiles& files, const ModelConfig& config,
                                                       const LoadOptions& options);
Result<std::unique_ptr<Model>> make_darknet_model(const DarknetFiles& files, const ModelConfig& config,
                                                  const LoadOptions& options);
Result<std::unique_ptr<Model>> make_hog_person_model(const LoadOptions& options);

}  // namespace vigil::vision
