// vigil: vision alerts on the edge. One program, several subcommands (vigil --help).
#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "core/guard.h"
#include "core/log.h"

int main(int argc, char** argv) {
  CLI::App app{"vigil — camera frames in, vision model on the device, alerts out"};
  app.set_version_flag("--version", std::string("vigil ") + VIGIL_VERSION);
  app.require_subcommand(1);
  app.fallthrough();  // global options may also follow the subcommand
  std::string level = "info";
  app.add_option("--log-level", level, "debug, info, warn, error or off")->capture_default_str();
  vigil::cli::Action run;
  vigil::cli::add_serve_command(app, run);
  vigil::cli::add_predict_command(app, run);
  vigil::cli::add_camera_command(app, run);
  vigil::cli::add_route_command(app, run);
  vigil::cli::add_hub_command(app, run);
  vigil::cli::add_run_command(app, run);
  vigil::cli::add_replay_command(app, run);
  vigil::cli::add_ops_commands(app, run);
  vigil::cli::add_outbox_command(app, run);
  vigil::cli::add_check_command(app, run);
  vigil::cli::add_module_command(app, run);
  vigil::cli::add_passwd_command(app, run);
  CLI11_PARSE(app, argc, argv);
  vigil::log::Level l;
  if (!vigil::log::parse_level(level, l)) {
    std::fprintf(stderr, "vigil: --log-level must be debug, info, warn, error or off (got '%s')\n", level.c_str());
    return 2;
  }
  vigil::log::set_level(l);
  if (!run) return 2;
  int rc = 70;  // a bug ended the command: logged by the boundary, never std::terminate
  (void)vigil::guarded("vigil", "main", [&] { rc = run(); });
  return rc;
}
