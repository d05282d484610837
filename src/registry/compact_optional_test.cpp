#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>

#include "common/clock.hpp"
#include "registry/compact_optional.hpp"
#include "registry/model.hpp"

using beacon::TimePoint;
using beacon::registry::CompactOptional;
using std::chrono::milliseconds;

TEST_CASE("CompactOptional: std::optional's meaning in the scalar's own width") {
  static_assert(sizeof(CompactOptional<TimePoint>) == sizeof(TimePoint));
  static_assert(sizeof(CompactOptional<std::uint32_t>) == sizeof(std::uint32_t));

  CompactOptional<milliseconds> d;
  CHECK_FALSE(d);
  CHECK(d == std::nullopt);
  CHECK(d.value_or(milliseconds(7)) == milliseconds(7));
  d = milliseconds(0);  // zero is a value, not absence
  REQUIRE(d.has_value());
  CHECK(*d == milliseconds(0));
  CHECK(d == milliseconds(0));
  CHECK_FALSE(d == milliseconds(1));
  d.reset();
  CHECK_FALSE(d.has_value());
  CHECK_FALSE(d == milliseconds(0));

  CompactOptional<std::uint32_t> ttl = std::optional<std::uint32_t>(30);
  CHECK(ttl == 30u);
  ttl = std::optional<std::uint32_t>();
  CHECK(ttl == std::nullopt);
  CHECK(ttl == CompactOptional<std::uint32_t>());

  CompactOptional<TimePoint> t = TimePoint(milliseconds(5));
  CHECK(t->time_since_epoch() == milliseconds(5));
  CHECK(t == TimePoint(milliseconds(5)));
}

TEST_CASE("CompactOptional: the registry's per-instance records stay small") {
  // A million instances is the design size (issue 8): every 8 bytes here is 8 MB there.
  static_assert(sizeof(beacon::registry::Registration) <= 112);
  static_assert(sizeof(beacon::registry::Instance) <= 168);
}
