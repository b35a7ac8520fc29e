// What changed in a module's spec between two readings of the manifest, in words for the log ("env MAX_FPS",
// "image", "status"). Pure. Names only, never values: an env value may be a secret.
#pragma once

#include <string>
#include <vector>

#include "deploy/manifest.h"

namespace vigil::deploy {

// Everything that needs a restart of the module to apply (desired properties are not in it: they apply live).
std::vector<std::string> restart_changes(const ModuleSpec& before, const ModuleSpec& after);

}  // namespace vigil::deploy
