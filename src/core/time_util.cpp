#include "core/time_util.h"

#include <cctype>
#include <cstdio>
#include <ctime>

namespace vigil {

std::string format_utc_iso(std::chrono::system_clock::time_point t, int fraction_digits) {
  using namespace std::chrono;
  const auto us = duration_cast<microseconds>(t.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(us / 1000000);
  long frac = static_cast<long>(us % 1000000);
  if (frac < 0) { frac += 1000000; secs -= 1; }
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out(buf, n);
  if (fraction_digits > 0) {
    if (fraction_digits > 6) fraction_digits = 6;
    char f[8];
    std::snprintf(f, sizeof f, "%06ld", frac);
    out += '.';
    out.append(f, static_cast<std::size_t>(fraction_digits));
  }
  return out;
}

std::string file_stamp(std::chrono::system_clock::time_point t) {
  std::string s = format_utc_iso(t, 0);
  for (char& c : s)
    if (c == ':') c = '-';
  return s;
}

std::int64_t unix_now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::optional<std::chrono::system_clock::time_point> parse_utc_iso(std::string_view t) {
  int y, mo, d, h, mi, s, n = 0;
  const std::string text(t);
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &s, &n) != 6 || n != 19)
    return std::nullopt;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return std::nullopt;
  std::size_t i = 19;
  long long micros = 0;
  if (i < text.size() && text[i] == '.') {
    int digits = 0;
    for (++i; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])); ++i, ++digits)
      if (digits < 6) micros = micros * 10 + (text[i] - '0');
    if (digits == 0) return std::nullopt;
    for (; digits < 6; ++digits) micros *= 10;
  }
  long offset_s = 0;
  if (i < text.size()) {
    if (text[i] == 'Z' || text[i] == 'z') {
      ++i;
    } else if (text[i] == '+' || text[i] == '-') {
      int oh, om;
      if (text.size() - i != 6 || std::sscanf(text.c_str() + i + 1, "%2d:%2d", &oh, &om) != 2) return std::nullopt;
      offset_s = (text[i] == '+' ? 1 : -1) * (oh * 3600L + om * 60L);
      i += 6;
    }
    if (i != text.size()) return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  const std::time_t secs = timegm(&tm) - offset_s;
  return std::chrono::system_clock::time_point(std::chrono::seconds(secs)) + std::chrono::microseconds(micros);
}

}  // namespace vigil
