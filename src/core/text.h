// Small text helpers shared by the parsers: ASCII case folding and URL (percent) encoding as query strings,
// MQTT property bags and form bodies use it. Pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vigil {

std::string to_lower(std::string s);                 // ASCII only
// Every piece, empty ones too; the pieces point into `s`, which must outlive them.
std::vector<std::string_view> split(std::string_view s, char sep);
std::string trim(std::string_view s);                // spaces and tabs at both ends
std::string html_escape(std::string_view s);         // & < > " '
std::string hex_encode(std::string_view bytes);      // lower-case, two digits a byte
bool iequals(std::string_view a, std::string_view b);  // ASCII case-insensitive

// Every byte but A–Z a–z 0–9 - _ . ~ as %XX (upper-case hex; a space is %20, never '+').
std::string url_encode(std::string_view s);
// %XX to bytes; '+' becomes a space only when `plus_is_space` (HTML forms), else it stays '+' (property bags).
std::string url_decode(std::string_view s, bool plus_is_space = false);

// The text with its secrets replaced by "***", for logs and error messages: the password of a URL's user
// (scheme://user:***@host), and the values of SharedAccessKey=, SharedAccessSignature= (its sig=), secret=, password=,
// pass=, key= and token= (case-insensitive) in connection strings, query strings and fragments.
std::string redact_secrets(std::string_view text);

// A whole number written in decimal digits only (no sign, no spaces) within [min, max]; nullopt otherwise, never an
// exception (huge numbers included).
std::optional<long long> parse_whole(std::string_view text, long long min, long long max);
// A TCP port, 1-65535 (0 too when `allow_any`: "any free port").
std::optional<int> parse_port(std::string_view text, bool allow_any = false);

}  // namespace vigil
