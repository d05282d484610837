#pragma once
// Runs every instance's active check on its own thread, never on DNS threads.
//
// Each check is a timer on the health thread's io_context: its first run is spread with
// jitter over one interval (so 10 000 checks registered at once do not fire together), later
// runs follow at fixed intervals. At most `max_in_flight` probes run at once; the rest wait
// their turn, and the wait shows up as lateness. Results pass through the check's
// thresholds and are handed to the sink in batches (every `batch_window`), so a burst of a
// thousand failures reaches the registry writer as a handful of events.

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.hpp"
#include "common/counter.hpp"
#include "health/check_status.hpp"
#include "registry/check_spec.hpp"

namespace beacon::health {

struct CheckTarget {
  std::string service;
  std::string id;
  registry::CheckSpec spec;
};

/// The outcome of one check run, after thresholds.
using CheckReport = registry::CheckResult;

struct CheckerOptions {
  std::size_t max_in_flight = 512;
  std::chrono::milliseconds batch_window{20};
  std::chrono::milliseconds stats_interval{10'000};  // how often lateness is logged
  std::uint64_t seed = std::random_device{}();
};

struct LatenessStats {
  std::size_t samples = 0;
  double p50_ms = 0, p90_ms = 0, p99_ms = 0, max_ms = 0;
};

/// The delay before a new check's first run: uniform in [0, interval).
std::chrono::milliseconds initial_delay(std::chrono::milliseconds interval, std::mt19937_64& random);

class HealthChecker {
 public:
  using Sink = std::function<void(std::vector<CheckReport>)>;  // called on the health thread

  HealthChecker(CheckerOptions options, const Clock& clock, Sink sink);
  ~HealthChecker();
  HealthChecker(const HealthChecker&) = delete;
  HealthChecker& operator=(const HealthChecker&) = delete;

  void start();
  void stop();

  /// Replaces the checks of one service (empty: none). Checks whose spec is unchanged keep
  /// their schedule and threshold state. Thread-safe; applied on the health thread.
  void set_service_checks(const std::string& service, std::vector<CheckTarget> targets);

  /// How late checks started relative to their schedule, over the runs since the last
  /// stats log line (every options.stats_interval). Thread-safe.
  LatenessStats lateness() const;

  struct Stats {
    Counter runs;      // probes completed
    Counter failures;  // probes that observed critical
  };
  const Stats& stats() const { return stats_; }

 private:
  struct RunningCheck;

  void apply(const std::string& service, std::vector<CheckTarget> targets);
  void schedule(RunningCheck& check);
  void on_due(const std::string& key, std::uint64_t generation);
  void start_probe_now(RunningCheck& check);
  void on_observation(const std::string& key, std::uint64_t generation, Observation observation);
  void start_waiting();
  void report(CheckReport report);
  void record_lateness(std::chrono::steady_clock::duration late);
  void schedule_stats();

  CheckerOptions options_;
  const Clock& clock_;
  Sink sink_;
  boost::asio::io_context io_{1};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::thread thread_;

  // Health thread only.
  std::map<std::string, std::unique_ptr<RunningCheck>> checks_;  // by "service/id"
  std::deque<std::pair<std::string, std::uint64_t>> waiting_;     // due, over the in-flight bound
  std::size_t in_flight_ = 0;
  std::uint64_t next_generation_ = 1;
  std::mt19937_64 random_;
  std::vector<CheckReport> pending_;
  boost::asio::steady_timer batch_timer_;
  bool batch_armed_ = false;
  boost::asio::steady_timer stats_timer_;

  Stats stats_;
  mutable std::mutex lateness_mutex_;
  std::vector<double> lateness_ms_;  // ring buffer of recent samples
  std::size_t lateness_next_ = 0;
};

}  // namespace beacon::health
