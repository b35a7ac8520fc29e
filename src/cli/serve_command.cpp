// vigil serve: the Custom Vision exported container's HTTP API on a local model (see http/prediction_api.h).
#include <cstdlib>
#include <iostream>

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "cli/signals.h"
#include "core/log.h"
#include "core/metrics.h"
#include "http/prediction_api.h"
#include "vision/model_runner.h"

namespace vigil::cli {
namespace {

struct ServeOptions {
  std::string model;
  std::string host = "0.0.0.0";
  int port = 80;
  std::string prediction_key;
  std::string device = "cpu";
  int instances = 2;
  int http_threads = 32;
  std::string tls_cert, tls_key;
};

int serve(const ServeOptions& o) {
  SignalStop signals;  // before any thread starts

  auto loaded = vision::make_model_runner(o.model, {o.device}, o.instances);
  if (!loaded) {
    std::cerr << "vigil serve: " << loaded.error().message << "\n";
    return 1;
  }
  vision::ModelRunner& runner = **loaded;
  const auto& info = runner.info();
  LOG_INFO("serve", "model " << info.source << " (" << info.format << (info.variant.empty() ? "" : ", " + info.variant)
                             << ", " << info.labels.size() << " labels, input " << info.input_size.width << "x"
                             << info.input_size.height << ", " << o.instances << " instance(s) on " << info.device << ")");

  Metrics metrics;
  http::ServerOptions server_options;
  server_options.threads = o.http_threads;
  server_options.tls_cert_file = o.tls_cert;
  server_options.tls_key_file = o.tls_key;
  http::HttpServer server(server_options);
  http::add_prediction_api(server, runner, metrics, {o.prediction_key, {}});
  if (auto s = server.listen(o.host, o.port); !s) {
    std::cerr << "vigil serve: " << s.error().message
              << (s.error().code == ErrorCode::Unavailable ? "; choose another with --port\n" : "\n");
    return 1;
  }
  LOG_INFO("serve", "listening on " << (server.tls() ? "https" : "http") << "://" << o.host << ":" << server.port()
                                           << (o.prediction_key.empty() ? "" : " (Prediction-Key required)"));
  signals.arm([&](int sig) {
    LOG_INFO("serve", "signal " << sig << ": stopping");
    server.stop();
  });
  server.run();
  return 0;
}

}  // namespace

void add_serve_command(CLI::App& app, Action& run) {
  auto o = std::make_shared<ServeOptions>();
  if (const char* key = std::getenv("PREDICTION_KEY")) o->prediction_key = key;
  auto* cmd = app.add_subcommand("serve", "Serve a model over the Custom Vision container's HTTP API");
  cmd->add_option("--model,-m", o->model, "model folder, or builtin:person")->required();
  cmd->add_option("--host", o->host, "address to listen on")->capture_default_str();
  cmd->add_option("--port,-p", o->port, "port to listen on (0 picks a free one)")->capture_default_str()->check(CLI::Range(0, 65535));
  cmd->add_option("--prediction-key", o->prediction_key, "require this Prediction-Key header (env PREDICTION_KEY)");
  cmd->add_option("--device", o->device, "cpu or cuda")->capture_default_str();
  cmd->add_option("--tls-cert", o->tls_cert, "HTTPS: a PEM certificate (chain) file (env TLS_CERT_FILE)")->envname("TLS_CERT_FILE");
  cmd->add_option("--tls-key", o->tls_key, "HTTPS: the PEM key of --tls-cert (env TLS_KEY_FILE)")->envname("TLS_KEY_FILE");
  cmd->add_option("--instances", o->instances, "independent copies of the model, one thread each")->capture_default_str()->check(CLI::Range(1, 64));
  cmd->add_option("--http-threads", o->http_threads, "HTTP worker threads")->capture_default_str()->check(CLI::Range(1, 1024));
  cmd->callback([o, &run] { run = [o] { return serve(*o); }; });
}

}  // namespace vigil::cli
