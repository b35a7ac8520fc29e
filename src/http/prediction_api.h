// The Custom Vision exported container's HTTP API (spec azure-iot.md §5.2), served from a ModelRunner.
//
//   GET  /                                              "CustomVision.ai model host harness"
//   POST [/{project}[/classify|detect/iterations/{name}]]/image[/nostore]   image bytes → envelope
//   POST [same prefixes]/url[/nostore]                  {"url": "..."} (or "Url") → fetch → envelope
//   GET  /health                                        {"status":"ok", model facts}
//   GET  /metrics                                       Prometheus text
//
// Where the container is sloppy this API is strict, always with a JSON body {"code", "message"}:
// unreadable image 400 BadRequestImageFormat, body over 4 MB 413 BadRequestImageSizeBytes, bad or unreachable
// URL 400 BadRequestImageUrl, malformed JSON 400 BadRequest, unknown route 404 NotFound, wrong method 405,
// wrong/missing Prediction-Key (when one is set) 401 Unauthorized, model queue full 503.
#pragma once

#include <string>

#include "core/metrics.h"
#include "http/http_client.h"
#include "http/http_server.h"
#include "vision/model_runner.h"

namespace vigil::http {

struct PredictionApiOptions {
  std::string prediction_key;  // empty: no authentication (as the container)
  FetchLimits fetch;           // for /url
};

// Registers the routes on `server`. `runner` and `metrics` must outlive the server.
void add_prediction_api(HttpServer& server, vision::ModelRunner& runner, Metrics& metrics,
                        const PredictionApiOptions& options);

}  // namespace vigil::http
