// The registry's DNS output end to end: Registry -> RegistryZone -> Snapshot -> Responder,
// every response decoded by ldns.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <set>

#include "registry/apex_zone.hpp"
#include "registry/registration_codec.hpp"
#include "registry/registry_zone.hpp"
#include "registry/registry.hpp"
#include "test_support.hpp"

namespace beacon::registry {
namespace {

using test::QuerySpec;

ZoneSettings settings(std::uint16_t max_answers = 8) {
  ZoneSettings s;
  s.origin = std::string("\3svc\10internal\0", 14);
  s.default_ttl = 5;
  s.max_answers = max_answers;
  return s;
}

struct NewInstance {
  std::string id;
  Registration registration;
};

NewInstance instance(const std::string& id, const std::string& address, std::optional<std::uint32_t> dns_ttl = {}) {
  NewInstance i;
  i.id = id;
  i.registration.addresses.push_back(*parse_ip(address));
  i.registration.port = 8080;
  i.registration.dns_ttl = dns_ttl;
  return i;
}

/// A registry without the store: services are given directly.
struct Fixture {
  test::TempDir dir;
  Store store{dir.path() / "beacon.db"};
  ManualClock clock;
  Registry registry{store, clock, nullptr};
  RegistryZone zone;

  explicit Fixture(ZoneSettings s = settings()) : zone(std::move(s)) {}

  void add(const std::string& service, const NewInstance& i) {
    REQUIRE(registry.put_instance(service, i.id, i.registration).has_value());
  }
  test::TestServer server() {
    zone.update(registry, registry.commit());
    ApexSettings apex;
    apex.origin = "svc.internal.";
    std::vector<zone::ServedZone> zones{{build_apex_zone(apex), zone.fragments()}};
    return test::TestServer(zone::Snapshot(std::move(zones), zone.rotation_slots(), 1));
  }
};

std::vector<std::string> rdatas(const std::vector<test::DecodedRR>& rrs) {
  std::vector<std::string> out;
  for (const auto& rr : rrs) out.push_back(rr.rdata);
  return out;
}

}  // namespace

TEST_CASE("registry zone: n consecutive queries on one thread each put a different instance first") {
  Fixture f;
  for (int i = 1; i <= 5; ++i) f.add("web", instance("w" + std::to_string(i), "10.0.0." + std::to_string(i)));
  auto server = f.server();
  for (int round = 0; round < 3; ++round) {
    std::set<std::string> firsts;
    for (int q = 0; q < 5; ++q) {
      const auto r = server.ask({.qname = "web.svc.internal.", .qtype = dns::type::A});
      REQUIRE(r.ok);
      REQUIRE(r.answer.size() == 5);
      firsts.insert(r.answer.front().rdata);
      auto sorted = rdatas(r.answer);
      std::sort(sorted.begin(), sorted.end());
      CHECK(sorted == std::vector<std::string>{"10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5"});
    }
    CHECK(firsts.size() == 5);
  }
}

TEST_CASE("registry zone: max_answers caps A answers, and every instance is still handed out") {
  Fixture f(settings(3));
  for (int i = 1; i <= 10; ++i) f.add("web", instance("w" + std::to_string(i), "10.0.0." + std::to_string(i)));
  auto server = f.server();
  std::map<std::string, int> seen;
  for (int q = 0; q < 10; ++q) {
    const auto r = server.ask({.qname = "web.svc.internal.", .qtype = dns::type::A});
    REQUIRE(r.answer.size() == 3);
    CHECK_FALSE(r.tc);
    for (const auto& rr : r.answer) ++seen[rr.rdata];
  }
  CHECK(seen.size() == 10);
  for (const auto& [address, count] : seen) CHECK_MESSAGE(count == 3, address);  // perfectly even
}

TEST_CASE("registry zone: an RRset's TTL is the minimum of its members' dns_ttl") {
  Fixture f;
  f.add("web", instance("a", "10.0.0.1", 30));
  f.add("web", instance("b", "10.0.0.2", 7));
  f.add("web", instance("c", "10.0.0.3"));  // default 5
  f.add("api", instance("x", "10.0.1.1", 30));
  auto server = f.server();
  for (const auto& rr : server.ask({.qname = "web.svc.internal."}).answer) CHECK(rr.ttl == 5);
  for (const auto& rr : server.ask({.qname = "api.svc.internal."}).answer) CHECK(rr.ttl == 30);
  for (const auto& rr : server.ask({.qname = "b.web.svc.internal."}).answer) CHECK(rr.ttl == 7);
}

TEST_CASE("registry zone: only changed services are rebuilt") {
  Fixture f;
  f.add("web", instance("a", "10.0.0.1"));
  f.add("api", instance("x", "10.0.1.1"));
  f.zone.update(f.registry, f.registry.commit());
  const std::string web_key("\3web", 4), api_key("\3api", 4);
  auto key = [](const std::string& k) { return test::as_span(k); };
  const zone::Zone* web_before = f.zone.fragments()->find(key(web_key));
  const zone::Zone* api_before = f.zone.fragments()->find(key(api_key));
  REQUIRE(web_before != nullptr);
  f.add("web", instance("b", "10.0.0.2"));
  const auto changed = f.registry.commit();
  CHECK(changed == std::set<std::string>{"web"});
  f.zone.update(f.registry, changed);
  CHECK(f.zone.fragments()->find(key(api_key)) == api_before);  // the same object: not rebuilt
  CHECK(f.zone.fragments()->find(key(web_key)) != web_before);
}

TEST_CASE("registry zone: a service without servable instances answers NODATA, unknown ones NXDOMAIN") {
  Fixture f;
  f.add("web", instance("a", "10.0.0.1"));
  REQUIRE(f.registry.heartbeat("web", "a", Health::critical).has_value());
  auto server = f.server();
  const auto nodata = server.ask({.qname = "web.svc.internal."});
  CHECK(nodata.rcode == dns::rcode::NOERROR);
  CHECK(nodata.answer.empty());
  REQUIRE(nodata.authority.size() == 1);
  CHECK(nodata.authority[0].type == dns::type::SOA);
  CHECK(server.ask({.qname = "a.web.svc.internal."}).rcode == dns::rcode::NOERROR);
  CHECK(server.ask({.qname = "nope.svc.internal."}).rcode == dns::rcode::NXDOMAIN);
  CHECK(server.ask({.qname = "x.web.svc.internal."}).rcode == dns::rcode::NXDOMAIN);
  // _tcp exists while the registry serves the zone (RFC 8020: no NXDOMAIN above real names).
  CHECK(server.ask({.qname = "_tcp.svc.internal."}).rcode == dns::rcode::NOERROR);
}

TEST_CASE("registry zone: SRV targets are instance names with their addresses in additional") {
  Fixture f;
  f.add("web", instance("a", "10.0.0.1"));
  f.add("web", instance("b", "fd00::2"));
  auto server = f.server();
  const auto r = server.ask({.qname = "_web._tcp.svc.internal.", .qtype = dns::type::SRV});
  REQUIRE(r.answer.size() == 2);
  std::set<std::string> additional;
  for (const auto& rr : r.additional) additional.insert(rr.text());
  CHECK(additional == std::set<std::string>{"a.web.svc.internal. 5 A 10.0.0.1", "b.web.svc.internal. 5 AAAA fd00::2"});
}

}  // namespace beacon::registry

namespace beacon::registry {

TEST_CASE("registry zone: every name of a service, RFC 2782 ones included, reaches its one fragment") {
  Fixture f;
  f.add("web", instance("a", "10.0.0.1"));
  f.add("tcp", instance("t", "10.0.0.9"));  // a service may be called tcp: its SRV name is _tcp._tcp
  auto server = f.server();
  CHECK(server.ask({.qname = "_web._tcp.svc.internal.", .qtype = dns::type::SRV}).answer.size() == 1);
  CHECK(server.ask({.qname = "_WEB._TCP.svc.internal.", .qtype = dns::type::SRV}).answer.size() == 1);
  const auto srv_of_tcp = server.ask({.qname = "_tcp._tcp.svc.internal.", .qtype = dns::type::SRV});
  REQUIRE(srv_of_tcp.answer.size() == 1);
  CHECK(srv_of_tcp.answer[0].text().find("t.tcp.svc.internal.") != std::string::npos);
  for (const std::string name : {"_tcp.svc.internal.", "_udp.svc.internal."}) {  // the registry's own
    const auto r = server.ask({.qname = name});
    CHECK_MESSAGE(r.rcode == dns::rcode::NOERROR, name);
    CHECK(r.answer.empty());
  }
  for (const std::string name : {"_web._udp.svc.internal.", "_web.svc.internal.", "__web._tcp.svc.internal.",
                                 "_._tcp.svc.internal.", "web._tcp.svc.internal.", "_nope._tcp.svc.internal."}) {
    CHECK_MESSAGE(server.ask({.qname = name}).rcode == dns::rcode::NXDOMAIN, name);
  }
  CHECK(server.ask({.qname = "a.web.svc.internal."}).answer.size() == 1);
}

}  // namespace beacon::registry

namespace beacon::registry {

TEST_CASE("registry zone: a rebuild of many services (two threads) gives every service its fragment and its own slots") {
  Fixture f;
  const std::size_t count = RegistryZone::parallel_build_threshold + 100;
  for (std::size_t i = 0; i < count; ++i) {
    const std::string address = "10.1." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1);
    f.add("s" + std::to_string(i), instance("a", address));
    f.add("s" + std::to_string(i), instance("b", "fd00::" + std::to_string(i % 9999 + 1)));
  }
  const auto changed = f.registry.commit();
  REQUIRE(changed.size() == count);
  f.zone.update(f.registry, changed);

  std::set<std::uint32_t> slots;
  std::size_t rotating = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const std::string label = "s" + std::to_string(i);
    const std::string key = static_cast<char>(label.size()) + label;
    const zone::Zone* fragment = f.zone.fragments()->find(test::as_span(key));
    REQUIRE(fragment != nullptr);
    for (std::uint32_t n = 0; n < fragment->node_count(); ++n) {
      for (const zone::RRset& set : fragment->rrsets(fragment->node(n))) {
        if (set.rotation_slot == zone::no_rotation) continue;
        ++rotating;
        slots.insert(set.rotation_slot);
      }
    }
  }
  CHECK(rotating == count * 4);  // A, AAAA and SRV at the service, SRV at _s._tcp
  CHECK(slots.size() == rotating);  // no two RRsets share a counter
  CHECK(f.zone.rotation_slots() >= rotating);
  auto server = f.server();
  CHECK(server.ask({.qname = "s4100.svc.internal.", .qtype = dns::type::AAAA}).answer.size() == 1);
}

}  // namespace beacon::registry
