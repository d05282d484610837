#pragma once
// The registry's part of the DNS data: one fragment per service, kept up to date from the
// Registry after each commit by rebuilding only the services that changed (issue 3 §9).
// Lives on the control thread, like the Registry; a rebuild of many services (start-up, a
// reload that changes the zone settings) borrows a second thread for the duration of the call.

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "registry/registry.hpp"
#include "registry/rotation_slots.hpp"
#include "registry/zone_settings.hpp"
#include "zone/fragment_map.hpp"

namespace beacon::registry {

class RegistryZone {
 public:
  /// Services at or above which a rebuild is split over two threads.
  static constexpr std::size_t parallel_build_threshold = 4096;

  explicit RegistryZone(ZoneSettings settings);

  /// Rebuilds the fragments of `changed` services from `registry`.
  void update(const Registry& registry, const std::set<std::string>& changed);

  std::shared_ptr<const zone::FragmentMap> fragments() const { return fragments_; }
  std::uint32_t rotation_slots() const { return slots_.size(); }
  const ZoneSettings& settings() const { return settings_; }
  bool fails_open(const std::string& service) const { return failing_open_.contains(service); }

 private:
  ZoneSettings settings_;
  RotationSlots slots_;
  std::shared_ptr<const zone::FragmentMap> fragments_;
  std::set<std::string> failing_open_;  // logged once when entering and leaving

  /// The fragments of `services`, in their order (null for null: a service that is gone).
  std::vector<std::shared_ptr<const zone::Zone>> build_fragments(const std::vector<const Service*>& services);
  void note_fail_open(const Service& service);
};

}  // namespace beacon::registry
