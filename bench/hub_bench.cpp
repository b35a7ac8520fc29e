// Hub throughput in-process: routed messages per second to a local module input (condition evaluated on each),
// durable outbox appends per second (each one committed to disk before the next), and the drain rate of a
// backlog through a sender that accepts everything. Prints one JSON line.
// usage: vigil_hub_bench [messages]
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/log.h"
#include "hub/hub.h"

using namespace vigil;
using namespace vigil::hub;
using Clock = std::chrono::steady_clock;

namespace {
class NullSender : public EndpointSender {
 public:
  Status send(const Message&) override { return ok_status(); }
  std::string describe() const override { return "null"; }
};

double secs(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }
}  // namespace

int main(int argc, char** argv) {
  log::set_level(log::Level::Warn);
  const int n = argc > 1 ? std::atoi(argv[1]) : 20000;
  const auto dir = std::filesystem::temp_directory_path() / ("vigil-hub-bench-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto outbox = Outbox::open((dir / "outbox.db").string(), {});
  if (!outbox) return 1;
  Metrics metrics;
  HubOptions o;
  o.input_queue = static_cast<std::size_t>(n) + 1;
  o.routes = *parse_routes(nlohmann::json::parse(R"J({
    "toAlert": "FROM /messages/modules/camera/outputs/output1 WHERE $body.predictions[0].probability >= 0.6 INTO BrokeredEndpoint(\"/modules/alert/inputs/input1\")",
    "up": "FROM /messages/modules/alert/outputs/* INTO $upstream"})J"));
  Hub hub(o, **outbox, metrics);
  std::atomic<int> got{0};
  hub.attach_input("alert", "input1", [&](const Message&) { got.fetch_add(1); });
  hub.start();
  auto cam = hub.context_for("camera");
  const std::string body = R"({"created":"2026-11-25T12:00:00Z","predictions":[{"probability":0.93,"tagId":"","tagName":"Apple","boundingBox":null}]})";
  auto t0 = Clock::now();
  for (int i = 0; i < n; ++i) cam->send("output1", make_json_message(body, std::chrono::system_clock::now()));
  while (got.load() < n) std::this_thread::yield();
  const double routed_per_s = n / secs(t0);
  hub.stop();

  const int durable_n = std::min(n, 2000);
  auto up = Outbox::open((dir / "durable.db").string(), {});
  Message alert = make_json_message(R"({"tag":"Apple","probability":0.93})", std::chrono::system_clock::now());
  t0 = Clock::now();
  const auto now_ms = [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  };
  for (int i = 0; i < durable_n; ++i)
    if (!(*up)->append(alert, {{"$upstream", 0, 0}}, now_ms())) return 1;
  const double appends_per_s = durable_n / secs(t0);

  HubOptions o2;
  o2.routes = {};
  Hub drain(o2, **up, metrics);
  drain.set_sender("$upstream", std::make_shared<NullSender>());
  t0 = Clock::now();
  drain.start();
  while (drain.delivered("$upstream") < static_cast<std::uint64_t>(durable_n)) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const double drained_per_s = durable_n / secs(t0);
  drain.stop();
  std::filesystem::remove_all(dir);
  std::printf("{\"routed_in_process_per_s\": %.0f, \"outbox_appends_per_s\": %.0f, \"outbox_drain_per_s\": %.0f, "
              "\"messages\": %d, \"durable_messages\": %d}\n",
              routed_per_s, appends_per_s, drained_per_s, n, durable_n);
  return 0;
}
