#include "zone/master_file.hpp"

#include <doctest/doctest.h>

#include <string>

#include "dns/constants.hpp"
#include "dns/message.hpp"
#include "dns/name.hpp"
#include "test_support.hpp"

namespace beacon::zone {
namespace {

constexpr const char* soa_line = "@ 3600 IN SOA ns1 hostmaster 1 7200 3600 1209600 300\n";

const Node* find(const Zone& z, std::string_view text) {
  const auto wire = test::wire_name(text);
  return z.find(wire);
}

/// The line number a ZoneFileError reports for `content`, or -1 if it loads.
int error_line(const test::TempDir& dir, const std::string& content, std::string* what = nullptr) {
  const auto file = dir.write("example.test.zone", content);
  try {
    (void)load_zone_file(file);
  } catch (const ZoneFileError& e) {
    CHECK(e.file() == file);
    if (what != nullptr) *what = e.what();
    return e.line();
  }
  return -1;
}

}  // namespace

TEST_CASE("load_zone_file: a syntax error reports the file and the bad line") {
  test::TempDir dir;
  std::string what;
  CHECK(error_line(dir, std::string(soa_line) + "www IN A 192.0.2.1\nbad IN A not-an-address\nok IN A 192.0.2.2\n",
                   &what) == 3);
  CHECK(what.find("example.test.zone:3:") != std::string::npos);
  CHECK(error_line(dir, std::string(soa_line) + "bad IN BOGUSTYPE x\n") == 2);
  CHECK(error_line(dir, std::string("; comment\n\n") + soa_line + "; c\n\nwww IN A 1.2.3.4.5\n") == 6);
  CHECK(error_line(dir, "bad IN A 999.0.0.1\n" + std::string(soa_line)) == 1);
  // The last line without a newline.
  CHECK(error_line(dir, std::string(soa_line) + "www IN AAAA 1.2.3.4") == 2);
  // After a multi-line record.
  CHECK(error_line(dir, "@ 3600 IN SOA ns1 hostmaster (\n 1 7200\n 3600 1209600\n 300 )\nwww IN A x\n") == 5);
}

TEST_CASE("load_zone_file: the origin defaults to the file name") {
  test::TempDir dir;
  const auto file = dir.write("svc.internal.zone", std::string(soa_line) + "@ IN NS ns1\nns1 IN A 192.0.2.1\nwww 60 IN A 192.0.2.2\n");
  const Zone z = load_zone_file(file);
  CHECK(dns::name_to_text(z.apex()) == "svc.internal.");
  CHECK(find(z, "www.svc.internal.") != nullptr);
  CHECK(find(z, "ns1.svc.internal.") != nullptr);
  CHECK(z.serial() == 1);
}

TEST_CASE("load_zone_file: $ORIGIN, $TTL and relative names") {
  test::TempDir dir;
  const auto file = dir.write("whatever.zone",
                              "$ORIGIN example.test.\n"
                              "$TTL 120\n" +
                                  std::string(soa_line) +
                                  "www IN A 192.0.2.1\n"
                                  "abs.example.test. 30 IN A 192.0.2.2\n"
                                  "$ORIGIN sub.example.test.\n"
                                  "host IN A 192.0.2.3\n"
                                  "    IN AAAA 2001:db8::3\n");
  const Zone z = load_zone_file(file);
  CHECK(dns::name_to_text(z.apex()) == "example.test.");
  const Node* www = find(z, "www.example.test.");
  REQUIRE(www != nullptr);
  const RRset* set = z.rrset(*www, dns::type::A);
  REQUIRE(set != nullptr);
  CHECK(set->ttl == 120);
  const Node* abs = find(z, "abs.example.test.");
  REQUIRE(abs != nullptr);
  CHECK(z.rrset(*abs, dns::type::A)->ttl == 30);
  const Node* host = find(z, "host.sub.example.test.");
  REQUIRE(host != nullptr);
  CHECK(z.rrset(*host, dns::type::A) != nullptr);
  CHECK(z.rrset(*host, dns::type::AAAA) != nullptr);  // blank owner = previous owner
  CHECK(find(z, "sub.example.test.") != nullptr);     // an empty non-terminal
}

TEST_CASE("load_zone_file: zone content errors carry the file name") {
  test::TempDir dir;
  std::string what;
  CHECK(error_line(dir, "www IN A 192.0.2.1\n", &what) == 0);
  CHECK(what.find("example.test.zone") != std::string::npos);
  CHECK(error_line(dir, std::string(soa_line) + "www IN CNAME x\nwww IN A 192.0.2.1\n", &what) == 0);
  CHECK(what.find("CNAME and other data") != std::string::npos);
  CHECK(error_line(dir, std::string(soa_line) + "www.example.org. IN A 192.0.2.1\n", &what) == 0);
  CHECK(what.find("outside") != std::string::npos);
  CHECK(error_line(dir, std::string(soa_line) + "www CH A 192.0.2.1\n", &what) >= 0);
  CHECK_THROWS_AS(load_zone_file(dir.path() / "missing.zone"), ZoneFileError);
}

TEST_CASE("load_zone_dir: loads every *.zone file and refuses a duplicate origin") {
  test::TempDir dir;
  dir.write("a.test.zone", soa_line);
  dir.write("b.test.zone", soa_line);
  dir.write("notes.txt", "not a zone");
  const auto zones = load_zone_dir(dir.path());
  REQUIRE(zones.size() == 2);
  CHECK(dns::name_to_text(zones[0]->apex()) == "a.test.");
  CHECK(dns::name_to_text(zones[1]->apex()) == "b.test.");

  dir.write("c.zone", "$ORIGIN a.test.\n" + std::string(soa_line));
  std::string what;
  try {
    (void)load_zone_dir(dir.path());
    FAIL("a duplicate origin must be refused");
  } catch (const ZoneFileError& e) {
    what = e.what();
    CHECK(e.file().filename() == "c.zone");
  }
  CHECK(what.find("a.test.") != std::string::npos);
}

TEST_CASE("load_zone_file: the unit fixture loads") {
  const Zone z = load_zone_file(test::data_dir() / "example.test.zone");
  CHECK(dns::name_to_text(z.apex()) == "example.test.");
  CHECK(dns::read_u32(z.negative_soa_tail().data() + 4) == 300);
  CHECK(find(z, "ent.example.test.") != nullptr);
  CHECK(find(z, "wild.example.test.")->has_wildcard_child);
  CHECK(find(z, "sub.example.test.")->is_delegation);
}


TEST_CASE("load_zone_file: a second SOA is an error with its line (fuzz_zone_file regression)") {
  test::TempDir dir;
  std::string what;
  CHECK(error_line(dir, std::string(soa_line) + "www IN A 192.0.2.1\n" + soa_line, &what) == 3);
  CHECK(what.find("a second SOA record") != std::string::npos);
  // Three SOAs, the last with an omitted TTL: ldns_zone_new_frm_fp_l (1.8.3) read the freed
  // second SOA here and crashed. The fuzzer's minimized input, verbatim:
  const auto crasher = test::data_dir() / "fuzz" / "zone_three_soas.zone";
  CHECK_THROWS_AS(load_zone_file(crasher), ZoneFileError);
  CHECK(error_line(dir, std::string(soa_line) + "@ IN SOA a b 1 2 3 4 5\n@ IN SOA c d 1 2 3 4 5\n") == 2);
}

TEST_CASE("load_zone_file: omitted TTLs follow $TTL, else the last explicit TTL, and an RRset keeps its TTL") {
  test::TempDir dir;
  const auto no_dollar = dir.write("a.test.zone",
                                   "@ 300 IN SOA ns1 hostmaster 1 7200 3600 1209600 300\n"
                                   "www 60 IN A 192.0.2.1\n"
                                   "web IN A 192.0.2.2\n"       // the last explicit TTL: 60
                                   "api 30 IN A 192.0.2.3\n"
                                   "    IN A 192.0.2.4\n");    // continues api's RRset: 30
  const Zone a = load_zone_file(no_dollar);
  CHECK(a.rrset(*find(a, "web.a.test."), dns::type::A)->ttl == 60);
  CHECK(a.rrset(*find(a, "api.a.test."), dns::type::A)->ttl == 30);
  const auto dollar = dir.write("b.test.zone",
                                "$TTL 120\n@ IN SOA ns1 hostmaster 1 7200 3600 1209600 300\n"
                                "www 60 IN A 192.0.2.1\nweb IN A 192.0.2.2\n");
  const Zone b = load_zone_file(dollar);
  CHECK(b.rrset(*find(b, "web.b.test."), dns::type::A)->ttl == 120);
  CHECK(b.rrset(b.apex_node(), dns::type::SOA)->ttl == 120);
  const auto none = dir.write("c.test.zone", "@ IN SOA ns1 hostmaster 1 7200 3600 1209600 300\nwww IN A 192.0.2.1\n");
  CHECK(load_zone_file(none).rrset(*find(load_zone_file(none), "www.c.test."), dns::type::A)->ttl == 3600);
}

}  // namespace beacon::zone
