#pragma once
// The registry's names inside a zone, one fragment per service, keyed by the label just
// below the zone's apex ("web" and "_web" both lead to the fragment of service web).
//
// Persistent: `with()` returns a new map that shares every bucket it did not touch, so
// publishing a change to one service costs the same with a hundred services or a hundred
// thousand (issue 3 §9). Lookups are a hash, a bucket pick and a binary search.

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "zone/zone.hpp"

namespace beacon::zone {

class FragmentMap {
 public:
  struct Update {
    std::string label;                    // lower-case label text, e.g. "web" or "_web"
    std::shared_ptr<const Zone> fragment; // nullptr removes the label
  };

  /// The fragment for a label given in wire form (length octet first), lower case.
  const Zone* find(std::span<const std::uint8_t> lower_label) const;
  std::size_t size() const { return size_; }

  /// A copy with `updates` applied; unchanged buckets are shared with this map.
  FragmentMap with(const std::vector<Update>& updates) const;

 private:
  static constexpr std::size_t bucket_count = 1024;
  struct Entry {
    std::uint64_t hash;
    std::string label;  // wire form
    std::shared_ptr<const Zone> fragment;
  };
  using Bucket = std::vector<Entry>;  // sorted by hash

  std::array<std::shared_ptr<const Bucket>, bucket_count> buckets_{};
  std::size_t size_ = 0;
};

}  // namespace beacon::zone
