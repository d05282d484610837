#include "health/check_status.hpp"

namespace beacon::health {

Health health_for_http_status(unsigned status) {
  if (status >= 200 && status < 300) return Health::passing;
  if (status == 429) return Health::warning;  // too many requests: alive, but shed load
  return Health::critical;
}

Health Threshold::observe(Health observed) {
  if (observed == Health::critical) {
    successes_ = 0;
    if (++failures_ >= failures_needed_) current_ = Health::critical;
    return current_;
  }
  failures_ = 0;
  if (current_ != Health::critical || ++successes_ >= successes_needed_) {
    current_ = observed;
    successes_ = 0;
  }
  return current_;
}

}  // namespace beacon::health
