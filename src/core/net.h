// Small socket facts the deployment runner and `vigil check` need: a free loopback port, whether a host's port
// answers, and the host and port an endpoint URI talks to. Blocking; start-up and checks only, never per frame.
#pragma once

#include <optional>
#include <string>

#include "core/result.h"

namespace vigil {

// A TCP port on 127.0.0.1 that nothing listens on right now.
Result<int> free_loopback_port();

// Whether host:port accepts a TCP connection within `timeout_ms`.
bool tcp_connects(const std::string& host, int port, int timeout_ms = 2000);

// Whether something could listen on host:port now (empty host: every address).
bool can_listen(const std::string& host, int port);

struct HostPort {
  std::string host;
  int port = 0;
};
// scheme://[user[:pass]@]host[:port][/…] with the scheme's default port (mqtt 1883, mqtts 8883, http 80, https 443,
// smtp 25, smtps 465, rtsp 554), and IoT Hub connection strings (HostName=…, port 8883). nullopt when neither.
std::optional<HostPort> endpoint_host(const std::string& uri);

}  // namespace vigil
