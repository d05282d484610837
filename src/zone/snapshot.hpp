#pragma once
// Everything a DNS thread needs to answer: the served zones, immutable. A new Snapshot is
// built for every change and published whole (see server/snapshot_slot.hpp); readers keep
// the one they loaded for the whole answer.

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "zone/zone.hpp"

namespace beacon::zone {

class Snapshot {
 public:
  Snapshot() = default;
  explicit Snapshot(std::vector<std::shared_ptr<const Zone>> zones, std::uint64_t generation = 0);

  /// The zone with the longest origin that contains `lower_name`, or nullptr.
  const Zone* find_zone(std::span<const std::uint8_t> lower_name) const;
  const std::vector<std::shared_ptr<const Zone>>& zones() const { return zones_; }
  std::uint64_t generation() const { return generation_; }

 private:
  std::vector<std::shared_ptr<const Zone>> zones_;  // longest origin first
  std::uint64_t generation_ = 0;
};

}  // namespace beacon::zone
