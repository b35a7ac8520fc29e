#include "hub/condition.h"
#include "core/json_text.h"
#include "core/text.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <optional>

#include <nlohmann/json.hpp>

namespace vigil::hub {

// ─── tokens ─────────────────────────────────────────────────────────────────────────────────────────────────
namespace {

enum class Tok {
  End, Number, String, Ident, SysProp, ForcedSys, Body, ForcedBody, LParen, RParen, Comma,
  Plus, Minus, Star, Slash, Percent, Concat, Lt, Le, Gt, Ge, Eq, Ne, Coalesce,
  And, Or, Not, True, False, Null, Undefined, Bad,
};

struct BodyStep {
  std::string key;  // empty with index >= 0: an array index
  int index = -1;
};

struct Token {
  Tok t = Tok::End;
  std::string text;  // the source text of the token
  std::string name;  // identifier / property name / string value
  double num = 0;
  std::vector<BodyStep> path;
  std::size_t pos = 0;  // 0-based offset
  std::string bad;      // why a Bad token is bad
};

bool ident_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

class Lexer {
 public:
  explicit Lexer(std::string_view s) : s_(s) {}

  Token next() {
    skip_space();
    Token t;
    t.pos = i_;
    if (i_ >= s_.size()) return t;
    const char c = s_[i_];
    auto one = [&](Tok k, std::size_t n) {
      t.t = k;
      t.text = std::string(s_.substr(i_, n));
      i_ += n;
      return t;
    };
    auto at = [&](std::size_t k) { return i_ + k < s_.size() ? s_[i_ + k] : '\0'; };
    switch (c) {
      case '(': return one(Tok::LParen, 1);
      case ')': return one(Tok::RParen, 1);
      case ',': return one(Tok::Comma, 1);
      case '+': return one(Tok::Plus, 1);
      case '-': return one(Tok::Minus, 1);
      case '*': return one(Tok::Star, 1);
      case '/': return one(Tok::Slash, 1);
      case '%': return one(Tok::Percent, 1);
      case '=': return one(Tok::Eq, 1);
      case '|': return at(1) == '|' ? one(Tok::Concat, 2) : bad(t, 1, "'|' (did you mean '||' or OR?)");
      case '?': return at(1) == '?' ? one(Tok::Coalesce, 2) : bad(t, 1, "'?' (did you mean '?" "?')");
      case '!': return at(1) == '=' ? one(Tok::Ne, 2) : bad(t, 1, "'!' (use NOT, or != to compare)");
      case '<': return at(1) == '=' ? one(Tok::Le, 2) : at(1) == '>' ? one(Tok::Ne, 2) : one(Tok::Lt, 1);
      case '>': return at(1) == '=' ? one(Tok::Ge, 2) : one(Tok::Gt, 1);
      case '\'':
      case '"': return string_token(t, c);
      case '$': return dollar(t, false);
      case '{': return braced(t);
      default: break;
    }
    if (std::isdigit(static_cast<unsigned char>(c)) || (c == '.' && std::isdigit(static_cast<unsigned char>(at(1)))))
      return number(t);
    if (ident_start(c)) {
      std::size_t j = i_;
      while (j < s_.size() && ident_char(s_[j])) ++j;
      t.text = std::string(s_.substr(i_, j - i_));
      t.name = t.text;
      i_ = j;
      if (iequals(t.text, "AND")) t.t = Tok::And;
      else if (iequals(t.text, "OR")) t.t = Tok::Or;
      else if (iequals(t.text, "NOT")) t.t = Tok::Not;
      else if (t.text == "true") t.t = Tok::True;
      else if (t.text == "false") t.t = Tok::False;
      else if (t.text == "null") t.t = Tok::Null;
      else if (t.text == "undefined") t.t = Tok::Undefined;
      else t.t = Tok::Ident;
      return t;
    }
    return bad(t, 1, "'" + std::string(1, c) + "'");
  }

  std::size_t offset() const { return i_; }

 private:
  Token bad(Token& t, std::size_t n, std::string why) {
    t.t = Tok::Bad;
    t.text = std::string(s_.substr(i_, n));
    t.bad = std::move(why);
    i_ += n;
    return t;
  }

  void skip_space() {
    for (;;) {
      while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
      if (i_ + 1 < s_.size() && s_[i_] == '/' && s_[i_ + 1] == '*') {
        const auto end = s_.find("*/", i_ + 2);
        i_ = end == std::string_view::npos ? s_.size() : end + 2;
        continue;
      }
      return;
    }
  }

  Token number(Token& t) {
    std::size_t j = i_;
    if (s_[j] == '0' && j + 1 < s_.size() && (s_[j + 1] == 'x' || s_[j + 1] == 'X')) {
      j += 2;
      const std::size_t digits = j;
      while (j < s_.size() && std::isxdigit(static_cast<unsigned char>(s_[j]))) ++j;
      if (j == digits) return bad(t, j - i_, "a hexadecimal number without digits");
      t.num = static_cast<double>(std::strtoull(std::string(s_.substr(digits, j - digits)).c_str(), nullptr, 16));
    } else {
      while (j < s_.size() && std::isdigit(static_cast<unsigned char>(s_[j]))) ++j;
      if (j < s_.size() && s_[j] == '.') {
        ++j;
        while (j < s_.size() && std::isdigit(static_cast<unsigned char>(s_[j]))) ++j;
      }
      if (j < s_.size() && (s_[j] == 'e' || s_[j] == 'E')) {
        std::size_t k = j + 1;
        if (k < s_.size() && (s_[k] == '+' || s_[k] == '-')) ++k;
        if (k < s_.size() && std::isdigit(static_cast<unsigned char>(s_[k]))) {
          j = k;
          while (j < s_.size() && std::isdigit(static_cast<unsigned char>(s_[j]))) ++j;
        }
      }
      t.num = std::strtod(std::string(s_.substr(i_, j - i_)).c_str(), nullptr);
    }
    if (j < s_.size() && ident_char(s_[j])) return bad(t, j - i_ + 1, "a number run into a name");
    t.t = Tok::Number;
    t.text = std::string(s_.substr(i_, j - i_));
    i_ = j;
    return t;
  }

  Token string_token(Token& t, char quote) {
    std::string out;
    std::size_t j = i_ + 1;
    while (j < s_.size() && s_[j] != quote) {
      if (s_[j] == '\\' && j + 1 < s_.size()) {
        const char e = s_[j + 1];
        if (e == 'u') {
          const std::string hex(s_.substr(j + 2, std::min<std::size_t>(4, s_.size() - j - 2)));
          if (hex.size() != 4 || !std::all_of(hex.begin(), hex.end(), [](char h) { return std::isxdigit(static_cast<unsigned char>(h)); }))
            return bad(t, j + 2 - i_, "a \\u escape without four hex digits");
          append_utf8(out, static_cast<unsigned>(std::strtoul(hex.c_str(), nullptr, 16)));
          j += 6;
          continue;
        }
        if (e == '\\' || e == '\'' || e == '"') out += e;
        else if (e == 'n') out += '\n';
        else if (e == 't') out += '\t';
        else if (e == 'r') out += '\r';
        else return bad(t, j + 2 - i_, std::string("an unknown escape \\") + e);
        j += 2;
        continue;
      }
      out += s_[j++];
    }
    if (j >= s_.size()) return bad(t, s_.size() - i_, "a string without its closing quote");
    t.t = Tok::String;
    t.name = std::move(out);
    t.text = std::string(s_.substr(i_, j + 1 - i_));
    i_ = j + 1;
    return t;
  }

  static void append_utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) out += static_cast<char>(cp);
    else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  // $name, or $body followed by .key / [n] steps.
  Token dollar(Token& t, bool forced) {
    std::size_t j = i_ + 1;
    if (j >= s_.size() || !ident_start(s_[j])) return bad(t, 1, "'$' without a name after it");
    while (j < s_.size() && ident_char(s_[j])) ++j;
    t.name = std::string(s_.substr(i_ + 1, j - i_ - 1));
    if (t.name == "body") {
      while (j < s_.size() && (s_[j] == '.' || s_[j] == '[')) {
        if (s_[j] == '.') {
          std::size_t k = j + 1;
          while (k < s_.size() && ident_char(s_[k])) ++k;
          if (k == j + 1) return bad(t, k - i_, "'.' without a key after it in a $body path");
          t.path.push_back({std::string(s_.substr(j + 1, k - j - 1)), -1});
          j = k;
        } else {
          std::size_t k = j + 1;
          while (k < s_.size() && std::isdigit(static_cast<unsigned char>(s_[k]))) ++k;
          if (k == j + 1 || k >= s_.size() || s_[k] != ']') return bad(t, k - i_, "'[' without an index and ']' in a $body path");
          t.path.push_back({"", std::atoi(std::string(s_.substr(j + 1, k - j - 1)).c_str())});
          j = k + 1;
        }
      }
      if (t.path.empty()) return bad(t, j - i_, "$body without a path (write $body.key)");
      t.t = forced ? Tok::ForcedBody : Tok::Body;
    } else {
      t.t = forced ? Tok::ForcedSys : Tok::SysProp;
    }
    t.text = std::string(s_.substr(i_, j - i_));
    i_ = j;
    return t;
  }

  Token braced(Token& t) {
    const std::size_t open = i_;
    ++i_;
    if (i_ >= s_.size() || s_[i_] != '$') {
      i_ = open;
      return bad(t, 1, "'{' not followed by $name");
    }
    Token inner = dollar(t, true);
    if (inner.t == Tok::Bad) return inner;
    if (i_ >= s_.size() || s_[i_] != '}') return bad(inner, 0, "'{$" + inner.name + "' without its closing '}'");
    ++i_;
    inner.pos = open;
    inner.text = std::string(s_.substr(open, i_ - open));
    return inner;
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

}  // namespace

// ─── the tree ───────────────────────────────────────────────────────────────────────────────────────────────
enum class Type { Undefined, Null, Bool, Number, String, Any };

enum class Op {
  Literal, AppProp, SysProp, AppOrSys, Body, Neg, Not, Mul, Div, Mod, Add, Sub, Concat,
  Lt, Le, Gt, Ge, Eq, Ne, And, Or, Coalesce, Call,
};

struct Expr {
  Op op = Op::Literal;
  Type type = Type::Any;
  Value literal;
  std::string name;  // property name, function name (lower case)
  std::vector<BodyStep> path;
  std::vector<std::shared_ptr<const Expr>> args;
  std::size_t column = 0;
  std::string text;  // source text of a leaf, for messages
};

namespace {

using ExprPtr = std::shared_ptr<const Expr>;

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
    {"contains", 2, 2, Type::String, Type::Bool},     {"twin_change_includes", 2, 64, Type::Any, Type::Bool},
};

const FunctionSpec* find_function(const std::string& lower_name) {
  for (const auto& f : kFunctions)
    if (lower_name == f.name) return &f;
  return nullptr;
}

std::string describe_token(const Token& t) {
  switch (t.t) {
    case Tok::End: return "the end";
    case Tok::Bad: return t.bad;
    default: return "'" + t.text + "'";
  }
}

class Parser {
 public:
  Parser(std::string_view text, std::size_t column_offset) : lex_(text), offset_(column_offset) { advance(); }

  std::optional<SyntaxError> error;

  ExprPtr parse_expression() { return coalesce(); }
  const Token& current() const { return tok_; }

 private:
  void advance() { tok_ = lex_.next(); }

  void fail(const Token& at, std::string expected, std::string message = {}) {
    if (error) return;
    SyntaxError e;
    e.column = offset_ + at.pos + 1;
    e.found = describe_token(at);
    e.expected = std::move(expected);
    e.message = message.empty() ? "column " + std::to_string(e.column) + ": found " + e.found + ", expected " + e.expected
                                : "column " + std::to_string(e.column) + ": " + message;
    error = std::move(e);
  }

  void type_error(const ExprPtr& at, const std::string& message) {
    if (error) return;
    SyntaxError e;
    e.column = at->column;
    e.found = at->text;
    e.expected = "operands of matching types";
    e.message = "column " + std::to_string(e.column) + ": " + message;
    error = std::move(e);
  }

  std::shared_ptr<Expr> make(Op op, Type type, std::size_t pos, std::vector<ExprPtr> args = {}) {
    auto e = std::make_shared<Expr>();
    e->op = op;
    e->type = type;
    e->column = offset_ + pos + 1;
    e->args = std::move(args);
    return e;
  }

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
    type_error(e, "operator " + op + " cannot take " + type_name(e->type) + hint(e));
  }

  void need_same(const ExprPtr& a, const ExprPtr& b, const std::string& op) {
    if (known(a->type) && known(b->type) && a->type != b->type) {
      const ExprPtr& prop = (a->type == Type::String) ? a : b;
      type_error(a, "operator " + op + " compares " + type_name(a->type) + " with " + type_name(b->type) + hint(prop));
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
      case Op::And: case Op::Or:
        need(l, {Type::Bool}, name);
        need(r, {Type::Bool}, name);
        type = Type::Bool;
        break;
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
      advance();
      ExprPtr operand = unary();
      if (error || !operand) return nullptr;
      const bool neg = t.t == Tok::Minus;
      if (!neg && known(operand->type) && operand->type != Type::Bool)
        type_error(operand, "NOT applies to the value right after it, here " + std::string(type_name(operand->type)) +
                                "; to negate a comparison write NOT (a = b)");
      if (neg) need(operand, {Type::Number}, "'" + t.text + "'");
      auto e = make(neg ? Op::Neg : Op::Not, neg ? Type::Number : Type::Bool, t.pos, {std::move(operand)});
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
    const std::string lower = to_lower(name.name);
    const FunctionSpec* f = find_function(lower);
    if (!f) {
      fail(name, "a built-in function", "unknown function '" + name.name +
                                            "' (the built-ins are abs, exp, power, square, ceiling, floor, sign, sqrt, "
                                            "as_number, is_bool, is_defined, is_null, is_number, is_string, concat, "
                                            "length, lower, upper, substring, index_of, starts_with, ends_with, "
                                            "contains, twin_change_includes)");
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
};

// ─── evaluation ─────────────────────────────────────────────────────────────────────────────────────────────

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
      case Op::Not: {
        const Value v = eval(*e.args[0]);
        return v.kind == Value::Kind::Bool ? Value::boolean(!v.b) : Value::undefined();
      }
      case Op::And: {
        const Value l = eval(*e.args[0]);
        if (l.kind == Value::Kind::Bool && !l.b) return Value::boolean(false);
        const Value r = eval(*e.args[1]);
        if (r.kind == Value::Kind::Bool && !r.b) return Value::boolean(false);
        if (l.is_true() && r.is_true()) return Value::boolean(true);
        return Value::undefined();
      }
      case Op::Or: {
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
    if (f == "lower" || f == "upper") {
      if (!str(0)) return Value::undefined();
      std::string s = a[0].s;
      for (auto& c : s) c = static_cast<char>(f == "lower" ? std::tolower(static_cast<unsigned char>(c)) : std::toupper(static_cast<unsigned char>(c)));
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
    return Value::undefined();  // twin_change_includes: vigil routes no twin change notifications
  }

  const Message& m_;
  bool parsed_ = false, usable_ = false;
  nlohmann::json doc_;
};

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

Result<Condition> Condition::parse_prefix(std::string_view text, std::size_t column_offset, std::size_t& consumed,
                                          SyntaxError* error) {
  Parser p(text, column_offset);
  ExprPtr root = p.parse_expression();
  if (!p.error && p.current().t == Tok::Bad) {
    // A bad token right after a complete expression is still a syntax error.
    SyntaxError e;
    e.column = column_offset + p.current().pos + 1;
    e.found = p.current().bad;
    e.expected = "an operator";
    e.message = "column " + std::to_string(e.column) + ": found " + e.found;
    p.error = e;
  }
  if (p.error || !root) {
    SyntaxError e = p.error.value_or(SyntaxError{column_offset + 1, "?", "a condition", "not a condition"});
    if (error) *error = e;
    return make_error(ErrorCode::InvalidArgument, e.message);
  }
  consumed = p.current().pos;
  Condition c;
  c.root_ = std::move(root);
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
      local.column = column_offset + consumed + 1;
      local.found = describe_token(t);
      local.expected = "an operator or the end of the condition";
      local.message = "column " + std::to_string(local.column) + ": found " + local.found + ", expected " + local.expected;
      if (error) *error = local;
      return make_error(ErrorCode::InvalidArgument, local.message);
    }
  }
  if (!c && error) *error = local;
  return c;
}

Value Condition::evaluate(const Message& message) const {
  Evaluation e(message);
  return e.eval(*root_);
}

std::string Condition::describe() const { return json_text(tree(*root_)); }

}  // namespace vigil::hub
