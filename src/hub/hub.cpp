#include "hub/hub.h"

#include <chrono>
#include <set>

#include "core/log.h"
#include "core/time_util.h"
#include "hub/queue_plan.h"

namespace vigil::hub {
namespace {

class HubContext : public ModuleContext {
 public:
  HubContext(Hub& hub, std::string id, Metrics& metrics) : hub_(hub), id_(std::move(id)), metrics_(metrics) {}
  const std::string& module_id() const override { return id_; }
  Metrics& metrics() override { return metrics_; }
  void send(const std::string& output, Message m) override {
    (void)hub_.send(id_, output, std::move(m));  // a refusal is logged and counted by the hub
  }

 private:
  Hub& hub_;
  std::string id_;
  Metrics& metrics_;
};

}  // namespace

struct Hub::LocalInput {
  std::string endpoint, module, input;
  std::function<void(const Message&)> handler;
  std::mutex mutex;
  std::condition_variable wake;
  std::deque<Message> queue;
  bool stopping = false, busy = false;
  std::thread thread;
};

struct Hub::Pump {
  std::string endpoint;
  std::shared_ptr<EndpointSender> sender;
  std::mutex mutex;
  std::condition_variable wake;
  bool pending = true, stopping = false;
  std::thread thread;
  std::atomic<std::uint64_t> delivered{0}, failures{0};
};

Hub::Hub(HubOptions options, Outbox& outbox, Metrics& metrics)
    : options_(std::move(options)), outbox_(outbox), metrics_(metrics) {
  metrics_.describe("vigil_hub_messages_routed_total", "counter", "Messages that matched at least one route");
  metrics_.describe("vigil_hub_messages_unrouted_total", "counter", "Messages that matched no route");
  metrics_.describe("vigil_hub_messages_refused_total", "counter", "Messages the outbox could not store (a full volume)");
  metrics_.describe("vigil_hub_input_dropped_total", "counter", "Messages dropped from a full module input queue (oldest first)");
  metrics_.describe("vigil_outbox_delivered_total", "counter", "Messages delivered from the outbox, by endpoint");
  metrics_.describe("vigil_outbox_delivery_failures_total", "counter", "Failed delivery attempts, by endpoint");
  metrics_.describe("vigil_outbox_depth", "gauge", "Messages waiting in the outbox, by endpoint");
  metrics_.describe("vigil_outbox_oldest_age_seconds", "gauge", "Age of the oldest waiting message, by endpoint");
  metrics_.describe("vigil_outbox_expired_total", "counter", "Messages dropped because their time to live passed");
  metrics_.describe("vigil_outbox_evicted_total", "counter", "Messages evicted by the store's size cap");
  metrics_.describe("vigil_outbox_last_success_timestamp_seconds", "gauge", "When the endpoint last took a message (Unix time)");
}

Hub::~Hub() { stop(); }

void Hub::attach_input(const std::string& module, const std::string& input, std::function<void(const Message&)> handler) {
  auto in = std::make_unique<LocalInput>();
  in->endpoint = Sink{Sink::Kind::ModuleInput, module, input}.endpoint();
  in->module = module;
  in->input = input;
  in->handler = std::move(handler);
  locals_[in->endpoint] = std::move(in);
}

void Hub::set_sender(const std::string& endpoint, std::shared_ptr<EndpointSender> sender) {
  senders_[endpoint] = std::move(sender);
}

std::string Hub::add_upstream(std::shared_ptr<EndpointSender> sender, std::string uplink) {
  const std::string name = upstreams_.empty() ? "$upstream" : "$upstream/" + std::to_string(upstreams_.size() + 1);
  upstreams_.push_back(name);
  if (!uplink.empty()) uplink_of_[name] = std::move(uplink);
  senders_[name] = std::move(sender);
  return name;
}

void Hub::set_remote_sender_factory(
    std::function<std::shared_ptr<EndpointSender>(const std::string&, const std::string&)> f) {
  remote_factory_ = std::move(f);
}

std::unique_ptr<ModuleContext> Hub::context_for(const std::string& module) {
  return std::make_unique<HubContext>(*this, module, metrics_);
}

void Hub::settle_upstream_queues() {
  auto stats = outbox_.stats();
  if (!uplink_of_.empty()) {
    std::set<std::string> waiting;
    for (const auto& [endpoint, st] : stats)
      if (st.depth > 0) waiting.insert(endpoint);
    const auto moves = plan_queue_moves(outbox_.uplinks(), uplink_of_, waiting);
    std::vector<std::pair<std::string, std::string>> renames;
    for (const auto& m : moves) renames.emplace_back(m.from, m.to);
    if (auto s = outbox_.reassign(renames, uplink_of_); !s) {
      LOG_ERROR("hub", s.error().message << "; the queues keep their names");
    } else {
      for (const auto& m : moves) {
        const auto n = stats.at(m.from).depth;
        if (m.gone)
          LOG_WARN("hub", n << " message(s) wait for " << m.uplink << ", which is no longer an uplink; they are kept in the "
                            << "outbox as " << m.to << " (add the uplink again to deliver them)");
        else
          LOG_INFO("hub", n << " message(s) for " << m.uplink << " follow it from " << m.from << " to " << m.to);
      }
      if (!moves.empty()) stats = outbox_.stats();
    }
  }
  for (const auto& [endpoint, st] : stats)  // what an earlier run (or a crash) left, under its name from now on
    if (st.depth > 0)
      LOG_WARN("hub", "the outbox holds " << st.depth << " message(s) for " << endpoint << " from an earlier run, the oldest "
                                          << (unix_now_ms() - st.oldest_enqueued_ms) / 1000 << " s old; they are delivered first");
}

void Hub::start() {
  settle_upstream_queues();
  running_ = true;
  for (auto& [_, in] : locals_) in->thread = std::thread([this, p = in.get()] { run_local(*p); });
  // Pumps for every endpoint that has something waiting from an earlier run, or a sender.
  std::lock_guard lock(mutex_);
  for (const auto& e : outbox_.endpoints()) pump_for(e);
  for (const auto& [e, _] : senders_) pump_for(e);
  for (auto& [_, p] : pumps_)  // made by a send() before start(): their threads start now
    if (!p->thread.joinable()) p->thread = std::thread([this, ref = p.get()] { run_pump(*ref); });
}

void Hub::stop() {
  if (!running_.exchange(false)) return;
  for (auto& [_, in] : locals_) {
    {
      std::lock_guard lock(in->mutex);
      in->stopping = true;
    }
    in->wake.notify_all();
    if (in->thread.joinable()) in->thread.join();
  }
  // Joined without holding mutex_: a pump may be waiting for an acknowledgement that a thread delivers only after
  // its own send() (which takes mutex_) returned.
  std::vector<Pump*> pumps;
  {
    std::lock_guard lock(mutex_);
    for (auto& [_, p] : pumps_) pumps.push_back(p.get());
  }
  for (Pump* p : pumps) {
    {
      std::lock_guard l(p->mutex);
      p->stopping = true;
    }
    p->wake.notify_all();
  }
  for (Pump* p : pumps)
    if (p->thread.joinable()) p->thread.join();
}

bool Hub::wait_idle(std::chrono::milliseconds timeout, bool outbox) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto idle = [&] {
    for (auto& [_, in] : locals_) {
      std::lock_guard lock(in->mutex);
      if (in->busy || !in->queue.empty()) return false;
    }
    if (!outbox) return true;
    std::set<std::string> delivering;
    {
      std::lock_guard lock(mutex_);
      for (const auto& [e, p] : pumps_)
        if (p->sender) delivering.insert(e);
    }
    for (const auto& [e, s] : outbox_.stats())
      if (s.depth > 0 && delivering.count(e)) return false;
    return true;
  };
  while (!idle()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

Hub::Pump& Hub::pump_for(const std::string& endpoint) {
  auto it = pumps_.find(endpoint);
  if (it != pumps_.end()) return *it->second;
  auto p = std::make_unique<Pump>();
  p->endpoint = endpoint;
  if (auto s = senders_.find(endpoint); s != senders_.end()) p->sender = s->second;
  else if (remote_factory_ && endpoint.rfind("/modules/", 0) == 0) {
    // "/modules/{m}/inputs/{i}"
    const auto m_end = endpoint.find('/', 9);
    const std::string module = endpoint.substr(9, m_end - 9);
    const std::string input = endpoint.substr(endpoint.rfind('/') + 1);
    p->sender = remote_factory_(module, input);
  }
  if (!p->sender) LOG_WARN("hub", "no way to deliver to " << endpoint << " yet; its messages wait in the outbox");
  Pump& ref = *p;
  pumps_[endpoint] = std::move(p);
  if (running_) ref.thread = std::thread([this, &ref] { run_pump(ref); });
  return ref;
}

Status Hub::send(const std::string& module, const std::string& output, Message m) {
  auto& s = m.system;
  s.connection_device_id = options_.device_id;
  s.connection_module_id = module;
  s.output_name = output;
  if (s.message_id.empty()) s.message_id = new_uuid();
  if (s.creation_time_utc.empty()) s.creation_time_utc = format_utc_iso(std::chrono::system_clock::now(), 3) + "Z";

  const auto deliveries = route_message(options_.routes, m);
  if (deliveries.empty()) {
    unrouted_.fetch_add(1);
    metrics_.inc("vigil_hub_messages_unrouted_total");
    LOG_DEBUG("hub", "no route for " << message_source(m));
    return ok_status();
  }
  std::vector<OutboxAppend> durable;
  for (const auto& d : deliveries) {
    const std::string endpoint = d.sink.endpoint();
    const int priority = d.priority == kDefaultPriority ? 10 : d.priority;
    if (d.sink.kind == Sink::Kind::Upstream && upstreams_.size() > 1) {
      for (const auto& up : upstreams_) durable.push_back({up, priority, d.ttl_s});
      continue;
    }
    auto local = locals_.find(endpoint);
    if (local == locals_.end()) {
      durable.push_back({endpoint, priority, d.ttl_s});
      continue;
    }
    LocalInput& in = *local->second;
    Message copy = m;
    copy.system.input_name = in.input;
    bool dropped = false;
    {
      std::lock_guard lock(in.mutex);
      if (in.queue.size() >= options_.input_queue) {
        in.queue.pop_front();
        dropped = true;
      }
      in.queue.push_back(std::move(copy));
    }
    in.wake.notify_one();
    if (dropped) metrics_.inc("vigil_hub_input_dropped_total", {{"endpoint", endpoint}});
  }
  if (!durable.empty()) {
    if (auto st = outbox_.append(m, durable, unix_now_ms()); !st) {
      metrics_.inc("vigil_hub_messages_refused_total");
      std::uint64_t left_out = 0;
      if (refused_.take(left_out))  // a full store refuses every message: one line per 10 s
        LOG_ERROR("hub", "[" << module << "] message on " << output << " not stored: " << st.error().message
                             << (left_out ? " (and " + std::to_string(left_out) + " more since the last such line)" : ""));
      return st;
    }
    std::lock_guard lock(mutex_);
    for (const auto& d : durable) {
      Pump& p = pump_for(d.endpoint);
      {
        std::lock_guard l(p.mutex);
        p.pending = true;
      }
      p.wake.notify_one();
    }
  }
  routed_.fetch_add(1);
  metrics_.inc("vigil_hub_messages_routed_total");
  if (!durable.empty()) (void)publish_gauges(false);  // fresh while messages flow, even when every pump backs off
  return ok_status();
}

void Hub::run_local(LocalInput& in) {
  for (;;) {
    Message m;
    {
      std::unique_lock lock(in.mutex);
      in.wake.wait(lock, [&] { return in.stopping || !in.queue.empty(); });
      if (in.queue.empty()) return;  // stopping and drained
      m = std::move(in.queue.front());
      in.queue.pop_front();
      in.busy = true;
    }
    try {
      in.handler(m);
    } catch (const std::exception& e) {
      LOG_ERROR("hub", in.endpoint << ": the module failed on a message: " << e.what());
    }
    std::lock_guard lock(in.mutex);
    in.busy = false;
  }
}

void Hub::run_pump(Pump& p) {
  double delay = 0;
  const Labels labels = {{"endpoint", p.endpoint}};
  auto last_sweep = std::chrono::steady_clock::now();
  auto last_gauges = std::chrono::steady_clock::time_point{};  // this pump's own check of its backlog
  std::vector<std::int64_t> unremoved;
  // The gauges scan the whole outbox: at most once a second, and once more when the queue is empty.
  bool late = false;  // the oldest waiting message is older than backlog_warn_s: WARN once, INFO when it recovers
  auto gauges = [&](bool force) {
    const auto now = std::chrono::steady_clock::now();
    if (!force && now - last_gauges < std::chrono::seconds(1)) return;
    last_gauges = now;
    const auto stats = publish_gauges(true);
    const auto it = stats.find(p.endpoint);
    const std::uint64_t depth = it == stats.end() ? 0 : it->second.depth;
    const double age = depth ? (unix_now_ms() - it->second.oldest_enqueued_ms) / 1000.0 : 0;
    if (!late && options_.backlog_warn_s > 0 && age > options_.backlog_warn_s) {
      late = true;
      LOG_WARN("hub", p.endpoint << (p.sender ? " (" + p.sender->describe() + ")" : std::string()) << ": " << depth
                                 << " message(s) wait, the oldest " << static_cast<std::int64_t>(age) << " s old");
    } else if (late && age <= options_.backlog_warn_s) {
      late = false;
      LOG_INFO("hub", p.endpoint << ": the backlog is down to " << depth << " message(s)");
    }
  };
  for (;;) {
    {
      std::unique_lock lock(p.mutex);
      if (delay > 0) p.wake.wait_for(lock, std::chrono::duration<double>(delay), [&] { return p.stopping; });
      else p.wake.wait_for(lock, std::chrono::seconds(1), [&] { return p.stopping || p.pending; });
      if (p.stopping) return;
      p.pending = false;
    }
    if (std::chrono::steady_clock::now() - last_sweep > std::chrono::seconds(30)) {
      (void)outbox_.sweep(unix_now_ms());
      last_sweep = std::chrono::steady_clock::now();
    }
    gauges(false);
    if (!p.sender) continue;
    // Delivered messages whose removal from the store failed (a full disk): removed again before anything else is
    // read, never sent again in a loop.
    if (!unremoved.empty()) {
      if (auto s = outbox_.remove(unremoved); !s) {
        delay = options_.retry_max_s;
        continue;
      }
      LOG_INFO("hub", p.endpoint << ": the " << unremoved.size() << " delivered message(s) are marked as such again");
      unremoved.clear();
    }
    for (;;) {
      auto batch = outbox_.peek(p.endpoint, 64, unix_now_ms());
      if (!batch) {
        LOG_ERROR("hub", batch.error().message);
        delay = options_.retry_max_s;
        break;
      }
      if (batch->empty()) {
        delay = 0;
        gauges(true);
        break;
      }
      std::vector<std::int64_t> done;
      const Status failed = deliver(p, *batch, done);
      if (auto s = outbox_.remove(done); !s) {
        LOG_ERROR("hub", p.endpoint << ": " << done.size() << " delivered message(s) could not be marked as delivered ("
                                    << s.error().message << "); retrying that before sending anything else");
        unremoved.insert(unremoved.end(), done.begin(), done.end());
        delay = options_.retry_initial_s;
        p.delivered.fetch_add(done.size());
        break;
      }
      p.delivered.fetch_add(done.size());
      metrics_.inc("vigil_outbox_delivered_total", labels, static_cast<double>(done.size()));
      if (!done.empty()) metrics_.set("vigil_outbox_last_success_timestamp_seconds", labels, unix_now_ms() / 1000.0);
      if (!failed) {
        p.failures.fetch_add(1);
        metrics_.inc("vigil_outbox_delivery_failures_total", labels);
        if (delay == 0)
          LOG_WARN("hub", p.endpoint << " (" << p.sender->describe() << "): " << failed.error().message
                                     << "; messages wait in the outbox, retrying");
        delay = delay == 0 ? options_.retry_initial_s : std::min(options_.retry_max_s, delay * 2);
        gauges(true);
        break;
      }
      if (delay > 0) LOG_INFO("hub", p.endpoint << " delivers again");
      delay = 0;
      gauges(false);
      std::lock_guard lock(p.mutex);
      if (p.stopping) return;
    }
  }
}

Status Hub::deliver(Pump& p, const std::vector<OutboxEntry>& batch, std::vector<std::int64_t>& done) {
  const std::size_t round = std::max<std::size_t>(1, p.sender->parallel());
  for (std::size_t at = 0; at < batch.size(); at += round) {
    {
      std::lock_guard lock(p.mutex);
      if (p.stopping) return ok_status();
    }
    std::vector<const Message*> messages;
    for (std::size_t i = at; i < std::min(batch.size(), at + round); ++i) {
      LOG_DEBUG("hub", "deliver " << p.endpoint << " " << batch[i].message.system.message_id);
      messages.push_back(&batch[i].message);
    }
    const auto results = p.sender->send_batch(messages);
    Status failed = ok_status();
    for (std::size_t i = 0; i < messages.size(); ++i) {
      if (i < results.size() && results[i]) done.push_back(batch[at + i].id);
      else if (failed) failed = i < results.size() ? results[i] : make_error(ErrorCode::Internal, "no result");
    }
    if (!failed) return failed;  // what did arrive is removed; the rest waits for the next attempt
  }
  return ok_status();
}

std::map<std::string, EndpointStats> Hub::publish_gauges(bool force) {
  const auto now = unix_now_ms();
  std::int64_t last = last_gauges_ms_.load();
  if (!force && (now - last < 1000 || !last_gauges_ms_.compare_exchange_strong(last, now))) return {};
  last_gauges_ms_ = now;
  auto stats = outbox_.stats();
  for (const auto& [endpoint, s] : stats) {
    const Labels l = {{"endpoint", endpoint}};
    metrics_.set("vigil_outbox_depth", l, static_cast<double>(s.depth));
    metrics_.set("vigil_outbox_oldest_age_seconds", l, s.oldest_enqueued_ms ? (now - s.oldest_enqueued_ms) / 1000.0 : 0);
    metrics_.set("vigil_outbox_expired_total", l, static_cast<double>(s.expired));
    metrics_.set("vigil_outbox_evicted_total", l, static_cast<double>(s.evicted));
  }
  return stats;
}

std::uint64_t Hub::delivered(const std::string& endpoint) const {
  std::lock_guard lock(mutex_);
  auto it = pumps_.find(endpoint);
  return it == pumps_.end() ? 0 : it->second->delivered.load();
}

}  // namespace vigil::hub
