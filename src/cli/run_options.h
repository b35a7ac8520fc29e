// What `vigil run` and `vigil replay` share: their options, the flags both take, and how a loaded deployment
// becomes the runtime's options (run_command.cpp).
#pragma once

#include <string>
#include <vector>

#include "deploy/load.h"
#include "deploy/runtime.h"

namespace CLI {
class App;
}

namespace vigil::cli {

struct RunOptions {
  std::string manifest, env_file, state_dir, device_id = "vigil", broker, device = "cpu";
  std::string edge_listen = "127.0.0.1:8883";  // vigil:iotedge modules' MQTT/TLS endpoint
  bool isolate = false;
  std::vector<std::string> upstream, sets;
  std::string public_url;        // clips' links in follow-up messages
  double clips_max_days = 30, clips_max_mb = 0;
  // replay
  std::string clip, out_dir, truth;
  bool realtime = false;
  double timeout_s = 3600;
};

void add_common(CLI::App* cmd, RunOptions& o);  // --env-file, --set, --device-id, --broker, --edge-listen, --device
deploy::RuntimeOptions runtime_options(const RunOptions& o, const deploy::LoadedDeployment& loaded, const std::string& work);
void print_warnings(const deploy::Deployment& d);

}  // namespace vigil::cli
