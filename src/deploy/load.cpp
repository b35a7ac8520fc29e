#include "deploy/load.h"

#include <cstdlib>
#include <filesystem>

#include "core/environment.h"
#include "core/files.h"

namespace vigil::deploy {
namespace fs = std::filesystem;

nlohmann::json default_manifest(const std::string& video, const std::string& alerts_file) {
  auto env = [](std::initializer_list<std::pair<const char*, std::string>> kv) {
    nlohmann::json e = nlohmann::json::object();
    for (const auto& [k, v] : kv) e[k] = {{"value", v}};
    return e;
  };
  return {
      {"modules",
       {{"camera", {{"settings", {{"image", "vigil:camera"}}},
                    {"env", env({{"VIDEO_PATH", video},
                                 {"IMAGE_PROCESSING_ENDPOINT", "http://detector/image"},
                                 {"SHOW_VIDEO", "true"},
                                 {"PREVIEW_HOST", "127.0.0.1"}})}}},
        {"detector", {{"settings", {{"image", "vigil:vision builtin:person"}}}}},
        {"alert", {{"settings", {{"image", "vigil:alert"}}},
                   {"desired", {{"alertPer", "object"}, {"only", {"person"}}, {"threshold", 0.6}, {"confirm", {{"n", 2}, {"m", 3}}}}}}}}},
      {"routes",
       {{"cameraToAlert", "FROM /messages/modules/camera/outputs/output1 INTO BrokeredEndpoint(\"/modules/alert/inputs/input1\")"},
        {"alertsUpstream", "FROM /messages/modules/alert/outputs/output1 INTO $upstream"}}},
      {"uplinks", {"console:", "file:" + alerts_file}},
  };
}

std::string system_manifest() {
  const char* v = std::getenv("VIGIL_SYSTEM_MANIFEST");
  return v && *v ? v : "/etc/vigil/deployment.json";
}

Result<LoadedDeployment> load_deployment(const std::string& manifest, const std::string& env_file,
                                         const std::vector<std::string>& sets, const std::string& state_dir) {
  LoadedDeployment out;
  Variables vars;
  if (manifest.empty()) {
    std::error_code ec;
    if (const std::string system = system_manifest(); fs::exists(system, ec))
      return load_deployment(system, env_file, sets, state_dir);
  }
  if (manifest.empty()) {
    std::error_code ec;
    const std::string video = fs::exists("/dev/video0", ec) ? "/dev/video0" : kDebianSampleVideo;
    out.origin = "built-in default";
    out.base_dir = state_dir;
    auto d = parse_deployment(default_manifest(video), vars, out.origin);
    if (!d) return d.error();
    out.deployment = std::move(*d);
  } else {
    auto text = read_file(manifest, 16u << 20);
    if (!text) return make_error(ErrorCode::NotFound, "cannot read the manifest " + manifest + ": " + text.error().message);
    out.origin = manifest;
    out.manifest_path = manifest;
    out.base_dir = fs::absolute(manifest).parent_path().string();
    const std::string env_path = env_file.empty() ? out.base_dir + "/.env" : env_file;
    std::error_code ec;
    if (!env_file.empty() || fs::exists(env_path, ec)) {
      auto env_text = read_file(env_path, 1u << 20);
      if (!env_text) return make_error(ErrorCode::NotFound, "cannot read " + env_path + ": " + env_text.error().message);
      auto parsed = parse_env_file(*env_text, env_path);
      if (!parsed) return parsed.error();
      vars = std::move(*parsed);
    }
    for (const auto& [k, v] : environment_variables()) vars[k] = v;  // the environment wins over .env
    auto d = parse_deployment_text(*text, vars, manifest);
    if (!d) return d.error();
    out.deployment = std::move(*d);
  }
  for (const auto& s : sets) {
    const auto dot = s.find('.'), eq = s.find('=');
    if (dot == std::string::npos || eq == std::string::npos || dot > eq)
      return make_error(ErrorCode::InvalidArgument, "--set wants MODULE.KEY=VALUE (got '" + s + "')");
    const std::string module = s.substr(0, dot), key = s.substr(dot + 1, eq - dot - 1);
    bool found = false;
    for (auto& m : out.deployment.modules)
      if (m.name == module) {
        m.env[key] = s.substr(eq + 1);
        found = true;
      }
    if (!found) return make_error(ErrorCode::InvalidArgument, "--set " + s + ": no module named '" + module + "'");
  }
  return out;
}

}  // namespace vigil::deploy
