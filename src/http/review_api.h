// The alert review API and page, served next to the live preview (preview_server.h):
//   GET    /alerts                 the review page (web/alerts.html, built into the binary)
//   GET    /api/alerts             ?camera= &tag= &event= &from= &to= (ISO 8601) &reviewed=true|false
//                                  &limit= (1..500, default 50) &offset=   → AlertCatalog::list
//   GET    /api/alerts/{id}        one alert
//   PATCH  /api/alerts/{id}        {"reviewed": true|false}
//   DELETE /api/alerts/{id}        the alert, its snapshot and its clip (unless another alert shows it)
//   GET    /clips/{id}.mp4         the alert's clip (HTTP range requests: browsers seek in it)
//   GET    /snapshots/{id}.jpg     the alert's snapshot
// Without a catalog (a bare `vigil camera`), /api/alerts answers an empty list and the rest 404.
#pragma once

#include <functional>
#include <memory>

#include "http/alert_catalog.h"
#include "http/http_server.h"

namespace vigil::http {

using CatalogSource = std::function<std::shared_ptr<AlertCatalog>()>;
void add_review_api(HttpServer& server, CatalogSource catalog);

// The query of GET /api/alerts; an error names the parameter at fault.
Result<AlertQuery> parse_alert_query(const HttpRequest& req);

}  // namespace vigil::http
