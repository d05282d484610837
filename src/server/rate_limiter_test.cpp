#include <doctest/doctest.h>

#include <map>
#include <vector>

#include "dns/message.hpp"
#include "server/rate_limiter.hpp"
#include "test_support.hpp"

namespace {

using beacon::server::RateLimiter;
using Verdict = RateLimiter::Verdict;
using beacon::test::socket_address;

/// A response to `label`.test. IN A with `rcode` and `answers` answer records (their bytes are
/// not needed by the limiter, only the counts), plus a trailing OPT-sized tail.
std::vector<std::uint8_t> response(const std::string& label, std::uint16_t rcode = 0, std::uint16_t answers = 1) {
  std::vector<std::uint8_t> m(12);
  beacon::dns::write_u16(m.data() + 2, static_cast<std::uint16_t>(0x8400 | rcode));
  beacon::dns::write_u16(m.data() + 4, 1);
  beacon::dns::write_u16(m.data() + 6, answers);
  beacon::dns::write_u16(m.data() + 10, 1);
  m.push_back(static_cast<std::uint8_t>(label.size()));
  m.insert(m.end(), label.begin(), label.end());
  const std::uint8_t tail[] = {4, 't', 'e', 's', 't', 0, 0, 1, 0, 1};
  m.insert(m.end(), std::begin(tail), std::end(tail));
  m.resize(m.size() + 27, 0xAB);  // stands in for the answer and OPT
  return m;
}

beacon::server::RateLimitOptions options(unsigned rate, unsigned slip) {
  beacon::server::RateLimitOptions o;
  o.rate = rate;
  o.slip = slip;
  o.table_size = 4096;
  return o;
}

std::map<Verdict, int> flood(RateLimiter& rrl, const char* from, const std::vector<std::uint8_t>& r, int n,
                             std::uint32_t second) {
  std::map<Verdict, int> seen;
  for (int i = 0; i < n; ++i) ++seen[rrl.check(socket_address(from), r, second)];
  return seen;
}

}  // namespace

TEST_CASE("rrl: off unless a rate is set") {
  RateLimiter rrl(options(0, 2));
  CHECK_FALSE(rrl.enabled());
  CHECK(flood(rrl, "192.0.2.1", response("web"), 1000, 7)[Verdict::send] == 1000);
}

TEST_CASE("rrl: beyond the rate in one second, every slip-th response is truncated and the rest dropped") {
  RateLimiter rrl(options(10, 2));
  auto seen = flood(rrl, "192.0.2.1", response("web"), 110, 100);
  CHECK(seen[Verdict::send] == 10);
  CHECK(seen[Verdict::slip] == 50);
  CHECK(seen[Verdict::drop] == 50);
  // The next second starts a fresh count.
  CHECK(flood(rrl, "192.0.2.1", response("web"), 10, 101)[Verdict::send] == 10);
}

TEST_CASE("rrl: slip 1 truncates every limited response, slip 0 drops them all") {
  RateLimiter all(options(5, 1));
  CHECK(flood(all, "192.0.2.1", response("web"), 25, 1)[Verdict::slip] == 20);
  RateLimiter none(options(5, 0));
  CHECK(flood(none, "192.0.2.1", response("web"), 25, 1)[Verdict::drop] == 20);
}

TEST_CASE("rrl: clients share buckets by prefix, other prefixes are unaffected") {
  RateLimiter rrl(options(10, 2));
  flood(rrl, "192.0.2.1", response("web"), 50, 5);
  CHECK(rrl.check(socket_address("192.0.2.200"), response("web"), 5) != Verdict::send);  // same /24
  CHECK(rrl.check(socket_address("192.0.3.1"), response("web"), 5) == Verdict::send);
  flood(rrl, "2001:db8:0:100::1", response("web"), 50, 5);
  CHECK(rrl.check(socket_address("2001:db8:0:1ff::9"), response("web"), 5) != Verdict::send);  // same /56
  CHECK(rrl.check(socket_address("2001:db8:0:200::1"), response("web"), 5) == Verdict::send);
}

TEST_CASE("rrl: answers are counted per name; NXDOMAIN per client, whatever the name") {
  RateLimiter rrl(options(10, 2));
  flood(rrl, "192.0.2.1", response("web"), 50, 5);
  CHECK(rrl.check(socket_address("192.0.2.1"), response("api"), 5) == Verdict::send);
  CHECK(rrl.check(socket_address("192.0.2.1"), response("WEB"), 5) != Verdict::send);  // names compare case-blind
  for (int i = 0; i < 10; ++i) CHECK(rrl.check(socket_address("192.0.2.1"), response("n" + std::to_string(i), 3, 0), 5) == Verdict::send);
  CHECK(rrl.check(socket_address("192.0.2.1"), response("fresh", 3, 0), 5) != Verdict::send);
}

TEST_CASE("rrl: exempt prefixes are never limited") {
  auto o = options(5, 2);
  o.exempt = {*beacon::Cidr::parse("127.0.0.0/8"), *beacon::Cidr::parse("::1/128")};
  RateLimiter rrl(o);
  CHECK(flood(rrl, "127.0.0.1", response("web"), 100, 1)[Verdict::send] == 100);
  CHECK(flood(rrl, "::1", response("web"), 100, 1)[Verdict::send] == 100);
  CHECK(flood(rrl, "192.0.2.1", response("web"), 100, 1)[Verdict::send] == 5);
}

TEST_CASE("rrl: the slip form keeps header and question, sets TC, drops every record") {
  auto r = response("web");
  const std::size_t length = RateLimiter::truncate_to_question(r);
  CHECK(length == 12 + 10 + 4);  // header, \3web\4test\0, type and class
  CHECK((beacon::dns::read_u16(r.data() + 2) & 0x0200) != 0);
  CHECK(beacon::dns::read_u16(r.data() + 4) == 1);
  CHECK(beacon::dns::read_u16(r.data() + 6) == 0);
  CHECK(beacon::dns::read_u16(r.data() + 10) == 0);
  std::vector<std::uint8_t> no_question(12, 0);
  CHECK(RateLimiter::truncate_to_question(no_question) == 0);
  auto cut = response("web");
  cut.resize(20);
  CHECK(RateLimiter::truncate_to_question(cut) == 0);
}
