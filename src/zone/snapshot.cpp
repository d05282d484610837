#include "zone/snapshot.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#include "dns/name.hpp"

namespace beacon::zone {

namespace {

std::vector<ServedZone> static_only(std::vector<std::shared_ptr<const Zone>> zones) {
  std::vector<ServedZone> served;
  for (auto& z : zones) served.push_back({std::move(z), nullptr});
  return served;
}

}  // namespace

Snapshot::Snapshot(std::vector<std::shared_ptr<const Zone>> zones, std::uint64_t generation)
    : Snapshot(static_only(std::move(zones)), 0, generation) {}

Snapshot::Snapshot(std::vector<ServedZone> zones, std::uint32_t rotation_slots, std::uint64_t generation)
    : zones_(std::move(zones)), rotation_slots_(rotation_slots), generation_(generation) {
  std::stable_sort(zones_.begin(), zones_.end(),
                   [](const auto& a, const auto& b) { return a.zone->apex().size() > b.zone->apex().size(); });
}

const ServedZone* Snapshot::find_zone(std::span<const std::uint8_t> lower_name) const {
  std::array<std::uint8_t, dns::limits::max_labels + 1> offsets{};
  std::size_t labels = 0;
  for (std::size_t i = 0; i < lower_name.size() && lower_name[i] != 0; i += lower_name[i] + 1u)
    offsets[labels++] = static_cast<std::uint8_t>(i);
  return find_zone(lower_name, {offsets.data(), labels});
}

const ServedZone* Snapshot::find_zone(std::span<const std::uint8_t> lower_name,
                                      std::span<const std::uint8_t> label_offsets) const {
  const std::size_t labels = label_offsets.size();
  for (const auto& z : zones_) {
    const std::size_t apex_labels = z.zone->apex_labels();
    if (apex_labels > labels) continue;
    const std::size_t start = apex_labels == 0 ? lower_name.size() - 1 : label_offsets[labels - apex_labels];
    const auto apex = z.zone->apex();
    if (lower_name.size() - start == apex.size() && std::memcmp(lower_name.data() + start, apex.data(), apex.size()) == 0)
      return &z;
  }
  return nullptr;
}

}  // namespace beacon::zone
