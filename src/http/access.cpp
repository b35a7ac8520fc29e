#include "http/access.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <charconv>

#include "core/base64.h"
#include "core/crypto.h"
#include "core/json_text.h"
#include "core/log.h"
#include "core/text.h"
#include "http/embedded_files.h"

namespace vigil::http {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kSessionLife = std::chrono::hours(12);
constexpr std::size_t kFailuresPerMinute = 5;
const char kCookie[] = "vigil_session";

std::optional<std::string> pbkdf2(const std::string& password, const std::string& salt, int iterations, std::size_t length) {
  std::string out(length, '\0');
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), reinterpret_cast<const unsigned char*>(salt.data()),
                        static_cast<int>(salt.size()), iterations, EVP_sha256(), static_cast<int>(length),
                        reinterpret_cast<unsigned char*>(out.data())) != 1)
    return std::nullopt;
  return out;
}

bool same(const std::string& a, const std::string& b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

struct ParsedHash {
  int iterations = 0;
  std::string salt, hash;
};

std::optional<ParsedHash> parse_hash(const std::string& encoded) {
  const auto parts = split(encoded, '.');
  if (parts.size() != 4 || parts[0] != "pbkdf2-sha256") return std::nullopt;
  ParsedHash p;
  const auto [end, ec] = std::from_chars(parts[1].data(), parts[1].data() + parts[1].size(), p.iterations);
  if (ec != std::errc() || end != parts[1].data() + parts[1].size() || p.iterations < 1000 || p.iterations > 10'000'000)
    return std::nullopt;
  auto salt = base64_decode(std::string(parts[2]));
  auto hash = base64_decode(std::string(parts[3]));
  if (!salt || !hash || salt->size() < 8 || hash->size() < 16 || hash->size() > 64) return std::nullopt;
  p.salt = std::move(*salt);
  p.hash = std::move(*hash);
  return p;
}

bool wants_page(const HttpRequest& req) {
  return req.method == "GET" && req.header("accept").find("text/html") != std::string::npos;
}

std::string cookie_value(const HttpRequest& req, const std::string& name) {
  for (auto [it, end] = req.headers.equal_range("cookie"); it != end; ++it)
    for (const auto& part : split(it->second, ';')) {
      const std::string p = trim(part);
      if (p.rfind(name + "=", 0) == 0) return p.substr(name.size() + 1);
    }
  return "";
}

HttpResponse login_page(int status, const std::string& message) {
  std::string page = "<!doctype html><title>vigil</title><p>the login page was not built into this binary</p>";
  for (const auto& f : embedded_files())
    if (f.name == "login.html") page = std::string(f.bytes);
  if (const auto at = page.find("<!--MESSAGE-->"); at != std::string::npos) page.replace(at, 14, html_escape(message));
  return {status, "text/html; charset=utf-8", page, {{"Cache-Control", "no-store"}}, {}};
}

HttpResponse denied(const HttpRequest& req, int status, const std::string& message) {
  if (wants_page(req)) return login_page(status, message);
  HttpResponse r{status, "application/json", json_text(nlohmann::json{{"code", status == 429 ? "TooManyLogins" : "Unauthorized"}, {"message", message}}), {}, {}};
  if (status == 401) r.headers.push_back({"WWW-Authenticate", "Bearer realm=\"vigil\""});
  return r;
}

bool is_loopback_addr(const std::string& addr) {
  return addr.rfind("127.", 0) == 0 || addr == "::1" || addr.rfind("::ffff:127.", 0) == 0;
}

}  // namespace

bool is_loopback_host(const std::string& host) { return host == "localhost" || is_loopback_addr(host); }

std::string hash_password(const std::string& password, int iterations) {
  const std::string salt = random_bytes(16);
  const auto hash = pbkdf2(password, salt, iterations, 32);
  return "pbkdf2-sha256." + std::to_string(iterations) + "." + base64_encode(salt) + "." + base64_encode(hash.value_or(""));
}

bool verify_password(const std::string& password, const std::string& encoded) {
  const auto p = parse_hash(encoded);
  if (!p) return false;
  const auto hash = pbkdf2(password, p->salt, p->iterations, p->hash.size());
  return hash && same(*hash, p->hash);
}

Result<std::unique_ptr<AccessControl>> AccessControl::make(const AccessSettings& s) {
  std::unique_ptr<AccessControl> a(new AccessControl());
  for (const auto& entry : split(s.users, ',')) {
    const std::string e = trim(entry);
    if (e.empty()) continue;
    const auto colon = e.find(':');
    if (colon == std::string::npos || colon == 0)
      return make_error(ErrorCode::InvalidArgument, "PREVIEW_USERS: each entry is NAME:HASH (make one with `vigil passwd NAME`)");
    const std::string name = e.substr(0, colon), hash = e.substr(colon + 1);
    if (!parse_hash(hash))
      return make_error(ErrorCode::InvalidArgument, "PREVIEW_USERS: the hash of user '" + name +
                                                        "' is not one `vigil passwd` makes (pbkdf2-sha256.ITERATIONS.SALT.HASH)");
    a->users_[name] = hash;
  }
  if (!s.token.empty() && s.token.size() < 16)
    return make_error(ErrorCode::InvalidArgument, "PREVIEW_TOKEN is too short: use at least 16 random characters (openssl rand -hex 24)");
  a->token_ = s.token;
  a->loopback_only_ = is_loopback_host(s.bind_host);
  a->tls_ = s.tls;
  return a;
}

std::string AccessControl::describe() const {
  if (!users_.empty()) return std::to_string(users_.size()) + (users_.size() == 1 ? " user" : " users") + " (login)" + (token_.empty() ? "" : " and a bearer token");
  if (!token_.empty()) return "a bearer token";
  if (loopback_only_) return "anyone on this machine";
  return "clients on this machine only: add a user (vigil passwd NAME, then PREVIEW_USERS) to open it to the network";
}

bool AccessControl::too_many_failures(const std::string& addr, Clock::time_point now) {
  auto it = failures_.find(addr);
  if (it == failures_.end()) return false;
  auto& f = it->second;
  f.erase(std::remove_if(f.begin(), f.end(), [&](auto t) { return now - t > std::chrono::minutes(1); }), f.end());
  const bool over = f.size() >= kFailuresPerMinute;
  if (f.empty()) failures_.erase(it);
  return over;
}

std::optional<std::string> AccessControl::session_user(const HttpRequest& req) {
  const std::string id = cookie_value(req, kCookie);
  if (id.empty()) return std::nullopt;
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return std::nullopt;
  if (it->second.expires < Clock::now()) {
    sessions_.erase(it);
    return std::nullopt;
  }
  return it->second.user;
}

std::optional<HttpResponse> AccessControl::check(const HttpRequest& req) {
  if (req.path == "/login" || req.path == "/logout" || req.path == "/health" || req.path == "/style.css") return std::nullopt;
  if (users_.empty() && token_.empty()) {
    if (loopback_only_ || is_loopback_addr(req.remote_addr)) return std::nullopt;
    return denied(req, 401, "this vigil has no users yet, so only this machine may see its cameras: run `vigil passwd NAME` "
                            "there and set PREVIEW_USERS (docs/evidence.md)");
  }
  const std::string auth = req.header("authorization");
  if (!token_.empty() && auth.rfind("Bearer ", 0) == 0 && same(auth.substr(7), token_)) return std::nullopt;
  if (session_user(req)) return std::nullopt;
  return denied(req, 401, users_.empty() ? "send Authorization: Bearer <PREVIEW_TOKEN>" : "log in to see the cameras");
}

HttpResponse AccessControl::login(const HttpRequest& req) {
  const auto form = parse_form(req.body);
  auto field = [&](const char* k) {
    auto it = form.find(k);
    return it == form.end() ? std::string() : it->second;
  };
  const std::string user = field("user"), next = field("next");
  {
    std::lock_guard lock(mutex_);
    if (too_many_failures(req.remote_addr, Clock::now()))
      return login_page(429, "too many failed logins from this address: wait a minute");
  }
  auto it = users_.find(user);
  // A name that is no user is checked against a fixed hash, so it costs what a wrong password costs.
  static const std::string nobody = hash_password(random_bytes(16));
  const bool ok = verify_password(field("password"), it != users_.end() ? it->second : nobody) && it != users_.end();
  std::lock_guard lock(mutex_);
  if (!ok) {
    failures_[req.remote_addr].push_back(Clock::now());
    LOG_WARN("http", "failed login from " << req.remote_addr);
    return login_page(401, "wrong user or password");
  }
  const std::string id = hex_encode(random_bytes(32));
  sessions_[id] = {user, Clock::now() + kSessionLife};
  const bool local = !next.empty() && next[0] == '/' && next.rfind("//", 0) != 0;  // never a redirect elsewhere
  return {303, "text/plain", "", {{"Location", local ? next : "/"}, {"Set-Cookie", std::string(kCookie) + "=" + id +
      "; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200" + (tls_ ? "; Secure" : "")}}, {}};
}

HttpResponse AccessControl::logout(const HttpRequest& req) {
  {
    std::lock_guard lock(mutex_);
    sessions_.erase(cookie_value(req, kCookie));
  }
  return {303, "text/plain", "", {{"Location", "/login"}, {"Set-Cookie", std::string(kCookie) + "=; Path=/; Max-Age=0"}}, {}};
}

void AccessControl::install(HttpServer& server) {
  server.route("GET", "/login", [](const HttpRequest&) { return login_page(200, ""); });
  server.route("POST", "/login", [this](const HttpRequest& req) { return login(req); });
  server.route("POST", "/logout", [this](const HttpRequest& req) { return logout(req); });
  server.set_gate([this](const HttpRequest& req) { return check(req); });
}

}  // namespace vigil::http
