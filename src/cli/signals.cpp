#include "cli/signals.h"

#include <pthread.h>

namespace vigil::cli {

namespace {
constexpr int kWake = SIGUSR2;  // sent to the waiter by the destructor
}

SignalStop::SignalStop() {
  sigemptyset(&signals_);
  sigaddset(&signals_, SIGINT);
  sigaddset(&signals_, SIGTERM);
  sigaddset(&signals_, kWake);
  pthread_sigmask(SIG_BLOCK, &signals_, nullptr);
}

void SignalStop::arm(std::function<void(int)> on_signal) {
  waiter_ = std::thread([this, on_signal = std::move(on_signal)] {
    int sig = 0;
    sigwait(&signals_, &sig);
    if (sig != kWake) on_signal(sig);
  });
}

SignalStop::~SignalStop() {
  if (waiter_.joinable()) {
    pthread_kill(waiter_.native_handle(), kWake);
    waiter_.join();
  }
}

}  // namespace vigil::cli
