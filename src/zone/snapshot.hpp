#pragma once
// Everything a DNS thread needs to answer: the served zones, immutable. A new Snapshot is
// built for every change and published whole (see server/snapshot_slot.hpp); readers keep
// the one they loaded for the whole answer.

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "zone/fragment_map.hpp"
#include "zone/zone.hpp"

namespace beacon::zone {

/// A zone as served: its static data, and the registry's fragments inside it, if any.
struct ServedZone {
  std::shared_ptr<const Zone> zone;
  std::shared_ptr<const FragmentMap> fragments;  // may be null
};

class Snapshot {
 public:
  Snapshot() = default;
  explicit Snapshot(std::vector<std::shared_ptr<const Zone>> zones, std::uint64_t generation = 0);
  Snapshot(std::vector<ServedZone> zones, std::uint32_t rotation_slots, std::uint64_t generation);

  /// The zone with the longest origin that contains `lower_name`, or nullptr.
  const ServedZone* find_zone(std::span<const std::uint8_t> lower_name) const;
  /// The same, given where each label of `lower_name` starts (as the query parser found
  /// them): each zone is then one length check and one memcmp.
  const ServedZone* find_zone(std::span<const std::uint8_t> lower_name,
                              std::span<const std::uint8_t> label_offsets) const;
  const std::vector<ServedZone>& zones() const { return zones_; }
  /// One more than the highest RRset rotation slot in use: the counters a DNS thread needs.
  std::uint32_t rotation_slots() const { return rotation_slots_; }
  std::uint64_t generation() const { return generation_; }

 private:
  std::vector<ServedZone> zones_;  // longest origin first
  std::uint32_t rotation_slots_ = 0;
  std::uint64_t generation_ = 0;
};

}  // namespace beacon::zone
