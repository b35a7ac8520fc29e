// The one wrapper around cpp-httplib's server. Handlers see plain HttpRequest/HttpResponse structs and never
// the library's types. Requests are served on a fixed pool of threads; a handler that throws gets a JSON 500
// and the server keeps running. Bodies over `max_body_bytes` are answered 413 before a handler runs.
//
// Lifecycle: construct ─▶ route()… ─▶ listen() (binds; port 0 picks a free port) ─▶ run() or start()
//            ─▶ stop() (any thread) ─▶ destroy.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/result.h"

namespace vigil::http {

struct HttpRequest {
  std::string method, path, body, remote_addr;
  std::multimap<std::string, std::string> headers;  // names lower-cased
  std::multimap<std::string, std::string> params;   // query string (a urlencoded body stays in `body`)
  std::map<std::string, std::string> parts;         // multipart/form-data parts by field name
  std::vector<std::string> matches;                 // regex groups of the route pattern

  std::string header(const std::string& lower_name) const;
  std::string param(const std::string& name) const;
};

// Writes one chunk of a streamed body; false when the client has gone.
using StreamWriter = std::function<bool(std::string_view)>;

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // When set, the body is streamed instead: `stream` is called again and again with a writer until it
  // returns false, a write fails, or the server stops; then the connection closes. It runs on the request's
  // pool thread, so it should wait (on a condition, with a timeout) between chunks rather than spin.
  std::function<bool(const StreamWriter&)> stream;
  // When set, the body is this file, read as it is sent; the library answers Range requests from it (206) reading only
  // the bytes asked for (clips that a browser seeks in).
  std::string file;
};

using Handler = std::function<HttpResponse(const HttpRequest&)>;

// The fields of an application/x-www-form-urlencoded body, percent-decoded. Pure; handlers call it only when
// they want form fields, so binary bodies sent with that content type are not scanned for nothing.
std::multimap<std::string, std::string> parse_form(std::string_view body);
// Called for responses the library makes itself (404 for unknown routes, 413 for big bodies, 400 for
// malformed requests): given the status, returns the body to send.
using ErrorRenderer = std::function<HttpResponse(int status, const HttpRequest&)>;

struct ServerOptions {
  std::size_t max_body_bytes = 4u << 20;
  int threads = 32;
  int read_timeout_s = 10;
  int write_timeout_s = 10;
  // HTTPS: a PEM certificate (chain) and its key; both empty: plain HTTP.
  std::string tls_cert_file, tls_key_file;
};

// Runs before every handler: nullopt lets the request through, a response answers it instead (access control).
using Gate = std::function<std::optional<HttpResponse>(const HttpRequest&)>;

class HttpServer {
 public:
  explicit HttpServer(ServerOptions options = {});
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // `pattern` is an ECMAScript regex matched against the whole path; groups land in HttpRequest::matches.
  void route(const std::string& method, const std::string& pattern, Handler handler);
  void set_error_renderer(ErrorRenderer renderer);
  void set_gate(Gate gate);  // before listen()
  bool tls() const;

  Status listen(const std::string& host, int port);
  int port() const { return port_; }
  void run();    // blocks until stop()
  void start();  // run() on a background thread
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
  std::thread thread_;
};

}  // namespace vigil::http
