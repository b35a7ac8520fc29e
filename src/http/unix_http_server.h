// UnixHttpServer: HTTP/1.1 on a Unix domain socket, for the IoT Edge workload API that SDK modules call
// (unix:///…/workload.sock). The one wrapper around libmicrohttpd: its daemon serves a listening socket made here,
// on its own thread; cpp-httplib 0.11 (Debian 12's, used for every TCP server) cannot listen on a Unix socket.
// Handlers get the same HttpRequest/HttpResponse as the TCP server's (method, path, query params, body; status,
// content type, body). Bodies over `max_body` bytes get 413 before the handler runs.
#pragma once

#include <memory>
#include <string>

#include "core/result.h"
#include "http/http_server.h"

namespace vigil::http {

class UnixHttpServer {
 public:
  // Creates the socket at `path` (an old one there is replaced), mode 0600, and serves it until destroyed.
  static Result<std::unique_ptr<UnixHttpServer>> start(const std::string& path, Handler handler, std::size_t max_body = 65536);
  ~UnixHttpServer();  // stops serving and removes the socket file
  UnixHttpServer(const UnixHttpServer&) = delete;
  UnixHttpServer& operator=(const UnixHttpServer&) = delete;

 private:
  struct Impl;
  explicit UnixHttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil::http
