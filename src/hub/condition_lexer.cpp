// The condition lexer: numbers (int, real, 0x hex), 'strings' and "strings" with escapes, names, $properties,
// {$system properties}, $body paths, operators and keywords.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>

#include "core/text.h"
#include "hub/condition_syntax.h"

namespace vigil::hub::syntax {
namespace {

bool ident_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

}  // namespace

Token Lexer::next() {
  i_ = skip_blanks(s_, i_);
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
  std::string quoted = "'";  // built up, not with operator+: GCC 12 warns falsely (-Wrestrict) about that form here
  quoted += c;
  quoted += '\'';
  return bad(t, 1, quoted);
}

Token Lexer::bad(Token& t, std::size_t n, std::string why) {
  t.t = Tok::Bad;
  t.text = std::string(s_.substr(i_, n));
  t.bad = std::move(why);
  i_ += n;
  return t;
}

}  // namespace vigil::hub::syntax

namespace vigil::hub {

std::size_t skip_blanks(std::string_view s, std::size_t i) {
  for (;;) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    if (i + 1 >= s.size() || s[i] != '/' || s[i + 1] != '*') return i;
    const auto end = s.find("*/", i + 2);
    i = end == std::string_view::npos ? s.size() : end + 2;
  }
}

}  // namespace vigil::hub

namespace vigil::hub::syntax {

Token Lexer::number(Token& t) {
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

Token Lexer::string_token(Token& t, char quote) {
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

Token Lexer::dollar(Token& t, bool forced) {
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

Token Lexer::braced(Token& t) {
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

}  // namespace vigil::hub::syntax
