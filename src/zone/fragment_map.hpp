#pragma once
// The registry's names inside a zone, one fragment per service, keyed by the service's
// label ("web"). The lookup maps every name of the service to that key (answer/lookup.cpp):
// "web", "i1.web", and the RFC 2782 name "_web._tcp" (the underscore dropped).
// One key per service, not three, keeps a publish to one path per service.
//
// Persistent: `with()` returns a new map that shares everything it did not touch, so
// publishing a change to one service costs the same with a hundred services or a hundred
// thousand (issue 3 §9). It is a three-level hash trie of 64 x 64 x 64 buckets: an update
// copies one array per level and the buckets it changes — about 200 pointers, not the whole
// table, which would also touch every bucket's reference count. Three levels keep buckets to a
// few entries at a million instances (600 000 keys); with two, buckets grew to ~150 entries
// and copying them made a publish cost 3 ms there. A lookup is a hash, three array steps and
// a binary search.

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
    std::string key;                      // one label, wire form, lower case: "\3web"
    std::shared_ptr<const Zone> fragment; // nullptr removes the key
  };

  /// The fragment for a key (one label in wire form, lower case), or nullptr.
  const Zone* find(std::span<const std::uint8_t> key) const;
  std::size_t size() const { return size_; }

  /// A copy with `updates` applied; untouched parts are shared with this map.
  FragmentMap with(const std::vector<Update>& updates) const;

 private:
  static constexpr std::size_t fanout = 64;
  struct Entry {
    std::uint64_t hash;
    std::string key;  // wire form
    std::shared_ptr<const Zone> fragment;
  };
  using Bucket = std::vector<Entry>;  // sorted by hash
  using Bottom = std::array<std::shared_ptr<const Bucket>, fanout>;
  using Middle = std::array<std::shared_ptr<const Bottom>, fanout>;

  static std::size_t top_index(std::uint64_t hash) { return hash % fanout; }
  static std::size_t middle_index(std::uint64_t hash) { return (hash / fanout) % fanout; }
  static std::size_t bottom_index(std::uint64_t hash) { return (hash / (fanout * fanout)) % fanout; }

  std::array<std::shared_ptr<const Middle>, fanout> top_{};
  std::size_t size_ = 0;
};

}  // namespace beacon::zone
