#include "http/review_api.h"

#include <charconv>
#include <filesystem>

#include "core/json_text.h"
#include "core/time_util.h"
#include "http/embedded_files.h"

namespace vigil::http {
namespace {

HttpResponse json_reply(int status, const nlohmann::json& body) {
  return {status, "application/json", json_text(body), {{"Cache-Control", "no-store"}}, {}};
}

HttpResponse problem(int status, const std::string& code, const std::string& message) {
  return json_reply(status, {{"code", code}, {"message", message}});
}

Result<int> int_param(const HttpRequest& req, const char* name, int def, int min, int max) {
  const std::string t = req.param(name);
  if (t.empty()) return def;
  int v = 0;
  const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ec != std::errc() || end != t.data() + t.size() || v < min || v > max)
    return make_error(ErrorCode::InvalidArgument, std::string(name) + "='" + t + "': expected a whole number from " +
                                                      std::to_string(min) + " to " + std::to_string(max));
  return v;
}

HttpResponse file_reply(const std::optional<std::string>& path, const char* type, const std::string& what) {
  if (!path) return problem(404, "NotFound", "this alert has no " + what);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(*path, ec))
    return problem(404, "NotFound", "the " + what + " of this alert is gone (retention deleted it)");
  HttpResponse r{200, type, "", {{"Cache-Control", "private, max-age=3600"}, {"Accept-Ranges", "bytes"}}, {}};
  r.file = *path;  // read in the ranges asked for, not whole per request
  return r;
}

}  // namespace

Result<AlertQuery> parse_alert_query(const HttpRequest& req) {
  AlertQuery q;
  q.camera = req.param("camera");
  q.tag = req.param("tag");
  q.event = req.param("event");
  for (auto [name, field] : {std::pair{"from", &q.from}, std::pair{"to", &q.to}}) {
    const std::string t = req.param(name);
    if (t.empty()) continue;
    auto when = parse_utc_iso(t);
    if (!when) return make_error(ErrorCode::InvalidArgument, std::string(name) + "='" + t + "': expected an ISO 8601 time (2026-11-30T18:00:00Z)");
    *field = format_utc_iso(*when, 3) + "Z";  // the form the index stores, so text order is time order
  }
  if (const std::string r = req.param("reviewed"); !r.empty()) {
    if (r != "true" && r != "false") return make_error(ErrorCode::InvalidArgument, "reviewed='" + r + "': expected true or false");
    q.reviewed = r == "true";
  }
  auto limit = int_param(req, "limit", 50, 1, 500);
  if (!limit) return limit.error();
  auto offset = int_param(req, "offset", 0, 0, 1'000'000'000);
  if (!offset) return offset.error();
  q.limit = *limit;
  q.offset = *offset;
  return q;
}

void add_review_api(HttpServer& server, CatalogSource catalog) {
  server.route("GET", "/alerts", [](const HttpRequest&) {
    for (const auto& f : embedded_files())
      if (f.name == "alerts.html") return HttpResponse{200, content_type_for(f.name), std::string(f.bytes), {}, {}};
    return problem(500, "NoPage", "the review page was not built into this binary");
  });
  server.route("GET", "/api/alerts", [catalog](const HttpRequest& req) {
    auto q = parse_alert_query(req);
    if (!q) return problem(400, "BadQuery", q.error().message);
    auto c = catalog();
    if (!c) return json_reply(200, {{"alerts", nlohmann::json::array()}, {"total", 0}});
    return json_reply(200, c->list(*q));
  });
  const std::string id = "([A-Za-z0-9_.:-]{1,100})";
  server.route("GET", "/api/alerts/" + id, [catalog](const HttpRequest& req) {
    auto c = catalog();
    auto a = c ? c->get(req.matches[0]) : std::nullopt;
    return a ? json_reply(200, *a) : problem(404, "NotFound", "no alert " + req.matches[0]);
  });
  server.route("PATCH", "/api/alerts/" + id, [catalog](const HttpRequest& req) {
    const auto body = nlohmann::json::parse(req.body, nullptr, false);
    if (!body.is_object() || !body.contains("reviewed") || !body["reviewed"].is_boolean())
      return problem(400, "BadBody", R"(send {"reviewed": true} or {"reviewed": false})");
    auto c = catalog();
    if (!c || !c->set_reviewed(req.matches[0], body["reviewed"].get<bool>()))
      return problem(404, "NotFound", "no alert " + req.matches[0]);
    return json_reply(200, *c->get(req.matches[0]));
  });
  server.route("DELETE", "/api/alerts/" + id, [catalog](const HttpRequest& req) {
    auto c = catalog();
    if (!c || !c->remove(req.matches[0])) return problem(404, "NotFound", "no alert " + req.matches[0]);
    return HttpResponse{204, "application/json", "", {}, {}};
  });
  server.route("GET", "/clips/" + id + "\\.mp4", [catalog](const HttpRequest& req) {
    auto c = catalog();
    return file_reply(c ? c->file(req.matches[0], "clip") : std::nullopt, "video/mp4", "clip");
  });
  server.route("GET", "/snapshots/" + id + "\\.jpg", [catalog](const HttpRequest& req) {
    auto c = catalog();
    return file_reply(c ? c->file(req.matches[0], "snapshot") : std::nullopt, "image/jpeg", "snapshot");
  });
}

}  // namespace vigil::http
