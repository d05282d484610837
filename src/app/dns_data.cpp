#include "app/dns_data.hpp"

#include <ctime>

#include "common/log.hpp"
#include "dns/name.hpp"
#include "registry/apex_zone.hpp"
#include "zone/master_file.hpp"

namespace beacon::app {
namespace {

std::string wire_name(const std::string& text) {
  auto wire = dns::name_from_text(text);
  if (!wire) throw config::ConfigError("dns.zone: '" + text + "' is not a domain name");
  return *wire;
}

std::span<const std::uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

registry::ApexSettings apex_settings(const config::Config& config) {
  const auto& dns = config.dns;
  registry::ApexSettings apex;
  apex.origin = dns.zone;
  apex.name_servers = dns.ns;
  apex.mname = dns.soa.mname;
  apex.rname = dns.soa.rname;
  // Serial: the start time; a restart is the only way the apex changes.
  apex.serial = static_cast<std::uint32_t>(std::time(nullptr));
  apex.refresh = static_cast<std::uint32_t>(dns.soa.refresh.count());
  apex.retry = static_cast<std::uint32_t>(dns.soa.retry.count());
  apex.expire = static_cast<std::uint32_t>(dns.soa.expire.count());
  apex.minimum = static_cast<std::uint32_t>(dns.negative_ttl.count());
  return apex;
}

}  // namespace

registry::ZoneSettings zone_settings(const config::Config& config) {
  registry::ZoneSettings settings;
  std::string origin = wire_name(config.dns.zone);
  dns::to_lower(bytes(origin), reinterpret_cast<std::uint8_t*>(origin.data()));
  settings.origin = origin;
  settings.default_ttl = static_cast<std::uint32_t>(config.dns.ttl.count());
  settings.max_answers = config.dns.max_answers;
  settings.only_passing = config.dns.only_passing;
  settings.fail_open = config.dns.fail_open;
  return settings;
}

DnsData::Zones DnsData::load_zones(const config::Config& config) {
  Zones zones;
  const std::string origin = zone_settings(config).origin;
  for (auto& z : zone::load_zone_dir(config.dns.zone_dir)) {
    log::info("zone_loaded", {{"zone", dns::name_to_text(z->apex())}, {"serial", z->serial()},
                              {"records", z->record_count()}});
    if (dns::equal_names(z->apex(), bytes(origin))) zones.registry_apex = std::move(z);
    else zones.other.push_back(std::move(z));
  }
  if (!zones.registry_apex) {
    zones.registry_apex = registry::build_apex_zone(apex_settings(config));
    log::info("zone_synthesized", {{"zone", config.dns.zone}, {"reason", "no zone file of the registry's origin"}});
  }
  return zones;
}

DnsData::DnsData(const config::Config& config)
    : zones_(load_zones(config)), registry_zone_(zone_settings(config)), slot_(compose()) {}

std::shared_ptr<const zone::Snapshot> DnsData::compose() {
  std::vector<zone::ServedZone> served;
  for (const auto& z : zones_.other) served.push_back({z, nullptr});
  served.push_back({zones_.registry_apex, registry_zone_.fragments()});
  return std::make_shared<const zone::Snapshot>(std::move(served), registry_zone_.rotation_slots(), generation_++);
}

void DnsData::publish() { slot_.publish(compose()); }

void DnsData::reload(const config::Config& config, const registry::Registry& registry) {
  Zones zones = load_zones(config);
  const registry::ZoneSettings settings = zone_settings(config);
  const auto& current = registry_zone_.settings();
  if (settings.origin != current.origin || settings.default_ttl != current.default_ttl ||
      settings.max_answers != current.max_answers || settings.only_passing != current.only_passing ||
      settings.fail_open != current.fail_open) {
    registry::RegistryZone rebuilt(settings);
    std::set<std::string> all;
    for (const auto& [name, service] : registry.services()) all.insert(name);
    rebuilt.update(registry, all);
    registry_zone_ = std::move(rebuilt);
  }
  zones_ = std::move(zones);
  publish();
}

void DnsData::update_services(const registry::Registry& registry, const std::set<std::string>& changed) {
  registry_zone_.update(registry, changed);
  publish();
}

bool DnsData::is_static_name(const std::string& label) const {
  const auto apex = zones_.registry_apex->apex();
  // Every name a service's records take: <label>, and its SRV names _<label>._tcp and
  // _<label>._udp (the registry's fragment would shadow a static record there).
  const std::string service = static_cast<char>(label.size()) + label;
  const std::string srv = static_cast<char>(label.size() + 1) + ("_" + label);
  for (const std::string& candidate : {service, srv, srv + "\4_tcp", srv + "\4_udp"}) {
    std::string name = candidate;
    name.append(reinterpret_cast<const char*>(apex.data()), apex.size());
    if (zones_.registry_apex->find(bytes(name)) != nullptr) return true;
  }
  return false;
}

}  // namespace beacon::app
