#include "http/unix_http_server.h"

#include <microhttpd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include "core/guard.h"
#include "core/text.h"

namespace vigil::http {
namespace {

// What one request has gathered between libmicrohttpd's calls (the body comes in pieces).
struct Pending {
  HttpRequest request;
  bool too_large = false;
};

MHD_Result add_param(void* cls, MHD_ValueKind kind, const char* key, const char* value) {
  auto* r = static_cast<HttpRequest*>(cls);
  if (!key) return MHD_YES;
  if (kind == MHD_GET_ARGUMENT_KIND) r->params.emplace(key, value ? value : "");
  if (kind == MHD_HEADER_KIND) r->headers.emplace(to_lower(key), value ? value : "");
  return MHD_YES;
}

MHD_Result respond(MHD_Connection* connection, const HttpResponse& out) {
  MHD_Response* response = MHD_create_response_from_buffer(out.body.size(), const_cast<char*>(out.body.data()), MHD_RESPMEM_MUST_COPY);
  if (!response) return MHD_NO;
  MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, out.content_type.c_str());
  for (const auto& [name, value] : out.headers) MHD_add_response_header(response, name.c_str(), value.c_str());
  const MHD_Result rc = MHD_queue_response(connection, static_cast<unsigned>(out.status), response);
  MHD_destroy_response(response);
  return rc;
}

}  // namespace

struct UnixHttpServer::Impl {
  std::string path;
  Handler handler;
  std::size_t max_body = 0;
  MHD_Daemon* daemon = nullptr;

  static MHD_Result on_request(void* cls, MHD_Connection* connection, const char* url, const char* method, const char*,
                               const char* upload, size_t* upload_size, void** state) {
    auto& self = *static_cast<Impl*>(cls);
    auto* p = static_cast<Pending*>(*state);
    if (!p) {  // the first call: the headers only
      p = new Pending;
      p->request.method = method ? method : "";
      p->request.path = url ? url : "";
      p->request.remote_addr = "unix:" + self.path;
      MHD_get_connection_values(connection, static_cast<MHD_ValueKind>(MHD_GET_ARGUMENT_KIND | MHD_HEADER_KIND), add_param, &p->request);
      *state = p;
      return MHD_YES;
    }
    if (*upload_size > 0) {  // a piece of the body
      if (p->request.body.size() + *upload_size > self.max_body) p->too_large = true;
      else p->request.body.append(upload, *upload_size);
      *upload_size = 0;
      return MHD_YES;
    }
    HttpResponse out;
    if (p->too_large) {
      out.status = 413;
      out.body = R"({"message":"the request body is too large"})";
    } else if (!guarded("workload", "request", [&] { out = self.handler(p->request); })) {
      out.status = 500;
      out.body = R"({"message":"internal error; see vigil's log"})";
    }
    return respond(connection, out);
  }

  static void on_done(void*, MHD_Connection*, void** state, MHD_RequestTerminationCode) {
    delete static_cast<Pending*>(*state);
    *state = nullptr;
  }
};

UnixHttpServer::UnixHttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<UnixHttpServer>> UnixHttpServer::start(const std::string& path, Handler handler, std::size_t max_body) {
  sockaddr_un addr{};
  if (path.size() >= sizeof(addr.sun_path))
    return make_error(ErrorCode::InvalidArgument, "the socket path " + path + " is longer than Unix sockets allow (" +
                                                      std::to_string(sizeof(addr.sun_path) - 1) + " bytes); use a shorter --state-dir");
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return make_error(ErrorCode::Unavailable, std::string("cannot make a Unix socket: ") + std::strerror(errno));
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  ::unlink(path.c_str());
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || ::chmod(path.c_str(), 0600) != 0 ||
      ::listen(fd, 16) != 0) {
    const std::string why = std::strerror(errno);
    ::close(fd);
    return make_error(ErrorCode::Unavailable, "cannot listen on " + path + ": " + why);
  }
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  impl->handler = std::move(handler);
  impl->max_body = max_body;
  impl->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL, 0, nullptr, nullptr, &Impl::on_request,
                                  impl.get(), MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_NOTIFY_COMPLETED, &Impl::on_done,
                                  nullptr, MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_END);
  if (!impl->daemon) {
    ::close(fd);
    ::unlink(path.c_str());
    return make_error(ErrorCode::Unavailable, "libmicrohttpd could not serve " + path);
  }
  return std::unique_ptr<UnixHttpServer>(new UnixHttpServer(std::move(impl)));
}

UnixHttpServer::~UnixHttpServer() {
  if (impl_->daemon) MHD_stop_daemon(impl_->daemon);  // closes the listening socket too
  ::unlink(impl_->path.c_str());
}

}  // namespace vigil::http
