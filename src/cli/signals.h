// SignalStop: turns SIGINT/SIGTERM into one call of `on_signal` on a waiter thread. Construct it before any
// other thread starts (it blocks the two signals in the calling thread, and threads inherit that);
// destroying it ends the waiter.
#pragma once

#include <csignal>
#include <functional>
#include <thread>

namespace vigil::cli {

class SignalStop {
 public:
  SignalStop();
  ~SignalStop();
  // Starts waiting; `on_signal` runs at most once, on the waiter thread.
  void arm(std::function<void(int signal)> on_signal);

 private:
  sigset_t signals_{};
  std::thread waiter_;
};

}  // namespace vigil::cli
