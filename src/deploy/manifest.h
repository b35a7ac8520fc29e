// The deployment manifest → a plan of modules, routes and uplinks. Pure; no I/O (the caller reads the file,
// the .env file and the environment).
//
// Two forms are read (spec azure-iot.md §2.6):
//   full     {"modulesContent": {"$edgeAgent": {"properties.desired": {"modules": {…}, "systemModules": {…}}},
//                                "$edgeHub":   {"properties.desired": {"routes": {…}, "storeAndForwardConfiguration": {…}}},
//                                "<module>":   {"properties.desired": {…}}}}
//            (`moduleContent`, the older spelling, too; a generated deployment.json is the same shape)
//   compact  {"modules": {"<module>": {…, "desired": {…}}}, "routes": {…}, "storeAndForwardConfiguration": {…},
//             "uplinks": [...]}
// A module: {"settings": {"image": KIND, "createOptions": "…"}, "env": {"NAME": {"value": "…"}}, "status":
// "running"|"stopped", "restartPolicy": "never"|"on-failure"|"on-unhealthy"|"always", "startupOrder": N}. KIND is
//   vigil:camera              the camera module (env: the tutorial's VIDEO_PATH, IMAGE_PROCESSING_ENDPOINT, …)
//   vigil:vision [MODEL]      a model (folder or builtin:person; or env MODEL_PATH) other modules use in-process,
//                             served over the Custom Vision HTTP API when a port is bound or env PORT is set
//   vigil:alert               the alert module; its desired properties are the alert rules
//   vigil:exec COMMAND ARGS…  an external program that joins the hub over MQTT (edgeHub topics)
//   vigil:iotedge COMMAND …   a module written with an Azure IoT SDK, run unchanged with the IoT Edge module
//                             environment (deploy/edge_env.h): an exec module that connects as it would to edgeHub
// From createOptions vigil reads HostConfig.PortBindings (a module's HTTP port) and Healthcheck (Docker's form; see
// deploy/health_rules.h).
// `$upstream` goes to the uplinks named in `$edgeHub` desired "uplinks" (vigil's key; URIs as for --upstream).
// $VAR and ${VAR} are replaced in module entries, desired properties and uplinks (not in routes, where `$upstream`
// and `$body` mean themselves; not in `runtime`, which vigil does not use). Keys vigil does not know are reported
// as warnings with their place, never ignored silently.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "deploy/env_file.h"

namespace vigil::deploy {

enum class ModuleKind { Camera, Vision, Alert, Exec };
enum class RestartPolicy { Never, OnFailure, OnUnhealthy, Always };

const char* kind_name(ModuleKind k);              // "camera", …
const char* restart_policy_name(RestartPolicy p);  // "on-failure", …

struct PortBinding {
  std::string host_ip;  // empty: all addresses
  int host_port = 0;
};

// A Docker-style health check from createOptions.Healthcheck (deploy/health_rules.h reads it, deploy/health_check.h runs it).
struct HealthCheckSpec {
  std::vector<std::string> argv;  // the command; CMD-SHELL becomes /bin/sh -c COMMAND
  double interval_s = 30, timeout_s = 30, start_period_s = 0;
  int retries = 3;
};

struct ModuleSpec {
  std::string name;
  ModuleKind kind = ModuleKind::Exec;
  std::string image;               // as written, e.g. "vigil:vision ../models/fruit"
  std::vector<std::string> args;   // the words after the kind (shell-like quoting)
  bool iotedge = false;            // vigil:iotedge (kind Exec, with the IoT Edge module environment)
  std::map<std::string, std::string> env;
  bool running = true;             // status: running | stopped
  RestartPolicy restart = RestartPolicy::Always;
  std::uint32_t startup_order = 4294967295u;
  nlohmann::json desired = nlohmann::json::object();
  std::map<int, PortBinding> ports;  // container port (from createOptions HostConfig.PortBindings) → host side
  std::optional<HealthCheckSpec> healthcheck;  // createOptions.Healthcheck
  std::string version;
};

// edgeAgent's restart back-off (spec §2.7), settable in systemModules.edgeAgent.env.
struct AgentSettings {
  double cool_off_unit_s = 10;
  int max_restart_count = 20;
  double intensive_care_min = 10;
};

// $edgeHub's desired properties: routes (checked to parse), storeAndForwardConfiguration, and vigil's uplinks.
struct EdgeHubSettings {
  nlohmann::json routes = nlohmann::json::object();
  std::int64_t ttl_s = 7200;
  std::uint64_t max_store_bytes = 0;
  std::vector<std::string> uplinks;
};

// Reads `hub` into `out`; unknown keys become warnings at `where`. `vigil hub --routes` reads its file with it too.
Status read_edge_hub(const nlohmann::json& hub, const Variables& vars, const std::string& where, EdgeHubSettings& out,
                     std::vector<std::string>& warnings);

struct Deployment : EdgeHubSettings {
  std::vector<ModuleSpec> modules;  // in start order: startupOrder, then name
  AgentSettings agent;
  std::vector<std::string> warnings;  // unknown keys and ignored settings, each with its place

  const ModuleSpec* find(const std::string& name) const;
};

// `origin` names the document in messages (the file name). Errors name the place: the JSON path and the fix.
Result<Deployment> parse_deployment(const nlohmann::json& doc, const Variables& vars, const std::string& origin);

// Parses manifest text (errors give the line and column of bad JSON) and then the document.
Result<Deployment> parse_deployment_text(const std::string& text, const Variables& vars, const std::string& origin);

// Splits a command line into words: spaces separate, '…' and "…" quote, \ escapes outside single quotes.
Result<std::vector<std::string>> split_command(const std::string& line);

}  // namespace vigil::deploy
