// IoT Edge routes (spec azure-iot.md §2.3–2.4): `[SELECT *] FROM source [WHERE condition] INTO sink`, parsed
// once at start into plain structs, and the pure routing decision for a message. Pure; no I/O, no threads.
//
//   source  /*  /messages/*  /messages/modules/m/*  /messages/modules/m/outputs/*  /messages/modules/m/outputs/o
//           (trailing * and / are dropped; a message matches when its own source path + "/" starts with the
//            route's + "/", ignoring case)
//   sink    $upstream  |  BrokeredEndpoint("/modules/{module}/inputs/{input}")
//
// Routes come as a JSON object name → "route text" or {"route", "priority" 0–9, "timeToLiveSecs"}. A route
// that does not parse is an error naming the route, the column, what was found and what was expected.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/message.h"
#include "core/result.h"
#include "hub/condition.h"

namespace vigil::hub {

constexpr int kDefaultPriority = 2000000000;  // edgeHub's "no priority": below every explicit one

struct Sink {
  enum class Kind { Upstream, ModuleInput };
  Kind kind = Kind::Upstream;
  std::string module, input;
  // "$upstream" or "/modules/{module}/inputs/{input}": the endpoint's identity (queues, metrics).
  std::string endpoint() const;
};

struct Route {
  std::string name;
  std::string text;
  std::string source;  // normalised: no trailing '*' or '/'; "" for "/*"
  std::optional<Condition> condition;
  Sink sink;
  int priority = kDefaultPriority;
  std::uint32_t ttl_s = 0;  // 0: the store-and-forward default
  std::vector<std::string> warnings;  // accepted, as edgeHub accepts it, but likely not what was meant (with advice)
};

Result<Route> parse_route(const std::string& name, const std::string& text, SyntaxError* error = nullptr);

// The "routes" object of $edgeHub's desired properties.
Result<std::vector<Route>> parse_routes(const nlohmann::json& routes);

// Route names: ^[^.$# ]+$ (edgeHub's rule).
bool valid_route_name(const std::string& name);

// The message's source path: /messages/modules/{m}/outputs/{o}, /messages/modules/{m} (no output), or
// /messages (a device, no module).
std::string message_source(const Message& m);
bool source_matches(const std::string& route_source, const std::string& message_source);

// Where a message goes: one delivery per endpoint; when several routes send it to the same endpoint, the highest
// priority (lowest number) wins, with that route's TTL.
struct Delivery {
  Sink sink;
  int priority = kDefaultPriority;
  std::uint32_t ttl_s = 0;
  std::string route;  // the winning route's name
};
std::vector<Delivery> route_message(const std::vector<Route>& routes, const Message& m);

// The parsed route as JSON (for `vigil route parse`).
std::string route_to_json(const Route& r);

}  // namespace vigil::hub
