// The condition parser: precedence climbing over the lexer's tokens into an Expr tree, with the types that are
// known when parsing checked then, and a limit on how deep a condition may nest.
#include <algorithm>
#include <cctype>
#include <functional>
#include <optional>

#include "core/text.h"
#include "hub/condition_syntax.h"

namespace vigil::hub {
using namespace syntax;
namespace {

const char* type_name(Type t) {
  switch (t) {
    case Type::Undefined: return "undefined";
    case Type::Null: return "null";
    case Type::Bool: return "a boolean";
    case Type::Number: return "a number";
    case Type::String: return "a string";
    case Type::Any: return "any value";
  }
  return "?";
}

bool known(Type t) { return t == Type::Bool || t == Type::Number || t == Type::String; }

struct FunctionSpec {
  const char* name;
  int min_args, max_args;
  Type arg_type;  // Any: no check
  Type result;
};

const FunctionSpec kFunctions[] = {
    {"abs", 1, 1, Type::Number, Type::Number},        {"exp", 1, 1, Type::Number, Type::Number},
    {"power", 2, 2, Type::Number, Type::Number},      {"square", 1, 1, Type::Number, Type::Number},
    {"ceiling", 1, 1, Type::Number, Type::Number},    {"floor", 1, 1, Type::Number, Type::Number},
    {"sign", 1, 1, Type::Number, Type::Number},       {"sqrt", 1, 1, Type::Number, Type::Number},
    {"as_number", 1, 1, Type::Any, Type::Number},     {"is_bool", 1, 1, Type::Any, Type::Bool},
    {"is_defined", 1, 1, Type::Any, Type::Bool},      {"is_null", 1, 1, Type::Any, Type::Bool},
    {"is_number", 1, 1, Type::Any, Type::Bool},       {"is_string", 1, 1, Type::Any, Type::Bool},
    {"concat", 2, 64, Type::String, Type::String},    {"length", 1, 1, Type::String, Type::Number},
    {"lower", 1, 1, Type::String, Type::String},      {"upper", 1, 1, Type::String, Type::String},
    {"substring", 2, 3, Type::Any, Type::String},     {"index_of", 2, 2, Type::String, Type::Number},
    {"starts_with", 2, 2, Type::String, Type::Bool},  {"ends_with", 2, 2, Type::String, Type::Bool},
    {"contains", 2, 2, Type::String, Type::Bool},     {"twin_change_includes", 1, 1, Type::String, Type::Bool},
};

const FunctionSpec* find_function(const std::string& lower_name) {
  for (const auto& f : kFunctions)
    if (lower_name == f.name) return &f;
  return nullptr;
}

// "abs, exp, …": the built-ins, for the message about an unknown one.
std::string function_names() {
  std::string out;
  for (const auto& f : kFunctions) out += std::string(out.empty() ? "" : ", ") + f.name;
  return out;
}

std::string describe_token(const Token& t) {
  switch (t.t) {
    case Tok::End: return "the end";
    case Tok::Bad: return t.bad;
    default: return "'" + t.text + "'";
  }
}

// "column 12: found 'x', expected …", or "column 12: " + `message` when one is given.
SyntaxError syntax_error(std::size_t column, std::string found, std::string expected, const std::string& message = {}) {
  SyntaxError e{column, std::move(found), std::move(expected), ""};
  e.message = "column " + std::to_string(column) + ": " + (message.empty() ? "found " + e.found + ", expected " + e.expected : message);
  return e;
}

// How deep a condition may nest (parentheses, prefix operators, function calls, and the height of the tree that
// chains of binary operators build): evaluating and describing it recurse that deep, so a hostile route must not
// overflow the stack. edgeHub's own conditions are a line or two.
constexpr std::size_t kMaxDepth = 100;

class Parser {
 public:
  Parser(std::string_view text, std::size_t column_offset) : lex_(text), offset_(column_offset) { advance(); }

  std::optional<SyntaxError> error;
  std::vector<std::string> warnings;

  ExprPtr parse_expression() { return coalesce(); }
  const Token& current() const { return tok_; }

 private:
  void advance() { tok_ = lex_.next(); }

  void fail(const Token& at, std::string expected, std::string message = {}) {
    if (!error) error = syntax_error(offset_ + at.pos + 1, describe_token(at), std::move(expected), message);
  }

  // A type mismatch vigil can see when parsing (`temp > 100`, a string property against a number): edgeHub takes
  // the route, and that part is undefined for every message at run time. Kept as a warning with the advice.
  void type_warning(const ExprPtr& at, const std::string& message) {
    warnings.push_back("column " + std::to_string(at->column) + ": " + message +
                       "; as written it is undefined for every message");
  }

  std::shared_ptr<Expr> make(Op op, Type type, std::size_t pos, std::vector<ExprPtr> args = {}) {
    auto e = std::make_shared<Expr>();
    e->op = op;
    e->type = type;
    e->column = offset_ + pos + 1;
    e->args = std::move(args);
    for (const auto& a : e->args)
      if (a) e->depth = std::max(e->depth, a->depth + 1);
    if (e->depth > kMaxDepth) too_deep(pos);
    return e;
  }

  void too_deep(std::size_t pos) {
    Token at;
    at.pos = pos;
    at.t = Tok::Bad;
    at.bad = "a condition nested more than " + std::to_string(kMaxDepth) + " levels deep";
    fail(at, "a shallower condition", "the condition nests more than " + std::to_string(kMaxDepth) +
                                          " levels deep; split it into several routes");
  }

  // Counts one more level of recursion while it lives (parentheses, prefix operators, calls).
  struct Deeper {
    Deeper(Parser& p, std::size_t pos) : p_(p) {
      if (++p_.nesting_ > kMaxDepth) p_.too_deep(pos);
    }
    ~Deeper() { --p_.nesting_; }
    Deeper(const Deeper&) = delete;
    Deeper& operator=(const Deeper&) = delete;
    Parser& p_;
  };

  static std::string hint(const ExprPtr& e) {
    if (e->op == Op::AppProp || e->op == Op::SysProp || e->op == Op::AppOrSys)
      return " ('" + e->text + "' is a property, and properties are strings: write as_number(" + e->text + "))";
    return "";
  }

  // Operand checks done while parsing; run-time mismatches (with $body values) give undefined instead.
  void need(const ExprPtr& e, std::initializer_list<Type> allowed, const std::string& op) {
    if (!known(e->type)) return;
    for (Type t : allowed)
      if (t == e->type) return;
    type_warning(e, "operator " + op + " cannot take " + type_name(e->type) + hint(e));
  }

  void need_same(const ExprPtr& a, const ExprPtr& b, const std::string& op) {
    if (known(a->type) && known(b->type) && a->type != b->type) {
      const ExprPtr& prop = (a->type == Type::String) ? a : b;
      type_warning(a, "operator " + op + " compares " + type_name(a->type) + " with " + type_name(b->type) + hint(prop));
    }
  }

  ExprPtr binary(Op op, const Token& t, ExprPtr l, ExprPtr r) {
    Type type = Type::Any;
    const std::string name = "'" + t.text + "'";
    switch (op) {
      case Op::Mul: case Op::Div: case Op::Mod: case Op::Add: case Op::Sub:
        need(l, {Type::Number}, name);
        need(r, {Type::Number}, name);
        type = Type::Number;
        break;
      case Op::Concat:
        need(l, {Type::String}, name);
        need(r, {Type::String}, name);
        type = Type::String;
        break;
      case Op::Lt: case Op::Le: case Op::Gt: case Op::Ge:
        need(l, {Type::Number, Type::String}, name);
        need(r, {Type::Number, Type::String}, name);
        need_same(l, r, name);
        type = Type::Bool;
        break;
      case Op::Eq: case Op::Ne:
        need_same(l, r, name);
        type = Type::Bool;
        break;
      case Op::And: case Op::Or: {
        need(l, {Type::Bool}, name);
        need(r, {Type::Bool}, name);
        // edgeHub's typing: AND with a null operand is null, OR with two (condition_eval.cpp).
        const bool null_l = l->type == Type::Null, null_r = r->type == Type::Null;
        type = (op == Op::And ? null_l || null_r : null_l && null_r) ? Type::Null : Type::Bool;
        break;
      }
      case Op::Coalesce:
        type = l->type == r->type ? l->type : Type::Any;
        break;
      default: break;
    }
    auto e = make(op, type, t.pos, {std::move(l), std::move(r)});
    e->text = t.text;
    return e;
  }

  template <typename Next>
  ExprPtr left_assoc(Next next, std::initializer_list<std::pair<Tok, Op>> ops) {
    ExprPtr l = next();
    for (;;) {
      if (error || !l) return nullptr;
      const auto it = std::find_if(ops.begin(), ops.end(), [&](const auto& p) { return p.first == tok_.t; });
      if (it == ops.end()) return l;
      const Token t = tok_;
      advance();
      ExprPtr r = next();
      if (error || !r) return nullptr;
      l = binary(it->second, t, std::move(l), std::move(r));
    }
  }

  ExprPtr coalesce() { return left_assoc([this] { return disjunction(); }, {{Tok::Coalesce, Op::Coalesce}}); }
  ExprPtr disjunction() { return left_assoc([this] { return conjunction(); }, {{Tok::Or, Op::Or}}); }
  ExprPtr conjunction() { return left_assoc([this] { return equality(); }, {{Tok::And, Op::And}}); }
  ExprPtr equality() { return left_assoc([this] { return relation(); }, {{Tok::Eq, Op::Eq}, {Tok::Ne, Op::Ne}}); }
  ExprPtr relation() {
    return left_assoc([this] { return additive(); },
                      {{Tok::Lt, Op::Lt}, {Tok::Le, Op::Le}, {Tok::Gt, Op::Gt}, {Tok::Ge, Op::Ge}});
  }
  ExprPtr additive() {
    return left_assoc([this] { return multiplicative(); },
                      {{Tok::Plus, Op::Add}, {Tok::Minus, Op::Sub}, {Tok::Concat, Op::Concat}});
  }
  ExprPtr multiplicative() {
    return left_assoc([this] { return unary(); }, {{Tok::Star, Op::Mul}, {Tok::Slash, Op::Div}, {Tok::Percent, Op::Mod}});
  }

  ExprPtr unary() {
    if (tok_.t == Tok::Minus || tok_.t == Tok::Not) {
      const Token t = tok_;
      Deeper deeper(*this, t.pos);
      if (error) return nullptr;
      advance();
      ExprPtr operand = unary();
      if (error || !operand) return nullptr;
      const bool neg = t.t == Tok::Minus;
      if (!neg && known(operand->type) && operand->type != Type::Bool)
        type_warning(operand, "NOT applies to the value right after it, here " + std::string(type_name(operand->type)) +
                                "; to negate a comparison write NOT (a = b)");
      if (neg) need(operand, {Type::Number}, "'" + t.text + "'");
      const Type type = neg ? Type::Number : operand->type == Type::Null ? Type::Null : Type::Bool;  // NOT null is null
      auto e = make(neg ? Op::Neg : Op::Not, type, t.pos, {std::move(operand)});
      e->text = t.text;
      return e;
    }
    return primary();
  }

  ExprPtr literal(Value v, Type type) {
    auto e = make(Op::Literal, type, tok_.pos);
    e->literal = std::move(v);
    e->text = tok_.text;
    advance();
    return e;
  }

  ExprPtr primary() {
    const Token t = tok_;
    switch (t.t) {
      case Tok::Number: return literal(Value::number(t.num), Type::Number);
      case Tok::String: return literal(Value::string(t.name), Type::String);
      case Tok::True: return literal(Value::boolean(true), Type::Bool);
      case Tok::False: return literal(Value::boolean(false), Type::Bool);
      case Tok::Null: return literal(Value::null(), Type::Null);
      case Tok::Undefined: return literal(Value::undefined(), Type::Undefined);
      case Tok::SysProp:
      case Tok::ForcedSys: {
        auto e = make(t.t == Tok::SysProp ? Op::AppOrSys : Op::SysProp, Type::String, t.pos);
        e->name = t.name;
        e->text = t.text;
        advance();
        return e;
      }
      case Tok::Body:
      case Tok::ForcedBody: {
        auto e = make(Op::Body, Type::Any, t.pos);
        e->path = t.path;
        e->text = t.text;
        e->name = t.t == Tok::Body ? t.text : "";  // an app property of that literal name wins, unless braced
        advance();
        return e;
      }
      case Tok::LParen: {
        Deeper deeper(*this, t.pos);
        if (error) return nullptr;
        advance();
        ExprPtr inner = coalesce();
        if (error || !inner) return nullptr;
        if (tok_.t != Tok::RParen) {
          fail(tok_, "')'");
          return nullptr;
        }
        advance();
        return inner;
      }
      case Tok::Ident: {
        if (iequals(t.text, "INTO") || iequals(t.text, "FROM") || iequals(t.text, "WHERE") || iequals(t.text, "SELECT")) {
          fail(t, "a value: a number, a 'string', true, false, null, a property, $body.path, a function call or '('");
          return nullptr;
        }
        advance();
        if (tok_.t == Tok::LParen) return call(t);
        auto e = make(Op::AppProp, Type::String, t.pos);
        e->name = t.name;
        e->text = t.text;
        return e;
      }
      default:
        fail(t, "a value: a number, a 'string', true, false, null, a property, $body.path, a function call or '('");
        return nullptr;
    }
  }

  ExprPtr call(const Token& name) {
    Deeper deeper(*this, name.pos);
    if (error) return nullptr;
    const std::string lower = to_lower(name.name);
    const FunctionSpec* f = find_function(lower);
    if (!f) {
      fail(name, "a built-in function", "unknown function '" + name.name + "' (the built-ins are " + function_names() + ")");
      return nullptr;
    }
    advance();  // '('
    std::vector<ExprPtr> args;
    if (tok_.t != Tok::RParen) {
      for (;;) {
        ExprPtr a = coalesce();
        if (error || !a) return nullptr;
        args.push_back(std::move(a));
        if (tok_.t == Tok::Comma) {
          advance();
          continue;
        }
        break;
      }
    }
    if (tok_.t != Tok::RParen) {
      fail(tok_, "',' or ')'");
      return nullptr;
    }
    advance();
    const int n = static_cast<int>(args.size());
    if (n < f->min_args || n > f->max_args) {
      fail(name, "the right number of arguments",
           lower + "() takes " +
               (f->min_args == f->max_args ? std::to_string(f->min_args)
                                           : std::to_string(f->min_args) + " to " + std::to_string(f->max_args)) +
               " argument" + (f->max_args == 1 ? "" : "s") + ", not " + std::to_string(n));
      return nullptr;
    }
    if (f->arg_type != Type::Any)
      for (const auto& a : args) need(a, {f->arg_type}, lower + "()");
    auto e = make(Op::Call, f->result, name.pos, std::move(args));
    e->name = lower;
    e->text = name.text;
    return e;
  }

  Lexer lex_;
  std::size_t offset_;
  Token tok_;
  std::size_t nesting_ = 0;
};

}  // namespace

Result<Condition> Condition::parse_prefix(std::string_view text, std::size_t column_offset, std::size_t& consumed,
                                          SyntaxError* error) {
  Parser p(text, column_offset);
  ExprPtr root = p.parse_expression();
  if (!p.error && p.current().t == Tok::Bad) {
    // A bad token right after a complete expression is still a syntax error.
    p.error = syntax_error(column_offset + p.current().pos + 1, p.current().bad, "an operator");
  }
  if (p.error || !root) {
    SyntaxError e = p.error.value_or(SyntaxError{column_offset + 1, "?", "a condition", "not a condition"});
    if (error) *error = e;
    return make_error(ErrorCode::InvalidArgument, e.message);
  }
  consumed = p.current().pos;
  Condition c;
  c.root_ = std::move(root);
  c.warnings_ = std::move(p.warnings);
  std::string_view used = text.substr(0, consumed);
  while (!used.empty() && std::isspace(static_cast<unsigned char>(used.back()))) used.remove_suffix(1);
  c.text_ = std::string(used);
  return c;
}

Result<Condition> Condition::parse(std::string_view text, std::size_t column_offset, SyntaxError* error) {
  std::size_t consumed = 0;
  SyntaxError local;
  auto c = parse_prefix(text, column_offset, consumed, &local);
  if (c && consumed < text.size()) {
    Lexer lex(text.substr(consumed));
    Token t = lex.next();
    if (t.t != Tok::End) {
      local = syntax_error(column_offset + consumed + 1, describe_token(t), "an operator or the end of the condition");
      if (error) *error = local;
      return make_error(ErrorCode::InvalidArgument, local.message);
    }
  }
  if (!c && error) *error = local;
  return c;
}

}  // namespace vigil::hub
