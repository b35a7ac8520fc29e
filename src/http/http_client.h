// The one wrapper around libcurl's HTTP client. An HttpClient keeps one connection open between requests
// (keep-alive), so a camera posting frames to a prediction server pays the TCP set-up once. Only http://
// and https:// URLs; every transfer has a deadline and a cap on the answer's size.
// An HttpClient is used by one thread at a time; fetch_url() is thread-safe (a client per call).
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/result.h"

namespace vigil::http {

struct FetchLimits {
  std::size_t max_bytes = 4u << 20;
  long timeout_ms = 10000;
  long connect_timeout_ms = 5000;
};

struct HttpReply {
  long status = 0;
  std::string body;
  std::string content_type;
};

class HttpClient {
 public:
  explicit HttpClient(FetchLimits limits = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Any HTTP status comes back as a reply. Errors: InvalidArgument (not an http(s) URL), TooLarge, Timeout,
  // Unavailable (DNS, connect, reset).
  Result<HttpReply> get(const std::string& url);
  Result<HttpReply> post(const std::string& url, const std::string& body, const std::string& content_type,
                         const std::vector<std::pair<std::string, std::string>>& headers = {});

 private:
  Result<HttpReply> perform(const std::string& url, const std::string* body, const std::string& content_type,
                            const std::vector<std::pair<std::string, std::string>>& headers);
  struct Impl;
  std::unique_ptr<Impl> impl_;
  FetchLimits limits_;
};

// One e-mail over SMTP (smtp://, smtps://; STARTTLS when `starttls`; login from user/password). `message` is the
// whole RFC 5322 message (headers and body). Errors: Unavailable (connect, refused, auth), Timeout.
struct MailRequest {
  std::string url;  // smtp://host:port or smtps://host:port
  std::string user, password;
  bool starttls = false;
  std::string ca_file;
  std::string from;
  std::vector<std::string> to;
  std::string message;
  long timeout_ms = 30000;
};
Status send_mail(const MailRequest& request);

// GET a URL's bytes, following redirects; a non-2xx answer is Unavailable.
Result<std::string> fetch_url(const std::string& url, const FetchLimits& limits = {});

}  // namespace vigil::http
