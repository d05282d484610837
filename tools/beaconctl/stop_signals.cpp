#include "stop_signals.hpp"

#include <cerrno>
#include <pthread.h>

namespace beacon::ctl {

StopSignals::StopSignals() {
  sigemptyset(&stop_set_);
  sigaddset(&stop_set_, SIGINT);
  sigaddset(&stop_set_, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_set_, &previous_);
}

StopSignals::~StopSignals() { pthread_sigmask(SIG_SETMASK, &previous_, nullptr); }

bool StopSignals::sleep_unless_stopped(std::chrono::milliseconds d) {
  const auto deadline = std::chrono::steady_clock::now() + d;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(deadline - std::chrono::steady_clock::now());
    const auto wait = left.count() > 0 ? left : std::chrono::nanoseconds(0);
    timespec ts{static_cast<time_t>(wait.count() / 1'000'000'000), static_cast<long>(wait.count() % 1'000'000'000)};
    if (sigtimedwait(&stop_set_, nullptr, &ts) >= 0) return false;  // a stop signal
    if (errno == EAGAIN) return true;                                // slept the whole time
    // EINTR: another signal; keep sleeping until the deadline.
  }
}

}  // namespace beacon::ctl
