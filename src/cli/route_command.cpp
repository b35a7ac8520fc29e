// vigil route: ask why a route does or does not match.
//   vigil route parse "<route>"                       the parsed route as JSON (exit 1 and the error on a bad route)
//   vigil route eval "<condition or route>" --message FILE
//                                                    true / false / undefined for the message (exit 0 / 1 / 2;
//                                                    3 when the condition or message is bad)
#include <fstream>
#include <iostream>
#include <sstream>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "hub/route.h"

namespace vigil::cli {
namespace {

void show_error(const std::string& what, const std::string& text, const hub::SyntaxError& e) {
  std::cerr << "vigil route: " << what << ": " << e.message << "\n  " << text << "\n  "
            << std::string(e.column > 0 ? e.column - 1 : 0, ' ') << "^\n";
}

bool looks_like_route(const std::string& text) {
  std::istringstream in(text);
  std::string first;
  in >> first;
  for (auto& c : first) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return first == "FROM" || first == "SELECT";
}

int parse_command(const std::string& text) {
  hub::SyntaxError e;
  auto r = hub::parse_route("route", text, &e);
  if (!r) {
    show_error("bad route", text, e);
    return 1;
  }
  for (const auto& w : r->warnings) std::cerr << "vigil route: warning: " << w << "\n";
  std::cout << hub::route_to_json(*r) << "\n";
  return 0;
}

int eval_command(const std::string& text, const std::string& message_file) {
  std::string json;
  if (message_file == "-") {
    json.assign(std::istreambuf_iterator<char>(std::cin), {});
  } else {
    std::ifstream f(message_file);
    if (!f) {
      std::cerr << "vigil route: cannot read message file '" << message_file << "'\n";
      return 3;
    }
    json.assign(std::istreambuf_iterator<char>(f), {});
  }
  const auto doc = nlohmann::json::parse(json, nullptr, false);
  if (doc.is_discarded()) {
    std::cerr << "vigil route: " << message_file << " is not JSON (see docs/messages.md for the message form)\n";
    return 3;
  }
  auto message = message_from_json(doc);
  if (!message) {
    std::cerr << "vigil route: " << message_file << ": " << message.error().message << "\n";
    return 3;
  }
  hub::Value v;
  hub::SyntaxError e;
  if (looks_like_route(text)) {
    auto r = hub::parse_route("route", text, &e);
    if (!r) {
      show_error("bad route", text, e);
      return 3;
    }
    for (const auto& w : r->warnings) std::cerr << "vigil route: warning: " << w << "\n";
    const std::string src = hub::message_source(*message);
    if (!hub::source_matches(r->source, src)) {
      std::cerr << "vigil route: the message's source " << src << " is not under the route's source "
                << (r->source.empty() ? "/" : r->source) << "\n";
      v = hub::Value::boolean(false);
    } else {
      v = r->condition ? r->condition->evaluate(*message) : hub::Value::boolean(true);
    }
  } else {
    auto c = hub::Condition::parse(text, 0, &e);
    if (!c) {
      show_error("bad condition", text, e);
      return 3;
    }
    for (const auto& w : c->warnings()) std::cerr << "vigil route: warning: " << w << "\n";
    v = c->evaluate(*message);
  }
  std::cout << (v.kind == hub::Value::Kind::Bool ? (v.b ? "true" : "false") : v.kind == hub::Value::Kind::Undefined ? "undefined" : v.to_text())
            << "\n";
  if (v.is_true()) return 0;
  if (v.kind == hub::Value::Kind::Bool) return 1;
  return 2;  // undefined (or not a boolean): the route does not match
}

}  // namespace

void add_route_command(CLI::App& app, Action& run) {
  auto* cmd = app.add_subcommand("route", "Parse a route, or evaluate a route condition against a message");
  cmd->require_subcommand(1);
  auto text = std::make_shared<std::string>();
  auto file = std::make_shared<std::string>();
  auto* parse = cmd->add_subcommand("parse", "Print the parsed route as JSON; exit 1 with the error on a bad route");
  parse->add_option("route", *text, "the route, e.g. \"FROM /messages/* WHERE a = 'b' INTO $upstream\"")->required();
  parse->callback([text, &run] { run = [text] { return parse_command(*text); }; });
  auto* eval = cmd->add_subcommand("eval", "Evaluate a condition (or a whole route) for a message: prints true, false or "
                                           "undefined and exits 0, 1 or 2 (3: bad input)");
  eval->add_option("condition", *text, "a WHERE condition, or a whole route")->required();
  eval->add_option("--message,-m", *file, "the message as JSON (docs/messages.md), or - for standard input")->required();
  eval->callback([text, file, &run] { run = [text, file] { return eval_command(*text, *file); }; });
}

}  // namespace vigil::cli
