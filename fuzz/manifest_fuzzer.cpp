// libFuzzer target for the deployment manifest reader and the .env parser: any text must give a deployment or an
// error naming the place, never a crash, a hang or undefined behaviour. A deployment that reads is also split back
// into its modules' command lines. Build and run: make fuzz   (corpus in fuzz/corpus/manifest)
#include <cstddef>
#include <cstdint>
#include <string>

#include "deploy/manifest.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  static const vigil::deploy::Variables vars = {{"MODEL_PATH", "/m"}, {"VIDEO_PATH", "0"}, {"CAMERA", "clip.mp4"}};
  auto d = vigil::deploy::parse_deployment_text(text, vars, "fuzz.json");
  if (d)
    for (const auto& m : d->modules) (void)vigil::deploy::split_command(m.image);
  (void)vigil::deploy::parse_env_file(text, "fuzz.env");
  (void)vigil::deploy::substitute(text, vars, "fuzz");
  return 0;
}
