#include "zone/zone.hpp"

#include <algorithm>
#include <cstring>

#include "dns/name.hpp"

namespace beacon::zone {

namespace {

/// Bytes of `count` T, rounded up to whole 8-byte words.
template <class T>
std::size_t words(std::size_t count) {
  return (count * sizeof(T) + 7) / 8;
}

template <class T>
T* place(std::uint64_t*& at, const std::vector<T>& from) {
  T* out = reinterpret_cast<T*>(at);
  if (!from.empty()) std::memcpy(out, from.data(), from.size() * sizeof(T));
  at += words<T>(from.size());
  return out;
}

/// Records as served: RRsets with equal records share them in the zone's array.
std::uint32_t count_records(const std::vector<RRset>& rrsets) {
  std::uint32_t count = 0;
  for (const RRset& set : rrsets) count += set.record_count;
  return count;
}

}  // namespace

Zone::Zone(const Parts& parts)
    : storage_(std::make_unique_for_overwrite<std::uint64_t[]>(
          words<Node>(parts.nodes.size()) + words<RRset>(parts.rrsets.size()) + words<Record>(parts.records.size()) +
          words<std::uint32_t>(parts.slots.size()) + words<std::uint8_t>(parts.blob.size()) +
          words<std::uint8_t>(parts.negative_soa.size() + parts.compressed_negative_soa.size()))),
      node_count_(static_cast<std::uint32_t>(parts.nodes.size())),
      record_count_(count_records(parts.rrsets)),
      slot_mask_(static_cast<std::uint32_t>(parts.slots.size() - 1)),
      negative_soa_size_(static_cast<std::uint16_t>(parts.negative_soa.size())),
      compressed_negative_soa_size_(static_cast<std::uint16_t>(parts.compressed_negative_soa.size())),
      negative_soa_pointers_(parts.negative_soa_pointers),
      apex_node_(parts.apex_node),
      serial_(parts.serial) {
  std::uint64_t* at = storage_.get();
  nodes_ = place(at, parts.nodes);
  rrsets_ = place(at, parts.rrsets);
  records_ = place(at, parts.records);
  slots_ = place(at, parts.slots);
  blob_ = place(at, parts.blob);
  std::uint8_t* soa = reinterpret_cast<std::uint8_t*>(at);
  std::ranges::copy(parts.negative_soa, soa);
  std::ranges::copy(parts.compressed_negative_soa, soa + parts.negative_soa.size());
  negative_soa_ = soa;
}

const Node* Zone::find(std::span<const std::uint8_t> lower_name, std::uint64_t hash) const {
  for (std::size_t i = hash & slot_mask_;; i = (i + 1) & slot_mask_) {
    const std::uint32_t slot = slots_[i];
    if (slot == 0) return nullptr;
    const Node& n = nodes_[slot - 1];
    if (n.hash == static_cast<std::uint32_t>(hash) && n.name_length == lower_name.size() &&
        std::memcmp(blob_ + n.name_offset, lower_name.data(), lower_name.size()) == 0) {
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
