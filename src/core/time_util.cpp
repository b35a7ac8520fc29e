#include "core/time_util.h"

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

}  // namespace vigil
