#include "registry/registration_codec.hpp"

#include <doctest/doctest.h>

#include <boost/json.hpp>
#include <string>

namespace json = boost::json;
using beacon::Expected;
using namespace beacon::registry;
using std::chrono::milliseconds;

namespace {

/// A valid body with `extra` merged in (a null value removes the key).
json::object body_with(const json::object& extra) {
  json::object body{{"address", "10.0.0.5"}, {"port", 8080}};
  for (const auto& [key, value] : extra) {
    if (value.is_null()) body.erase(key);
    else body[key] = value;
  }
  return body;
}

Expected<Registration, Refusal> parse(const json::object& extra) { return parse_registration(json::value(body_with(extra))); }

Expected<Registration, Refusal> parse_text(std::string_view text) { return parse_registration(json::parse(text)); }

/// Checks that `result` is a refusal of kind invalid naming `field`.
void check_refused(const Expected<Registration, Refusal>& result, const std::string& field) {
  REQUIRE_MESSAGE(!result.has_value(), "expected a refusal of field ", field);
  CHECK(result.error().kind == Refusal::Kind::invalid);
  CHECK(result.error().field == field);
  CHECK(!result.error().message.empty());
}

Registration accepted(const Expected<Registration, Refusal>& result) {
  REQUIRE_MESSAGE(result.has_value(), "refused: ", result ? std::string() : result.error().field + " " + result.error().message);
  return result.value();
}

/// "kNN=" followed by padding so that key=value is exactly `octets` long.
std::pair<std::string, std::string> meta_entry(int n, std::size_t octets) {
  std::string key = "k" + std::to_string(n);
  REQUIRE(octets >= key.size() + 1);
  return {key, std::string(octets - key.size() - 1, 'v')};
}

}  // namespace

TEST_CASE("registry codec: labels are 1-63 of a-z0-9-, no edge hyphen, case folded") {
  CHECK(normalize_label("web") == "web");
  CHECK(normalize_label("a") == "a");
  CHECK(normalize_label("web-1") == "web-1");
  CHECK(normalize_label("0day") == "0day");
  CHECK(normalize_label("Web-API") == "web-api");
  CHECK(normalize_label(std::string(63, 'x')) == std::string(63, 'x'));
  CHECK_FALSE(normalize_label(std::string(64, 'x')));
  CHECK_FALSE(normalize_label(""));
  CHECK_FALSE(normalize_label("-web"));
  CHECK_FALSE(normalize_label("web-"));
  CHECK_FALSE(normalize_label("-"));
  CHECK_FALSE(normalize_label("my_service"));
  CHECK_FALSE(normalize_label("_http"));
  CHECK_FALSE(normalize_label("web.svc"));
  CHECK_FALSE(normalize_label("we b"));
  CHECK_FALSE(normalize_label("caf\xc3\xa9"));
  CHECK_FALSE(normalize_label(std::string_view("we\0b", 4)));
}

TEST_CASE("registry codec: address is an IPv4 or IPv6 literal") {
  const Registration v4 = accepted(parse({{"address", "10.0.0.5"}}));
  REQUIRE(v4.addresses.size() == 1);
  CHECK_FALSE(v4.addresses[0].is_v6);
  CHECK(v4.addresses[0].to_string() == "10.0.0.5");
  CHECK(v4.addresses[0].bytes[0] == 10);
  CHECK(v4.addresses[0].bytes[3] == 5);

  const Registration v6 = accepted(parse({{"address", "2001:DB8::1"}}));
  REQUIRE(v6.addresses.size() == 1);
  CHECK(v6.addresses[0].is_v6);
  CHECK(v6.addresses[0].to_string() == "2001:db8::1");

  for (const char* bad : {"", "10.0.0", "10.0.0.256", "10.0.0.5:80", "host.example", "2001:db8::1::2",
                          "fe80::1%eth0", " 10.0.0.5", "10.0.0.5/24"}) {
    CAPTURE(bad);
    check_refused(parse({{"address", bad}}), "address");
  }
  check_refused(parse({{"address", 167772165}}), "address");
  check_refused(parse({{"address", json::array{"10.0.0.5"}}}), "address");
}

TEST_CASE("registry codec: addresses is a non-empty list of at most 16 distinct addresses") {
  const Registration r = accepted(parse({{"address", nullptr}, {"addresses", json::array{"10.0.0.5", "::1"}}}));
  REQUIRE(r.addresses.size() == 2);
  CHECK(r.addresses[0].to_string() == "10.0.0.5");
  CHECK(r.addresses[1].to_string() == "::1");

  json::array sixteen;
  for (int i = 1; i <= 16; ++i) sixteen.emplace_back("10.0.0." + std::to_string(i));
  CHECK(accepted(parse({{"address", nullptr}, {"addresses", sixteen}})).addresses.size() == 16);
  json::array seventeen = sixteen;
  seventeen.emplace_back("10.0.0.17");
  check_refused(parse({{"address", nullptr}, {"addresses", seventeen}}), "addresses");

  check_refused(parse({{"address", nullptr}, {"addresses", json::array{}}}), "addresses");
  check_refused(parse({{"address", nullptr}, {"addresses", "10.0.0.5"}}), "addresses");
  check_refused(parse({{"address", nullptr}, {"addresses", json::array{"10.0.0.5", "nope"}}}), "addresses");
  check_refused(parse({{"address", nullptr}, {"addresses", json::array{"10.0.0.5", 7}}}), "addresses");
  // Duplicates, also when spelled differently.
  check_refused(parse({{"address", nullptr}, {"addresses", json::array{"10.0.0.5", "10.0.0.5"}}}), "addresses");
  check_refused(parse({{"address", nullptr}, {"addresses", json::array{"2001:db8::1", "2001:DB8:0::1"}}}),
                "addresses");
  // Both, or neither.
  check_refused(parse({{"addresses", json::array{"10.0.0.6"}}}), "addresses");
  check_refused(parse({{"address", nullptr}}), "address");
}

TEST_CASE("registry codec: port is required, an integer from 1 to 65535") {
  CHECK(accepted(parse({{"port", 1}})).port == 1);
  CHECK(accepted(parse({{"port", 65535}})).port == 65535);
  CHECK(accepted(parse_text(R"({"address":"10.0.0.5","port":8080})")).port == 8080);
  check_refused(parse({{"port", nullptr}}), "port");
  check_refused(parse({{"port", 0}}), "port");
  check_refused(parse({{"port", 65536}}), "port");
  check_refused(parse({{"port", -1}}), "port");
  check_refused(parse({{"port", "80"}}), "port");
  check_refused(parse({{"port", 80.5}}), "port");
  check_refused(parse({{"port", true}}), "port");
  check_refused(parse_text(R"({"address":"10.0.0.5","port":80.5})"), "port");
  check_refused(parse_text(R"({"address":"10.0.0.5","port":18446744073709551615})"), "port");
}

TEST_CASE("registry codec: weight and priority are integers from 0 to 65535") {
  const Registration defaults = accepted(parse({}));
  CHECK(defaults.weight == 1);
  CHECK(defaults.priority == 0);
  for (const char* field : {"weight", "priority"}) {
    CAPTURE(field);
    const Registration low = accepted(parse({{field, 0}}));
    const Registration high = accepted(parse({{field, 65535}}));
    CHECK((std::string(field) == "weight" ? low.weight : low.priority) == 0);
    CHECK((std::string(field) == "weight" ? high.weight : high.priority) == 65535);
    check_refused(parse({{field, 65536}}), field);
    check_refused(parse({{field, -1}}), field);
    check_refused(parse({{field, "10"}}), field);
    check_refused(parse({{field, 1.5}}), field);
  }
}

TEST_CASE("registry codec: protocol is tcp or udp") {
  CHECK(accepted(parse({})).protocol == Protocol::tcp);
  CHECK(accepted(parse({{"protocol", "tcp"}})).protocol == Protocol::tcp);
  CHECK(accepted(parse({{"protocol", "udp"}})).protocol == Protocol::udp);
  check_refused(parse({{"protocol", "sctp"}}), "protocol");
  check_refused(parse({{"protocol", "TCP"}}), "protocol");
  check_refused(parse({{"protocol", ""}}), "protocol");
  check_refused(parse({{"protocol", 6}}), "protocol");
}

TEST_CASE("registry codec: tags are distinct labels, case folded and sorted") {
  CHECK(accepted(parse({})).tags.empty());
  CHECK(accepted(parse({{"tags", json::array{}}})).tags.empty());
  const Registration r = accepted(parse({{"tags", json::array{"Primary", "canary", "az-1"}}}));
  CHECK(r.tags == std::vector<std::string>{"az-1", "canary", "primary"});

  check_refused(parse({{"tags", json::array{"a", "a"}}}), "tags");
  check_refused(parse({{"tags", json::array{"Primary", "primary"}}}), "tags");
  check_refused(parse({{"tags", json::array{"my_tag"}}}), "tags");
  check_refused(parse({{"tags", json::array{""}}}), "tags");
  check_refused(parse({{"tags", json::array{"-x"}}}), "tags");
  check_refused(parse({{"tags", json::array{std::string(64, 't')}}}), "tags");
  check_refused(parse({{"tags", json::array{1}}}), "tags");
  check_refused(parse({{"tags", "primary"}}), "tags");

  json::array many;
  for (std::size_t i = 0; i < bounds::max_tags; ++i) many.emplace_back("t" + std::to_string(i));
  CHECK(accepted(parse({{"tags", many}})).tags.size() == bounds::max_tags);
  many.emplace_back("one-more");
  check_refused(parse({{"tags", many}}), "tags");
}

TEST_CASE("registry codec: meta holds string values, key=value at most 255 octets, 4096 in all") {
  const Registration r = accepted(parse({{"meta", json::object{{"version", "1.4.2"}, {"env", "prod"}, {"empty", ""}}}}));
  using Meta = std::vector<std::pair<std::string, std::string>>;
  CHECK(r.meta == Meta{{"empty", ""}, {"env", "prod"}, {"version", "1.4.2"}});
  // Keys are printable ASCII, '=' excepted; case and punctuation are kept.
  CHECK(accepted(parse({{"meta", json::object{{"Key With Space_~", "v"}}}})).meta.at(0).first == "Key With Space_~");

  check_refused(parse({{"meta", json::object{{"version", 1}}}}), "meta.version");
  check_refused(parse({{"meta", json::object{{"flag", true}}}}), "meta.flag");
  check_refused(parse({{"meta", json::object{{"list", json::array{"a"}}}}}), "meta.list");
  check_refused(parse({{"meta", json::object{{"nil", nullptr}}}}), "meta.nil");
  check_refused(parse({{"meta", json::object{{"a=b", "c"}}}}), "meta.a=b");
  check_refused(parse({{"meta", json::object{{"", "c"}}}}), "meta.");
  check_refused(parse({{"meta", json::object{{"tab\tkey", "c"}}}}), "meta.tab\tkey");
  check_refused(parse({{"meta", json::object{{"caf\xc3\xa9", "c"}}}}), "meta.caf\xc3\xa9");
  check_refused(parse({{"meta", "version=1"}}), "meta");
  check_refused(parse({{"meta", json::array{}}}), "meta");

  // One key=value string: 255 octets fit, 256 do not.
  const auto fits = meta_entry(1, 255);
  const auto too_long = meta_entry(1, 256);
  CHECK(accepted(parse({{"meta", json::object{{fits.first, fits.second}}}})).meta.at(0).second == fits.second);
  check_refused(parse({{"meta", json::object{{too_long.first, too_long.second}}}}), "meta.k1");

  // All of them, as TXT character-strings (a length octet each): 4096 octets fit, 4097 do not.
  json::object full;
  for (int i = 0; i < 16; ++i) {
    const auto [k, v] = meta_entry(10 + i, 255);
    full[k] = v;
  }
  CHECK(accepted(parse({{"meta", full}})).meta.size() == 16);
  json::object over;
  std::size_t total = 0;
  for (int i = 0; i < 15; ++i) {
    const auto [k, v] = meta_entry(10 + i, 255);
    over[k] = v;
    total += 256;
  }
  for (const auto& [n, octets] : {std::pair{30, std::size_t{200}}, std::pair{31, std::size_t{55}}}) {
    const auto [k, v] = meta_entry(n, octets);
    over[k] = v;
    total += octets + 1;
  }
  REQUIRE(total == bounds::max_meta_total + 1);
  check_refused(parse({{"meta", over}}), "meta");
}

TEST_CASE("registry codec: ttl and deregister_after are durations within bounds") {
  CHECK(accepted(parse({})).ttl == std::nullopt);
  CHECK(accepted(parse({})).deregister_after == std::nullopt);
  CHECK(accepted(parse({{"ttl", "15s"}})).ttl == milliseconds(15'000));
  CHECK(accepted(parse({{"ttl", "2m"}})).ttl == milliseconds(120'000));
  CHECK(accepted(parse({{"ttl", "1500ms"}})).ttl == milliseconds(1'500));
  CHECK(accepted(parse({{"ttl", 15}})).ttl == milliseconds(15'000));
  CHECK(accepted(parse({{"ttl", "1s"}})).ttl == milliseconds(1'000));
  CHECK(accepted(parse({{"ttl", "24h"}})).ttl == milliseconds(86'400'000));
  check_refused(parse({{"ttl", "500ms"}}), "ttl");  // below the minimum of 1s
  check_refused(parse({{"ttl", "999ms"}}), "ttl");
  check_refused(parse({{"ttl", 0}}), "ttl");
  check_refused(parse({{"ttl", "25h"}}), "ttl");
  check_refused(parse({{"ttl", 86401}}), "ttl");
  check_refused(parse({{"ttl", "1y"}}), "ttl");
  check_refused(parse({{"ttl", -15}}), "ttl");
  check_refused(parse({{"ttl", 1.5}}), "ttl");
  check_refused(parse({{"ttl", "15 s"}}), "ttl");
  check_refused(parse({{"ttl", ""}}), "ttl");
  check_refused(parse({{"ttl", true}}), "ttl");

  CHECK(accepted(parse({{"deregister_after", "10m"}})).deregister_after == milliseconds(600'000));
  CHECK(accepted(parse({{"deregister_after", 60}})).deregister_after == milliseconds(60'000));
  CHECK(accepted(parse({{"deregister_after", "1s"}})).deregister_after == milliseconds(1'000));
  CHECK(accepted(parse({{"deregister_after", "720h"}})).deregister_after == milliseconds(720LL * 3'600'000));
  check_refused(parse({{"deregister_after", "500ms"}}), "deregister_after");
  check_refused(parse({{"deregister_after", "721h"}}), "deregister_after");
  check_refused(parse({{"deregister_after", "1y"}}), "deregister_after");
  check_refused(parse({{"deregister_after", -1}}), "deregister_after");
}

TEST_CASE("registry codec: dns_ttl is whole seconds from 0 to 86400") {
  CHECK(accepted(parse({})).dns_ttl == std::nullopt);
  CHECK(accepted(parse({{"dns_ttl", 0}})).dns_ttl == 0u);
  CHECK(accepted(parse({{"dns_ttl", 30}})).dns_ttl == 30u);
  CHECK(accepted(parse({{"dns_ttl", "5m"}})).dns_ttl == 300u);
  CHECK(accepted(parse({{"dns_ttl", 86400}})).dns_ttl == 86400u);
  CHECK(accepted(parse({{"dns_ttl", "2000ms"}})).dns_ttl == 2u);
  check_refused(parse({{"dns_ttl", "1500ms"}}), "dns_ttl");
  check_refused(parse({{"dns_ttl", 86401}}), "dns_ttl");
  check_refused(parse({{"dns_ttl", "25h"}}), "dns_ttl");
  check_refused(parse({{"dns_ttl", -1}}), "dns_ttl");
  check_refused(parse({{"dns_ttl", 1.5}}), "dns_ttl");
  check_refused(parse({{"dns_ttl", "1y"}}), "dns_ttl");
}

TEST_CASE("registry codec: unknown fields are refused by name") {
  check_refused(parse({{"adress", "10.0.0.6"}}), "adress");
  check_refused(parse({{"Port", 80}}), "Port");
  // Reported even when a known field is also wrong.
  check_refused(parse({{"port", 0}, {"tgas", json::array{}}}), "tgas");
}

TEST_CASE("registry codec: the body must be a JSON object") {
  for (const char* text : {"[]", "null", "\"10.0.0.5\"", "42", "true", R"([{"address":"10.0.0.5","port":80}])"}) {
    CAPTURE(text);
    const auto result = parse_text(text);
    REQUIRE_FALSE(result.has_value());
    CHECK(result.error().kind == Refusal::Kind::invalid);
    CHECK(result.error().field.empty());
  }
  check_refused(parse_text("{}"), "address");
}

TEST_CASE("registry codec: to_json then parse_registration gives the same registration") {
  std::vector<Registration> samples;
  samples.push_back(accepted(parse({})));
  samples.push_back(accepted(parse({{"address", "::1"}, {"port", 53}, {"protocol", "udp"}})));
  samples.push_back(accepted(parse({{"address", nullptr},
                                    {"addresses", json::array{"10.0.0.5", "2001:db8::5", "10.0.0.6"}},
                                    {"tags", json::array{"primary", "AZ-1"}},
                                    {"meta", json::object{{"version", "1.4.2"}, {"env", "prod"}, {"note", "a \"b\" = c"}}},
                                    {"weight", 0},
                                    {"priority", 65535},
                                    {"ttl", "1500ms"},
                                    {"deregister_after", "10m"},
                                    {"dns_ttl", 0}})));
  samples.push_back(accepted(parse({{"ttl", 15}, {"deregister_after", "2h"}, {"dns_ttl", 86400}})));
  for (const Registration& r : samples) {
    const json::object o = to_json(r);
    CAPTURE(json::serialize(o));
    // Straight from the value, and through text as the store does.
    CHECK(accepted(parse_registration(json::value(o))) == r);
    CHECK(accepted(parse_text(json::serialize(o))) == r);
  }
}
