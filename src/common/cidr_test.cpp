#include <doctest/doctest.h>

#include <cstring>

#include "common/cidr.hpp"
#include "test_support.hpp"

TEST_CASE("cidr: parsing prefixes and bare addresses") {
  CHECK(beacon::Cidr::parse("10.1.2.0/24")->to_string() == "10.1.2.0/24");
  CHECK(beacon::Cidr::parse("::1")->to_string() == "::1/128");
  CHECK(beacon::Cidr::parse("192.0.2.7")->length == 32);
  CHECK(beacon::Cidr::parse("0.0.0.0/0")->length == 0);
  for (const char* bad : {"", "/24", "10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/2x", "host/8", "10.0.0/8"})
    CHECK_MESSAGE(!beacon::Cidr::parse(bad).has_value(), bad);
}

TEST_CASE("cidr: containment by prefix, family and IPv4-mapped IPv6") {
  const auto net = *beacon::Cidr::parse("10.1.2.0/23");
  CHECK(net.contains(beacon::test::socket_address("10.1.2.9")));
  CHECK(net.contains(beacon::test::socket_address("10.1.3.255")));
  CHECK_FALSE(net.contains(beacon::test::socket_address("10.1.4.0")));
  CHECK(net.contains(beacon::test::socket_address("::ffff:10.1.3.1")));
  CHECK_FALSE(net.contains(beacon::test::socket_address("2001:db8::1")));
  const auto v6 = *beacon::Cidr::parse("2001:db8:0:100::/56");
  CHECK(v6.contains(beacon::test::socket_address("2001:db8:0:1ff::5")));
  CHECK_FALSE(v6.contains(beacon::test::socket_address("2001:db8:0:200::5")));
  CHECK(beacon::Cidr::parse("0.0.0.0/0")->contains(beacon::test::socket_address("203.0.113.1")));
}
