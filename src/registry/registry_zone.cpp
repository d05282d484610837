#include "registry/registry_zone.hpp"

#include <future>

#include "common/log.hpp"
#include "registry/service_records.hpp"
#include "zone/zone_builder.hpp"

namespace beacon::registry {
namespace {

std::string label_wire(const std::string& label) { return static_cast<char>(label.size()) + label; }

/// `_tcp.<zone>` and `_udp.<zone>` exist (empty) while the registry serves the zone, so
/// resolvers that stop at NXDOMAIN (RFC 8020) still look below them for `_web._tcp`.
std::shared_ptr<const zone::Zone> protocol_names(const std::string& origin, const std::string& protocol) {
  zone::ZoneBuilder builder(origin);
  builder.add_name(label_wire(protocol) + origin);
  return std::make_shared<const zone::Zone>(builder.build_fragment());
}

}  // namespace

RegistryZone::RegistryZone(ZoneSettings settings)
    : settings_(std::move(settings)),
      fragments_(std::make_shared<const zone::FragmentMap>(zone::FragmentMap{}.with({
          {label_wire("_tcp"), protocol_names(settings_.origin, "_tcp")},
          {label_wire("_udp"), protocol_names(settings_.origin, "_udp")},
      }))) {}

void RegistryZone::update(const Registry& registry, const std::set<std::string>& changed) {
  std::vector<const Service*> services;  // null: gone
  services.reserve(changed.size());
  for (const std::string& name : changed) services.push_back(registry.find(name));
  const std::vector<std::shared_ptr<const zone::Zone>> built = build_fragments(services);
  std::vector<zone::FragmentMap::Update> updates;
  updates.reserve(changed.size());
  std::size_t i = 0;
  for (const std::string& name : changed) {
    if (services[i] != nullptr) {
      note_fail_open(*services[i]);
    } else {
      slots_.release(name);
      failing_open_.erase(name);
    }
    updates.push_back({label_wire(name), built[i++]});  // its only key (see FragmentMap)
  }
  fragments_ = std::make_shared<const zone::FragmentMap>(fragments_->with(updates));
}

std::vector<std::shared_ptr<const zone::Zone>> RegistryZone::build_fragments(const std::vector<const Service*>& services) {
  std::vector<std::shared_ptr<const zone::Zone>> built(services.size());
  auto build = [&](std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) {
      if (services[i] != nullptr) built[i] = build_service_fragment(*services[i], settings_, slots_);
    }
  };
  if (services.size() < parallel_build_threshold) {
    build(0, services.size());
    return built;
  }
  // A full rebuild (start-up, a reload that changes the zone settings): the second core
  // builds half. Both only read the registry; RotationSlots locks.
  const std::size_t half = services.size() / 2;
  auto other = std::async(std::launch::async, build, half, services.size());
  build(0, half);
  other.get();
  return built;
}

void RegistryZone::note_fail_open(const Service& service) {
  const bool failing_open = registry::is_failing_open(service, settings_);
  if (failing_open == failing_open_.contains(service.name)) return;
  if (failing_open) {
    failing_open_.insert(service.name);
    log::warn("fail_open", {{"service", service.name}, {"instances", service.instances.size()},
                            {"effect", "no instance is servable; serving all of them"}});
  } else {
    failing_open_.erase(service.name);
    log::info("fail_open_ended", {{"service", service.name}});
  }
}

}  // namespace beacon::registry
