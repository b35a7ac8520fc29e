// The route condition language inside: its tokens, the lexer, and the parsed tree, shared by the parser
// (condition_parser.cpp), the evaluator (condition_eval.cpp) and the describer (condition_describe.cpp).
// condition.h is the public face; nothing outside hub/condition_*.cpp includes this.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "hub/condition.h"

namespace vigil::hub {
namespace syntax {

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

// Splits a condition into tokens, one at a time (the parser asks for the next when it needs it).
class Lexer {
 public:
  explicit Lexer(std::string_view s) : s_(s) {}

  Token next();

  std::size_t offset() const { return i_; }

 private:
  Token bad(Token& t, std::size_t n, std::string why);

  Token number(Token& t);

  Token string_token(Token& t, char quote);

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
  Token dollar(Token& t, bool forced);

  Token braced(Token& t);

  std::string_view s_;
  std::size_t i_ = 0;
};

// The parsed tree's node kinds and the types known when parsing.
enum class Type { Undefined, Null, Bool, Number, String, Any };

enum class Op {
  Literal, AppProp, SysProp, AppOrSys, Body, Neg, Not, Mul, Div, Mod, Add, Sub, Concat,
  Lt, Le, Gt, Ge, Eq, Ne, And, Or, Coalesce, Call,
};

}  // namespace syntax

struct Expr {
  syntax::Op op = syntax::Op::Literal;
  syntax::Type type = syntax::Type::Any;
  Value literal;
  std::string name;  // property name, function name (lower case)
  std::vector<syntax::BodyStep> path;
  std::vector<std::shared_ptr<const Expr>> args;
  std::size_t column = 0;
  std::string text;    // source text of a leaf, for messages
  std::size_t depth = 1;  // the height of this subtree (the parser limits it)
};

using ExprPtr = std::shared_ptr<const Expr>;

}  // namespace vigil::hub
