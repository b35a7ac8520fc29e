// vigil outbox [list] | show QUEUE | move FROM TO | drop QUEUE --yes: what waits in a state folder's outbox, per
// queue, and the operator's hands on it: a queue whose uplink is gone ($upstream-gone:<uplink>) can be moved to
// another uplink's queue or dropped. Safe next to a running `vigil run` or `vigil hub` (SQLite's own locking; the
// running hub's pumps pick up a moved queue within a second).
#include <iomanip>
#include <iostream>
#include <sstream>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "core/time_util.h"
#include "deploy/state_dir.h"
#include "hub/outbox.h"
#include "hub/queue_plan.h"

namespace vigil::cli {
namespace {

struct OutboxCliOptions {
  std::string state_dir, store, queue, to;
  std::size_t last = 20;
  bool json = false, yes = false;
};

std::string store_of(const OutboxCliOptions& o) {
  if (!o.store.empty()) return o.store;
  return (o.state_dir.empty() ? deploy::ops_state_dir() : o.state_dir) + "/outbox.db";
}

Result<std::unique_ptr<hub::Outbox>> open_store(const OutboxCliOptions& o) {
  auto box = hub::Outbox::open_existing(store_of(o));
  if (!box) std::cerr << "vigil outbox: " << box.error().message << " (pass --state-dir or --store)\n";
  return box;
}

// What a queue is for, in words.
std::string queue_for(const std::string& queue, const std::map<std::string, std::string>& uplinks) {
  if (auto it = uplinks.find(queue); it != uplinks.end()) return it->second;
  if (queue.rfind(hub::kGonePrefix, 0) == 0)
    return queue.substr(std::string(hub::kGonePrefix).size()) + " (no longer an uplink)";
  if (queue.rfind("/modules/", 0) == 0) return "module input " + queue.substr(9);
  return queue == "$upstream" ? "upstream" : "";
}

std::string age_text(std::int64_t ms) {
  const std::int64_t s = ms / 1000;
  std::ostringstream out;
  if (s < 120) out << s << " s";
  else if (s < 7200) out << s / 60 << " min";
  else out << s / 3600 << " h";
  return out.str();
}

int no_such_queue(const OutboxCliOptions& o) {
  std::cerr << "vigil outbox: nothing waits in queue '" << o.queue << "' (vigil outbox list shows the queues)\n";
  return 1;
}

int run_outbox_list(const OutboxCliOptions& o) {
  auto box = open_store(o);
  if (!box) return 1;
  const auto stats = (*box)->stats();
  const auto uplinks = (*box)->uplinks();
  const auto now = unix_now_ms();
  if (o.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& [queue, st] : stats)
      out.push_back({{"queue", queue}, {"for", queue_for(queue, uplinks)}, {"messages", st.depth}, {"bytes", st.bytes},
                     {"oldestAgeSeconds", st.depth ? (now - st.oldest_enqueued_ms) / 1000 : 0}});
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  if (stats.empty()) {
    std::cout << "nothing waits in " << store_of(o) << "\n";
    return 0;
  }
  std::cout << std::left << std::setw(36) << "QUEUE" << std::setw(10) << "MESSAGES" << std::setw(12) << "BYTES"
            << std::setw(10) << "OLDEST" << "FOR\n";
  for (const auto& [queue, st] : stats)
    std::cout << std::setw(36) << queue << std::setw(10) << st.depth << std::setw(12) << st.bytes << std::setw(10)
              << age_text(now - st.oldest_enqueued_ms) << queue_for(queue, uplinks) << "\n";
  return 0;
}

int run_outbox_show(const OutboxCliOptions& o) {
  auto box = open_store(o);
  if (!box) return 1;
  auto entries = (*box)->peek(o.queue, o.last, unix_now_ms());
  if (!entries) {
    std::cerr << "vigil outbox: " << entries.error().message << "\n";
    return 1;
  }
  if (entries->empty()) {
    return no_such_queue(o);
  }
  for (const auto& e : *entries) {
    if (o.json) {
      std::cout << message_to_json(e.message).dump() << "\n";
      continue;
    }
    std::string body = e.message.body.substr(0, 80);
    for (auto& ch : body)
      if (ch == '\n' || ch == '\r') ch = ' ';
    std::cout << "#" << e.id << "  " << format_utc_iso(std::chrono::system_clock::time_point(std::chrono::milliseconds(e.enqueued_ms)), 0)
              << "Z  " << e.message.system.message_id << "  " << body << (e.message.body.size() > 80 ? "…" : "") << "\n";
  }
  return 0;
}

int run_outbox_move(const OutboxCliOptions& o) {
  if (o.queue == o.to) {
    std::cerr << "vigil outbox move: FROM and TO are the same queue\n";
    return 2;
  }
  auto box = open_store(o);
  if (!box) return 1;
  auto n = (*box)->move_queue(o.queue, o.to);
  if (!n) {
    std::cerr << "vigil outbox: " << n.error().message << "\n";
    return 1;
  }
  if (*n == 0) {
    return no_such_queue(o);
  }
  std::cout << "moved " << *n << " message(s) from " << o.queue << " to " << o.to << "\n";
  return 0;
}

int run_outbox_drop(const OutboxCliOptions& o) {
  auto box = open_store(o);
  if (!box) return 1;
  const auto stats = (*box)->stats();
  const auto it = stats.find(o.queue);
  if (it == stats.end()) {
    return no_such_queue(o);
  }
  if (!o.yes) {
    std::cerr << "vigil outbox drop: this deletes the " << it->second.depth << " message(s) waiting in " << o.queue
              << " for good; add --yes to do it\n";
    return 1;
  }
  auto n = (*box)->drop_queue(o.queue);
  if (!n) {
    std::cerr << "vigil outbox: " << n.error().message << "\n";
    return 1;
  }
  std::cout << "dropped " << *n << " message(s) from " << o.queue << "\n";
  return 0;
}

}  // namespace

void add_outbox_command(CLI::App& app, Action& run) {
  auto o = std::make_shared<OutboxCliOptions>();
  auto* cmd = app.add_subcommand("outbox", "What waits for delivery, per queue; move or drop a queue whose uplink is gone");
  cmd->add_option("--state-dir", o->state_dir, "the run's state folder (default as vigil run)");
  cmd->add_option("--store", o->store, "the outbox file itself (vigil hub --store)");
  cmd->add_flag("--json", o->json, "print JSON");
  cmd->callback([o, cmd, &run] {
    if (cmd->get_subcommands().empty()) run = [o] { return run_outbox_list(*o); };
  });
  auto* list = cmd->add_subcommand("list", "Each queue: messages, bytes, the oldest's age, and what it is for (default)");
  list->callback([o, &run] { run = [o] { return run_outbox_list(*o); }; });
  auto* show = cmd->add_subcommand("show", "The first messages of a queue, in delivery order");
  show->add_option("queue", o->queue, "queue, as vigil outbox list names it")->required();
  show->add_option("--last", o->last, "how many")->capture_default_str();
  show->callback([o, &run] { run = [o] { return run_outbox_show(*o); }; });
  auto* move = cmd->add_subcommand("move", "Move every message of queue FROM to queue TO (after what waits there)");
  move->add_option("from", o->queue, "queue to empty")->required();
  move->add_option("to", o->to, "queue to fill, e.g. $upstream/2")->required();
  move->callback([o, &run] { run = [o] { return run_outbox_move(*o); }; });
  auto* drop = cmd->add_subcommand("drop", "Delete every message of a queue, for good (needs --yes)");
  drop->add_option("queue", o->queue, "queue to empty")->required();
  drop->add_flag("--yes", o->yes, "yes, delete them");
  drop->callback([o, &run] { run = [o] { return run_outbox_drop(*o); }; });
  for (auto* sub : {list, show, move, drop}) {
    sub->add_option("--state-dir", o->state_dir, "the run's state folder (default as vigil run)");
    sub->add_option("--store", o->store, "the outbox file itself (vigil hub --store)");
    sub->add_flag("--json", o->json, "print JSON");
  }
}

}  // namespace vigil::cli
