#include "registry/check_codec.hpp"

#include <doctest/doctest.h>

#include <boost/json.hpp>
#include <string>

#include "registry/registration_codec.hpp"

namespace json = boost::json;
using beacon::Expected;
using namespace beacon::registry;
using std::chrono::milliseconds;

namespace {

Expected<Registration, Refusal> parse_check(const json::value& check) {
  return parse_registration(json::value(json::object{{"address", "10.0.0.5"}, {"port", 8080}, {"check", check}}));
}

CheckSpec accepted(const json::value& check) {
  const auto result = parse_check(check);
  REQUIRE_MESSAGE(result.has_value(), "refused ", json::serialize(check), ": ",
                  result ? std::string() : result.error().field + " " + result.error().message);
  REQUIRE(result->check.has_value());
  return *result->check;
}

void refused(const json::value& check, const std::string& field) {
  const auto result = parse_check(check);
  REQUIRE_MESSAGE(!result.has_value(), "accepted ", json::serialize(check), ", expected a refusal of ", field);
  CHECK_MESSAGE(result.error().kind == Refusal::Kind::invalid, json::serialize(check));
  CHECK_MESSAGE(result.error().field == field, json::serialize(check), " -> ", result.error().field);
  CHECK(!result.error().message.empty());
}

}  // namespace

TEST_CASE("check codec: an HTTP check with every field") {
  const CheckSpec s = accepted(json::parse(R"({"http": "http://10.0.0.5:8080/health?full=1", "interval": "5s",
      "timeout": "1s", "failures_before_critical": 3, "successes_before_passing": 2, "method": "HEAD",
      "header": {"Host": "web.internal", "X-Probe": ["a", "b"]}})"));
  CHECK(s.kind == CheckSpec::Kind::http);
  CHECK(s.url == "http://10.0.0.5:8080/health?full=1");
  CHECK(s.host == "10.0.0.5");
  CHECK(s.port == 8080);
  CHECK(s.target == "/health?full=1");
  CHECK(s.method == "HEAD");
  CHECK(s.interval == milliseconds(5000));
  CHECK(s.timeout == milliseconds(1000));
  CHECK(s.failures_before_critical == 3);
  CHECK(s.successes_before_passing == 2);
  CHECK(s.headers == std::vector<std::pair<std::string, std::string>>{{"Host", "web.internal"}, {"X-Probe", "a"}, {"X-Probe", "b"}});
}

TEST_CASE("check codec: defaults, port 80, path /, IPv6 literals, TCP checks") {
  CheckSpec s = accepted(json::object{{"http", "http://10.0.0.5"}});
  CHECK(s.port == 80);
  CHECK(s.target == "/");
  CHECK(s.method == "GET");
  CHECK(s.interval == milliseconds(10'000));
  CHECK(s.timeout == milliseconds(2'000));
  CHECK(s.failures_before_critical == 1);
  CHECK(s.successes_before_passing == 1);
  CHECK(s.headers.empty());

  s = accepted(json::object{{"http", "http://[fd00::5]:9000/h"}, {"interval", 1}, {"timeout", "100ms"}});
  CHECK(s.host == "fd00::5");
  CHECK(s.port == 9000);
  CHECK(s.target == "/h");
  CHECK(s.interval == milliseconds(1000));
  CHECK(s.timeout == milliseconds(100));

  s = accepted(json::object{{"tcp", "10.0.0.5:5432"}, {"interval", "500ms"}});
  CHECK(s.kind == CheckSpec::Kind::tcp);
  CHECK(s.host == "10.0.0.5");
  CHECK(s.port == 5432);
  CHECK(s.url == "10.0.0.5:5432");
  CHECK(s.interval == milliseconds(500));

  s = accepted(json::object{{"tcp", "[::1]:53"}});
  CHECK(s.host == "::1");
  CHECK(s.port == 53);

  // Bounds are inclusive.
  accepted(json::object{{"tcp", "10.0.0.5:1"}, {"interval", "1h"}, {"timeout", "5m"},
                        {"failures_before_critical", 100}, {"successes_before_passing", 1}});
}

TEST_CASE("check codec: refusals name the field") {
  refused("http://10.0.0.5/", "check");
  refused(json::array{}, "check");
  refused(json::object{}, "check");
  refused(json::object{{"http", "http://10.0.0.5/"}, {"tcp", "10.0.0.5:80"}}, "check");
  refused(json::object{{"interval", "5s"}}, "check");

  refused(json::object{{"http", "http://10.0.0.5/"}, {"x", 1}}, "check.x");
  refused(json::object{{"http", "http://10.0.0.5/"}, {"Interval", "5s"}}, "check.Interval");
  refused(json::object{{"http", "http://10.0.0.5/"}, {"headers", json::object{}}}, "check.headers");

  refused(json::object{{"http", "https://10.0.0.5/health"}}, "check.http");
  refused(json::object{{"http", "http://web.internal:8080/health"}}, "check.http");
  refused(json::object{{"http", "http://localhost/health"}}, "check.http");
  refused(json::object{{"http", "10.0.0.5:8080/health"}}, "check.http");
  refused(json::object{{"http", "ftp://10.0.0.5/"}}, "check.http");
  refused(json::object{{"http", "http://10.0.0.5:0/"}}, "check.http");
  refused(json::object{{"http", "http://10.0.0.5:65536/"}}, "check.http");
  refused(json::object{{"http", "http://10.0.0.5:80x/"}}, "check.http");
  refused(json::object{{"http", "http://10.0.0.5/a b"}}, "check.http");
  refused(json::object{{"http", "http://10.0.0.5/a\r\nX: y"}}, "check.http");
  refused(json::object{{"http", "http://[fd00::5/"}}, "check.http");
  refused(json::object{{"http", "http://fd00::5/"}}, "check.http");
  refused(json::object{{"http", 80}}, "check.http");
  refused(json::object{{"http", nullptr}}, "check.http");

  refused(json::object{{"tcp", "10.0.0.5"}}, "check.tcp");  // a TCP check needs a port
  refused(json::object{{"tcp", "db.internal:5432"}}, "check.tcp");
  refused(json::object{{"tcp", "10.0.0.5:0"}}, "check.tcp");
  refused(json::object{{"tcp", "http://10.0.0.5:80"}}, "check.tcp");
  refused(json::object{{"tcp", 5432}}, "check.tcp");
  refused(json::object{{"tcp", "10.0.0.5:5432"}, {"method", "GET"}}, "check");
  refused(json::object{{"tcp", "10.0.0.5:5432"}, {"header", json::object{{"Host", "x"}}}}, "check");

  refused(json::object{{"http", "http://10.0.0.5/"}, {"interval", "499ms"}}, "check.interval");
  refused(json::object{{"http", "http://10.0.0.5/"}, {"interval", 0}}, "check.interval");
  refused(json::object{{"http", "http://10.0.0.5/"}, {"interval", "2h"}}, "check.interval");
  refused(json::object{{"http", "http://10.0.0.5/"}, {"interval", "soon"}}, "check.interval");
  refused(json::object{{"http", "http://10.0.0.5/"}, {"interval", -1}}, "check.interval");
  refused(json::object{{"http", "http://10.0.0.5/"}, {"timeout", "99ms"}}, "check.timeout");
  refused(json::object{{"http", "http://10.0.0.5/"}, {"timeout", "6m"}}, "check.timeout");
  refused(json::object{{"http", "http://10.0.0.5/"}, {"failures_before_critical", 0}}, "check.failures_before_critical");
  refused(json::object{{"http", "http://10.0.0.5/"}, {"failures_before_critical", 101}}, "check.failures_before_critical");
  refused(json::object{{"http", "http://10.0.0.5/"}, {"failures_before_critical", "3"}}, "check.failures_before_critical");
  refused(json::object{{"http", "http://10.0.0.5/"}, {"successes_before_passing", 0}}, "check.successes_before_passing");
  refused(json::object{{"http", "http://10.0.0.5/"}, {"successes_before_passing", 1.5}}, "check.successes_before_passing");

  refused(json::object{{"http", "http://10.0.0.5/"}, {"method", "G E T"}}, "check.method");
  refused(json::object{{"http", "http://10.0.0.5/"}, {"method", ""}}, "check.method");
  refused(json::object{{"http", "http://10.0.0.5/"}, {"method", 1}}, "check.method");
  refused(json::object{{"http", "http://10.0.0.5/"}, {"header", "Host: x"}}, "check.header");
  refused(json::object{{"http", "http://10.0.0.5/"}, {"header", json::object{{"Bad Name", "x"}}}}, "check.header.Bad Name");
  refused(json::object{{"http", "http://10.0.0.5/"}, {"header", json::object{{"X-A", "a\r\nInjected: 1"}}}}, "check.header.X-A");
  refused(json::object{{"http", "http://10.0.0.5/"}, {"header", json::object{{"X-A", 5}}}}, "check.header.X-A");
  json::array many;
  for (int i = 0; i < 33; ++i) many.emplace_back("v");
  refused(json::object{{"http", "http://10.0.0.5/"}, {"header", json::object{{"X-A", many}}}}, "check.header");
}

TEST_CASE("check codec: to_json and back gives the same check") {
  for (const char* text : {
           R"({"http": "http://10.0.0.5:8080/health", "interval": "5s", "timeout": "1s"})",
           R"({"http": "http://[fd00::5]/", "interval": "1500ms", "timeout": "250ms", "method": "POST",
               "header": {"Host": "web", "X-Two": ["1", "2"]}, "failures_before_critical": 4,
               "successes_before_passing": 7})",
           R"({"tcp": "10.0.0.5:5432", "interval": "1m", "timeout": "100ms"})",
           R"({"tcp": "[fd00::5]:5432"})",
       }) {
    CAPTURE(text);
    const CheckSpec first = accepted(json::parse(text));
    const json::object written = check_to_json(first);
    const CheckSpec second = accepted(written);
    CHECK(first == second);
    CHECK(check_to_json(second) == written);
  }
  // And as part of a whole registration, as the store keeps it.
  const auto r = parse_check(json::parse(R"({"http": "http://10.0.0.5:8080/h", "interval": "2s"})"));
  REQUIRE(r.has_value());
  const auto again = parse_registration(json::value(to_json(*r)));
  REQUIRE(again.has_value());
  CHECK(*again == *r);
}
