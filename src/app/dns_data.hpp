#pragma once
// What the daemon serves over DNS, and its publication to the DNS threads: the static zones
// of the zone directory, the registry zone's apex (from a zone file of the same origin, or
// synthesized from the configuration), and the registry's per-service fragments.
// Control thread only.

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "registry/registry.hpp"
#include "registry/registry_zone.hpp"
#include "server/snapshot_slot.hpp"
#include "zone/zone.hpp"

namespace beacon::app {

class DnsData {
 public:
  /// Loads the zones; throws zone::ZoneError (file and line) or config::ConfigError.
  explicit DnsData(const config::Config& config);

  server::SnapshotSlot& slot() { return slot_; }

  /// Loads zones and zone settings anew and publishes them. Throws, keeping the old data,
  /// if anything fails to load.
  void reload(const config::Config& config, const registry::Registry& registry);

  /// Rebuilds the records of `changed` services and publishes the result.
  void update_services(const registry::Registry& registry, const std::set<std::string>& changed);

  /// True if a service of this name would shadow a static name of the registry zone.
  bool is_static_name(const std::string& label) const;

  /// True while fail_open serves the critical instances of `service`.
  bool fails_open(const std::string& service) const { return registry_zone_.fails_open(service); }

 private:
  struct Zones {
    std::vector<std::shared_ptr<const zone::Zone>> other;  // every static zone but the registry's
    std::shared_ptr<const zone::Zone> registry_apex;
  };
  static Zones load_zones(const config::Config& config);
  std::shared_ptr<const zone::Snapshot> compose();
  void publish();

  Zones zones_;
  registry::RegistryZone registry_zone_;
  std::uint64_t generation_ = 1;
  server::SnapshotSlot slot_;
};

/// The registry's DNS settings as the configuration gives them.
registry::ZoneSettings zone_settings(const config::Config& config);

}  // namespace beacon::app
