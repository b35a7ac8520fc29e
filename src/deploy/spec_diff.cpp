#include "deploy/spec_diff.h"

#include <set>

namespace vigil::deploy {
namespace {

bool same_ports(const std::map<int, PortBinding>& a, const std::map<int, PortBinding>& b) {
  if (a.size() != b.size()) return false;
  for (const auto& [port, binding] : a) {
    auto it = b.find(port);
    if (it == b.end() || it->second.host_ip != binding.host_ip || it->second.host_port != binding.host_port) return false;
  }
  return true;
}

bool same_health(const std::optional<HealthCheckSpec>& a, const std::optional<HealthCheckSpec>& b) {
  if (a.has_value() != b.has_value()) return false;
  return !a || (a->argv == b->argv && a->interval_s == b->interval_s && a->timeout_s == b->timeout_s &&
                a->start_period_s == b->start_period_s && a->retries == b->retries);
}

}  // namespace

std::vector<std::string> restart_changes(const ModuleSpec& before, const ModuleSpec& after) {
  std::vector<std::string> out;
  if (before.image != after.image || before.kind != after.kind || before.args != after.args) out.push_back("image");
  std::set<std::string> keys;
  for (const auto& [k, _] : before.env) keys.insert(k);
  for (const auto& [k, _] : after.env) keys.insert(k);
  for (const auto& k : keys) {
    auto a = before.env.find(k), b = after.env.find(k);
    if (a == before.env.end() || b == after.env.end() || a->second != b->second) out.push_back("env " + k);
  }
  if (!same_ports(before.ports, after.ports)) out.push_back("port bindings");
  if (!same_health(before.healthcheck, after.healthcheck)) out.push_back("health check");
  if (before.running != after.running) out.push_back("status");
  if (before.restart != after.restart) out.push_back("restartPolicy");
  if (before.version != after.version) out.push_back("version");
  return out;
}

}  // namespace vigil::deploy
