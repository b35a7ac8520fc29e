// The deployment runner's pure parts: .env files and $VAR substitution, manifests in both forms (the tutorial's
// own template with only its images changed), broken manifests and their messages, edgeAgent's restart back-off,
// the supervisor restarting a failing or unhealthy module, Docker-style health checks, endpoint resolution, and the
// text of vigil list/logs.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>
#include <thread>

#include <openssl/evp.h>

#include "core/files.h"
#include "core/net.h"
#include "core/time_util.h"
#include "capture/health.h"
#include "deploy/env_file.h"
#include "deploy/health_check.h"
#include "deploy/load.h"
#include "deploy/manifest.h"
#include "deploy/ops_text.h"
#include "deploy/restart_policy.h"
#include "deploy/runtime.h"
#include "deploy/spec_diff.h"
#include "deploy/supervisor.h"

using namespace vigil;
using namespace vigil::deploy;
using nlohmann::json;

namespace {

const std::string kTemplate = std::string(VIGIL_SOURCE_DIR) + "/examples/tutorial/deployment.template.json";

Deployment parse_ok(const json& doc, const Variables& vars = {}) {
  auto d = parse_deployment(doc, vars, "m.json");
  EXPECT_TRUE(d.ok()) << (d ? "" : d.error().message);
  return d ? *d : Deployment{};
}

std::string parse_error(const json& doc, const Variables& vars = {}) {
  auto d = parse_deployment(doc, vars, "m.json");
  EXPECT_FALSE(d.ok());
  return d ? "" : d.error().message;
}

json compact(json modules, json routes = json::object()) { return {{"modules", modules}, {"routes", routes}}; }

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST(EnvFile, ReadsTheFormsPeopleWrite) {
  auto v = parse_env_file("# comment\n\nA=1\nB = \"two words\"\nexport C='x#y'\nD=plain # trailing comment\nE=\n"
                          "CONTAINER_REGISTRY_USERNAME = \"\"\n",
                          ".env");
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_EQ(v->at("A"), "1");
  EXPECT_EQ(v->at("B"), "two words");
  EXPECT_EQ(v->at("C"), "x#y");
  EXPECT_EQ(v->at("D"), "plain");
  EXPECT_EQ(v->at("E"), "");
  EXPECT_EQ(v->at("CONTAINER_REGISTRY_USERNAME"), "");
  auto bad = parse_env_file("A=1\nnot a line\n", "x/.env");
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(contains(bad.error().message, "x/.env:2")) << bad.error().message;
  EXPECT_FALSE(parse_env_file("A=\"open\n", ".env").ok());
}

TEST(EnvFile, SubstitutesAndNamesWhatIsMissing) {
  const Variables vars = {{"MODEL", "/m"}, {"N", "3"}};
  EXPECT_EQ(*substitute("$MODEL/x ${N}x $$5 a$ b", vars, "w"), "/m/x 3x $5 a$ b");
  EXPECT_EQ(*substitute("vigil:vision ${MODEL}", vars, "w"), "vigil:vision /m");
  auto missing = substitute("${VIDEO_PATH}", vars, "modules.cam.env.VIDEO_PATH.value");
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(contains(missing.error().message, "variable VIDEO_PATH is not set")) << missing.error().message;
  EXPECT_TRUE(contains(missing.error().message, "modules.cam.env.VIDEO_PATH.value"));
  auto placeholder = substitute("${MODULES.CameraModule.arm64v8}", vars, "image");
  ASSERT_FALSE(placeholder.ok());
  EXPECT_TRUE(contains(placeholder.error().message, "vigil:camera")) << placeholder.error().message;
}

// SHA-256 of a text, in hex.
std::string sha256_hex(const std::string& text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(text.data(), text.size(), digest, &n, EVP_sha256(), nullptr);
  std::string out;
  char buf[3];
  for (unsigned int i = 0; i < n; ++i) std::snprintf(buf, sizeof buf, "%02x", digest[i]), out += buf;
  return out;
}

TEST(Manifest, TheTutorialsOwnTemplateAndEnvWithOnlyTheThreeImageFieldsChanged) {
  // The files of github.com/hnky/iot-edge-custom-vision-jetson-nano, by their SHA-256: with the three image values put
  // back, examples/tutorial is the tutorial's deployment.template.json byte for byte; its .env is the tutorial's.
  auto text = read_file(kTemplate);
  auto env = read_file(std::string(VIGIL_SOURCE_DIR) + "/examples/tutorial/.env");
  ASSERT_TRUE(text.ok() && env.ok());
  std::string original = *text;
  for (auto [ours, theirs] : {std::pair{"vigil:camera", "${MODULES.CameraModule.arm64v8}"},
                              std::pair{"vigil:vision Modules/CustomVisionModule/app", "${MODULES.CustomVisionModule.arm64v8}"},
                              std::pair{"vigil:alert", "${MODULES.AlertModule.arm64v8}"}}) {
    const std::string quoted = std::string("\"") + ours + "\"";
    const auto at = original.find(quoted);
    ASSERT_NE(at, std::string::npos) << ours;
    original.replace(at, quoted.size(), std::string("\"") + theirs + "\"");
  }
  EXPECT_EQ(sha256_hex(original), "e1df2c5457c8cba41cb838c570cd6f61fcf4323ee9ca6e57fc1857dfab4d884b");
  EXPECT_EQ(sha256_hex(*env), "1c7106406528a0c4b0db19bab6ab77959c8c745f4dccc671c654ab6b50954f48");
}

TEST(Manifest, TheTutorialsTemplateRunsAsItIs) {
  auto text = read_file(kTemplate);
  ASSERT_TRUE(text.ok());
  auto env = read_file(std::string(VIGIL_SOURCE_DIR) + "/examples/tutorial/.env");
  ASSERT_TRUE(env.ok());
  auto vars = parse_env_file(*env, ".env");
  ASSERT_TRUE(vars.ok()) << vars.error().message;
  auto d = parse_deployment_text(*text, *vars, kTemplate);
  ASSERT_TRUE(d.ok()) << d.error().message;
  ASSERT_EQ(d->modules.size(), 3u);
  // startupOrder is unset everywhere: name order.
  EXPECT_EQ(d->modules[0].name, "alert-module");
  EXPECT_EQ(d->modules[1].name, "camera-module");
  EXPECT_EQ(d->modules[2].name, "custom-vision-module");
  const ModuleSpec& cam = d->modules[1];
  EXPECT_EQ(cam.kind, ModuleKind::Camera);
  EXPECT_EQ(cam.env.at("IMAGE_PROCESSING_ENDPOINT"), "http://custom-vision-module:80/image");
  EXPECT_EQ(cam.env.at("RESIZE_WIDTH"), "256");
  EXPECT_EQ(cam.env.at("VIDEO_PATH"), "0");
  EXPECT_EQ(cam.restart, RestartPolicy::Always);
  ASSERT_TRUE(cam.ports.count(5012));
  EXPECT_EQ(cam.ports.at(5012).host_port, 5012);
  const ModuleSpec& cv = d->modules[2];
  EXPECT_EQ(cv.kind, ModuleKind::Vision);
  ASSERT_EQ(cv.args.size(), 1u);
  EXPECT_EQ(cv.args[0], "Modules/CustomVisionModule/app");  // the model export, where the tutorial's repository has it
  EXPECT_EQ(d->ttl_s, 7200);
  EXPECT_EQ(d->routes.size(), 2u);
  // The camera's endpoint names the vision module: its model runs in-process, no warning.
  const EndpointChoice c = resolve_camera_endpoint(cam.env.at("IMAGE_PROCESSING_ENDPOINT"), *d);
  EXPECT_EQ(c.vision_module, "custom-vision-module");
  EXPECT_EQ(c.warning, "");
  // The tutorial's README endpoint host, which no manifest defines, still means the one vision module.
  EXPECT_TRUE(contains(resolve_camera_endpoint("http://image-classifier-service:80/image", *d).warning, "image-classifier-service"));
  EXPECT_EQ(resolve_camera_endpoint("http://192.168.1.5:8080/image", *d).vision_module, "");
  EXPECT_EQ(resolve_camera_endpoint("http://localhost/image", *d).vision_module, "");
}

TEST(Manifest, TheTemplateWithoutItsVariablesSaysWhichIsMissing) {
  auto text = read_file(kTemplate);
  ASSERT_TRUE(text.ok());
  // The registry credentials are never read (vigil pulls no images); a variable where vigil reads one must be set.
  EXPECT_TRUE(parse_deployment_text(*text, {}, "deployment.template.json").ok());
  std::string t = *text;
  t.replace(t.find("\"value\": \"0\""), 12, "\"value\": \"${CAMERA}\"");
  auto d = parse_deployment_text(t, {}, "deployment.template.json");
  ASSERT_FALSE(d.ok());
  EXPECT_TRUE(contains(d.error().message, "CAMERA")) << d.error().message;
  EXPECT_TRUE(contains(d.error().message, "camera-module")) << d.error().message;
}

TEST(Manifest, CompactFormWithDesiredPropertiesAndStartupOrder) {
  auto d = parse_ok(compact({{"b", {{"settings", {{"image", "vigil:alert"}}}, {"startupOrder", 2}, {"desired", {{"threshold", 0.8}}}}},
                             {"a", {{"settings", {{"image", "vigil:exec python3 'my module.py' --x \"a b\""}}},
                                    {"startupOrder", 5}, {"restartPolicy", "on-failure"}, {"status", "stopped"}}},
                             {"c", {{"settings", {{"image", "vigil:camera"}}}, {"startupOrder", 0}, {"env", {{"N", {{"value", 5}}}}}}}},
                     {{"r", "FROM /messages/modules/c/outputs/output1 INTO BrokeredEndpoint(\"/modules/b/inputs/input1\")"}}));
  ASSERT_EQ(d.modules.size(), 3u);
  EXPECT_EQ(d.modules[0].name, "c");
  EXPECT_EQ(d.modules[0].env.at("N"), "5");
  EXPECT_EQ(d.modules[1].name, "b");
  EXPECT_EQ(d.modules[1].desired.at("threshold"), 0.8);
  EXPECT_EQ(d.modules[2].name, "a");
  EXPECT_EQ(d.modules[2].args, (std::vector<std::string>{"python3", "my module.py", "--x", "a b"}));
  EXPECT_EQ(d.modules[2].restart, RestartPolicy::OnFailure);
  EXPECT_FALSE(d.modules[2].running);
}

TEST(Manifest, FullFormDesiredPropertiesUplinksAndAgentSettings) {
  json doc = {{"modulesContent",
               {{"$edgeAgent", {{"properties.desired",
                                 {{"schemaVersion", "1.1"},
                                  {"systemModules", {{"edgeAgent", {{"env", {{"CoolOffTimeUnitInSeconds", {{"value", "0.5"}}},
                                                                             {"MaxRestartCount", {{"value", "3"}}}}}}}}},
                                  {"modules", {{"alert", {{"settings", {{"image", "vigil:alert"}, {"createOptions", R"({"HostConfig":{"PortBindings":{"80/tcp":[{"HostPort":)"}, {"createOptions01", R"("8080"}]}}})"}}},
                                                          {"colour", "red"}}}}}}}}},
                {"$edgeHub", {{"properties.desired", {{"routes", json::object()}, {"uplinks", {"file:${OUT}"}},
                                                      {"storeAndForwardConfiguration", {{"timeToLiveSecs", 60}, {"storeLimits", {{"maxSizeBytes", 1000}}}}}}}}},
                {"alert", {{"properties.desired", {{"threshold", 0.75}}}}},
                {"ghost", {{"properties.desired", {{"x", 1}}}}}}}};
  auto d = parse_ok(doc, {{"OUT", "alerts.jsonl"}});
  EXPECT_EQ(d.agent.cool_off_unit_s, 0.5);
  EXPECT_EQ(d.agent.max_restart_count, 3);
  EXPECT_EQ(d.ttl_s, 60);
  EXPECT_EQ(d.max_store_bytes, 1000u);
  EXPECT_EQ(d.uplinks, std::vector<std::string>{"file:alerts.jsonl"});
  ASSERT_EQ(d.modules.size(), 1u);
  EXPECT_EQ(d.modules[0].desired.at("threshold"), 0.75);
  ASSERT_TRUE(d.modules[0].ports.count(80));  // createOptions split over createOptions01 is joined first
  EXPECT_EQ(d.modules[0].ports.at(80).host_port, 8080);
  // Unknown keys are reported with their place, not ignored silently.
  std::string all;
  for (const auto& w : d.warnings) all += w + "\n";
  EXPECT_TRUE(contains(all, "modules.alert.colour: unknown key")) << all;
  EXPECT_TRUE(contains(all, "ghost")) << all;
}

TEST(Manifest, BrokenManifestsNameThePlace) {
  auto bad_json = parse_deployment_text("{\n  \"modules\": {\n    \"a\": {,\n  }\n}", {}, "deploy.json");
  ASSERT_FALSE(bad_json.ok());
  EXPECT_TRUE(contains(bad_json.error().message, "deploy.json:3:")) << bad_json.error().message;

  // Well-formed JSON the reader still cannot hold: a number beyond a double is an error, not a crash.
  auto huge = parse_deployment_text("{\"modules\": {}, \"x\": 1e999}", {}, "deploy.json");
  ASSERT_FALSE(huge.ok());
  EXPECT_TRUE(contains(huge.error().message, "deploy.json: not valid JSON: number overflow")) << huge.error().message;

  std::string e = parse_error(compact({{"cam", {{"settings", {{"image", "myacr.azurecr.io/cameramodule:latest-arm64v8"}}}}}}));
  EXPECT_TRUE(contains(e, "modules.cam.settings.image")) << e;
  EXPECT_TRUE(contains(e, "Docker image")) << e;
  EXPECT_TRUE(contains(e, "vigil:camera")) << e;

  e = parse_error(compact({{"x", {{"settings", {{"image", "vigil:teleport"}}}}}}));
  EXPECT_TRUE(contains(e, "unknown module kind 'vigil:teleport'")) << e;

  e = parse_error(compact({{"a", {{"settings", {{"image", "vigil:alert"}}}}}},
                          {{"broken", "FROM /messages/modules/a/outputs/output1 WHERE tag = INTO $upstream"}}));
  EXPECT_TRUE(contains(e, "broken")) << e;

  e = parse_error(compact({{"a", {{"settings", {{"image", "vigil:alert"}}}, {"restartPolicy", "sometimes"}}}}));
  EXPECT_TRUE(contains(e, "modules.a.restartPolicy")) << e;

  e = parse_error(compact({{"a", {{"settings", {{"image", "vigil:camera"}}}, {"env", {{"VIDEO_PATH", {{"value", "$CLIP"}}}}}}}}));
  EXPECT_TRUE(contains(e, "modules.a.env.VIDEO_PATH.value: variable CLIP is not set")) << e;

  e = parse_error(compact({{"a", {{"settings", {{"image", "vigil:exec"}}}}}}));
  EXPECT_TRUE(contains(e, "needs a command")) << e;

  e = parse_error(compact({{"a", {{"settings", {{"image", "vigil:camera"}, {"createOptions", "{not json"}}}}}}));
  EXPECT_TRUE(contains(e, "createOptions")) << e;

  e = parse_error(json{{"modulez", json::object()}});
  EXPECT_TRUE(contains(e, "no modules")) << e;
}

TEST(Manifest, RoutesToModulesNotDeployedAreWarned) {
  auto d = parse_ok(compact({{"a", {{"settings", {{"image", "vigil:alert"}}}}}},
                            {{"r", "FROM /messages/* INTO BrokeredEndpoint(\"/modules/nobody/inputs/in\")"}}));
  ASSERT_EQ(d.warnings.size(), 1u);
  EXPECT_TRUE(contains(d.warnings[0], "nobody"));
}

TEST(Manifest, SplitCommand) {
  EXPECT_EQ(*split_command("a  'b c' \"d \\\"e\\\"\" f\\ g"), (std::vector<std::string>{"a", "b c", "d \"e\"", "f g"}));
  EXPECT_FALSE(split_command("a 'b").ok());
  EXPECT_TRUE(split_command("   ")->empty());
}

TEST(DefaultDeployment, IsAValidDeploymentWithAPersonAlert) {
  auto d = parse_ok(default_manifest(kDebianSampleVideo));
  ASSERT_EQ(d.modules.size(), 3u);
  const ModuleSpec* alert = d.find("alert");
  ASSERT_NE(alert, nullptr);
  EXPECT_EQ(alert->desired.at("only"), json::array({"person"}));
  EXPECT_EQ(alert->desired.at("alertPer"), "object");  // one alert per person, not per frame
  EXPECT_EQ(resolve_camera_endpoint(d.find("camera")->env.at("IMAGE_PROCESSING_ENDPOINT"), d).vision_module, "detector");
}

TEST(CameraPlan, PortsPathsAndReplayOverrides) {
  auto d = parse_ok(compact({{"cam", {{"settings", {{"image", "vigil:camera"}, {"createOptions", R"({"HostConfig":{"PortBindings":{"5012/tcp":[{"HostIp":"127.0.0.1","HostPort":"8012"}]}}})"}}},
                                      {"env", {{"VIDEO_PATH", {{"value", "clips/a.mp4"}}}, {"SHOW_VIDEO", {{"value", "True"}}}}}}}}));
  RuntimeOptions o;
  o.base_dir = "/srv/site";
  auto v = camera_setting_values(d.modules[0], o);
  EXPECT_EQ(v.at("PREVIEW_PORT"), "8012");
  EXPECT_EQ(v.at("PREVIEW_HOST"), "127.0.0.1");
  EXPECT_EQ(v.at("VIDEO_PATH"), "/srv/site/clips/a.mp4");
  o.replay_clip = "/tmp/x.avi";
  v = camera_setting_values(d.modules[0], o);
  EXPECT_EQ(v.at("VIDEO_PATH"), "/tmp/x.avi");
  EXPECT_EQ(v.at("LOOP_VIDEO"), "false");
  EXPECT_EQ(v.at("SHOW_VIDEO"), "false");
  EXPECT_EQ(v.at("REALTIME"), "false");
  auto settings = camera_plan(d.modules[0], d, o, nullptr);
  ASSERT_TRUE(settings.ok()) << settings.error().message;
  EXPECT_EQ(settings->camera_id, "cam");
}

TEST(RestartPolicy, EdgeAgentsBackOff) {
  const AgentSettings agent;  // 10 s unit, 20 restarts, 10 minutes of intensive care
  std::vector<double> delays;
  for (int n = 0; n < 8; ++n) delays.push_back(cool_off_seconds(n, agent));
  EXPECT_EQ(delays, (std::vector<double>{10, 20, 40, 80, 160, 300, 300, 300}));
  // The naive reference: min(10 * 2^n, 300) by repeated doubling.
  double x = 10;
  for (int n = 0; n < 30; ++n, x = std::min(x * 2, 1e9)) EXPECT_EQ(cool_off_seconds(n, agent), std::min(x, 300.0)) << n;
}

TEST(RestartPolicy, DecisionTable) {
  const AgentSettings a;
  struct Row {
    RestartPolicy policy;
    int code;
    bool unhealthy;
    bool restart;
    RuntimeStatus status;
  } rows[] = {
      {RestartPolicy::Never, 1, false, false, RuntimeStatus::Failed},
      {RestartPolicy::Never, 0, false, false, RuntimeStatus::Stopped},
      {RestartPolicy::OnFailure, 1, false, true, RuntimeStatus::Backoff},
      {RestartPolicy::OnFailure, 0, false, false, RuntimeStatus::Stopped},
      {RestartPolicy::OnFailure, 0, true, false, RuntimeStatus::Failed},
      {RestartPolicy::OnUnhealthy, 0, true, true, RuntimeStatus::Backoff},
      {RestartPolicy::OnUnhealthy, 137, false, true, RuntimeStatus::Backoff},
      {RestartPolicy::OnUnhealthy, 0, false, false, RuntimeStatus::Stopped},
      {RestartPolicy::Always, 0, false, true, RuntimeStatus::Backoff},
      {RestartPolicy::Always, 2, false, true, RuntimeStatus::Backoff},
      {RestartPolicy::Always, 0, true, true, RuntimeStatus::Backoff},
  };
  for (const auto& r : rows) {
    const auto d = decide_after_exit(r.policy, {r.code, r.unhealthy, 1.0}, 0, a);
    EXPECT_EQ(d.restart, r.restart) << restart_policy_name(r.policy) << " " << r.code;
    EXPECT_EQ(d.status, r.status) << restart_policy_name(r.policy) << " " << r.code;
  }
  EXPECT_TRUE(restarts_when_unhealthy(RestartPolicy::OnUnhealthy));
  EXPECT_TRUE(restarts_when_unhealthy(RestartPolicy::Always));
  EXPECT_FALSE(restarts_when_unhealthy(RestartPolicy::OnFailure));
  EXPECT_FALSE(restarts_when_unhealthy(RestartPolicy::Never));
  // The count grows, and at MaxRestartCount the module is failed for good.
  auto d = decide_after_exit(RestartPolicy::Always, {1, false, 1.0}, 19, a);
  EXPECT_TRUE(d.restart);
  EXPECT_EQ(d.restart_count, 20);
  EXPECT_EQ(d.delay_s, 300);
  d = decide_after_exit(RestartPolicy::Always, {1, false, 1.0}, 20, a);
  EXPECT_FALSE(d.restart);
  EXPECT_EQ(d.status, RuntimeStatus::Failed);
  // Up longer than the intensive care time: the count starts over.
  d = decide_after_exit(RestartPolicy::Always, {1, false, 601.0}, 20, a);
  EXPECT_TRUE(d.restart);
  EXPECT_EQ(d.restart_count, 1);
  EXPECT_EQ(d.delay_s, 10);
}

namespace {

// A module that ends with `code` after `runs_for` ticks of its own clock (polls).
class FakeInstance : public ModuleInstance {
 public:
  FakeInstance(int code, int polls_before_exit) : code_(code), left_(polls_before_exit) {}
  void stop() override {}
  std::optional<int> exit_code() override {
    if (left_ < 0) return std::nullopt;
    return left_-- == 0 ? std::optional<int>(code_) : std::nullopt;
  }

 private:
  int code_, left_;
};

}  // namespace

TEST(Supervisor, RestartsAFailingModuleWithBackOffAndKeepsTheOthers) {
  auto d = parse_ok(compact({{"crash", {{"settings", {{"image", "vigil:exec false"}}}, {"restartPolicy", "on-failure"}}},
                             {"steady", {{"settings", {{"image", "vigil:exec true"}}}, {"restartPolicy", "never"}}},
                             {"bad", {{"settings", {{"image", "vigil:exec nothing"}}}, {"restartPolicy", "always"}}},
                             {"off", {{"settings", {{"image", "vigil:exec x"}}}, {"status", "stopped"}}}}));
  std::map<std::string, int> starts;
  AgentSettings agent;
  agent.cool_off_unit_s = 10;
  agent.max_restart_count = 2;
  Supervisor sup(d.modules, [&](const ModuleSpec& m) -> Result<std::unique_ptr<ModuleInstance>> {
    ++starts[m.name];
    if (m.name == "bad") return make_error(ErrorCode::NotFound, "no such program");
    return std::unique_ptr<ModuleInstance>(std::make_unique<FakeInstance>(m.name == "crash" ? 3 : 0, m.name == "crash" ? 0 : -1));
  }, agent);
  auto state = [&](const std::string& name) {
    for (const auto& s : sup.states())
      if (s.name == name) return s;
    return ModuleState{};
  };
  sup.start_all(false);  // time is driven by hand below: no watcher thread
  const auto t0 = Supervisor::Clock::now();
  EXPECT_EQ(starts["crash"], 1);
  EXPECT_EQ(starts["off"], 0);
  EXPECT_EQ(state("off").status, RuntimeStatus::Stopped);
  EXPECT_EQ(state("bad").status, RuntimeStatus::Backoff);
  EXPECT_EQ(state("bad").last_error, "no such program");
  EXPECT_EQ(state("steady").status, RuntimeStatus::Running);
  sup.tick(t0);  // "crash" exited with 3: restart 1 after 10 s
  EXPECT_EQ(state("crash").status, RuntimeStatus::Backoff);
  EXPECT_EQ(state("crash").exit_code, 3);
  EXPECT_EQ(state("crash").restart_count, 1);
  EXPECT_NEAR(state("crash").next_restart_in_s, 10, 0.5);
  sup.tick(t0 + std::chrono::seconds(9));
  EXPECT_EQ(starts["crash"], 1);
  sup.tick(t0 + std::chrono::seconds(11));
  EXPECT_EQ(starts["crash"], 2);
  EXPECT_EQ(state("crash").status, RuntimeStatus::Running);
  sup.tick(t0 + std::chrono::seconds(12));  // exits again: restart 2 after 20 s
  EXPECT_EQ(state("crash").restart_count, 2);
  sup.tick(t0 + std::chrono::seconds(31));
  EXPECT_EQ(starts["crash"], 2);
  sup.tick(t0 + std::chrono::seconds(33));
  EXPECT_EQ(starts["crash"], 3);
  sup.tick(t0 + std::chrono::seconds(34));  // the third exit reaches MaxRestartCount (2): failed for good
  EXPECT_EQ(state("crash").status, RuntimeStatus::Failed);
  sup.tick(t0 + std::chrono::seconds(1000));
  EXPECT_EQ(starts["crash"], 3);
  EXPECT_EQ(state("steady").status, RuntimeStatus::Running);  // the others were never touched
  EXPECT_EQ(starts["steady"], 1);
  sup.stop_all();
  EXPECT_EQ(state("steady").status, RuntimeStatus::Stopped);
}

namespace {

// A module whose health the test sets.
class SickInstance : public ModuleInstance {
 public:
  explicit SickInstance(std::shared_ptr<std::atomic<bool>> healthy) : healthy_(std::move(healthy)) {}
  void stop() override {}
  std::optional<int> exit_code() override { return std::nullopt; }
  bool healthy() override { return *healthy_; }

 private:
  std::shared_ptr<std::atomic<bool>> healthy_;
};

}  // namespace

TEST(Supervisor, UnhealthyModulesAreRestartedOnlyUnderOnUnhealthyAndAlways) {
  auto d = parse_ok(compact({{"a", {{"settings", {{"image", "vigil:exec a"}}}, {"restartPolicy", "on-unhealthy"}}},
                             {"b", {{"settings", {{"image", "vigil:exec b"}}}, {"restartPolicy", "always"}}},
                             {"c", {{"settings", {{"image", "vigil:exec c"}}}, {"restartPolicy", "on-failure"}}},
                             {"d", {{"settings", {{"image", "vigil:exec d"}}}, {"restartPolicy", "never"}}}}));
  std::map<std::string, int> starts;
  auto healthy = std::make_shared<std::atomic<bool>>(true);
  Supervisor sup(d.modules, [&](const ModuleSpec& m) -> Result<std::unique_ptr<ModuleInstance>> {
    ++starts[m.name];
    return std::unique_ptr<ModuleInstance>(std::make_unique<SickInstance>(healthy));
  }, AgentSettings{});
  auto status = [&](const std::string& name) {
    for (const auto& s : sup.states())
      if (s.name == name) return s.status;
    return RuntimeStatus::Unknown;
  };
  sup.start_all(false);
  const auto t0 = Supervisor::Clock::now();
  sup.tick(t0);
  for (const char* n : {"a", "b", "c", "d"}) EXPECT_EQ(status(n), RuntimeStatus::Running) << n;
  *healthy = false;
  sup.tick(t0 + std::chrono::seconds(1));
  EXPECT_EQ(status("a"), RuntimeStatus::Backoff);
  EXPECT_EQ(status("b"), RuntimeStatus::Backoff);
  EXPECT_EQ(status("c"), RuntimeStatus::Unhealthy);  // shown, left running
  EXPECT_EQ(status("d"), RuntimeStatus::Unhealthy);
  *healthy = true;
  sup.tick(t0 + std::chrono::seconds(12));  // after the 10 s cool-off
  for (const char* n : {"a", "b", "c", "d"}) EXPECT_EQ(status(n), RuntimeStatus::Running) << n;
  EXPECT_EQ(starts["a"], 2);
  EXPECT_EQ(starts["b"], 2);
  EXPECT_EQ(starts["c"], 1);
  EXPECT_EQ(starts["d"], 1);
  sup.stop_all();
}

TEST(Supervisor, AChangedSpecRestartsTheModuleWithItAndStatusStoppedStopsIt) {
  auto d = parse_ok(compact({{"cam", {{"settings", {{"image", "vigil:exec a"}}}, {"env", {{"FPS", {{"value", "2"}}}}}}},
                             {"other", {{"settings", {{"image", "vigil:exec b"}}}}}}));
  std::vector<std::string> started;  // "name FPS" per start
  Supervisor sup(d.modules, [&](const ModuleSpec& m) -> Result<std::unique_ptr<ModuleInstance>> {
    started.push_back(m.name + " " + (m.env.count("FPS") ? m.env.at("FPS") : "-"));
    return std::unique_ptr<ModuleInstance>(std::make_unique<FakeInstance>(0, -1));
  }, AgentSettings{});
  sup.start_all(false);
  ModuleSpec changed = d.modules[0];
  ASSERT_EQ(changed.name, "cam");
  changed.env["FPS"] = "5";
  EXPECT_EQ(restart_changes(d.modules[0], changed), (std::vector<std::string>{"env FPS"}));
  ASSERT_TRUE(sup.replace(changed).ok());
  EXPECT_EQ(started, (std::vector<std::string>{"cam 2", "other -", "cam 5"}));
  EXPECT_EQ(sup.states()[0].restart_count, 0);  // not counted as a restart
  changed.running = false;
  EXPECT_EQ(restart_changes(d.modules[0], changed), (std::vector<std::string>{"env FPS", "status"}));
  ASSERT_TRUE(sup.replace(changed).ok());
  EXPECT_EQ(sup.states()[0].status, RuntimeStatus::Stopped);
  EXPECT_TRUE(sup.all_done() == false);  // "other" still runs
  changed.running = true;
  ASSERT_TRUE(sup.replace(changed).ok());
  EXPECT_EQ(sup.states()[0].status, RuntimeStatus::Running);
  EXPECT_EQ(started.size(), 4u);
  EXPECT_EQ(sup.replace(ModuleSpec{}).error().code, ErrorCode::NotFound);
  sup.stop_all();
}

TEST(Supervisor, StatesAnswerWhileAModuleTakesLongToStart) {
  auto d = parse_ok(compact({{"slow", {{"settings", {{"image", "vigil:exec a"}}}}}}));
  std::mutex m;
  std::condition_variable cv;
  bool entered = false, release = false;
  Supervisor sup(d.modules, [&](const ModuleSpec&) -> Result<std::unique_ptr<ModuleInstance>> {
    std::unique_lock lock(m);
    entered = true;
    cv.notify_all();
    cv.wait(lock, [&] { return release; });  // a camera that takes long to open
    return std::unique_ptr<ModuleInstance>(std::make_unique<FakeInstance>(0, -1));
  }, AgentSettings{});
  std::thread starter([&] { sup.start_all(false); });
  {
    std::unique_lock lock(m);
    cv.wait(lock, [&] { return entered; });
  }
  // The start is in progress: states() and all_done() answer now instead of waiting for it.
  auto answered = std::async(std::launch::async, [&] { return sup.states().size(); });
  EXPECT_EQ(answered.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  {
    std::lock_guard lock(m);
    release = true;
  }
  cv.notify_all();
  starter.join();
  EXPECT_EQ(answered.get(), 1u);
  EXPECT_EQ(sup.states()[0].status, RuntimeStatus::Running);
  sup.stop_all();
}

TEST(SpecDiff, NamesWhatChangedNeverTheValuesAndLeavesDesiredOut) {
  auto d = parse_ok(compact({{"m", {{"settings", {{"image", "vigil:exec a"}}}, {"env", {{"KEY", {{"value", "secret1"}}}}}}}}));
  ModuleSpec after = d.modules[0];
  EXPECT_TRUE(restart_changes(d.modules[0], after).empty());
  after.desired = {{"threshold", 0.9}};
  EXPECT_TRUE(restart_changes(d.modules[0], after).empty());  // applies live
  after.env["KEY"] = "secret2";
  after.env["NEW"] = "x";
  after.image = "vigil:exec b";
  after.ports[80] = PortBinding{"127.0.0.1", 8080};
  const auto changes = restart_changes(d.modules[0], after);
  EXPECT_EQ(changes, (std::vector<std::string>{"image", "env KEY", "env NEW", "port bindings"}));
  for (const auto& c : changes) EXPECT_EQ(c.find("secret"), std::string::npos);
}

TEST(HealthCheck, ReadsDockersHealthcheckFromCreateOptions) {
  auto spec = parse_healthcheck(json::parse(R"({"Healthcheck": {"Test": ["CMD-SHELL", "curl -f http://localhost/ || exit 1"],
      "Interval": 5000000000, "Timeout": 2000000000, "StartPeriod": 10000000000, "Retries": 5}})"), "m");
  ASSERT_TRUE(spec.ok()) << spec.error().message;
  ASSERT_TRUE(spec->has_value());
  EXPECT_EQ((*spec)->argv, (std::vector<std::string>{"/bin/sh", "-c", "curl -f http://localhost/ || exit 1"}));
  EXPECT_EQ((*spec)->interval_s, 5);
  EXPECT_EQ((*spec)->timeout_s, 2);
  EXPECT_EQ((*spec)->start_period_s, 10);
  EXPECT_EQ((*spec)->retries, 5);

  // CMD takes the words as they are; zeros and absent keys are Docker's defaults (30 s, 30 s, 0, 3).
  spec = parse_healthcheck(json::parse(R"({"Healthcheck": {"Test": ["CMD", "/bin/check", "--quick"], "Interval": 0, "Retries": 0}})"), "m");
  ASSERT_TRUE(spec.ok() && spec->has_value());
  EXPECT_EQ((*spec)->argv, (std::vector<std::string>{"/bin/check", "--quick"}));
  EXPECT_EQ((*spec)->interval_s, 30);
  EXPECT_EQ((*spec)->timeout_s, 30);
  EXPECT_EQ((*spec)->start_period_s, 0);
  EXPECT_EQ((*spec)->retries, 3);

  for (const char* none : {R"({})", R"({"Healthcheck": null})", R"({"Healthcheck": {"Test": ["NONE"]}})"}) {
    spec = parse_healthcheck(json::parse(none), "m");
    ASSERT_TRUE(spec.ok()) << none;
    EXPECT_FALSE(spec->has_value()) << none;
  }

  struct Bad {
    const char* doc;
    const char* message;
  } bad[] = {
      {R"({"Healthcheck": "curl"})", "m.Healthcheck: must be an object"},
      {R"({"Healthcheck": {"Test": []}})", "m.Healthcheck.Test: must be"},
      {R"({"Healthcheck": {"Test": ["CMD"]}})", "m.Healthcheck.Test: 'CMD' with 0 words"},
      {R"({"Healthcheck": {"Test": ["CMD-SHELL", "a", "b"]}})", "'CMD-SHELL' with 2 words"},
      {R"({"Healthcheck": {"Test": ["SHELL", "a"]}})", "'SHELL' with 1 words"},
      {R"({"Healthcheck": {"Test": ["CMD", 1]}})", "must hold only strings"},
      {R"({"Healthcheck": {"Test": ["CMD", "x"], "Interval": "30s"}})", "m.Healthcheck.Interval: must be a whole number of nanoseconds"},
      {R"({"Healthcheck": {"Test": ["CMD", "x"], "Timeout": 30}})", "m.Healthcheck.Timeout: is under 1 ms"},
      {R"({"Healthcheck": {"Test": ["CMD", "x"], "Retries": -1}})", "m.Healthcheck.Retries: must be a whole number"},
  };
  for (const auto& b : bad) {
    spec = parse_healthcheck(json::parse(b.doc), "m");
    ASSERT_FALSE(spec.ok()) << b.doc;
    EXPECT_TRUE(contains(spec.error().message, b.message)) << b.doc << " → " << spec.error().message;
  }

  // In a manifest: the module's spec carries it, and a broken one names its place.
  auto opts = json{{"Healthcheck", {{"Test", {"CMD", "true"}}, {"Interval", 1000000000}}}}.dump();
  auto d = parse_ok(compact({{"m", {{"settings", {{"image", "vigil:exec sleep 9"}, {"createOptions", opts}}}}}}));
  ASSERT_TRUE(d.modules.at(0).healthcheck.has_value());
  EXPECT_EQ(d.modules.at(0).healthcheck->interval_s, 1);
  auto e = parse_error(compact({{"m", {{"settings", {{"image", "vigil:exec sleep 9"}, {"createOptions", R"({"Healthcheck": {"Test": ["CMD"]}})"}}}}}}));
  EXPECT_TRUE(contains(e, "modules.m.settings.createOptions.Healthcheck.Test")) << e;
}

TEST(HealthCheck, VerdictFollowsDockersRetriesAndStartPeriod) {
  // Each row: a check result at a time since start → healthy afterwards. Retries 3, start period 10 s.
  struct Step {
    bool passed;
    double at_s;
    bool healthy;
    int streak;
  };
  const std::vector<Step> steps = {
      {false, 1, true, 0},   // failures in the start period do not count …
      {false, 2, true, 0},
      {false, 3, true, 0},
      {false, 11, true, 1},  // … after it they do
      {false, 12, true, 2},
      {false, 13, false, 3},  // the third in a row: unhealthy
      {false, 14, false, 4},
      {true, 15, true, 0},   // one success: healthy again, the streak starts over
      {false, 16, true, 1},
      {true, 17, true, 0},   // flapping under the retry count never turns it unhealthy
      {false, 18, true, 1},
      {false, 19, true, 2},
  };
  HealthVerdict v(3, 10);
  bool previous = true;
  for (const auto& s : steps) {
    const bool changed = v.record(s.passed, s.at_s);
    EXPECT_EQ(v.healthy(), s.healthy) << "at " << s.at_s;
    EXPECT_EQ(v.failing_streak(), s.streak) << "at " << s.at_s;
    EXPECT_EQ(changed, previous != s.healthy) << "at " << s.at_s;
    previous = s.healthy;
  }
  // A success inside the start period ends it: the next failures count at once.
  HealthVerdict early(1, 60);
  early.record(true, 1);
  early.record(false, 2);
  EXPECT_FALSE(early.healthy());
}

TEST(HealthCheck, ProbeRunsTheCommandInTheModulesFolderAndEnvironment) {
  const std::string dir = ::testing::TempDir() + "/vigil-health-probe";
  std::filesystem::create_directories(dir);
  std::filesystem::remove(dir + "/sick");
  HealthCheckSpec spec{{"/bin/sh", "-c", "test \"$FLAG\" = on && test ! -e sick"}, 0.05, 5, 0, 2};
  HealthProbe probe("m", spec, {{"FLAG", "on"}}, dir);
  auto within_10s = [](auto condition) {
    for (int i = 0; i < 500; ++i, std::this_thread::sleep_for(std::chrono::milliseconds(20)))
      if (condition()) return true;
    return false;
  };
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  EXPECT_TRUE(probe.healthy());
  std::ofstream(dir + "/sick").put('x');
  EXPECT_TRUE(within_10s([&] { return !probe.healthy(); })) << "the probe never saw the failing check";
  std::filesystem::remove(dir + "/sick");
  EXPECT_TRUE(within_10s([&] { return probe.healthy(); }));
  // A check that hangs is killed at its timeout and counts as failed.
  HealthProbe hung("m", {{"/bin/sleep", "30"}, 0.05, 0.1, 0, 1}, {}, dir);
  EXPECT_TRUE(within_10s([&] { return !hung.healthy(); }));
  const auto t = std::chrono::steady_clock::now();
  hung.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t, std::chrono::seconds(3));
}

TEST(CameraHealth, DownTooLongIsOnlyStalledOrLostPastTheLimit) {
  using std::chrono::seconds;
  using capture::Health;
  EXPECT_FALSE(capture::down_too_long(Health::Live, seconds(1000), 60));
  EXPECT_FALSE(capture::down_too_long(Health::Connecting, seconds(1000), 60));
  EXPECT_FALSE(capture::down_too_long(Health::Ended, seconds(1000), 60));
  EXPECT_FALSE(capture::down_too_long(Health::Stalled, seconds(59), 60));
  EXPECT_TRUE(capture::down_too_long(Health::Stalled, seconds(60), 60));
  EXPECT_FALSE(capture::down_too_long(Health::Lost, seconds(10), 60));
  EXPECT_TRUE(capture::down_too_long(Health::Lost, seconds(61), 60));
}

TEST(OpsText, DescriptionsAsIotedgeWritesThem) {
  EXPECT_EQ(humanize_seconds(0), "0 seconds");
  EXPECT_EQ(humanize_seconds(1), "1 second");
  EXPECT_EQ(humanize_seconds(12.7), "12 seconds");
  EXPECT_EQ(humanize_seconds(30), "less than a minute");
  EXPECT_EQ(humanize_seconds(65), "a minute");
  EXPECT_EQ(humanize_seconds(180), "3 minutes");
  EXPECT_EQ(humanize_seconds(3600), "an hour");
  EXPECT_EQ(humanize_seconds(2 * 3600), "2 hours");
  EXPECT_EQ(humanize_seconds(3 * 86400), "3 days");
  const std::int64_t now = 1'000'000'000;
  ModuleState s;
  s.name = "camera-module";
  s.image = "vigil:camera";
  s.status = RuntimeStatus::Running;
  s.started_at_ms = now - 12'000;
  EXPECT_EQ(describe_state(s, now), "Up 12 seconds");
  s.status = RuntimeStatus::Failed;
  s.exit_code = 137;
  s.exited_at_ms = now - 300'000;
  EXPECT_EQ(describe_state(s, now), "Failed (137) 5 minutes ago");
  s.status = RuntimeStatus::Stopped;
  s.exited_at_ms = now - 2 * 3600'000;
  EXPECT_EQ(describe_state(s, now), "Stopped 2 hours ago");
  s.status = RuntimeStatus::Backoff;
  s.exit_code = 1;
  s.restart_count = 2;
  s.next_restart_in_s = 8;
  EXPECT_EQ(describe_state(s, now), "Backoff (1), restart 2 in 8 seconds");
  // Round trip through status.json, and the table: header, sorted, columns at least 15 wide.
  ModuleState back = state_from_json(state_to_json(s));
  EXPECT_EQ(back.status, RuntimeStatus::Backoff);
  EXPECT_EQ(back.exit_code, 1);
  ModuleState a = s;
  a.name = "alert-module";
  a.status = RuntimeStatus::Running;
  a.started_at_ms = now - 1000;
  const std::string table = format_module_table({s, a}, now);
  std::istringstream lines(table);
  std::string header, first;
  std::getline(lines, header);
  std::getline(lines, first);
  EXPECT_EQ(header.rfind("NAME           STATUS         DESCRIPTION", 0), 0u) << header;
  EXPECT_EQ(first.rfind("alert-module   running        Up 1 second", 0), 0u) << first;
}

TEST(OpsText, SinceAcceptsDurationsTimesAndTimestamps) {
  const auto now = *parse_utc_iso("2026-11-25T12:00:00Z");
  EXPECT_EQ(*parse_since("1 day", now), *parse_utc_iso("2026-11-24T12:00:00Z"));
  EXPECT_EQ(*parse_since("90 minutes", now), *parse_utc_iso("2026-11-25T10:30:00Z"));
  EXPECT_EQ(*parse_since("2 days 3 hours 2 minutes", now), *parse_utc_iso("2026-11-23T08:58:00Z"));
  EXPECT_EQ(*parse_since("10m", now), *parse_utc_iso("2026-11-25T11:50:00Z"));
  EXPECT_EQ(*parse_since("2026-11-25T11:00:00+01:00", now), *parse_utc_iso("2026-11-25T10:00:00Z"));
  EXPECT_EQ(*parse_since("1764072000", now), *parse_utc_iso("2025-11-25T12:00:00Z"));
  EXPECT_FALSE(parse_since("yesterday", now).ok());
  EXPECT_FALSE(parse_since("5 fortnights", now).ok());
}

TEST(TimeUtil, ParseIsTheInverseOfFormat) {
  const auto t = std::chrono::system_clock::time_point(std::chrono::microseconds(1764072000123456LL));
  EXPECT_EQ(*parse_utc_iso(format_utc_iso(t, 6) + "Z"), t);
  EXPECT_EQ(*parse_utc_iso(format_utc_iso(t, 6)), t);
  EXPECT_EQ(*parse_utc_iso("2025-11-25T12:00:00.1Z"), std::chrono::system_clock::time_point(std::chrono::microseconds(1764072000100000LL)));
  EXPECT_FALSE(parse_utc_iso("2025-11-25 12:00:00").has_value());
  EXPECT_FALSE(parse_utc_iso("2025-13-25T12:00:00Z").has_value());
  EXPECT_FALSE(parse_utc_iso("2025-11-25T12:00:00Zjunk").has_value());
}

TEST(Net, EndpointHostWithDefaultPorts) {
  auto hp = endpoint_host("http://image-classifier-service:80/image");
  ASSERT_TRUE(hp.has_value());
  EXPECT_EQ(hp->host, "image-classifier-service");
  EXPECT_EQ(hp->port, 80);
  EXPECT_EQ(endpoint_host("https://example.com/hook#format=eventgrid")->port, 443);
  EXPECT_EQ(endpoint_host("mqtts://user:p@ss@broker.local/t")->host, "broker.local");
  EXPECT_EQ(endpoint_host("mqtts://user:pass@broker.local/t")->port, 8883);
  EXPECT_EQ(endpoint_host("smtp://127.0.0.1:2525/?to=a")->port, 2525);
  EXPECT_EQ(endpoint_host("rtsp://cam/stream1")->port, 554);
  auto iot = endpoint_host("iothub:HostName=h.azure-devices.net;DeviceId=d;SharedAccessKey=k");
  ASSERT_TRUE(iot.has_value());
  EXPECT_EQ(iot->host, "h.azure-devices.net");
  EXPECT_EQ(iot->port, 8883);
  EXPECT_FALSE(endpoint_host("file:alerts.jsonl").has_value());
  EXPECT_FALSE(endpoint_host("gopher://x/").has_value());
  // A port that nothing listens on does not connect; one we listen on can no longer be listened on.
  auto port = free_loopback_port();
  ASSERT_TRUE(port.ok());
  EXPECT_FALSE(tcp_connects("127.0.0.1", *port, 500));
  EXPECT_TRUE(can_listen("127.0.0.1", *port));
}
