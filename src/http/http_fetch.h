// The one wrapper around libcurl for fetching a URL's bytes (the prediction API's /url routes).
// Only http:// and https:// are allowed; the body is capped and the whole transfer has a deadline.
// Thread-safe (one easy handle per call).
#pragma once

#include <string>

#include "core/result.h"

namespace vigil::http {

struct FetchLimits {
  std::size_t max_bytes = 4u << 20;
  long timeout_ms = 10000;
  long connect_timeout_ms = 5000;
};

// Errors: InvalidArgument (not an http(s) URL), TooLarge, Timeout, Unavailable (DNS, connect, non-2xx).
Result<std::string> fetch_url(const std::string& url, const FetchLimits& limits = {});

}  // namespace vigil::http
