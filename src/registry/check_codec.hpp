#pragma once
// JSON <-> CheckSpec: the "check" object of a registration.
//   {"http": "http://10.0.0.5:8080/health", "interval": "5s", "timeout": "1s",
//    "method": "GET", "header": {"Host": "web"}, "failures_before_critical": 3,
//    "successes_before_passing": 2}
//   {"tcp": "10.0.0.5:8080", "interval": "5s", "timeout": "1s"}
// Targets are IP literals: a probe never waits for a name lookup.

#include <boost/json/fwd.hpp>
#include <optional>

#include "registry/model.hpp"
#include "registry/refusal.hpp"

namespace beacon::registry {

/// Reads body["check"] into r.check, if present.
std::optional<Refusal> read_check(const boost::json::object& body, Registration& r);

boost::json::object check_to_json(const CheckSpec& check);

namespace check_bounds {
constexpr auto min_interval = std::chrono::milliseconds(500);
constexpr auto max_interval = std::chrono::hours(1);
constexpr auto min_timeout = std::chrono::milliseconds(100);
constexpr auto max_timeout = std::chrono::minutes(5);
constexpr unsigned max_threshold = 100;
}  // namespace check_bounds

}  // namespace beacon::registry
