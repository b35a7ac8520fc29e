#include "core/text.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace vigil {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string redact_secrets(std::string_view text) {
  std::string s(text);
  // user:password@ after "://"
  for (std::size_t scheme = s.find("://"); scheme != std::string::npos; scheme = s.find("://", scheme + 3)) {
    const std::size_t start = scheme + 3;
    const std::size_t end = s.find_first_of("/?# \t'\"", start);
    const std::size_t at = s.rfind('@', end == std::string::npos ? std::string::npos : end);
    if (at == std::string::npos || at < start) continue;
    const std::size_t colon = s.find(':', start);
    if (colon != std::string::npos && colon < at) s.replace(colon + 1, at - colon - 1, "***");
  }
  // key=value secrets, up to the next separator
  static const char* const keys[] = {"sharedaccesskey=", "sig=", "secret=", "password=", "pass=", "key=", "token="};
  const std::string lower = to_lower(s);
  std::string out;
  std::size_t i = 0;
  while (i < s.size()) {
    bool hit = false;
    for (const char* k : keys) {
      const std::size_t n = std::char_traits<char>::length(k);
      const bool at_start = i == 0 || std::string_view(";&?# ,").find(s[i - 1]) != std::string_view::npos;
      if (at_start && lower.compare(i, n, k) == 0) {
        out += s.substr(i, n) + "***";
        i += n;
        while (i < s.size() && std::string_view(";&# ,'\"").find(s[i]) == std::string_view::npos) ++i;
        hit = true;
        break;
      }
    }
    if (!hit) out += s[i++];
  }
  return out;
}

std::optional<long long> parse_whole(std::string_view text, long long min, long long max) {
  long long v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || text[0] == '-' || text[0] == '+' || ec != std::errc() || end != text.data() + text.size() || v < min ||
      v > max)
    return std::nullopt;
  return v;
}

std::optional<int> parse_port(std::string_view text, bool allow_any) {
  auto v = parse_whole(text, allow_any ? 0 : 1, 65535);
  if (!v) return std::nullopt;
  return static_cast<int>(*v);
}

std::string to_lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string url_encode(std::string_view s) {
  static const char* digits = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') out += static_cast<char>(c);
    else out += {'%', digits[c >> 4], digits[c & 15]};
  }
  return out;
}

std::string url_decode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else {
      out += (plus_is_space && s[i] == '+') ? ' ' : s[i];
    }
  }
  return out;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  for (;;) {
    const auto at = s.find(sep);
    out.push_back(s.substr(0, at));
    if (at == std::string_view::npos) return out;
    s.remove_prefix(at + 1);
  }
}

std::string hex_encode(std::string_view bytes) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) out += {digits[c >> 4], digits[c & 15]};
  return out;
}

std::string trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return "";
  return std::string(s.substr(b, s.find_last_not_of(" \t") - b + 1));
}

std::string html_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace vigil
