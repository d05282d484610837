#pragma once
// SIGINT and SIGTERM as an orderly stop for commands that repeat (heartbeat --every): while
// a StopSignals lives they are blocked, and sleep_unless_stopped() consumes them.

#include <chrono>
#include <csignal>

namespace beacon::ctl {

class StopSignals {
 public:
  StopSignals();
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  /// Sleeps for `d`; returns false at once if SIGINT or SIGTERM arrives (or is pending).
  bool sleep_unless_stopped(std::chrono::milliseconds d);

 private:
  sigset_t stop_set_;
  sigset_t previous_;
};

}  // namespace beacon::ctl
