// Who may see vigil's pages and APIs (the live preview, the alert review, /metrics) — they show private footage.
//
//   users given (PREVIEW_USERS)       every request needs a session (POST /login with user and password, checked
//                                     against a PBKDF2-SHA256 hash; a cookie for 12 h) or, for the APIs and streams,
//                                     "Authorization: Bearer <PREVIEW_TOKEN>"
//   no users, bound to loopback       open (the default on a desk: nothing to set up)
//   no users, bound to other addresses  open to clients on this machine; others get 401 saying how to add a user
//
// Failed logins: at most 5 a minute per client address, then 429 until the minute is over. Answers without access
// are 401 everywhere: the login page for pages, JSON for the rest. Secrets are never logged. Thread-safe.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "http/http_server.h"

namespace vigil::http {

// "pbkdf2-sha256.<iterations>.<salt, base64>.<hash, base64>" (no '$': manifests read $NAME as a variable) of `password` with a fresh random salt.
std::string hash_password(const std::string& password, int iterations = 210000);
// Whether `password` matches `encoded` (hash_password's form); false for a malformed hash. Constant-time compare.
bool verify_password(const std::string& password, const std::string& encoded);

struct AccessSettings {
  std::string users;      // PREVIEW_USERS: "name:hash,name:hash"
  std::string token;      // PREVIEW_TOKEN: a bearer token for the APIs
  std::string bind_host;  // where the server listens
  bool tls = false;       // cookies get Secure
};

class AccessControl {
 public:
  // An error names what is wrong in PREVIEW_USERS (a name without a hash, a hash not made by `vigil passwd`).
  static Result<std::unique_ptr<AccessControl>> make(const AccessSettings& s);

  // Adds GET/POST /login and POST /logout to `server` and installs the gate.
  void install(HttpServer& server);
  std::optional<HttpResponse> check(const HttpRequest& req);
  bool open() const { return users_.empty() && token_.empty() && loopback_only_; }
  std::string describe() const;  // for the start-up log: who may see the pages

 private:
  AccessControl() = default;
  HttpResponse login(const HttpRequest& req);
  HttpResponse logout(const HttpRequest& req);
  std::optional<std::string> session_user(const HttpRequest& req);
  bool too_many_failures(const std::string& addr, std::chrono::steady_clock::time_point now);

  std::map<std::string, std::string> users_;  // name → hash
  std::string token_;
  bool loopback_only_ = true, tls_ = false;
  std::mutex mutex_;
  struct Session {
    std::string user;
    std::chrono::steady_clock::time_point expires;
  };
  std::map<std::string, Session> sessions_;
  std::map<std::string, std::vector<std::chrono::steady_clock::time_point>> failures_;  // by client address
};

bool is_loopback_host(const std::string& host);  // 127.x, ::1, localhost

}  // namespace vigil::http
