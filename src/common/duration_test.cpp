#include <doctest/doctest.h>

#include "common/duration.hpp"

using beacon::parse_duration;
using std::chrono::milliseconds;

TEST_CASE("durations: units and bare seconds") {
  CHECK(parse_duration("500ms") == milliseconds(500));
  CHECK(parse_duration("15s") == milliseconds(15'000));
  CHECK(parse_duration("2m") == milliseconds(120'000));
  CHECK(parse_duration("1h") == milliseconds(3'600'000));
  CHECK(parse_duration("10") == milliseconds(10'000));
  CHECK(parse_duration("7d") == milliseconds(7LL * 86'400'000));
  CHECK(parse_duration("0s") == milliseconds(0));
}

TEST_CASE("durations: refusals") {
  for (const char* bad : {"", "s", "-5s", "5 s", "5x", "1.5s", "99999999999999h", "ms5"}) {
    CHECK_MESSAGE(!parse_duration(bad).has_value(), bad);
  }
}

TEST_CASE("durations: formatting is the shortest exact form") {
  CHECK(beacon::format_duration(milliseconds(1500)) == "1500ms");
  CHECK(beacon::format_duration(milliseconds(15'000)) == "15s");
  CHECK(beacon::format_duration(milliseconds(120'000)) == "2m");
  CHECK(beacon::format_duration(milliseconds(0)) == "0s");
  CHECK(beacon::format_duration(milliseconds(86'400'000)) == "1d");
}
