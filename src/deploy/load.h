// Loading a deployment the way the commands need it: a manifest file with its .env (the process environment wins),
// or, when no manifest is given, /etc/vigil/deployment.json if there is one, else the built-in default; then --set
// overrides. The built-in default is what `vigil run`
// does with no configuration: a camera on /dev/video0 when there is one, else Debian's street video looping; the
// built-in person detector; an alert on "person" (2 of 3 frames, then quiet for 30 s per camera); alerts printed on
// the console and appended to alerts.jsonl in the state folder; the preview on http://127.0.0.1:5012/.
#pragma once

#include <string>
#include <vector>

#include "deploy/manifest.h"

namespace vigil::deploy {

inline constexpr const char* kDebianSampleVideo = "/usr/share/doc/opencv-doc/examples/data/vtest.avi";

struct LoadedDeployment {
  Deployment deployment;
  std::string origin;    // the file, or "built-in default"
  std::string base_dir;  // where relative paths start
  std::string manifest_path;  // empty for the default
};

// The default deployment's compact manifest, with `video` as its VIDEO_PATH and its alerts appended to
// `alerts_file` (relative: under the state folder).
nlohmann::json default_manifest(const std::string& video, const std::string& alerts_file = "alerts.jsonl");

// The system-wide manifest a package installs: /etc/vigil/deployment.json ($VIGIL_SYSTEM_MANIFEST overrides).
std::string system_manifest();

// `manifest` empty: system_manifest() when it exists, else the built-in default (its relative paths under `state_dir`). `env_file` empty: MANIFEST_DIR/.env when
// it exists. `sets`: MODULE.KEY=VALUE, each a module env value (a camera's VIDEO_PATH, …).
Result<LoadedDeployment> load_deployment(const std::string& manifest, const std::string& env_file,
                                         const std::vector<std::string>& sets, const std::string& state_dir);

}  // namespace vigil::deploy
