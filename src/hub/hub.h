// Hub: routes messages between modules and upstream the way edgeHub does (routes in hub/route.h).
//
//   module ─send(output)─▶ Hub::send ─ route_message ─┬─▶ local module input: bounded queue ─▶ delivery thread ─▶ handler
//                                                      └─▶ durable endpoint ($upstream, a module in another process):
//                                                          Outbox.append (on disk) ─▶ pump thread ─▶ EndpointSender
//
// Local inputs: a queue per input (default 1000 messages); when full the oldest is dropped and counted
// (vigil_hub_input_dropped_total) — a module that cannot keep up sees the newest data, and the sender never
// blocks. Durable endpoints: send() returns after the message is committed to the outbox; one pump per endpoint
// delivers in order (priority, then arrival), removes what was delivered, and backs off 1 s doubling to 60 s
// while the endpoint fails. Delivery is at least once: after a crash the unacknowledged head is sent again with
// the same messageId.
#pragma once

#include <chrono>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "core/log.h"
#include "core/metrics.h"
#include "core/module_context.h"
#include "hub/outbox.h"
#include "hub/route.h"

namespace vigil::hub {

// Delivers one message to a durable endpoint. Called on that endpoint's pump thread only.
class EndpointSender {
 public:
  virtual ~EndpointSender() = default;
  virtual Status send(const Message& m) = 0;
  virtual std::string describe() const = 0;
  // How many messages it takes at once through send_batch (1: one send() at a time, in order).
  virtual std::size_t parallel() const { return 1; }
  // Up to parallel() messages at once; a Status for each, in the batch's order.
  virtual std::vector<Status> send_batch(const std::vector<const Message*>& batch) {
    std::vector<Status> out;
    for (const Message* m : batch) out.push_back(send(*m));
    return out;
  }
};

struct HubOptions {
  std::string device_id = "vigil";
  std::vector<Route> routes;
  std::size_t input_queue = 1000;
  double retry_initial_s = 1, retry_max_s = 60;
  double backlog_warn_s = 60;  // WARN when an endpoint's oldest waiting message passes this age (0: never)
};

class Hub {
 public:
  Hub(HubOptions options, Outbox& outbox, Metrics& metrics);
  ~Hub();  // stop()
  Hub(const Hub&) = delete;
  Hub& operator=(const Hub&) = delete;

  // Before start(): a module input served in this process.
  void attach_input(const std::string& module, const std::string& input, std::function<void(const Message&)> handler);
  // Before start(): the sender for a durable endpoint ("$upstream" or "/modules/m/inputs/i").
  void set_sender(const std::string& endpoint, std::shared_ptr<EndpointSender> sender);
  // Before start(): another destination for $upstream. Each gets its own durable queue and pump, so a failing
  // uplink never holds back the others; the first is the endpoint "$upstream", the next "$upstream/2", …
  // Returns the endpoint name. `uplink` names the destination (its URI without secrets): when the list of uplinks
  // changed since the outbox was last used, start() moves each waiting queue to its uplink's new name, or aside
  // when its uplink is gone (hub/queue_plan.h), so no message is delivered to another uplink.
  std::string add_upstream(std::shared_ptr<EndpointSender> sender, std::string uplink = "");
  // Before start(): the sender for module inputs that are neither attached nor set (modules over MQTT).
  void set_remote_sender_factory(std::function<std::shared_ptr<EndpointSender>(const std::string& module, const std::string& input)> f);

  void start();
  void stop();  // local queues are drained first; the outbox keeps what was not delivered

  // Waits until every local input queue is empty and no handler runs, and with `outbox` also until nothing
  // waits in the outbox for an endpoint that has a sender. False when `timeout` passed first.
  bool wait_idle(std::chrono::milliseconds timeout, bool outbox);

  // Routes a message from `module` on `output` (stamps connectionDeviceId/ModuleId, outputName, a messageId and
  // creation time when missing). Returns an error only when the outbox could not store it: then nothing of it
  // was accepted (logged here, at most a line per 10 s, and counted in vigil_hub_messages_refused_total).
  Status send(const std::string& module, const std::string& output, Message m);

  // A ModuleContext whose send() goes through this hub.
  std::unique_ptr<ModuleContext> context_for(const std::string& module);

  std::uint64_t routed() const { return routed_.load(); }
  std::uint64_t delivered(const std::string& endpoint) const;

 private:
  struct LocalInput;
  struct Pump;
  void run_local(LocalInput& in);
  void run_pump(Pump& p);
  // One batch from the outbox through the pump's sender, in rounds of its parallel(); the ids that arrived go to
  // `done`. Returns the first failure (the rounds stop there), or OK.
  Status deliver(Pump& p, const std::vector<OutboxEntry>& batch, std::vector<std::int64_t>& done);
  Pump& pump_for(const std::string& endpoint);  // creates on first use (under mutex_)
  // The outbox gauges, and the stats they came from; without `force` at most once a second ({} when skipped).
  std::map<std::string, EndpointStats> publish_gauges(bool force);
  std::atomic<std::int64_t> last_gauges_ms_{0};

  HubOptions options_;
  Outbox& outbox_;
  Metrics& metrics_;
  std::map<std::string, std::unique_ptr<LocalInput>> locals_;  // by endpoint
  std::map<std::string, std::shared_ptr<EndpointSender>> senders_;
  std::vector<std::string> upstreams_;  // endpoint names $upstream fans out to
  std::map<std::string, std::string> uplink_of_;  // endpoint → the uplink it stands for (when given)
  void settle_upstream_queues();
  std::function<std::shared_ptr<EndpointSender>(const std::string&, const std::string&)> remote_factory_;
  mutable std::mutex mutex_;  // guards pumps_
  std::map<std::string, std::unique_ptr<Pump>> pumps_;
  std::atomic<bool> running_{false};
  std::atomic<std::uint64_t> routed_{0}, unrouted_{0};
  log::Throttle refused_;  // the ERROR for messages the outbox refused
};

}  // namespace vigil::hub
