// vigil hub: the edge hub on its own — IoT Edge routes between modules that join over MQTT, and a durable
// outbox for $upstream. Modules in any language connect to the broker with edgeHub's topics
// (src/hub/mqtt_transport.h); `vigil run` will host the same hub with in-process modules.
//   vigil hub --broker mqtt://127.0.0.1:1883 --device-id edge01 --routes routes.json --store outbox.db
//             --upstream file:upstream.jsonl
#include <chrono>
#include <fstream>
#include <iostream>
#include <optional>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/signals.h"
#include "core/environment.h"
#include "core/log.h"
#include "core/text.h"
#include "deploy/manifest.h"
#include "http/http_server.h"
#include "hub/hub.h"
#include "hub/mqtt_transport.h"
#include "uplink/uplink.h"

namespace vigil::cli {
namespace {

struct HubCliOptions {
  std::string broker = "mqtt://127.0.0.1:1883";
  std::string device_id = "vigil";
  std::string routes_file;
  std::vector<std::string> routes;  // NAME=ROUTE
  std::string store = "vigil-outbox.db";
  std::vector<std::string> upstream;
  long long ttl_s = 7200;
  unsigned long long max_store_bytes = 0;
  std::string metrics_host = "127.0.0.1";
  int metrics_port = -1;
};

// A routes file is the $edgeHub desired properties ({"routes": …, "storeAndForwardConfiguration": …, "uplinks": …},
// read as `vigil run` reads them) or a bare routes object.
Result<nlohmann::json> read_routes_file(const std::string& path, HubCliOptions& o) {
  std::ifstream f(path);
  if (!f) return make_error(ErrorCode::NotFound, "cannot read routes file " + path);
  const auto doc = nlohmann::json::parse(f, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return make_error(ErrorCode::InvalidArgument, path + " is not a JSON object");
  if (!doc.contains("routes")) return doc;
  deploy::EdgeHubSettings hub;
  hub.ttl_s = o.ttl_s;  // the flags' values unless the file says otherwise
  hub.max_store_bytes = o.max_store_bytes;
  std::vector<std::string> warnings;
  if (auto s = deploy::read_edge_hub(doc, environment_variables(), path + ":", hub, warnings); !s) return s.error();
  for (const auto& w : warnings) LOG_WARN("hub", w);
  o.ttl_s = hub.ttl_s;
  o.max_store_bytes = hub.max_store_bytes;
  o.upstream.insert(o.upstream.begin(), hub.uplinks.begin(), hub.uplinks.end());
  return hub.routes;
}

// The routes of --routes-file and --route NAME=ROUTE; nullopt (with the message printed) when they do not parse.
std::optional<std::vector<hub::Route>> hub_routes(HubCliOptions& o) {
  nlohmann::json routes_json = nlohmann::json::object();
  if (!o.routes_file.empty()) {
    auto r = read_routes_file(o.routes_file, o);
    if (!r) {
      std::cerr << "vigil hub: " << r.error().message << "\n";
      return std::nullopt;
    }
    routes_json = *r;
  }
  for (const auto& nr : o.routes) {
    const auto eq = nr.find('=');
    if (eq == std::string::npos) {
      std::cerr << "vigil hub: --route wants NAME=ROUTE (got '" << nr << "')\n";
      return std::nullopt;
    }
    routes_json[nr.substr(0, eq)] = nr.substr(eq + 1);
  }
  auto routes = hub::parse_routes(routes_json);
  if (!routes) {
    std::cerr << "vigil hub: " << routes.error().message << "\n";
    return std::nullopt;
  }
  for (const auto& r : *routes)
    for (const auto& w : r.warnings) LOG_WARN("hub", "route " << r.name << ": " << w);
  return std::move(*routes);
}

int run_hub(HubCliOptions o) {
  auto routes = hub_routes(o);
  if (!routes) return 2;
  auto broker = hub::parse_mqtt_uri(o.broker);
  if (!broker) {
    std::cerr << "vigil hub: --broker: " << broker.error().message << "\n";
    return 2;
  }
  SignalStop signals;
  auto outbox = hub::Outbox::open(o.store, {o.ttl_s, o.max_store_bytes});
  if (!outbox) {
    std::cerr << "vigil hub: " << outbox.error().message << "\n";
    return 1;
  }
  Metrics metrics;
  hub::HubOptions ho;
  ho.device_id = o.device_id;
  ho.routes = std::move(*routes);
  hub::Hub hub(ho, **outbox, metrics);
  broker->client_id = "vigil-hub-" + o.device_id;
  hub::MqttClient client(*broker);
  hub::MqttTransport transport(hub, client, o.device_id);
  transport.attach();
  hub.set_remote_sender_factory([&](const std::string& m, const std::string& i) { return transport.sender_for(m, i); });
  for (const auto& uri : o.upstream) {
    auto up = uplink::make_uplink(uri, o.device_id);
    if (!up) {
      std::cerr << "vigil hub: --upstream: " << up.error().message << "\n";
      return 2;
    }
    const std::string endpoint = hub.add_upstream(*up, redact_secrets(uri));
    LOG_INFO("hub", endpoint << " → " << (*up)->describe());
  }
  std::unique_ptr<http::HttpServer> server;
  if (o.metrics_port >= 0) {
    server = std::make_unique<http::HttpServer>();
    server->route("GET", "/metrics", [&](const http::HttpRequest&) {
      return http::HttpResponse{200, "text/plain; version=0.0.4; charset=utf-8", metrics.render(), {}, {}};
    });
    server->route("GET", "/health", [&](const http::HttpRequest&) {
      return http::HttpResponse{200, "application/json", client.connected() ? R"({"status":"ok","broker":"connected"})" : R"({"status":"degraded","broker":"disconnected"})", {}, {}};
    });
    if (auto s = server->listen(o.metrics_host, o.metrics_port); !s) {
      std::cerr << "vigil hub: " << s.error().message << "; choose another with --metrics-port\n";
      return 1;
    }
    server->start();
    LOG_INFO("hub", "metrics on http://" << o.metrics_host << ":" << server->port() << "/metrics");
  }
  hub.start();
  if (auto s = client.start(); !s) {
    std::cerr << "vigil hub: " << s.error().message << "\n";
    hub.stop();  // its pumps use the client: stop them before it goes
    return 1;
  }
  LOG_INFO("hub", "hub ready: device " << o.device_id << ", " << ho.routes.size() << " route(s), broker "
                                       << client.describe() << ", outbox " << o.store);
  std::mutex m;
  std::condition_variable cv;
  bool stop = false;
  signals.arm([&](int sig) {
    LOG_INFO("hub", "signal " << sig << ": stopping");
    std::lock_guard lock(m);
    stop = true;
    cv.notify_all();
  });
  {
    std::unique_lock lock(m);
    cv.wait(lock, [&] { return stop; });
  }
  client.stop();
  hub.stop();
  if (server) server->stop();
  return 0;
}

}  // namespace

void add_hub_command(CLI::App& app, Action& run) {
  auto o = std::make_shared<HubCliOptions>();
  auto* cmd = app.add_subcommand("hub", "Run the edge hub: IoT Edge routes between MQTT modules, durable outbox upstream");
  cmd->add_option("--broker", o->broker, "MQTT broker the modules use")->capture_default_str();
  cmd->add_option("--device-id", o->device_id, "the device's id in topics and connectionDeviceId")->capture_default_str();
  cmd->add_option("--routes", o->routes_file, "JSON file: $edgeHub desired properties or a routes object");
  cmd->add_option("--route", o->routes, "a route as NAME=ROUTE (repeatable)");
  cmd->add_option("--store", o->store, "the outbox's SQLite file")->capture_default_str();
  cmd->add_option("--upstream", o->upstream, "where $upstream goes (repeatable; each has its own queue): file:PATH, "
                                            "mqtt://host[:port]/topic-template, iothub:<connection string>, https://webhook[#inflight=N], "
                                            "smtp(s)://user:pass@host/?from=…&to=…, console:");
  cmd->add_option("--ttl", o->ttl_s, "store-and-forward time to live in seconds (negative: forever)")->capture_default_str();
  cmd->add_option("--max-store-bytes", o->max_store_bytes, "outbox size cap; the oldest are evicted (0: none)");
  cmd->add_option("--metrics-port", o->metrics_port, "serve /metrics and /health on this port (0: any free port)");
  cmd->add_option("--metrics-host", o->metrics_host, "address for /metrics")->capture_default_str();
  cmd->callback([o, &run] { run = [o] { return run_hub(*o); }; });
}

}  // namespace vigil::cli
