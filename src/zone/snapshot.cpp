#include "zone/snapshot.hpp"

#include <algorithm>

#include "dns/name.hpp"

namespace beacon::zone {

Snapshot::Snapshot(std::vector<std::shared_ptr<const Zone>> zones, std::uint64_t generation)
    : zones_(std::move(zones)), generation_(generation) {
  std::stable_sort(zones_.begin(), zones_.end(),
                   [](const auto& a, const auto& b) { return a->apex().size() > b->apex().size(); });
}

const Zone* Snapshot::find_zone(std::span<const std::uint8_t> lower_name) const {
  // Longest origin first, so the first containing zone is the closest one.
  for (const auto& z : zones_) {
    if (dns::is_subdomain(lower_name, z->apex())) return z.get();
  }
  return nullptr;
}

}  // namespace beacon::zone
