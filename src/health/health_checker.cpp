#include "health/health_checker.hpp"

#include <algorithm>
#include <boost/asio/post.hpp>

#include "common/log.hpp"
#include "health/probe.hpp"

namespace beacon::health {
namespace {

constexpr std::size_t lateness_samples = 65536;

std::string key_of(const std::string& service, const std::string& id) { return service + "/" + id; }

}  // namespace

struct HealthChecker::RunningCheck {
  RunningCheck(boost::asio::io_context& io, CheckTarget t, std::uint64_t gen)
      : target(std::move(t)),
        threshold(target.spec.failures_before_critical, target.spec.successes_before_passing),
        timer(io),
        generation(gen) {}
  CheckTarget target;
  Threshold threshold;
  boost::asio::steady_timer timer;
  std::uint64_t generation;  // tells results of a replaced or removed check apart
  std::chrono::steady_clock::time_point due{};
  bool in_flight = false;
};

std::chrono::milliseconds initial_delay(std::chrono::milliseconds interval, std::mt19937_64& random) {
  if (interval.count() <= 1) return std::chrono::milliseconds(0);
  std::uniform_int_distribution<std::int64_t> spread(0, interval.count() - 1);
  return std::chrono::milliseconds(spread(random));
}

HealthChecker::HealthChecker(CheckerOptions options, const Clock& clock, Sink sink)
    : options_(options),
      clock_(clock),
      sink_(std::move(sink)),
      work_(io_.get_executor()),
      random_(options.seed),
      batch_timer_(io_),
      stats_timer_(io_) {
  lateness_ms_.reserve(lateness_samples);
}

HealthChecker::~HealthChecker() { stop(); }

void HealthChecker::start() {
  schedule_stats();
  thread_ = std::thread([this] { io_.run(); });
}

void HealthChecker::schedule_stats() {
  stats_timer_.expires_after(options_.stats_interval);
  stats_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    const LatenessStats stats = lateness();
    if (stats.samples > 0) {
      log::info("health_check_stats", {{"checks", checks_.size()}, {"runs_total", stats_.runs.value()},
                                       {"sampled", stats.samples}, {"in_flight", in_flight_},
                                       {"late_p50_ms", stats.p50_ms}, {"late_p90_ms", stats.p90_ms},
                                       {"late_p99_ms", stats.p99_ms}, {"late_max_ms", stats.max_ms}});
    }
    {
      std::lock_guard lock(lateness_mutex_);
      lateness_ms_.clear();
      lateness_next_ = 0;
    }
    schedule_stats();
  });
}

void HealthChecker::stop() {
  if (!thread_.joinable()) return;
  // Timers and probes in flight are abandoned; their handlers are destroyed with io_.
  io_.stop();
  thread_.join();
}

void HealthChecker::set_service_checks(const std::string& service, std::vector<CheckTarget> targets) {
  boost::asio::post(io_, [this, service, targets = std::move(targets)]() mutable { apply(service, std::move(targets)); });
}

void HealthChecker::apply(const std::string& service, std::vector<CheckTarget> targets) {
  std::map<std::string, CheckTarget> wanted;
  for (auto& t : targets) wanted.emplace(key_of(t.service, t.id), std::move(t));
  // Remove checks of this service that are gone or changed.
  const std::string prefix = service + "/";
  for (auto it = checks_.lower_bound(prefix); it != checks_.end() && it->first.starts_with(prefix);) {
    const auto w = wanted.find(it->first);
    if (w != wanted.end() && w->second.spec == it->second->target.spec) {
      wanted.erase(w);  // unchanged: keeps schedule and thresholds
      ++it;
    } else {
      it = checks_.erase(it);
    }
  }
  for (auto& [key, target] : wanted) {
    auto check = std::make_unique<RunningCheck>(io_, std::move(target), next_generation_++);
    check->due = std::chrono::steady_clock::now() + initial_delay(check->target.spec.interval, random_);
    RunningCheck& ref = *check;
    checks_[key] = std::move(check);
    schedule(ref);
  }
}

void HealthChecker::schedule(RunningCheck& check) {
  check.timer.expires_at(check.due);
  check.timer.async_wait([this, key = key_of(check.target.service, check.target.id),
                          generation = check.generation](const boost::system::error_code& ec) {
    if (!ec) on_due(key, generation);
  });
}

void HealthChecker::on_due(const std::string& key, std::uint64_t generation) {
  const auto it = checks_.find(key);
  if (it == checks_.end() || it->second->generation != generation) return;
  if (in_flight_ >= options_.max_in_flight) {
    waiting_.emplace_back(key, generation);
    return;
  }
  start_probe_now(*it->second);
}

void HealthChecker::start_probe_now(RunningCheck& check) {
  record_lateness(std::chrono::steady_clock::now() - check.due);
  check.in_flight = true;
  ++in_flight_;
  start_probe(io_, check.target.spec,
              [this, key = key_of(check.target.service, check.target.id), generation = check.generation](Observation o) {
                on_observation(key, generation, std::move(o));
              });
}

void HealthChecker::on_observation(const std::string& key, std::uint64_t generation, Observation observation) {
  --in_flight_;
  start_waiting();
  const auto it = checks_.find(key);
  if (it == checks_.end() || it->second->generation != generation) return;
  RunningCheck& check = *it->second;
  check.in_flight = false;
  stats_.runs.add();
  if (observation.status == Health::critical) stats_.failures.add();
  const Health status = check.threshold.observe(observation.status);
  report({check.target.service, check.target.id, status, std::move(observation.output), clock_.now()});
  // Fixed rate from the schedule; slots missed while the probe ran are skipped.
  const auto now = std::chrono::steady_clock::now();
  do {
    check.due += check.target.spec.interval;
  } while (check.due <= now);
  schedule(check);
}

void HealthChecker::start_waiting() {
  while (in_flight_ < options_.max_in_flight && !waiting_.empty()) {
    const auto [key, generation] = waiting_.front();
    waiting_.pop_front();
    const auto it = checks_.find(key);
    if (it != checks_.end() && it->second->generation == generation) start_probe_now(*it->second);
  }
}

void HealthChecker::report(CheckReport r) {
  pending_.push_back(std::move(r));
  if (batch_armed_) return;
  batch_armed_ = true;
  batch_timer_.expires_after(options_.batch_window);
  batch_timer_.async_wait([this](const boost::system::error_code& ec) {
    batch_armed_ = false;
    if (ec) return;
    sink_(std::exchange(pending_, {}));
  });
}

void HealthChecker::record_lateness(std::chrono::steady_clock::duration late) {
  const double ms = std::max(0.0, std::chrono::duration<double, std::milli>(late).count());
  std::lock_guard lock(lateness_mutex_);
  if (lateness_ms_.size() < lateness_samples) lateness_ms_.push_back(ms);
  else lateness_ms_[lateness_next_++ % lateness_samples] = ms;
}

LatenessStats HealthChecker::lateness() const {
  std::vector<double> samples;
  {
    std::lock_guard lock(lateness_mutex_);
    samples = lateness_ms_;
  }
  LatenessStats stats;
  stats.samples = samples.size();
  if (samples.empty()) return stats;
  std::sort(samples.begin(), samples.end());
  const auto at = [&](double p) { return samples[std::min(samples.size() - 1, static_cast<std::size_t>(p * static_cast<double>(samples.size())))]; };
  stats.p50_ms = at(0.50);
  stats.p90_ms = at(0.90);
  stats.p99_ms = at(0.99);
  stats.max_ms = samples.back();
  return stats;
}

}  // namespace beacon::health
