// The condition evaluator: three-valued (undefined, null, true/false) as edgeHub evaluates a route's condition
// against one message.
#include <cmath>
#include <optional>

#include <nlohmann/json.hpp>

#include "core/json_text.h"
#include "core/text.h"
#include "hub/condition_syntax.h"

namespace vigil::hub {
using namespace syntax;
namespace {

class Evaluation {
 public:
  explicit Evaluation(const Message& m) : m_(m) {}

  Value eval(const Expr& e) {
    switch (e.op) {
      case Op::Literal: return e.literal;
      case Op::AppProp: return app(e.name);
      case Op::SysProp: return sys(e.name);
      case Op::AppOrSys: {
        Value v = app("$" + e.name);
        return v.kind == Value::Kind::Undefined ? sys(e.name) : v;
      }
      case Op::Body: {
        if (!e.name.empty())
          if (Value v = app(e.name); v.kind != Value::Kind::Undefined) return v;
        return body(e.path);
      }
      case Op::Neg: {
        const Value v = eval(*e.args[0]);
        return v.kind == Value::Kind::Number ? Value::number(-v.n) : Value::undefined();
      }
      // Boolean logic is Kleene's (false AND undefined = false, true OR undefined = true). As in edgeHub, an
      // operand that is null as written makes NOT and AND null, and OR null when both are.
      case Op::Not: {
        if (e.args[0]->type == Type::Null) return Value::null();
        const Value v = eval(*e.args[0]);
        return v.kind == Value::Kind::Bool ? Value::boolean(!v.b) : Value::undefined();
      }
      case Op::And: {
        if (e.args[0]->type == Type::Null || e.args[1]->type == Type::Null) return Value::null();
        const Value l = eval(*e.args[0]);
        if (l.kind == Value::Kind::Bool && !l.b) return Value::boolean(false);
        const Value r = eval(*e.args[1]);
        if (r.kind == Value::Kind::Bool && !r.b) return Value::boolean(false);
        if (l.is_true() && r.is_true()) return Value::boolean(true);
        return Value::undefined();
      }
      case Op::Or: {
        if (e.args[0]->type == Type::Null && e.args[1]->type == Type::Null) return Value::null();
        const Value l = eval(*e.args[0]);
        if (l.is_true()) return l;
        const Value r = eval(*e.args[1]);
        if (r.is_true()) return r;
        if (l.kind == Value::Kind::Bool && r.kind == Value::Kind::Bool) return Value::boolean(false);
        return Value::undefined();
      }
      case Op::Coalesce: {
        Value l = eval(*e.args[0]);
        return l.kind != Value::Kind::Undefined ? l : eval(*e.args[1]);
      }
      case Op::Call: return call(e);
      default: return binary(e.op, eval(*e.args[0]), eval(*e.args[1]));
    }
  }

 private:
  Value app(const std::string& name) const {
    auto it = m_.properties.find(name);
    return it == m_.properties.end() ? Value::undefined() : Value::string(it->second);
  }

  Value sys(const std::string& name) const {
    const SystemProperties& s = m_.system;
    const std::string* v = nullptr;
    if (name == "messageId") v = &s.message_id;
    else if (name == "correlationId") v = &s.correlation_id;
    else if (name == "contentType") v = &m_.content_type;
    else if (name == "contentEncoding") v = &m_.content_encoding;
    else if (name == "connectionDeviceId") v = &s.connection_device_id;
    else if (name == "connectionModuleId") v = &s.connection_module_id;
    else if (name == "outputName") v = &s.output_name;
    else if (name == "inputName") v = &s.input_name;
    else if (name == "creationTimeUtc" || name == "creationTime") v = &s.creation_time_utc;
    else if (auto it = s.other.find(name); it != s.other.end()) v = &it->second;  // userId, to, messageSchema, …
    return v && !v->empty() ? Value::string(*v) : Value::undefined();
  }

  Value body(const std::vector<BodyStep>& path) {
    if (!parsed_) {
      parsed_ = true;
      const std::string enc = to_lower(m_.content_encoding);
      const bool json = iequals(m_.content_type, "application/json");
      if (json && (enc == "utf-8" || enc == "utf-16" || enc == "utf-32")) {
        doc_ = nlohmann::json::parse(m_.body, nullptr, false);
        usable_ = !doc_.is_discarded();
      }
    }
    if (!usable_) return Value::undefined();
    const nlohmann::json* j = &doc_;
    for (const auto& step : path) {
      if (step.index >= 0) {
        if (!j->is_array() || static_cast<std::size_t>(step.index) >= j->size()) return Value::undefined();
        j = &(*j)[static_cast<std::size_t>(step.index)];
      } else {
        if (!j->is_object()) return Value::undefined();
        auto it = j->find(step.key);
        if (it == j->end()) return Value::undefined();
        j = &*it;
      }
    }
    if (j->is_string()) return Value::string(j->get<std::string>());
    if (j->is_number()) return Value::number(j->get<double>());
    if (j->is_boolean()) return Value::boolean(j->get<bool>());
    if (j->is_null()) return Value::null();
    return Value::undefined();  // objects and arrays are not values of a condition
  }

  static Value binary(Op op, const Value& l, const Value& r) {
    using K = Value::Kind;
    switch (op) {
      case Op::Add: case Op::Sub: case Op::Mul: case Op::Div: case Op::Mod: {
        if (l.kind != K::Number || r.kind != K::Number) return Value::undefined();
        double v = 0;
        if (op == Op::Add) v = l.n + r.n;
        else if (op == Op::Sub) v = l.n - r.n;
        else if (op == Op::Mul) v = l.n * r.n;
        else if (r.n == 0) return Value::undefined();
        else v = op == Op::Div ? l.n / r.n : std::fmod(l.n, r.n);
        return Value::number(v);
      }
      case Op::Concat:
        if (l.kind != K::String || r.kind != K::String) return Value::undefined();
        return Value::string(l.s + r.s);
      case Op::Lt: case Op::Le: case Op::Gt: case Op::Ge: {
        if (l.kind == K::Null && r.kind == K::Null) return Value::boolean(op == Op::Le || op == Op::Ge);  // as edgeHub
        int cmp;
        if (l.kind == K::Number && r.kind == K::Number) cmp = l.n < r.n ? -1 : l.n > r.n ? 1 : 0;
        else if (l.kind == K::String && r.kind == K::String) cmp = l.s.compare(r.s);
        else return Value::undefined();
        const bool v = op == Op::Lt ? cmp < 0 : op == Op::Le ? cmp <= 0 : op == Op::Gt ? cmp > 0 : cmp >= 0;
        return Value::boolean(v);
      }
      case Op::Eq: case Op::Ne: {
        if (l.kind != r.kind || l.kind == K::Undefined) return Value::undefined();
        bool eq = true;
        if (l.kind == K::Number) eq = l.n == r.n;
        else if (l.kind == K::String) eq = l.s == r.s;
        else if (l.kind == K::Bool) eq = l.b == r.b;
        return Value::boolean(op == Op::Eq ? eq : !eq);
      }
      default: return Value::undefined();
    }
  }

  static std::size_t utf8_length(const std::string& s) {
    return static_cast<std::size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
  }

  Value call(const Expr& e) {
    using K = Value::Kind;
    std::vector<Value> a;
    for (const auto& arg : e.args) a.push_back(eval(*arg));
    const std::string& f = e.name;
    auto num = [&](std::size_t i) { return a[i].kind == K::Number; };
    auto str = [&](std::size_t i) { return a[i].kind == K::String; };
    if (f == "is_defined") return Value::boolean(a[0].kind != K::Undefined);
    if (f == "is_null") return Value::boolean(a[0].kind == K::Null);
    if (f == "is_bool") return Value::boolean(a[0].kind == K::Bool);
    if (f == "is_number") return Value::boolean(a[0].kind == K::Number);
    if (f == "is_string") return Value::boolean(a[0].kind == K::String);
    if (f == "as_number") {
      if (num(0)) return a[0];
      if (!str(0) || a[0].s.empty()) return Value::undefined();
      char* end = nullptr;
      const double v = std::strtod(a[0].s.c_str(), &end);
      if (end != a[0].s.c_str() + a[0].s.size() || std::isspace(static_cast<unsigned char>(a[0].s[0])))
        return Value::undefined();
      return Value::number(v);
    }
    if (f == "power") return num(0) && num(1) ? Value::number(std::pow(a[0].n, a[1].n)) : Value::undefined();
    if (f == "abs" || f == "exp" || f == "square" || f == "ceiling" || f == "floor" || f == "sign" || f == "sqrt") {
      if (!num(0)) return Value::undefined();
      const double x = a[0].n;
      if (f == "abs") return Value::number(std::fabs(x));
      if (f == "exp") return Value::number(std::exp(x));
      if (f == "square") return Value::number(x * x);
      if (f == "ceiling") return Value::number(std::ceil(x));
      if (f == "floor") return Value::number(std::floor(x));
      if (f == "sign") return Value::number(x > 0 ? 1 : x < 0 ? -1 : 0);
      return x < 0 ? Value::undefined() : Value::number(std::sqrt(x));
    }
    if (f == "concat") {
      std::string out;
      for (const auto& v : a) {
        if (v.kind != K::String) return Value::undefined();
        out += v.s;
      }
      return Value::string(out);
    }
    if (f == "length") return str(0) ? Value::number(static_cast<double>(utf8_length(a[0].s))) : Value::undefined();
    if (f == "lower") return str(0) ? Value::string(to_lower(a[0].s)) : Value::undefined();
    if (f == "upper") {
      if (!str(0)) return Value::undefined();
      std::string s = a[0].s;
      for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      return Value::string(s);
    }
    if (f == "substring") {
      if (!str(0) || !num(1) || (a.size() == 3 && !num(2))) return Value::undefined();
      const double start = a[1].n;
      if (start < 0 || start > static_cast<double>(a[0].s.size())) return Value::undefined();
      const std::size_t from = static_cast<std::size_t>(start);
      std::size_t len = std::string::npos;
      if (a.size() == 3) {
        if (a[2].n < 0) return Value::undefined();
        len = static_cast<std::size_t>(a[2].n);
      }
      return Value::string(a[0].s.substr(from, len));
    }
    if (f == "index_of") {
      if (!str(0) || !str(1)) return Value::undefined();
      const auto pos = a[0].s.find(a[1].s);
      return Value::number(pos == std::string::npos ? -1.0 : static_cast<double>(pos));
    }
    if (f == "starts_with" || f == "ends_with" || f == "contains") {
      if (!str(0) || !str(1)) return Value::undefined();
      const std::string& s = a[0].s;
      const std::string& p = a[1].s;
      if (f == "contains") return Value::boolean(s.find(p) != std::string::npos);
      if (p.size() > s.size()) return Value::boolean(false);
      return Value::boolean(f == "starts_with" ? s.compare(0, p.size(), p) == 0
                                               : s.compare(s.size() - p.size(), p.size(), p) == 0);
    }
    return Value::boolean(false);  // twin_change_includes: a telemetry message changes no twin
  }

  const Message& m_;
  bool parsed_ = false, usable_ = false;
  nlohmann::json doc_;
};

}  // namespace

std::string Value::to_text() const {
  switch (kind) {
    case Kind::Undefined: return "undefined";
    case Kind::Null: return "null";
    case Kind::Bool: return b ? "true" : "false";
    case Kind::Number: return json_text(nlohmann::json(n));
    case Kind::String: return json_text(nlohmann::json(s));
  }
  return "?";
}

Value Condition::evaluate(const Message& message) const {
  Evaluation e(message);
  return e.eval(*root_);
}

}  // namespace vigil::hub
