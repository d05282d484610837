#include "zone/zone.hpp"

#include <algorithm>
#include <cstring>

#include "dns/name.hpp"

namespace beacon::zone {

const Node* Zone::find(std::span<const std::uint8_t> lower_name, std::uint64_t hash) const {
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
    const std::uint32_t slot = slots_[i];
    if (slot == 0) return nullptr;
    const Node& n = nodes_[slot - 1];
    if (n.hash == hash && n.name_length == lower_name.size() &&
        std::memcmp(blob_.data() + n.name_offset, lower_name.data(), lower_name.size()) == 0) {
      return &n;
    }
  }
}

const Node* Zone::find(std::span<const std::uint8_t> lower_name) const {
  return find(lower_name, dns::hash_lower_name(lower_name));
}

const RRset* Zone::rrset(const Node& n, std::uint16_t type) const {
  for (const RRset& set : rrsets(n)) {
    if (set.type == type) return &set;
  }
  return nullptr;
}

}  // namespace beacon::zone
