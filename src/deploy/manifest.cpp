#include "deploy/manifest.h"

#include <algorithm>
#include <set>

#include "core/text.h"
#include "deploy/health_rules.h"
#include "hub/route.h"

namespace vigil::deploy {
namespace {

using json = nlohmann::json;

Error bad(const std::string& where, const std::string& what) {
  return make_error(ErrorCode::InvalidArgument, where + ": " + what);
}

// Reports every key of `obj` not in `known` as a warning at `where`.
void warn_unknown(const json& obj, const std::set<std::string>& known, const std::string& where,
                  std::vector<std::string>& warnings) {
  if (!obj.is_object()) return;
  for (const auto& [k, _] : obj.items())
    if (!known.count(k)) warnings.push_back(where + "." + k + ": unknown key, ignored");
}

// Replaces variables in every string of `j` (recursively), with the JSON path in errors.
Status substitute_all(json& j, const Variables& vars, const std::string& where) {
  if (j.is_string()) {
    auto r = substitute(j.get<std::string>(), vars, where);
    if (!r) return r.error();
    j = *r;
  } else if (j.is_object()) {
    for (auto& [k, v] : j.items())
      if (auto s = substitute_all(v, vars, where + "." + k); !s) return s;
  } else if (j.is_array()) {
    for (std::size_t i = 0; i < j.size(); ++i)
      if (auto s = substitute_all(j[i], vars, where + "[" + std::to_string(i) + "]"); !s) return s;
  }
  return ok_status();
}

// The value of "properties.desired" when present (full form), else the object itself (compact form).
const json& desired_of(const json& j) {
  if (j.is_object()) {
    auto it = j.find("properties.desired");
    if (it != j.end()) return *it;
  }
  return j;
}

// createOptions, a JSON object in a string (Docker's ContainerCreate options); empty text is an empty object.
Result<json> create_options_object(const std::string& text, const std::string& where) {
  if (text.empty()) return json::object();
  json opts = json::parse(text, nullptr, false);
  if (opts.is_discarded() || !opts.is_object())
    return bad(where, "createOptions is not a JSON object in a string (Docker's ContainerCreate options)");
  return opts;
}

Result<std::map<int, PortBinding>> port_bindings(const json& opts, const std::string& where) {
  std::map<int, PortBinding> out;
  auto hc = opts.find("HostConfig");
  if (hc == opts.end() || !hc->is_object()) return out;
  auto pb = hc->find("PortBindings");
  if (pb == hc->end() || !pb->is_object()) return out;
  for (const auto& [key, list] : pb->items()) {
    const auto port = parse_port(key.substr(0, key.find('/')));
    if (!port) return bad(where, "createOptions PortBindings key '" + key + "' is not like \"80/tcp\"");
    const int container_port = *port;
    if (!list.is_array() || list.empty() || !list[0].is_object()) continue;
    PortBinding b;
    if (auto ip = list[0].find("HostIp"); ip != list[0].end() && ip->is_string()) b.host_ip = *ip;
    if (auto hp = list[0].find("HostPort"); hp != list[0].end() && hp->is_string()) {
      const auto host_port = parse_port(hp->get<std::string>(), true);
      if (!host_port) return bad(where, "createOptions HostPort '" + hp->get<std::string>() + "' is not a port number (0-65535)");
      b.host_port = *host_port;
    }
    if (b.host_port > 0) out[container_port] = b;
  }
  return out;
}

Result<ModuleKind> kind_of(const std::string& image, std::vector<std::string>& args, const std::string& where) {
  auto words = split_command(image);
  if (!words) return bad(where, words.error().message);
  if (words->empty()) return bad(where, "settings.image is empty; write vigil:camera, vigil:vision, vigil:alert or vigil:exec COMMAND");
  const std::string head = (*words)[0];
  args.assign(words->begin() + 1, words->end());
  if (head == "vigil:camera") return ModuleKind::Camera;
  if (head == "vigil:vision") return ModuleKind::Vision;
  if (head == "vigil:alert") return ModuleKind::Alert;
  if (head == "vigil:exec" || head == "vigil:iotedge") {
    if (args.empty()) return bad(where, head + " needs a command, e.g. \"" + head + " python3 main.py\"");
    return ModuleKind::Exec;
  }
  if (head.rfind("vigil:", 0) == 0)
    return bad(where, "unknown module kind '" + head + "'; vigil runs vigil:camera, vigil:vision, vigil:alert, vigil:exec "
                      "and vigil:iotedge");
  return bad(where, "'" + image + "' looks like a Docker image; vigil runs no containers. Replace it with the module's "
                    "kind: vigil:camera (the camera module), vigil:vision MODEL_DIR (the Custom Vision model), "
                    "vigil:alert (the alert module), vigil:iotedge COMMAND (your module written with an Azure IoT SDK, "
                    "unchanged) or vigil:exec COMMAND (your own program, joining over MQTT)");
}

Result<RestartPolicy> restart_policy(const std::string& s, const std::string& where) {
  if (s == "never") return RestartPolicy::Never;
  if (s == "on-failure") return RestartPolicy::OnFailure;
  if (s == "on-unhealthy") return RestartPolicy::OnUnhealthy;
  if (s == "always") return RestartPolicy::Always;
  return bad(where, "restartPolicy '" + s + "' is not one of never, on-failure, on-unhealthy, always");
}

Result<std::string> string_at(const json& obj, const char* key, const std::string& where) {
  auto it = obj.find(key);
  if (it == obj.end()) return std::string();
  if (!it->is_string()) return bad(where + "." + key, "must be a string");
  return it->get<std::string>();
}

Result<ModuleSpec> parse_module(const std::string& name, json m, const Variables& vars, const std::string& where,
                                bool compact, std::vector<std::string>& warnings) {
  if (!m.is_object()) return bad(where, "a module must be a JSON object");
  ModuleSpec spec;
  spec.name = name;
  if (name.empty() || name[0] == '$' || name.find('/') != std::string::npos)
    return bad(where, "'" + name + "' is not a usable module name (no '/', not starting with '$')");
  std::set<std::string> known = {"version", "type", "status", "restartPolicy", "startupOrder", "imagePullPolicy", "env", "settings"};
  if (compact) known.insert("desired");
  warn_unknown(m, known, where, warnings);
  json desired = json::object();
  if (compact && m.contains("desired")) {
    desired = m["desired"];
    m.erase("desired");
  }
  if (auto s = substitute_all(m, vars, where); !s) return s.error();

  auto settings = m.find("settings");
  if (settings == m.end() || !settings->is_object() || !settings->contains("image"))
    return bad(where + ".settings.image", "missing; write the module's kind, e.g. \"vigil:camera\"");
  // createOptions, createOptions01 … createOptions99: the parts of one long createOptions string, in this order.
  static const std::vector<std::string> create_option_keys = [] {
    std::vector<std::string> keys = {"createOptions"};
    for (int i = 1; i <= 99; ++i) keys.push_back((i < 10 ? "createOptions0" : "createOptions") + std::to_string(i));
    return keys;
  }();
  std::set<std::string> settings_known(create_option_keys.begin(), create_option_keys.end());
  settings_known.insert("image");
  warn_unknown(*settings, settings_known, where + ".settings", warnings);
  auto image = string_at(*settings, "image", where + ".settings");
  if (!image) return image.error();
  spec.image = *image;
  auto kind = kind_of(spec.image, spec.args, where + ".settings.image");
  spec.iotedge = trim(spec.image).rfind("vigil:iotedge", 0) == 0;
  if (!kind) return kind.error();
  spec.kind = *kind;

  std::string create_options;
  for (const auto& key : create_option_keys) {
    auto part = string_at(*settings, key.c_str(), where + ".settings");
    if (!part) return part.error();
    create_options += *part;
  }
  auto opts = create_options_object(create_options, where + ".settings.createOptions");
  if (!opts) return opts.error();
  auto ports = port_bindings(*opts, where + ".settings.createOptions");
  if (!ports) return ports.error();
  spec.ports = std::move(*ports);
  auto health = parse_healthcheck(*opts, where + ".settings.createOptions");
  if (!health) return health.error();
  spec.healthcheck = std::move(*health);

  if (auto v = string_at(m, "version", where); v) spec.version = *v;
  if (auto t = m.find("type"); t != m.end() && *t != "docker")
    warnings.push_back(where + ".type: '" + t->dump() + "' is not \"docker\"; ignored");
  auto status = string_at(m, "status", where);
  if (!status) return status.error();
  if (status->empty() || *status == "running") spec.running = true;
  else if (*status == "stopped") spec.running = false;
  else return bad(where + ".status", "'" + *status + "' is not running or stopped");
  auto policy = string_at(m, "restartPolicy", where);
  if (!policy) return policy.error();
  if (!policy->empty()) {
    auto p = restart_policy(*policy, where + ".restartPolicy");
    if (!p) return p.error();
    spec.restart = *p;
  }
  if (auto so = m.find("startupOrder"); so != m.end()) {
    if (!so->is_number_integer() || so->get<std::int64_t>() < 0 || so->get<std::int64_t>() > 4294967295LL)
      return bad(where + ".startupOrder", "must be a whole number from 0 to 4294967295");
    spec.startup_order = so->get<std::uint32_t>();
  }
  if (auto env = m.find("env"); env != m.end()) {
    if (!env->is_object()) return bad(where + ".env", "must be an object NAME → {\"value\": \"…\"}");
    for (const auto& [k, v] : env->items()) {
      const std::string ew = where + ".env." + k;
      if (!v.is_object() || !v.contains("value")) return bad(ew, "must be {\"value\": \"…\"}");
      const json& val = v["value"];
      if (val.is_string()) spec.env[k] = val.get<std::string>();
      else if (val.is_number() || val.is_boolean()) spec.env[k] = val.dump();
      else return bad(ew + ".value", "must be a string");
    }
  }
  if (!desired.is_object()) return bad(where + ".desired", "must be an object");
  if (auto s = substitute_all(desired, vars, where + ".desired"); !s) return s.error();
  spec.desired = std::move(desired);
  return spec;
}

Status read_agent_env(const json& system_modules, const std::string& where, AgentSettings& agent,
                      std::vector<std::string>& warnings) {
  if (!system_modules.is_object()) return ok_status();
  warn_unknown(system_modules, {"edgeAgent", "edgeHub"}, where, warnings);
  auto ea = system_modules.find("edgeAgent");
  if (ea == system_modules.end() || !ea->is_object()) return ok_status();
  auto env = ea->find("env");
  if (env == ea->end() || !env->is_object()) return ok_status();
  for (const auto& [k, v] : env->items()) {
    const std::string ew = where + ".edgeAgent.env." + k;
    if (!v.is_object() || !v.contains("value")) return bad(ew, "must be {\"value\": \"…\"}");
    const std::string text = v["value"].is_string() ? v["value"].get<std::string>() : v["value"].dump();
    double x = 0;
    try {
      std::size_t used = 0;
      x = std::stod(text, &used);
      if (used != text.size()) throw std::invalid_argument(text);
    } catch (...) {
      if (k == "CoolOffTimeUnitInSeconds" || k == "MaxRestartCount" || k == "IntensiveCareTimeInMinutes")
        return bad(ew, "'" + text + "' is not a number");
      continue;
    }
    if (x < 0) return bad(ew, "must not be negative");
    if (k == "CoolOffTimeUnitInSeconds") agent.cool_off_unit_s = x;
    else if (k == "MaxRestartCount") agent.max_restart_count = static_cast<int>(x);
    else if (k == "IntensiveCareTimeInMinutes") agent.intensive_care_min = x;
  }
  return ok_status();
}

}  // namespace

Status read_edge_hub(const json& hub, const Variables& vars, const std::string& where, EdgeHubSettings& d,
                     std::vector<std::string>& warnings) {
  if (!hub.is_object()) return bad(where, "must be an object");
  warn_unknown(hub, {"schemaVersion", "routes", "storeAndForwardConfiguration", "uplinks", "mqttBroker", "integrity"},
               where, warnings);
  if (hub.contains("mqttBroker")) warnings.push_back(where + ".mqttBroker: edgeHub's own broker is not emulated; ignored");
  if (auto r = hub.find("routes"); r != hub.end()) {
    if (!r->is_object()) return bad(where + ".routes", "must be an object NAME → route");
    auto parsed = hub::parse_routes(*r);
    if (!parsed) return bad(where + ".routes", parsed.error().message);
    d.routes = *r;
  }
  if (auto sf = hub.find("storeAndForwardConfiguration"); sf != hub.end()) {
    const std::string sw = where + ".storeAndForwardConfiguration";
    if (!sf->is_object()) return bad(sw, "must be an object");
    warn_unknown(*sf, {"timeToLiveSecs", "storeLimits"}, sw, warnings);
    if (auto ttl = sf->find("timeToLiveSecs"); ttl != sf->end()) {
      if (!ttl->is_number_integer()) return bad(sw + ".timeToLiveSecs", "must be a whole number of seconds");
      d.ttl_s = ttl->get<std::int64_t>();
    }
    if (auto lim = sf->find("storeLimits"); lim != sf->end()) {
      if (!lim->is_object() || !lim->contains("maxSizeBytes") || !(*lim)["maxSizeBytes"].is_number_integer() ||
          (*lim)["maxSizeBytes"].get<std::int64_t>() < 0)
        return bad(sw + ".storeLimits", "must be {\"maxSizeBytes\": N}");
      d.max_store_bytes = (*lim)["maxSizeBytes"].get<std::uint64_t>();
    }
  }
  if (auto up = hub.find("uplinks"); up != hub.end()) {
    json list = up->is_string() ? json::array({*up}) : *up;
    if (!list.is_array()) return bad(where + ".uplinks", "must be a list of URIs (file:…, mqtt://…, iothub:…, https://…, smtp://…)");
    if (auto s = substitute_all(list, vars, where + ".uplinks"); !s) return s;
    for (std::size_t i = 0; i < list.size(); ++i) {
      if (!list[i].is_string()) return bad(where + ".uplinks[" + std::to_string(i) + "]", "must be a string URI");
      d.uplinks.push_back(list[i]);
    }
  }
  return ok_status();
}

const char* kind_name(ModuleKind k) {
  switch (k) {
    case ModuleKind::Camera: return "camera";
    case ModuleKind::Vision: return "vision";
    case ModuleKind::Alert: return "alert";
    case ModuleKind::Exec: return "exec";
  }
  return "?";
}

const char* restart_policy_name(RestartPolicy p) {
  switch (p) {
    case RestartPolicy::Never: return "never";
    case RestartPolicy::OnFailure: return "on-failure";
    case RestartPolicy::OnUnhealthy: return "on-unhealthy";
    case RestartPolicy::Always: return "always";
  }
  return "?";
}

const ModuleSpec* Deployment::find(const std::string& name) const {
  for (const auto& m : modules)
    if (m.name == name) return &m;
  return nullptr;
}

Result<std::vector<std::string>> split_command(const std::string& line) {
  std::vector<std::string> words;
  std::string cur;
  bool in_word = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word) words.push_back(std::move(cur));
      cur.clear();
      in_word = false;
    } else if (c == '\'' || c == '"') {
      std::size_t k = i + 1;
      for (; k < line.size() && line[k] != c; ++k) {
        if (c == '"' && line[k] == '\\' && k + 1 < line.size() && (line[k + 1] == '"' || line[k + 1] == '\\')) ++k;
        cur += line[k];
      }
      if (k >= line.size()) return make_error(ErrorCode::InvalidArgument, std::string("unclosed ") + c + " in '" + line + "'");
      in_word = true;
      i = k;
    } else if (c == '\\' && i + 1 < line.size()) {
      cur += line[++i];
      in_word = true;
    } else {
      cur += c;
      in_word = true;
    }
  }
  if (in_word) words.push_back(std::move(cur));
  return words;
}

Result<Deployment> parse_deployment(const json& doc, const Variables& vars, const std::string& origin) {
  if (!doc.is_object()) return bad(origin, "a deployment manifest is a JSON object");
  Deployment d;
  json modules = json::object(), hub = json::object(), system_modules = json::object();
  std::map<std::string, json> desired;
  std::string modules_where;
  bool compact = false;

  const char* root_key = doc.contains("modulesContent") ? "modulesContent" : (doc.contains("moduleContent") ? "moduleContent" : nullptr);
  if (root_key || doc.contains("$edgeAgent")) {
    const json& content = root_key ? doc[root_key] : doc;
    const std::string cw = root_key ? origin + ": " + root_key : origin + ":";
    if (root_key) warn_unknown(doc, {root_key}, origin + ":", d.warnings);
    if (!content.is_object()) return bad(cw, "must be an object");
    auto agent = content.find("$edgeAgent");
    if (agent == content.end()) return bad(cw + ".$edgeAgent", "missing: it lists the modules");
    const json& ad = desired_of(*agent);
    const std::string aw = cw + ".$edgeAgent" + (agent->contains("properties.desired") ? ".properties.desired" : "");
    if (!ad.is_object()) return bad(aw, "must be an object");
    warn_unknown(ad, {"schemaVersion", "runtime", "systemModules", "modules"}, aw, d.warnings);
    if (ad.contains("modules")) modules = ad["modules"];
    if (ad.contains("systemModules")) system_modules = ad["systemModules"];
    modules_where = aw + ".modules";
    if (auto s = read_agent_env(system_modules, aw + ".systemModules", d.agent, d.warnings); !s) return s.error();
    if (auto h = content.find("$edgeHub"); h != content.end()) {
      const std::string hw = cw + ".$edgeHub" + (h->contains("properties.desired") ? ".properties.desired" : "");
      if (auto s = read_edge_hub(desired_of(*h), vars, hw, d, d.warnings); !s) return s.error();
    }
    for (const auto& [k, v] : content.items()) {
      if (k == "$edgeAgent" || k == "$edgeHub") continue;
      if (!modules.is_object() || !modules.contains(k)) {
        d.warnings.push_back(cw + "." + k + ": desired properties for a module that is not in the deployment; ignored");
        continue;
      }
      desired[k] = desired_of(v);
    }
  } else {
    compact = true;
    warn_unknown(doc, {"modules", "routes", "storeAndForwardConfiguration", "uplinks", "systemModules", "schemaVersion"},
                 origin + ":", d.warnings);
    if (!doc.contains("modules"))
      return bad(origin + ":", "no modules: expected \"modulesContent\" (an IoT Edge deployment manifest) or \"modules\" (the compact form)");
    modules = doc["modules"];
    modules_where = origin + ": modules";
    json h = json::object();
    for (const char* k : {"routes", "storeAndForwardConfiguration", "uplinks"})
      if (doc.contains(k)) h[k] = doc[k];
    if (auto s = read_edge_hub(h, vars, origin + ":", d, d.warnings); !s) return s.error();
    if (doc.contains("systemModules"))
      if (auto s = read_agent_env(doc["systemModules"], origin + ": systemModules", d.agent, d.warnings); !s) return s.error();
  }
  if (!modules.is_object()) return bad(modules_where, "must be an object NAME → module");
  if (modules.empty()) return bad(modules_where, "no modules to run");
  for (const auto& [name, m] : modules.items()) {
    auto spec = parse_module(name, m, vars, modules_where + "." + name, compact, d.warnings);
    if (!spec) return spec.error();
    if (auto it = desired.find(name); it != desired.end()) {
      json dj = it->second;
      if (!dj.is_object()) return bad(origin + ": " + name + ".properties.desired", "must be an object");
      if (auto s = substitute_all(dj, vars, origin + ": " + name + ".properties.desired"); !s) return s.error();
      spec->desired = std::move(dj);
    }
    d.modules.push_back(std::move(*spec));
  }
  std::stable_sort(d.modules.begin(), d.modules.end(), [](const ModuleSpec& a, const ModuleSpec& b) {
    return a.startup_order != b.startup_order ? a.startup_order < b.startup_order : a.name < b.name;
  });
  // Routes that name module inputs must name modules of this deployment.
  if (auto routes = hub::parse_routes(d.routes); routes) {
    for (const auto& r : *routes)
      for (const auto& w : r.warnings) d.warnings.push_back("route " + r.name + ": " + w);
    for (const auto& r : *routes)
      if (r.sink.kind == hub::Sink::Kind::ModuleInput && !d.find(r.sink.module))
        d.warnings.push_back("route " + r.name + ": sends to module '" + r.sink.module +
                             "', which is not in this deployment; its messages wait in the outbox");
  }
  return d;
}

Result<Deployment> parse_deployment_text(const std::string& text, const Variables& vars, const std::string& origin) {
  try {
    return parse_deployment(json::parse(text), vars, origin);
  } catch (const json::parse_error& e) {
    // The byte offset → line and column, for people.
    std::size_t line = 1, col = 1;
    for (std::size_t i = 0; i + 1 < e.byte && i < text.size(); ++i) {
      if (text[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    std::string what = e.what();
    if (auto p = what.find("syntax error"); p != std::string::npos) what = what.substr(p);
    return make_error(ErrorCode::InvalidArgument, origin + ":" + std::to_string(line) + ":" + std::to_string(col) +
                                                      ": not valid JSON: " + what);
  } catch (const json::exception& e) {
    // Valid syntax the library still refuses, such as a number too large for a double (1e999).
    std::string what = e.what();
    if (auto p = what.find("] "); p != std::string::npos) what = what.substr(p + 2);
    return make_error(ErrorCode::InvalidArgument, origin + ": not valid JSON: " + what);
  }
}

}  // namespace vigil::deploy
