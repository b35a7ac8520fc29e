// Route conditions: the WHERE language of IoT Edge routes (spec azure-iot.md §2.3), parsed once into a tree and
// evaluated per message. Pure: no I/O, no threads.
//
//   precedence (high → low):  - NOT  │  * / %  │  + - ||  │  < <= > >=  │  = != <>  │  AND  │  OR  │  ??
//   literals: numbers (int, real, 0x hex; all doubles), 'strings' and "strings", true false null undefined
//   name        application property (a string)        $name     application property "$name", else system property
//   {$name}     the system property                     $body.a[0].b  JSON body query (application/json + utf-8/16/32)
//
// Evaluation is three-valued: a missing property, a body that cannot be queried, a value of the wrong type at run
// time, or arithmetic on undefined all give `undefined`, and a route matches only when its condition is `true`.
// Types known when parsing are checked then: `score > 0.5` (a string property against a number) is accepted, as
// edgeHub accepts the route, with a warning that advises `as_number(score) > 0.5`; at run time it is undefined.
// `null` in boolean logic follows edgeHub: `null AND x` and `NOT null` are null, `null OR null` is null, and `null OR
// x` is x's truth or undefined. A condition nests at most 100 levels deep.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/message.h"
#include "core/result.h"

namespace vigil::hub {

struct Value {
  enum class Kind { Undefined, Null, Bool, Number, String };
  Kind kind = Kind::Undefined;
  bool b = false;
  double n = 0;
  std::string s;

  static Value undefined() { return {}; }
  static Value null() { return of(Kind::Null); }
  static Value boolean(bool v) {
    Value x = of(Kind::Bool);
    x.b = v;
    return x;
  }
  static Value number(double v) {
    Value x = of(Kind::Number);
    x.n = v;
    return x;
  }
  static Value string(std::string v) {
    Value x = of(Kind::String);
    x.s = std::move(v);
    return x;
  }
  bool is_true() const { return kind == Kind::Bool && b; }
  std::string to_text() const;  // undefined, null, true, 0.5, "text"

 private:
  static Value of(Kind k) {
    Value x;
    x.kind = k;
    return x;
  }
};

// Where a parse failed: 1-based column in the text given, what was found there and what was expected.
struct SyntaxError {
  std::size_t column = 0;
  std::string found, expected, message;  // message: a sentence for people
};

struct Expr;  // the parsed tree (condition_syntax.h)

// The offset of the first character at or after `i` that is neither white space nor inside a /* comment */: the
// route and its condition skip both alike (an unclosed comment runs to the end).
std::size_t skip_blanks(std::string_view s, std::size_t i);

class Condition {
 public:
  // Parses a whole condition. Errors carry columns counted from `column_offset` + 1 (for conditions inside routes).
  static Result<Condition> parse(std::string_view text, std::size_t column_offset = 0, SyntaxError* error = nullptr);
  // Parses a condition at the start of `text` and stops before the first token that cannot continue it (INTO);
  // `consumed` is set to the number of characters used.
  static Result<Condition> parse_prefix(std::string_view text, std::size_t column_offset, std::size_t& consumed,
                                        SyntaxError* error = nullptr);

  Value evaluate(const Message& message) const;
  std::string text() const { return text_; }
  // The tree as JSON text, for `vigil route parse`.
  std::string describe() const;
  // What parses but cannot be what the author meant (a string property compared with a number): each with its
  // column and advice. edgeHub takes such a route; so does vigil, and says so.
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  std::shared_ptr<const Expr> root_;
  std::string text_;
  std::vector<std::string> warnings_;
};

}  // namespace vigil::hub
