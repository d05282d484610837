#include "registry/apex_zone.hpp"

#include "dns/constants.hpp"
#include "dns/message.hpp"
#include "dns/name.hpp"
#include "zone/zone_builder.hpp"

namespace beacon::registry {
namespace {

std::string wire(const std::string& text) {
  auto name = dns::name_from_text(text);
  if (!name) throw zone::ZoneError("'" + text + "' is not a valid domain name");
  return *name;
}

std::string u32(std::uint32_t v) {
  std::string s(4, '\0');
  dns::write_u32(reinterpret_cast<std::uint8_t*>(s.data()), v);
  return s;
}

}  // namespace

std::shared_ptr<const zone::Zone> build_apex_zone(const ApexSettings& settings) {
  const std::string origin = wire(settings.origin);
  std::vector<std::string> servers = settings.name_servers;
  if (servers.empty()) servers.push_back("ns1." + settings.origin);
  const std::string mname = settings.mname.empty() ? servers.front() : settings.mname;
  const std::string rname = settings.rname.empty() ? "hostmaster." + settings.origin : settings.rname;

  zone::ZoneBuilder builder(origin);
  builder.add({origin, dns::type::SOA, settings.ttl,
               wire(mname) + wire(rname) + u32(settings.serial) + u32(settings.refresh) + u32(settings.retry) +
                   u32(settings.expire) + u32(settings.minimum)});
  for (const auto& ns : servers) builder.add({origin, dns::type::NS, settings.ttl, wire(ns)});
  return std::make_shared<const zone::Zone>(builder.build());
}

}  // namespace beacon::registry
