// The `vigil` subcommands: each declares its flags once (with help and defaults) on a CLI11 app and runs
// when chosen. main.cpp only wires them together. Adding a command: one add_* function here.
#pragma once

#include <functional>

namespace CLI {
class App;
}

namespace vigil::cli {

// Registers a subcommand; `run` is set to its action, to be called after parsing when it was chosen.
using Action = std::function<int()>;

void add_serve_command(CLI::App& app, Action& run);
void add_predict_command(CLI::App& app, Action& run);
void add_camera_command(CLI::App& app, Action& run);
void add_route_command(CLI::App& app, Action& run);
void add_hub_command(CLI::App& app, Action& run);
void add_run_command(CLI::App& app, Action& run);    // run (and replay)
void add_replay_command(CLI::App& app, Action& run);
void add_ops_commands(CLI::App& app, Action& run);   // list, logs, explain
void add_outbox_command(CLI::App& app, Action& run);  // outbox list|show|move|drop
void add_check_command(CLI::App& app, Action& run);
void add_module_command(CLI::App& app, Action& run);  // one module over MQTT (vigil run --isolate)
void add_passwd_command(CLI::App& app, Action& run);  // a PREVIEW_USERS line

}  // namespace vigil::cli
