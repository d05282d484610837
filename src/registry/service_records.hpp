#pragma once
// The DNS records of one registered service (design.md, "DNS names"), built into a zone
// fragment that the registry publishes under the labels `<service>` and `_<service>`:
//
//   <service>.<zone>          A, AAAA, SRV   healthy instances, rotated, A/AAAA capped
//   _<service>._tcp.<zone>    SRV            healthy tcp instances (_udp for udp ones)
//   <tag>.<service>.<zone>    A, AAAA, SRV   healthy instances carrying the tag
//   <id>.<service>.<zone>     A, AAAA, TXT   one healthy instance; TXT = its meta as key=value
//
// Names of critical instances and of services without healthy instances still exist (NODATA,
// not NXDOMAIN): the service is registered, it just has nothing to hand out right now.

#include <memory>
#include <string>
#include <vector>

#include "registry/model.hpp"
#include "registry/rotation_slots.hpp"
#include "registry/zone_settings.hpp"
#include "zone/zone.hpp"

namespace beacon::registry {

/// True if `instance` is handed out in DNS under `settings` (not counting fail_open).
bool is_servable(const Instance& instance, const ZoneSettings& settings);

/// True if fail_open applies to `service` now: it has instances, none of them servable.
bool is_failing_open(const Service& service, const ZoneSettings& settings);

/// `_<service>._tcp.<origin>` (or `._udp.`) in wire form; `origin` in wire form.
std::string service_srv_name(const std::string& service, Protocol protocol, const std::string& origin);

/// Builds the fragment of `service`, its rotating RRsets numbered from the service's block in
/// `slots`.
std::shared_ptr<const zone::Zone> build_service_fragment(const Service& service, const ZoneSettings& settings,
                                                         RotationSlots& slots);

}  // namespace beacon::registry
