#include "core/net.h"
#include "core/text.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <map>

namespace vigil {
namespace {

// The first address of host:port, or null.
addrinfo* resolve(const std::string& host, int port, bool passive) {
  addrinfo hints{}, *res = nullptr;
  hints.ai_family = passive ? AF_INET : AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  if (passive) hints.ai_flags = AI_PASSIVE;
  if (getaddrinfo(host.empty() ? nullptr : host.c_str(), std::to_string(port).c_str(), &hints, &res) != 0) return nullptr;
  return res;
}

}  // namespace

Result<int> free_loopback_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return make_error(ErrorCode::Internal, "socket() failed");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 && getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
    port = ntohs(a.sin_port);
  close(fd);
  if (!port) return make_error(ErrorCode::Internal, "no free loopback port");
  return port;
}

bool tcp_connects(const std::string& host, int port, int timeout_ms) {
  addrinfo* res = resolve(host, port, false);
  if (!res) return false;
  const int fd = socket(res->ai_family, res->ai_socktype, 0);
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  const bool ok = fd >= 0 && connect(fd, res->ai_addr, res->ai_addrlen) == 0;
  if (fd >= 0) close(fd);
  freeaddrinfo(res);
  return ok;
}

bool can_listen(const std::string& host, int port) {
  addrinfo* res = resolve(host, port, true);
  if (!res) return false;
  const int fd = socket(res->ai_family, res->ai_socktype, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  const bool ok = fd >= 0 && bind(fd, res->ai_addr, res->ai_addrlen) == 0;
  if (fd >= 0) close(fd);
  freeaddrinfo(res);
  return ok;
}

std::optional<HostPort> endpoint_host(const std::string& uri) {
  if (uri.rfind("iothub:", 0) == 0 || uri.rfind("HostName=", 0) == 0) {
    const auto h = uri.find("HostName=");
    if (h == std::string::npos) return std::nullopt;
    const auto end = uri.find_first_of(";?", h);
    return HostPort{uri.substr(h + 9, end == std::string::npos ? std::string::npos : end - h - 9), 8883};
  }
  const auto s = uri.find("://");
  if (s == std::string::npos) return std::nullopt;
  std::string rest = uri.substr(s + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (auto at = rest.rfind('@'); at != std::string::npos) rest = rest.substr(at + 1);
  HostPort hp{rest.substr(0, rest.find(':')), 0};
  if (auto c = rest.find(':'); c != std::string::npos) {
    const auto port = parse_port(rest.substr(c + 1));
    if (!port) return std::nullopt;
    hp.port = *port;
  }
  static const std::map<std::string, int> defaults = {{"mqtt", 1883}, {"mqtts", 8883}, {"http", 80},  {"https", 443},
                                                      {"smtp", 25},   {"smtps", 465},  {"rtsp", 554}};
  if (!hp.port) {
    auto it = defaults.find(uri.substr(0, s));
    if (it == defaults.end()) return std::nullopt;
    hp.port = it->second;
  }
  return hp;
}

}  // namespace vigil
