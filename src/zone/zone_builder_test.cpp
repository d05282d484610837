#include "zone/zone_builder.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <memory>
#include <string>

#include "dns/message.hpp"
#include "dns/name.hpp"
#include "test_support.hpp"
#include "zone/snapshot.hpp"

namespace beacon::zone {
namespace {

using namespace std::string_literals;

std::string name(std::string_view text) {
  const auto w = test::wire_name(text);
  return {w.begin(), w.end()};
}

std::string u32(std::uint32_t v) {
  std::string s(4, '\0');
  dns::write_u32(reinterpret_cast<std::uint8_t*>(s.data()), v);
  return s;
}

RecordInput soa(std::string_view owner, std::uint32_t ttl, std::uint32_t minimum, std::uint32_t serial = 42) {
  return {name(owner), dns::type::SOA, ttl,
          name("ns1.example.test.") + name("hostmaster.example.test.") + u32(serial) + u32(7200) + u32(3600) +
              u32(1209600) + u32(minimum)};
}

RecordInput a(std::string_view owner, std::uint32_t ttl, std::uint8_t last = 1) {
  return {name(owner), dns::type::A, ttl, std::string{'\xC0', '\0', '\2', static_cast<char>(last)}};
}

RecordInput ns(std::string_view owner, std::string_view target) { return {name(owner), dns::type::NS, 3600, name(target)}; }
RecordInput cname(std::string_view owner, std::string_view target) {
  return {name(owner), dns::type::CNAME, 3600, name(target)};
}

const Node& must_find(const Zone& z, std::string_view text) {
  const std::string wire = name(text);
  const Node* n = z.find(test::as_span(wire));
  REQUIRE_MESSAGE(n != nullptr, "no node ", std::string(text));
  return *n;
}

bool exists(const Zone& z, std::string_view text) {
  const std::string wire = name(text);
  return z.find(test::as_span(wire)) != nullptr;
}

std::uint32_t tail_ttl(const Zone& z, const Record& r) { return dns::read_u32(z.tail(r).data() + 4); }

}  // namespace

TEST_CASE("ZoneBuilder: a zone without an apex SOA is refused") {
  ZoneBuilder b(name("example.test."));
  b.add(a("www.example.test.", 60));
  CHECK_THROWS_WITH_AS(b.build(), doctest::Contains("no SOA"), ZoneError);

  ZoneBuilder below(name("example.test."));
  below.add(soa("sub.example.test.", 60, 60));  // an SOA, but not at the apex
  CHECK_THROWS_AS(below.build(), ZoneError);
}

TEST_CASE("ZoneBuilder: two SOA records are refused") {
  ZoneBuilder b(name("example.test."));
  b.add(soa("example.test.", 60, 60, 1));
  b.add(soa("example.test.", 60, 60, 2));
  CHECK_THROWS_WITH_AS(b.build(), doctest::Contains("more than one SOA"), ZoneError);
}

TEST_CASE("ZoneBuilder: CNAME and other data at one name are refused, as are two CNAMEs") {
  ZoneBuilder b(name("example.test."));
  b.add(soa("example.test.", 60, 60));
  b.add(cname("www.example.test.", "other.test."));
  b.add(a("www.example.test.", 60));
  CHECK_THROWS_WITH_AS(b.build(), doctest::Contains("CNAME and other data"), ZoneError);

  ZoneBuilder two(name("example.test."));
  two.add(soa("example.test.", 60, 60));
  two.add(cname("www.example.test.", "a.test."));
  two.add(cname("WWW.example.test.", "b.test."));
  CHECK_THROWS_WITH_AS(two.build(), doctest::Contains("multiple CNAME"), ZoneError);
}

TEST_CASE("ZoneBuilder: a record outside the zone is refused") {
  ZoneBuilder b(name("example.test."));
  CHECK_THROWS_AS(b.add(a("www.example.org.", 60)), ZoneError);
  CHECK_THROWS_AS(b.add(a("test.", 60)), ZoneError);
  CHECK_THROWS_AS(b.add(a("xample.test.", 60)), ZoneError);
  CHECK_THROWS_AS(b.add(a("wwwexample.test.", 60)), ZoneError);
  CHECK_NOTHROW(b.add(a("WWW.EXAMPLE.TEST.", 60)));
}

TEST_CASE("ZoneBuilder: an RRset's TTL is the minimum of its members") {
  ZoneBuilder b(name("example.test."));
  b.add(soa("example.test.", 3600, 300));
  b.add(a("www.example.test.", 600, 1));
  b.add(a("www.example.test.", 60, 2));
  b.add(a("WWW.example.test.", 300, 3));
  const Zone z = b.build();
  const Node& www = must_find(z, "www.example.test.");
  const RRset* set = z.rrset(www, dns::type::A);
  REQUIRE(set != nullptr);
  CHECK(set->ttl == 60);
  CHECK(set->record_count == 3);
  for (const Record& r : z.records(*set)) CHECK(tail_ttl(z, r) == 60);
  // File order within the RRset is kept.
  CHECK(z.tail(z.records(*set)[0])[13] == 1);
  CHECK(z.tail(z.records(*set)[2])[13] == 3);
}

TEST_CASE("ZoneBuilder: empty non-terminals exist as nodes without RRsets") {
  ZoneBuilder b(name("example.test."));
  b.add(soa("example.test.", 60, 60));
  b.add(a("a.b.c.example.test.", 60));
  const Zone z = b.build();
  CHECK(must_find(z, "c.example.test.").rrset_count == 0);
  CHECK(must_find(z, "b.c.example.test.").rrset_count == 0);
  CHECK(must_find(z, "a.b.c.example.test.").rrset_count == 1);
  CHECK(must_find(z, "b.c.example.test.").label_count == 4);
  CHECK_FALSE(exists(z, "x.example.test."));
  CHECK_FALSE(exists(z, "test."));
  CHECK(z.node_count() == 4);
  CHECK(dns::name_to_text(z.apex()) == "example.test.");
  CHECK(z.apex_labels() == 2);
}

TEST_CASE("ZoneBuilder: a wildcard sets has_wildcard_child on its parent only") {
  ZoneBuilder b(name("example.test."));
  b.add(soa("example.test.", 60, 60));
  b.add(a("*.wild.example.test.", 60));
  b.add(a("host.wild.example.test.", 60));
  b.add(a("x.example.test.", 60));
  const Zone z = b.build();
  CHECK(must_find(z, "wild.example.test.").has_wildcard_child);
  CHECK_FALSE(z.apex_node().has_wildcard_child);
  CHECK_FALSE(must_find(z, "x.example.test.").has_wildcard_child);
  CHECK_FALSE(must_find(z, "host.wild.example.test.").has_wildcard_child);
  CHECK(exists(z, "*.wild.example.test."));
}

TEST_CASE("ZoneBuilder: the negative SOA TTL is min(SOA TTL, MINIMUM)") {
  for (const auto& [ttl, minimum, expected] : {std::tuple{3600u, 300u, 300u}, std::tuple{60u, 300u, 60u},
                                              std::tuple{100u, 100u, 100u}}) {
    CAPTURE(ttl);
    CAPTURE(minimum);
    ZoneBuilder b(name("example.test."));
    b.add(soa("example.test.", ttl, minimum, 2024));
    const Zone z = b.build();
    const auto tail = z.negative_soa_tail();
    CHECK(dns::read_u16(tail.data()) == dns::type::SOA);
    CHECK(dns::read_u32(tail.data() + 4) == expected);
    CHECK(z.serial() == 2024);
    // The positive SOA keeps its own TTL.
    const RRset* set = z.rrset(z.apex_node(), dns::type::SOA);
    REQUIRE(set != nullptr);
    CHECK(tail_ttl(z, z.records(*set)[0]) == ttl);
  }
}

TEST_CASE("ZoneBuilder: the compressed negative SOA points only names spelling the apex as the zone does") {
  auto compressed = [](const std::string& mname, const std::string& rname) {
    ZoneBuilder b(name("Example.Test."));
    b.add({name("example.test."), dns::type::SOA, 600, mname + rname + u32(1) + u32(2) + u32(3) + u32(4) + u32(60)});
    const Zone z = b.build();
    const auto tail = z.compressed_negative_soa_tail();
    CHECK(dns::read_u32(tail.data() + 4) == 60);  // min(TTL, MINIMUM), as the full one
    CHECK(dns::read_u16(tail.data() + 8) == tail.size() - 10);
    CHECK(std::ranges::equal(tail.last(20), z.negative_soa_tail().last(20)));
    std::string out(tail.begin() + 10, tail.end() - 20);
    const auto& pointers = z.negative_soa_pointers();
    for (auto it = pointers.rbegin(); it != pointers.rend(); ++it) {  // from the end: offsets stay valid
      const std::uint16_t p = *it;
      if (p == 0) continue;
      CHECK(dns::read_u16(tail.data() + p) == 0xC000);  // aimed by the responder
      out[p - 10] = '*';
      out.erase(p - 10 + 1, 1);
    }
    return out;
  };
  CHECK(compressed(name("ns1.example.test."), name("hostmaster.example.test.")) == "\3ns1*\12hostmaster*");
  CHECK(compressed(name("example.test."), name("ops.example.net.")) == "*" + name("ops.example.net."));
  // The zone file spells the apex in capitals here: a pointer to the lower-cased apex would change them.
  CHECK(compressed(name("ns1.EXAMPLE.test."), name("a.b.example.test.")) == name("ns1.EXAMPLE.test.") + "\1a\1b*");
}

TEST_CASE("ZoneBuilder: delegations and record targets are indexed") {
  ZoneBuilder b(name("Example.Test."));
  b.add(soa("example.test.", 60, 60));
  b.add(ns("example.test.", "ns1.example.test."));
  b.add(a("ns1.example.test.", 60));
  b.add(ns("sub.example.test.", "NS.sub.example.test."));
  b.add(ns("sub.example.test.", "ns.elsewhere.invalid."));
  b.add(a("ns.sub.example.test.", 60));
  const Zone z = b.build();
  CHECK_FALSE(z.apex_node().is_delegation);
  const Node& sub = must_find(z, "sub.example.test.");
  CHECK(sub.is_delegation);
  const RRset* set = z.rrset(sub, dns::type::NS);
  REQUIRE(set != nullptr);
  const auto records = z.records(*set);
  REQUIRE(records.size() == 2);
  CHECK(records[0].target_in_tail == 10);
  REQUIRE(records[0].target_node != no_node);
  CHECK(dns::name_to_text(z.name(z.node(records[0].target_node))) == "ns.sub.example.test.");
  CHECK(records[1].target_node == no_node);
  CHECK(ZoneBuilder::target_offset_in_rdata(dns::type::MX) == 2);
  CHECK(ZoneBuilder::target_offset_in_rdata(dns::type::SRV) == 6);
  CHECK(ZoneBuilder::target_offset_in_rdata(dns::type::A) == no_target);
}

TEST_CASE("ZoneBuilder: equal record tails are stored once; names and RRsets stay apart") {
  ZoneBuilder b(name("example.test."));
  b.add(soa("example.test.", 60, 60));
  b.add(a("a.example.test.", 60, 7));
  b.add(a("b.example.test.", 60, 7));
  b.add(a("c.example.test.", 60, 8));
  b.add(a("d.example.test.", 30, 7));  // another TTL: another tail
  const Zone z = b.build();
  auto tail_of = [&](std::string_view owner) { return z.records(*z.rrset(must_find(z, owner), dns::type::A))[0]; };
  CHECK(tail_of("a.example.test.").tail_offset == tail_of("b.example.test.").tail_offset);
  CHECK(tail_of("a.example.test.").tail_offset != tail_of("c.example.test.").tail_offset);
  CHECK(tail_of("a.example.test.").tail_offset != tail_of("d.example.test.").tail_offset);
  CHECK(z.tail(tail_of("b.example.test."))[13] == 7);
  CHECK(z.tail(tail_of("d.example.test."))[13] == 7);
  CHECK(tail_ttl(z, tail_of("d.example.test.")) == 30);
}

namespace {

RecordInput srv(std::string_view owner, std::uint16_t port, const std::string& target_wire) {
  std::string rdata(6, '\0');
  dns::write_u16(reinterpret_cast<std::uint8_t*>(rdata.data()) + 4, port);
  return {name(owner), dns::type::SRV, 60, rdata + target_wire};
}

/// True if `inner` lies within `outer` in memory.
bool inside(std::span<const std::uint8_t> inner, std::span<const std::uint8_t> outer) {
  return inner.data() >= outer.data() && inner.data() + inner.size() <= outer.data() + outer.size();
}

}  // namespace

TEST_CASE("ZoneBuilder: names the RDATA spells and parents of stored names are not stored again") {
  ZoneBuilder b(name("svc.test."));
  b.add(srv("_web._tcp.svc.test.", 80, name("i1.web.svc.test.")));
  b.add(srv("_web._tcp.svc.test.", 81, "\2I2\3WEB\3svc\4test"s + std::string(1, '\0')));  // not lower case
  b.add(a("i1.web.svc.test.", 60, 1));
  b.add(a("i2.web.svc.test.", 60, 2));
  const Zone z = b.build_fragment();
  const auto srvs = z.records(*z.rrset(must_find(z, "_web._tcp.svc.test."), dns::type::SRV));
  REQUIRE(srvs.size() == 2);
  // i1's name is the first SRV's target; web.svc.test. (an empty non-terminal) its suffix.
  CHECK(inside(z.name(must_find(z, "i1.web.svc.test.")), z.tail(srvs[0])));
  CHECK(inside(z.name(must_find(z, "web.svc.test.")), z.tail(srvs[0])));
  CHECK(inside(z.name(must_find(z, "_tcp.svc.test.")), z.name(must_find(z, "_web._tcp.svc.test."))));
  // A target in another case is not the node's (lower-cased) name: i2 has bytes of its own.
  CHECK_FALSE(inside(z.name(must_find(z, "i2.web.svc.test.")), z.tail(srvs[1])));
  CHECK(dns::name_to_text(z.name(must_find(z, "i2.web.svc.test."))) == "i2.web.svc.test.");
  for (const char* owner : {"i1.web.svc.test.", "web.svc.test.", "_web._tcp.svc.test.", "_tcp.svc.test."})
    CHECK(dns::name_to_text(z.name(must_find(z, owner))) == owner);
}

TEST_CASE("ZoneBuilder: RRsets with equal records share them; each keeps its own TTL, type and rotation") {
  ZoneBuilder b(name("svc.test."));
  for (std::uint8_t i = 1; i <= 3; ++i) {
    const std::string instance = "i" + std::to_string(i) + ".web.svc.test.";
    b.add(a(instance, 60, i));
    b.add(a("web.svc.test.", 60, i));
    b.add(srv("web.svc.test.", 80, name(instance)));
    b.add(srv("_web._tcp.svc.test.", 80, name(instance)));
  }
  b.add(a("other.svc.test.", 60, 1));
  b.add(a("other.svc.test.", 60, 3));  // not a contiguous run of web's: stored apart
  b.rotate(name("web.svc.test."), dns::type::A, 4, 0);
  const Zone z = b.build_fragment();
  auto records = [&](std::string_view owner, std::uint16_t type) {
    const RRset* set = z.rrset(must_find(z, owner), type);
    REQUIRE(set != nullptr);
    return z.records(*set);
  };
  const auto service_a = records("web.svc.test.", dns::type::A);
  REQUIRE(service_a.size() == 3);
  for (std::uint8_t i = 1; i <= 3; ++i) {
    const auto own = records("i" + std::to_string(i) + ".web.svc.test.", dns::type::A);
    REQUIRE(own.size() == 1);
    CHECK(&own[0] == &service_a[i - 1]);
    CHECK(z.tail(own[0])[13] == i);
  }
  CHECK(records("web.svc.test.", dns::type::SRV).data() == records("_web._tcp.svc.test.", dns::type::SRV).data());
  const auto other = records("other.svc.test.", dns::type::A);
  REQUIRE(other.size() == 2);
  CHECK(z.tail(other[0])[13] == 1);
  CHECK(z.tail(other[1])[13] == 3);
  // Rotation belongs to the RRset, not to the records it shares.
  CHECK(z.rrset(must_find(z, "web.svc.test."), dns::type::A)->rotation_slot == 4);
  CHECK(z.rrset(must_find(z, "i1.web.svc.test."), dns::type::A)->rotation_slot == no_rotation);
  CHECK(z.record_count() == 3 + 3 + 3 + 3 + 2);  // as served, not as stored
  // Targets still lead to their nodes.
  for (const Record& r : records("_web._tcp.svc.test.", dns::type::SRV)) CHECK(r.target_node != no_node);
}

TEST_CASE("ZoneBuilder: rotation applies to its RRset only and makes no name exist") {
  ZoneBuilder b(name("example.test."));
  b.add(a("web.example.test.", 60, 1));
  b.add(a("web.example.test.", 60, 2));
  b.rotate("\3WEB\7example\4test"s + std::string(1, '\0'), dns::type::A, 9, 1);
  b.rotate(name("web.example.test."), dns::type::AAAA, 10, 1);
  b.rotate(name("ghost.example.test."), dns::type::A, 11, 1);
  const Zone z = b.build_fragment();
  const RRset* set = z.rrset(must_find(z, "web.example.test."), dns::type::A);
  REQUIRE(set != nullptr);
  CHECK(set->rotation_slot == 9);
  CHECK(set->max_records == 1);
  CHECK_FALSE(exists(z, "ghost.example.test."));
  CHECK_FALSE(exists(z, "example.test."));  // a fragment has no apex
  CHECK(z.node_count() == 1);
}

TEST_CASE("Zone::find is case-sensitive on lower-cased input and finds every node of a large zone") {
  ZoneBuilder b(name("example.test."));
  b.add(soa("example.test.", 60, 60));
  for (int i = 0; i < 1000; ++i) b.add(a("h" + std::to_string(i) + ".example.test.", 60));
  const Zone z = b.build();
  for (int i = 0; i < 1000; ++i) CHECK(exists(z, "h" + std::to_string(i) + ".example.test."));
  CHECK_FALSE(exists(z, "h1000.example.test."));
  CHECK(z.node_count() == 1001);
}

TEST_CASE("Snapshot: find_zone picks the longest containing origin") {
  auto make = [](std::string_view origin) {
    ZoneBuilder b(name(origin));
    b.add(soa(origin, 60, 60));
    return std::make_shared<const Zone>(b.build());
  };
  const Snapshot snap({make("test."), make("deep.example.test."), make("example.test.")}, 7);
  CHECK(snap.generation() == 7);
  auto origin_of = [&](std::string_view qname) -> std::string {
    const std::string wire = name(qname);
    const ServedZone* z = snap.find_zone(test::as_span(wire));
    // The hot path's variant, given the label offsets, must agree.
    std::vector<std::uint8_t> offsets;
    for (std::size_t i = 0; wire[i] != 0; i += static_cast<std::uint8_t>(wire[i]) + 1u)
      offsets.push_back(static_cast<std::uint8_t>(i));
    CHECK(snap.find_zone(test::as_span(wire), offsets) == z);
    return z == nullptr ? "none" : dns::name_to_text(z->zone->apex());
  };
  CHECK(origin_of("a.deep.example.test.") == "deep.example.test.");
  CHECK(origin_of("deep.example.test.") == "deep.example.test.");
  CHECK(origin_of("xdeep.example.test.") == "example.test.");
  CHECK(origin_of("example.test.") == "example.test.");
  CHECK(origin_of("other.test.") == "test.");
  CHECK(origin_of("example.org.") == "none");
  CHECK(origin_of(".") == "none");
  CHECK(Snapshot().find_zone(test::as_span(name("a.test."))) == nullptr);
  const Snapshot root({make(".")}, 1);
  const std::vector<std::uint8_t> two_labels = {0, 2};
  CHECK(root.find_zone(test::as_span(name("a.b.")), two_labels) != nullptr);
}

}  // namespace beacon::zone
