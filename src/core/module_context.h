// ModuleContext: everything a module may touch outside itself. A module sends messages on its named
// outputs, reads its settings and counts into the shared metrics through this interface only, so the same
// module code runs inside `vigil run` (the hub routes its outputs), alone under `vigil camera` (outputs
// printed as JSON lines), or in a test (outputs collected in memory).
#pragma once

#include <string>

#include "core/message.h"
#include "core/metrics.h"

namespace vigil {

class ModuleContext {
 public:
  virtual ~ModuleContext() = default;
  virtual const std::string& module_id() const = 0;
  // Thread-safe. The context stamps connectionModuleId and outputName; it never blocks for long.
  virtual void send(const std::string& output, Message message) = 0;
  virtual Metrics& metrics() = 0;
};

}  // namespace vigil
