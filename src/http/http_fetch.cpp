#include "http/http_fetch.h"

#include <cctype>
#include <mutex>

#include <curl/curl.h>

namespace vigil::http {
namespace {

struct Sink {
  std::string data;
  std::size_t max;
  bool overflow = false;
};

std::size_t on_data(char* ptr, std::size_t size, std::size_t n, void* user) {
  auto* sink = static_cast<Sink*>(user);
  const std::size_t len = size * n;
  if (sink->data.size() + len > sink->max) {
    sink->overflow = true;
    return 0;  // aborts the transfer
  }
  sink->data.append(ptr, len);
  return len;
}

bool starts_with_ci(const std::string& s, const char* prefix) {
  for (std::size_t i = 0; prefix[i]; ++i)
    if (i >= s.size() || std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  return true;
}

}  // namespace

Result<std::string> fetch_url(const std::string& url, const FetchLimits& limits) {
  static std::once_flag init;
  std::call_once(init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (!starts_with_ci(url, "http://") && !starts_with_ci(url, "https://"))
    return make_error(ErrorCode::InvalidArgument, "the url must start with http:// or https://");

  CURL* curl = curl_easy_init();
  if (!curl) return make_error(ErrorCode::Internal, "libcurl could not start a transfer");
  Sink sink{{}, limits.max_bytes};
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 5L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, limits.timeout_ms);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, limits.connect_timeout_ms);
  curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(limits.max_bytes));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "vigil/" VIGIL_VERSION);
  const CURLcode rc = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(curl);

  const std::string mb = std::to_string(limits.max_bytes / (1024 * 1024)) + " MB";
  if (sink.overflow || rc == CURLE_FILESIZE_EXCEEDED)
    return make_error(ErrorCode::TooLarge, "the image at the url is larger than " + mb);
  if (rc == CURLE_OPERATION_TIMEDOUT)
    return make_error(ErrorCode::Timeout, "fetching the url took longer than " + std::to_string(limits.timeout_ms) + " ms");
  if (rc == CURLE_URL_MALFORMAT || rc == CURLE_UNSUPPORTED_PROTOCOL)
    return make_error(ErrorCode::InvalidArgument, std::string("the url is not valid: ") + (errbuf[0] ? errbuf : curl_easy_strerror(rc)));
  if (rc != CURLE_OK)
    return make_error(ErrorCode::Unavailable, std::string("cannot fetch the url: ") + (errbuf[0] ? errbuf : curl_easy_strerror(rc)));
  if (status < 200 || status >= 300)
    return make_error(ErrorCode::Unavailable, "the url answered HTTP " + std::to_string(status));
  return std::move(sink.data);
}

}  // namespace vigil::http
