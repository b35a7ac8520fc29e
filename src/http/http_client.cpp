#include "http/http_client.h"

#include <algorithm>
#include <cctype>
#include <cstring>
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

struct HttpClient::Impl {
  CURL* curl = nullptr;
};

HttpClient::HttpClient(FetchLimits limits) : impl_(std::make_unique<Impl>()), limits_(limits) {
  static std::once_flag init;
  std::call_once(init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  impl_->curl = curl_easy_init();
}

HttpClient::~HttpClient() {
  if (impl_->curl) curl_easy_cleanup(impl_->curl);
}

Result<HttpReply> HttpClient::get(const std::string& url) { return perform(url, nullptr, {}, {}); }

Result<HttpReply> HttpClient::post(const std::string& url, const std::string& body, const std::string& content_type,
                                   const std::vector<std::pair<std::string, std::string>>& headers) {
  return perform(url, &body, content_type, headers);
}

Result<HttpReply> HttpClient::perform(const std::string& url, const std::string* body, const std::string& content_type,
                                      const std::vector<std::pair<std::string, std::string>>& headers) {
  if (!starts_with_ci(url, "http://") && !starts_with_ci(url, "https://"))
    return make_error(ErrorCode::InvalidArgument, "the url must start with http:// or https://");
  CURL* curl = impl_->curl;
  if (!curl) return make_error(ErrorCode::Internal, "libcurl could not start a transfer");
  curl_easy_reset(curl);  // keeps the connection cache
  Sink sink{{}, limits_.max_bytes};
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, body ? 0L : 1L);
  curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 5L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, limits_.timeout_ms);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, limits_.connect_timeout_ms);
  curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(limits_.max_bytes));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "vigil/" VIGIL_VERSION);
  curl_slist* list = nullptr;
  if (body) {
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body->data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body->size()));
    list = curl_slist_append(list, ("Content-Type: " + content_type).c_str());
    list = curl_slist_append(list, "Expect:");  // no 100-continue round trip
  }
  for (const auto& [k, v] : headers) list = curl_slist_append(list, (k + ": " + v).c_str());
  if (list) curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  const CURLcode rc = curl_easy_perform(curl);
  if (list) curl_slist_free_all(list);

  HttpReply reply;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply.status);
  char* type = nullptr;
  if (curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &type) == CURLE_OK && type) reply.content_type = type;

  const std::string mb = std::to_string(limits_.max_bytes / (1024 * 1024)) + " MB";
  if (sink.overflow || rc == CURLE_FILESIZE_EXCEEDED)
    return make_error(ErrorCode::TooLarge, "the answer from the url is larger than " + mb);
  if (rc == CURLE_OPERATION_TIMEDOUT)
    return make_error(ErrorCode::Timeout, "the url took longer than " + std::to_string(limits_.timeout_ms) + " ms");
  if (rc == CURLE_URL_MALFORMAT || rc == CURLE_UNSUPPORTED_PROTOCOL)
    return make_error(ErrorCode::InvalidArgument,
                      std::string("the url is not valid: ") + (errbuf[0] ? errbuf : curl_easy_strerror(rc)));
  if (rc != CURLE_OK)
    return make_error(ErrorCode::Unavailable,
                      std::string("cannot reach the url: ") + (errbuf[0] ? errbuf : curl_easy_strerror(rc)));
  reply.body = std::move(sink.data);
  return reply;
}

Result<std::string> fetch_url(const std::string& url, const FetchLimits& limits) {
  HttpClient client(limits);
  auto reply = client.get(url);
  if (!reply) return reply.error();
  if (reply->status < 200 || reply->status >= 300)
    return make_error(ErrorCode::Unavailable, "the url answered HTTP " + std::to_string(reply->status));
  return std::move(reply->body);
}

namespace {
struct Upload {
  const std::string* data;
  std::size_t offset = 0;
};
std::size_t on_read(char* buf, std::size_t size, std::size_t n, void* user) {
  auto* up = static_cast<Upload*>(user);
  const std::size_t len = std::min(size * n, up->data->size() - up->offset);
  std::memcpy(buf, up->data->data() + up->offset, len);
  up->offset += len;
  return len;
}
}  // namespace

Status send_mail(const MailRequest& r) {
  static std::once_flag init;
  std::call_once(init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  CURL* curl = curl_easy_init();
  if (!curl) return make_error(ErrorCode::Internal, "libcurl could not start a transfer");
  char errbuf[CURL_ERROR_SIZE] = {0};
  curl_slist* rcpt = nullptr;
  for (const auto& t : r.to) rcpt = curl_slist_append(rcpt, ("<" + t + ">").c_str());
  Upload up{&r.message};
  curl_easy_setopt(curl, CURLOPT_URL, r.url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  if (!r.user.empty()) {
    curl_easy_setopt(curl, CURLOPT_USERNAME, r.user.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, r.password.c_str());
  }
  if (r.starttls) curl_easy_setopt(curl, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
  if (!r.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, r.ca_file.c_str());
  curl_easy_setopt(curl, CURLOPT_MAIL_FROM, ("<" + r.from + ">").c_str());
  curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt);
  curl_easy_setopt(curl, CURLOPT_READFUNCTION, on_read);
  curl_easy_setopt(curl, CURLOPT_READDATA, &up);
  curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, r.timeout_ms);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
  const CURLcode rc = curl_easy_perform(curl);
  curl_slist_free_all(rcpt);
  curl_easy_cleanup(curl);
  if (rc == CURLE_OPERATION_TIMEDOUT) return make_error(ErrorCode::Timeout, "the mail server took too long");
  if (rc != CURLE_OK)
    return make_error(ErrorCode::Unavailable,
                      std::string("sending mail via ") + r.url + ": " + (errbuf[0] ? errbuf : curl_easy_strerror(rc)));
  return ok_status();
}

}  // namespace vigil::http
