#include "registry/service_records.hpp"

#include <doctest/doctest.h>

#include <span>
#include <string>

#include "dns/constants.hpp"
#include "dns/name.hpp"

using namespace beacon::registry;
namespace type = beacon::dns::type;

namespace {

constexpr Health P = Health::passing;
constexpr Health W = Health::warning;
constexpr Health C = Health::critical;

std::string wire(std::string_view text) {
  const auto w = beacon::dns::name_from_text(text);
  REQUIRE(w.has_value());
  return *w;
}

ZoneSettings settings(bool only_passing = false, bool fail_open = false) {
  ZoneSettings s;
  s.origin = wire("svc.internal.");
  s.only_passing = only_passing;
  s.fail_open = fail_open;
  return s;
}

/// An instance at 10.0.0.<n>:80 tagged "blue" whose health comes from its active check.
Instance instance(std::uint8_t n, Health check) {
  Instance i;
  IpAddress ip;
  ip.bytes = {10, 0, 0, n};
  i.registration.addresses.push_back(ip);
  i.registration.port = 80;
  i.registration.tags = {"blue"};
  i.registration.meta = {{"v", "1"}};
  i.check = CheckState{check, "", {}, {}};
  return i;
}

Service service(std::initializer_list<Health> healths) {
  Service s;
  s.name = "web";
  std::uint8_t n = 1;
  for (Health h : healths) {
    s.instances.emplace("i" + std::to_string(n), instance(n, h));
    ++n;
  }
  return s;
}

/// Records of `type` at `name` in the fragment: -1 if the name does not exist at all.
int count(const std::shared_ptr<const beacon::zone::Zone>& fragment, std::string_view name, std::uint16_t t) {
  const std::string w = wire(name);
  const auto* node = fragment->find(std::span(reinterpret_cast<const std::uint8_t*>(w.data()), w.size()));
  if (node == nullptr) return -1;
  const auto* rrset = fragment->rrset(*node, t);
  return rrset == nullptr ? 0 : rrset->record_count;
}

std::shared_ptr<const beacon::zone::Zone> build(const Service& s, const ZoneSettings& z) {
  RotationSlots slots;
  return build_service_fragment(s, z, slots);
}

}  // namespace

TEST_CASE("service records: is_servable serves passing and warning, only passing with only_passing") {
  Instance i = instance(1, P);
  CHECK(is_servable(i, settings()));
  CHECK(is_servable(i, settings(true)));
  i.check->status = W;
  CHECK(is_servable(i, settings()));
  CHECK_FALSE(is_servable(i, settings(true)));
  i.check->status = C;
  CHECK_FALSE(is_servable(i, settings()));
  CHECK_FALSE(is_servable(i, settings(true)));
  // The worst source decides: a passing check does not save a lapsed heartbeat TTL.
  i.check->status = P;
  i.ttl_expired = true;
  CHECK_FALSE(is_servable(i, settings()));
  i.ttl_expired = false;
  i.reported = W;
  CHECK(is_servable(i, settings()));
  CHECK_FALSE(is_servable(i, settings(true)));
}

TEST_CASE("service records: fail_open applies only when no instance is servable") {
  CHECK_FALSE(is_failing_open(service({C, C}), settings(false, false)));
  CHECK(is_failing_open(service({C, C}), settings(false, true)));
  CHECK(is_failing_open(service({C}), settings(false, true)));
  CHECK_FALSE(is_failing_open(service({C, P}), settings(false, true)));
  CHECK_FALSE(is_failing_open(service({C, W}), settings(false, true)));
  CHECK_FALSE(is_failing_open(service({}), settings(false, true)));  // nothing to serve anyway
  // With only_passing, warning is not servable: all warning/critical fails open.
  CHECK(is_failing_open(service({C, W}), settings(true, true)));
  CHECK_FALSE(is_failing_open(service({C, W, P}), settings(true, true)));
}

TEST_CASE("service records: critical instances leave every name; their own name stays (NODATA)") {
  const auto r = build(service({P, W, C}), settings());
  CHECK(count(r, "web.svc.internal.", type::A) == 2);
  CHECK(count(r, "web.svc.internal.", type::SRV) == 2);
  CHECK(count(r, "_web._tcp.svc.internal.", type::SRV) == 2);
  CHECK(count(r, "blue.web.svc.internal.", type::A) == 2);
  CHECK(count(r, "blue.web.svc.internal.", type::SRV) == 2);
  CHECK(count(r, "i1.web.svc.internal.", type::A) == 1);
  CHECK(count(r, "i2.web.svc.internal.", type::A) == 1);
  CHECK(count(r, "i2.web.svc.internal.", type::TXT) == 1);
  CHECK(count(r, "i3.web.svc.internal.", type::A) == 0);   // exists, no records
  CHECK(count(r, "i3.web.svc.internal.", type::TXT) == 0);
  CHECK(count(r, "i4.web.svc.internal.", type::A) == -1);  // never registered

  const auto strict = build(service({P, W, C}), settings(true));
  CHECK(count(strict, "web.svc.internal.", type::A) == 1);
  CHECK(count(strict, "web.svc.internal.", type::SRV) == 1);
  CHECK(count(strict, "_web._tcp.svc.internal.", type::SRV) == 1);
  CHECK(count(strict, "i2.web.svc.internal.", type::A) == 0);
}

TEST_CASE("service records: an all-critical service is a NODATA node, or answers all with fail_open") {
  const auto closed = build(service({C, C, C}), settings());
  CHECK(count(closed, "web.svc.internal.", type::A) == 0);
  CHECK(count(closed, "web.svc.internal.", type::SRV) == 0);
  CHECK(count(closed, "i1.web.svc.internal.", type::A) == 0);

  const auto open = build(service({C, C, C}), settings(false, true));
  CHECK(count(open, "web.svc.internal.", type::A) == 3);
  CHECK(count(open, "web.svc.internal.", type::SRV) == 3);
  CHECK(count(open, "_web._tcp.svc.internal.", type::SRV) == 3);
  CHECK(count(open, "blue.web.svc.internal.", type::A) == 3);
  CHECK(count(open, "i1.web.svc.internal.", type::A) == 1);

  // fail_open changes nothing while one instance is servable: the critical ones stay out.
  const auto partly = build(service({C, C, P}), settings(false, true));
  CHECK(count(partly, "web.svc.internal.", type::A) == 1);
  CHECK(count(partly, "i1.web.svc.internal.", type::A) == 0);

  // only_passing + fail_open: all warning counts as "none servable", so all are served.
  const auto warned = build(service({W, W}), settings(true, true));
  CHECK(count(warned, "web.svc.internal.", type::A) == 2);
}
