#include "health/check_status.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using beacon::health::health_for_http_status;
using beacon::health::Threshold;
using beacon::registry::Health;
using beacon::registry::Instance;
using beacon::registry::CheckState;

namespace {

constexpr Health P = Health::passing;
constexpr Health W = Health::warning;
constexpr Health C = Health::critical;

/// Feeds `observed` into a fresh threshold; returns the health after each observation.
std::vector<Health> run(unsigned failures, unsigned successes, const std::vector<Health>& observed) {
  Threshold t(failures, successes);
  std::vector<Health> out;
  for (Health h : observed) {
    out.push_back(t.observe(h));
    CHECK(t.current() == out.back());
  }
  return out;
}

}  // namespace

TEST_CASE("health status: every HTTP status class maps as issue 4 says") {
  for (unsigned s = 200; s < 300; ++s) CHECK_MESSAGE(health_for_http_status(s) == P, s);
  CHECK(health_for_http_status(429) == W);
  for (unsigned s : {100u, 101u, 199u, 300u, 301u, 302u, 304u, 399u, 400u, 401u, 403u, 404u, 428u, 430u, 499u,
                     500u, 502u, 503u, 504u, 599u, 600u, 0u, 999u}) {
    CHECK_MESSAGE(health_for_http_status(s) == C, s);
  }
}

TEST_CASE("health status: thresholds of 1 follow every observation at once") {
  CHECK(run(1, 1, {P, C, P, W, C, W, P, C, C, P}) == std::vector<Health>{P, C, P, W, C, W, P, C, C, P});
  // 0 means 1, not "never".
  CHECK(run(0, 0, {C, P}) == std::vector<Health>{C, P});
}

TEST_CASE("health status: failures_before_critical needs that many consecutive failures") {
  // Starts passing; two failures are absorbed, the third turns it critical.
  CHECK(run(3, 1, {C, C, C, C}) == std::vector<Health>{P, P, C, C});
  // A success in between resets the count.
  CHECK(run(3, 1, {C, C, P, C, C, P, C, C, C}) == std::vector<Health>{P, P, P, P, P, P, P, P, C});
  // A warning observation is not a failure: it resets the count too, and shows at once.
  CHECK(run(2, 1, {C, W, C, C}) == std::vector<Health>{P, W, W, C});
  // From warning, failures are counted the same way.
  CHECK(run(2, 1, {W, C, C}) == std::vector<Health>{W, W, C});
}

TEST_CASE("health status: successes_before_passing needs that many consecutive successes out of critical") {
  CHECK(run(1, 3, {C, P, P, P, P}) == std::vector<Health>{C, C, C, P, P});
  // A failure in between resets the count.
  CHECK(run(1, 3, {C, P, P, C, P, P, P}) == std::vector<Health>{C, C, C, C, C, C, P});
  // Warnings count as successes on the way out of critical, and the result is warning.
  CHECK(run(1, 2, {C, W, W}) == std::vector<Health>{C, C, W});
  CHECK(run(1, 2, {C, P, W}) == std::vector<Health>{C, C, W});
  // Both thresholds at once.
  CHECK(run(2, 2, {C, C, P, C, P, P, C}) == std::vector<Health>{P, C, C, C, C, P, P});
}

TEST_CASE("health status: passing <-> warning is immediate whatever the thresholds") {
  CHECK(run(5, 5, {W, P, W, W, P}) == std::vector<Health>{W, P, W, W, P});
}

TEST_CASE("health status: an instance's health is the worst of heartbeat TTL, reported status and check") {
  Instance i;
  CHECK(i.health() == P);  // no TTL lapse, nothing reported, no check
  for (Health reported : {P, W, C}) {
    for (bool expired : {false, true}) {
      for (int check = -1; check <= 2; ++check) {  // -1: no check
        i.reported = reported;
        i.ttl_expired = expired;
        if (check < 0) i.check.reset();
        else i.check = CheckState{static_cast<Health>(check), "", {}, {}};
        Health want = expired ? C : reported;
        if (check >= 0 && static_cast<Health>(check) > want) want = static_cast<Health>(check);
        CHECK_MESSAGE(i.health() == want, "reported=", static_cast<int>(reported), " expired=", expired,
                      " check=", check);
      }
    }
  }
  // Spelled out: a lapsed TTL beats a passing check, a critical check beats a fresh heartbeat.
  i.reported = P;
  i.ttl_expired = true;
  i.check = CheckState{P, "HTTP 200", {}, {}};
  CHECK(i.health() == C);
  i.ttl_expired = false;
  i.check->status = C;
  CHECK(i.health() == C);
  i.check->status = W;
  CHECK(i.health() == W);
  i.reported = C;
  CHECK(i.health() == C);
}
