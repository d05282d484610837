#pragma once
// What one probe observed, and how consecutive observations become an instance's health.

#include <string>

#include "registry/model.hpp"

namespace beacon::health {

using registry::Health;

/// One probe's result: the health it observed and a short human-readable output
/// ("HTTP 200", "connection refused", "timed out after 1s").
struct Observation {
  Health status = Health::critical;
  std::string output;
};

/// HTTP status to health: 2xx passing, 429 warning, anything else critical.
Health health_for_http_status(unsigned status);

/// Rise/fall thresholds (Consul's failures_before_critical / successes_before_passing):
/// a passing or warning check turns critical only after `failures` consecutive failures, and
/// a critical one passes again only after `successes` consecutive successes. Starts passing.
class Threshold {
 public:
  Threshold(unsigned failures, unsigned successes)
      : failures_needed_(failures == 0 ? 1 : failures), successes_needed_(successes == 0 ? 1 : successes) {}

  /// Folds in one observation; returns the health the check now reports.
  Health observe(Health observed);
  Health current() const { return current_; }

 private:
  unsigned failures_needed_;
  unsigned successes_needed_;
  unsigned failures_ = 0;
  unsigned successes_ = 0;
  Health current_ = Health::passing;
};

}  // namespace beacon::health
