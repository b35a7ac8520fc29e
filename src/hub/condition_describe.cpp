// The condition describer: the parsed tree as JSON (`vigil route --explain`, the fuzz target's round trip).
#include <nlohmann/json.hpp>

#include "core/json_text.h"
#include "hub/condition_syntax.h"

namespace vigil::hub {
using namespace syntax;
namespace {

const char* op_name(Op op) {
  switch (op) {
    case Op::Literal: return "literal";
    case Op::AppProp: return "property";
    case Op::SysProp: return "systemProperty";
    case Op::AppOrSys: return "propertyOrSystemProperty";
    case Op::Body: return "body";
    case Op::Neg: return "-";
    case Op::Not: return "NOT";
    case Op::Mul: return "*";
    case Op::Div: return "/";
    case Op::Mod: return "%";
    case Op::Add: return "+";
    case Op::Sub: return "-";
    case Op::Concat: return "||";
    case Op::Lt: return "<";
    case Op::Le: return "<=";
    case Op::Gt: return ">";
    case Op::Ge: return ">=";
    case Op::Eq: return "=";
    case Op::Ne: return "!=";
    case Op::And: return "AND";
    case Op::Or: return "OR";
    case Op::Coalesce: return "??";
    case Op::Call: return "call";
  }
  return "?";
}

nlohmann::ordered_json tree(const Expr& e) {
  nlohmann::ordered_json j;
  j["op"] = op_name(e.op);
  if (e.op == Op::Literal) {
    switch (e.literal.kind) {
      case Value::Kind::Undefined: j["value"] = "undefined"; break;
      case Value::Kind::Null: j["value"] = nullptr; break;
      case Value::Kind::Bool: j["value"] = e.literal.b; break;
      case Value::Kind::Number: j["value"] = e.literal.n; break;
      case Value::Kind::String: j["value"] = e.literal.s; break;
    }
  } else if (e.op == Op::AppProp || e.op == Op::SysProp || e.op == Op::AppOrSys) {
    j["name"] = e.name;
  } else if (e.op == Op::Body) {
    nlohmann::ordered_json path = nlohmann::ordered_json::array();
    for (const auto& s : e.path) {
      if (s.index >= 0) path.push_back(s.index);
      else path.push_back(s.key);
    }
    j["path"] = path;
  } else {
    if (e.op == Op::Call) j["function"] = e.name;
    nlohmann::ordered_json args = nlohmann::ordered_json::array();
    for (const auto& a : e.args) args.push_back(tree(*a));
    j["args"] = args;
  }
  return j;
}

}  // namespace

std::string Condition::describe() const { return json_text(tree(*root_)); }

}  // namespace vigil::hub
