#include "http/http_server.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>

#include <httplib.h>
#include <sys/socket.h>

#include "core/log.h"
#include "core/text.h"

namespace vigil::http {

std::string HttpRequest::header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

std::string HttpRequest::param(const std::string& name) const {
  auto it = params.find(name);
  return it == params.end() ? std::string() : it->second;
}

struct HttpServer::Impl {
  std::unique_ptr<httplib::Server> server;  // an SSLServer with a certificate
  ErrorRenderer render_error;
  Gate gate;
  bool tls = false;
  std::string tls_error;
};

namespace {

HttpRequest convert(const httplib::Request& r) {
  HttpRequest out;
  out.method = r.method;
  out.path = r.path;
  out.body = r.body;
  out.remote_addr = r.remote_addr;
  for (const auto& [k, v] : r.headers) out.headers.emplace(to_lower(k), v);
  for (const auto& [k, v] : r.params) out.params.emplace(k, v);
  for (const auto& [k, f] : r.files) out.parts.emplace(k, f.content);
  for (std::size_t i = 1; i < r.matches.size(); ++i) out.matches.push_back(r.matches[i].str());
  return out;
}

}  // namespace

std::multimap<std::string, std::string> parse_form(std::string_view body) {
  std::multimap<std::string, std::string> params;
  while (!body.empty()) {
    const auto amp = body.find('&');
    const std::string_view pair = body.substr(0, amp);
    const auto eq = pair.find('=');
    if (eq != std::string_view::npos) params.emplace(url_decode(pair.substr(0, eq), true), url_decode(pair.substr(eq + 1), true));
    if (amp == std::string_view::npos) break;
    body.remove_prefix(amp + 1);
  }
  return params;
}

namespace {

// Reads a POST body through the library's streaming reader. Unlike its buffered path, this one does not
// refuse urlencoded bodies over 8 KB (curl -d @photo.jpg sends images that way); the overall size limit
// still holds. Returns false (with the library's status already set) when the body could not be read.
bool read_body(const httplib::Request& req, const httplib::ContentReader& reader, HttpRequest& out) {
  if (req.is_multipart_form_data()) {
    std::string current;
    return reader(
        [&](const httplib::MultipartFormData& part) {
          current = part.name;
          out.parts[current];
          return true;
        },
        [&](const char* data, std::size_t n) {
          out.parts[current].append(data, n);
          return true;
        });
  }
  return reader([&](const char* data, std::size_t n) {
    out.body.append(data, n);
    return true;
  });
}

void apply(const HttpResponse& in, httplib::Response& out) {
  out.status = in.status == 200 ? -1 : in.status;  // unset: the library answers 200, or 206 to a Range request
  for (const auto& [k, v] : in.headers) out.set_header(k, v);
  if (!in.file.empty()) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(in.file, ec);
    if (ec) {
      out.status = 404;
      out.set_content(R"({"code":"NotFound","message":"the file is gone"})", "application/json");
      return;
    }
    // Opened once per response; the library asks for it 64 KB at a time, in order, seeking for a Range.
    auto f = std::make_shared<std::ifstream>(in.file, std::ios::binary);
    out.set_content_provider(static_cast<std::size_t>(size), in.content_type.c_str(),
                             [f](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
                               f->clear();
                               if (!f->seekg(static_cast<std::streamoff>(offset))) return false;
                               std::string chunk(std::min<std::size_t>(length, 64u << 10), '\0');
                               f->read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
                               const auto got = static_cast<std::size_t>(f->gcount());
                               return got > 0 && sink.write(chunk.data(), got);
                             });
    return;
  }
  if (in.stream) {
    out.set_content_provider(in.content_type.c_str(), [stream = in.stream](std::size_t, httplib::DataSink& sink) {
      const StreamWriter write = [&sink](std::string_view chunk) {
        return sink.is_writable() && sink.write(chunk.data(), chunk.size());
      };
      if (!stream(write)) sink.done();
      return true;
    });
    return;
  }
  out.set_content(in.body, in.content_type);
}

}  // namespace

namespace {

std::unique_ptr<httplib::Server> make_server(const ServerOptions& o, std::string& error) {
  if (o.tls_cert_file.empty() && o.tls_key_file.empty()) return std::make_unique<httplib::Server>();
  if (o.tls_cert_file.empty() || o.tls_key_file.empty())
    error = "TLS needs both a certificate and a key file (TLS_CERT_FILE and TLS_KEY_FILE)";
  auto s = std::make_unique<httplib::SSLServer>(o.tls_cert_file.c_str(), o.tls_key_file.c_str());
  if (error.empty() && !s->is_valid())
    error = "cannot load the TLS certificate '" + o.tls_cert_file + "' and key '" + o.tls_key_file +
            "' (PEM files, readable by this user, the key matching the certificate)";
  return s;
}

}  // namespace

HttpServer::HttpServer(ServerOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->server = make_server(options, impl_->tls_error);
  impl_->tls = !options.tls_cert_file.empty() || !options.tls_key_file.empty();
  auto& s = *impl_->server;
  s.set_payload_max_length(options.max_body_bytes);
  s.set_read_timeout(options.read_timeout_s, 0);
  s.set_write_timeout(options.write_timeout_s, 0);
  s.set_keep_alive_max_count(100000);
  s.set_keep_alive_timeout(10);
  s.set_tcp_nodelay(true);
  // The library's default sets SO_REUSEPORT, which lets a second server silently share a busy port.
  s.set_socket_options([](int sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  const int threads = std::max(1, options.threads);
  s.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<std::size_t>(threads)); };
  s.set_error_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (!impl_->render_error || !res.body.empty()) return;
    apply(impl_->render_error(res.status, convert(req)), res);
  });
  s.set_exception_handler([](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "unknown error";
    try {
      if (ep) std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    LOG_ERROR("http", req.method << " " << req.path << " failed: " << what);
    res.status = 500;
    res.set_content(R"({"code":"InternalServerError","message":"the server failed while handling this request"})",
                    "application/json");
  });
}

HttpServer::~HttpServer() { stop(); }

void HttpServer::route(const std::string& method, const std::string& pattern, Handler plain_handler) {
  auto& s = *impl_->server;
  Handler handler = [this, h = std::move(plain_handler)](const HttpRequest& req) {
    if (impl_->gate)
      if (auto answer = impl_->gate(req)) return *answer;
    return h(req);
  };
  if (method == "POST") {
    s.Post(pattern, [h = std::move(handler)](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader) {
      HttpRequest r = convert(req);
      if (!read_body(req, reader, r)) {
        if (res.status < 400) res.status = 400;
        return;  // the error renderer writes the body
      }
      apply(h(r), res);
    });
    return;
  }
  auto plain = [h = std::move(handler)](const httplib::Request& req, httplib::Response& res) { apply(h(convert(req)), res); };
  if (method == "GET") s.Get(pattern, plain);
  else if (method == "PUT") s.Put(pattern, plain);
  else if (method == "DELETE") s.Delete(pattern, plain);
  else if (method == "PATCH") s.Patch(pattern, plain);
}

void HttpServer::set_error_renderer(ErrorRenderer renderer) { impl_->render_error = std::move(renderer); }
void HttpServer::set_gate(Gate gate) { impl_->gate = std::move(gate); }
bool HttpServer::tls() const { return impl_->tls; }

Status HttpServer::listen(const std::string& host, int port) {
  if (!impl_->tls_error.empty()) return make_error(ErrorCode::InvalidArgument, impl_->tls_error);
  auto& s = *impl_->server;
  if (port == 0) {
    port_ = s.bind_to_any_port(host);
    if (port_ <= 0) return make_error(ErrorCode::Unavailable, "cannot listen on " + host + " (any port)");
  } else {
    if (!s.bind_to_port(host, port))
      return make_error(ErrorCode::Unavailable,
                        "cannot listen on " + host + ":" + std::to_string(port) +
                            " (in use, or a port below 1024 without root)");
    port_ = port;
  }
  return ok_status();
}

void HttpServer::run() { impl_->server->listen_after_bind(); }

void HttpServer::start() {
  thread_ = std::thread([this] { run(); });
  for (int i = 0; i < 2000 && !impl_->server->is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

void HttpServer::stop() {
  impl_->server->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace vigil::http
