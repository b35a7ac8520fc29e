#include "hub/route.h"
#include "core/json_text.h"
#include "core/text.h"

#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>

namespace vigil::hub {
namespace {

// A hand-written scanner for the route's outer grammar; the condition has its own parser.
class RouteScanner {
 public:
  RouteScanner(const std::string& text, SyntaxError* error) : s_(text), error_(error) {}

  void skip() { i_ = skip_blanks(s_, i_); }

  // The next word ([A-Za-z$_][A-Za-z0-9_]*) without consuming it.
  std::string peek_word() {
    skip();
    std::size_t j = i_;
    if (j < s_.size() && (std::isalpha(static_cast<unsigned char>(s_[j])) || s_[j] == '$' || s_[j] == '_')) ++j;
    else return {};
    while (j < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[j])) || s_[j] == '_')) ++j;
    return s_.substr(i_, j - i_);
  }

  bool keyword(const char* k) {
    const std::string w = peek_word();
    if (!iequals(w, k)) return false;
    i_ += w.size();
    return true;
  }

  Error fail(const std::string& expected, const std::string& advice = {}) {
    skip();
    SyntaxError e;
    e.column = i_ + 1;
    e.found = found_here();
    e.expected = expected;
    e.message = "column " + std::to_string(e.column) + ": found " + e.found + ", expected " + expected + advice;
    if (error_) *error_ = e;
    return make_error(ErrorCode::InvalidArgument, e.message);
  }

  std::string found_here() const {
    if (i_ >= s_.size()) return "the end of the route";
    std::size_t j = i_;
    while (j < s_.size() && !std::isspace(static_cast<unsigned char>(s_[j])) && j - i_ < 24) ++j;
    std::string found = "'";
    found.append(s_, i_, std::max<std::size_t>(1, j - i_));
    found += '\'';
    return found;
  }

  Result<std::string> source() {
    // Whitespace only: "/*" here is the source "everything", not a comment.
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
    if (i_ >= s_.size() || s_[i_] != '/') return fail("a source starting with '/' (e.g. /messages/modules/camera/outputs/output1)");
    std::size_t j = i_;
    while (j < s_.size() && !std::isspace(static_cast<unsigned char>(s_[j]))) ++j;
    std::string src = s_.substr(i_, j - i_);
    // Each segment: '*' or a name (edgeHub's ID: any characters but ( ) < > @ , ; : \ " / [ ] ? = { } and spaces,
    // '*' included, so /messages/modules/m1* is m1's messages). Empty segments ("//") are refused.
    std::size_t k = 0;
    while (k < src.size()) {
      if (src[k] != '/') return fail("a source path");
      std::size_t e = k + 1;
      while (e < src.size() && src[e] != '/') ++e;
      const std::string seg = src.substr(k + 1, e - k - 1);
      static const std::string kNotInId = "()<>@,;:\\\"[]?={}";
      if (seg.empty() || seg.find_first_of(kNotInId) != std::string::npos) {
        i_ += k + 1;
        return fail("a path segment: '*' or a name");
      }
      k = e;
    }
    i_ = j;
    while (!src.empty() && (src.back() == '*' || src.back() == '/')) src.pop_back();
    return src;
  }

  Result<std::optional<Condition>> condition() {
    skip();
    std::size_t consumed = 0;
    SyntaxError e;
    auto c = Condition::parse_prefix(std::string_view(s_).substr(i_), i_, consumed, &e);
    if (!c) {
      if (error_) *error_ = e;
      return c.error();
    }
    i_ += consumed;
    return std::optional<Condition>(std::move(*c));
  }

  Result<Sink> sink() {
    const std::string w = peek_word();
    Sink sink;
    if (iequals(w, "$upstream")) {
      i_ += w.size();
      sink.kind = Sink::Kind::Upstream;
      return sink;
    }
    if (!iequals(w, "BrokeredEndpoint"))
      return fail("a sink: $upstream or BrokeredEndpoint(\"/modules/{module}/inputs/{input}\")");
    i_ += w.size();
    skip();
    if (i_ >= s_.size() || s_[i_] != '(') return fail("'(' after BrokeredEndpoint");
    ++i_;
    skip();
    if (i_ >= s_.size() || (s_[i_] != '"' && s_[i_] != '\'')) return fail("a quoted endpoint \"/modules/{module}/inputs/{input}\"");
    const char q = s_[i_];
    const std::size_t start = i_;
    std::string value;
    std::size_t j = i_ + 1;
    while (j < s_.size() && s_[j] != q) {
      if (s_[j] == '\\' && j + 1 < s_.size()) ++j;
      value += s_[j++];
    }
    if (j >= s_.size()) return fail("the closing quote of the endpoint");
    i_ = j + 1;
    skip();
    if (i_ >= s_.size() || s_[i_] != ')') return fail("')'");
    ++i_;
    // As edgeHub reads it: spaces trimmed, one leading and one trailing '/' dropped, then exactly four segments.
    std::string trimmed = trim(value);
    if (!trimmed.empty() && trimmed.front() == '/') trimmed.erase(0, 1);
    if (!trimmed.empty() && trimmed.back() == '/') trimmed.pop_back();
    const auto parts = split(trimmed, '/');
    if (parts.size() != 4 || parts[1].empty() || parts[3].empty()) {
      i_ = start;
      return fail("an endpoint of the form \"/modules/{module}/inputs/{input}\"");
    }
    sink.kind = Sink::Kind::ModuleInput;
    sink.module = std::string(parts[1]);
    sink.input = std::string(parts[3]);
    if (!iequals(parts[0], "modules") || !iequals(parts[2], "inputs"))
      warnings_.push_back("BrokeredEndpoint(\"" + value + "\"): edgeHub reads it as module '" + sink.module + "', input '" +
                          sink.input + "'; write \"/modules/" + sink.module + "/inputs/" + sink.input + "\"");
    return sink;
  }

  bool at_end() {
    skip();
    return i_ >= s_.size();
  }

  bool symbol(char c) {
    skip();
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }

  std::vector<std::string> warnings_;  // what edgeHub accepts but cannot be what was meant

 private:
  const std::string& s_;
  SyntaxError* error_;
  std::size_t i_ = 0;
};

}  // namespace

std::string Sink::endpoint() const {
  return kind == Kind::Upstream ? "$upstream" : "/modules/" + module + "/inputs/" + input;
}

bool valid_route_name(const std::string& name) {
  return !name.empty() && name.find_first_of(".$# ") == std::string::npos;
}

Result<Route> parse_route(const std::string& name, const std::string& text, SyntaxError* error) {
  Route r;
  r.name = name;
  r.text = text;
  RouteScanner s(text, error);
  if (s.keyword("SELECT") && !s.symbol('*')) return s.fail("'*' after SELECT (routes select whole messages)");
  if (!s.keyword("FROM")) return s.fail("FROM");
  auto source = s.source();
  if (!source) return source.error();
  r.source = std::move(*source);
  if (s.keyword("WHERE")) {
    auto c = s.condition();
    if (!c) return c.error();
    r.condition = std::move(*c);
  }
  if (!s.keyword("INTO")) return s.fail(r.condition ? "INTO (or an operator)" : "WHERE or INTO");
  auto sink = s.sink();
  if (!sink) return sink.error();
  r.sink = std::move(*sink);
  if (!s.at_end()) return s.fail("the end of the route");
  if (r.condition) r.warnings = r.condition->warnings();
  r.warnings.insert(r.warnings.end(), s.warnings_.begin(), s.warnings_.end());
  return r;
}

Result<std::vector<Route>> parse_routes(const nlohmann::json& routes) {
  if (!routes.is_object()) return make_error(ErrorCode::InvalidArgument, "routes must be an object of name: route");
  std::vector<Route> out;
  for (const auto& [name, value] : routes.items()) {
    const std::string where = "route '" + name + "'";
    if (!valid_route_name(name))
      return make_error(ErrorCode::InvalidArgument, where + ": a route name must not be empty or contain '.', '$', '#' or spaces");
    std::string text;
    int priority = kDefaultPriority;
    std::uint32_t ttl = 0;
    if (value.is_string()) {
      text = value.get<std::string>();
    } else if (value.is_object()) {
      for (const auto& [k, v] : value.items()) {
        if (k == "route") {
          if (!v.is_string()) return make_error(ErrorCode::InvalidArgument, where + ": \"route\" must be a string");
          text = v.get<std::string>();
        } else if (k == "priority") {
          if (!v.is_number_integer() || v.get<long long>() < 0 || v.get<long long>() > 9)
            return make_error(ErrorCode::InvalidArgument, where + ": priority must be a whole number from 0 (highest) to 9");
          priority = v.get<int>();
        } else if (k == "timeToLiveSecs") {
          if (!v.is_number_integer() || v.get<long long>() < 0 || v.get<long long>() > 4294967295LL)
            return make_error(ErrorCode::InvalidArgument, where + ": timeToLiveSecs must be a whole number from 0 to 4294967295");
          ttl = static_cast<std::uint32_t>(v.get<long long>());
        } else {
          return make_error(ErrorCode::InvalidArgument,
                            where + ": unknown key '" + k + "' (a route object has route, priority, timeToLiveSecs)");
        }
      }
      if (text.empty()) return make_error(ErrorCode::InvalidArgument, where + ": the object has no \"route\"");
    } else {
      return make_error(ErrorCode::InvalidArgument, where + ": must be a string or an object with \"route\"");
    }
    auto r = parse_route(name, text);
    if (!r) return make_error(ErrorCode::InvalidArgument, where + ": " + r.error().message + "\n  " + text);
    r->priority = priority;
    r->ttl_s = ttl;
    out.push_back(std::move(*r));
  }
  return out;
}

std::string message_source(const Message& m) {
  if (m.system.connection_module_id.empty()) return "/messages";
  std::string s = "/messages/modules/" + m.system.connection_module_id;
  if (!m.system.output_name.empty()) s += "/outputs/" + m.system.output_name;
  return s;
}

bool source_matches(const std::string& route_source, const std::string& message_src) {
  return to_lower(message_src + "/").rfind(to_lower(route_source + "/"), 0) == 0;
}

std::vector<Delivery> route_message(const std::vector<Route>& routes, const Message& m) {
  const std::string src = message_source(m);
  std::vector<Delivery> out;
  for (const auto& r : routes) {
    if (!source_matches(r.source, src)) continue;
    if (r.condition && !r.condition->evaluate(m).is_true()) continue;
    const std::string endpoint = r.sink.endpoint();
    auto it = std::find_if(out.begin(), out.end(), [&](const Delivery& d) { return d.sink.endpoint() == endpoint; });
    if (it == out.end()) out.push_back({r.sink, r.priority, r.ttl_s, r.name});
    else if (r.priority < it->priority) *it = {r.sink, r.priority, r.ttl_s, r.name};
  }
  return out;
}

std::string route_to_json(const Route& r) {
  nlohmann::ordered_json j;
  j["name"] = r.name;
  j["source"] = r.source.empty() ? "/" : r.source;
  if (r.condition) {
    j["condition"] = r.condition->text();
    j["conditionTree"] = nlohmann::ordered_json::parse(r.condition->describe());
  } else {
    j["condition"] = nullptr;
  }
  nlohmann::ordered_json sink;
  if (r.sink.kind == Sink::Kind::Upstream) {
    sink["kind"] = "upstream";
  } else {
    sink["kind"] = "moduleInput";
    sink["module"] = r.sink.module;
    sink["input"] = r.sink.input;
  }
  sink["endpoint"] = r.sink.endpoint();
  j["sink"] = sink;
  if (r.priority != kDefaultPriority) j["priority"] = r.priority;
  if (r.ttl_s) j["timeToLiveSecs"] = r.ttl_s;
  return json_text(j, 2);
}

}  // namespace vigil::hub
