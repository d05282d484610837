#pragma once
// RunTable: an array in which each distinct run of elements is stored once. ZoneBuilder uses
// one over a zone's blob (record tails and names) and one over its records.

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <functional>
#include <span>
#include <string_view>
#include <type_traits>
#include <vector>

namespace beacon::zone {

/// One slot of a RunTable: where a known run is in the store.
struct RunSlot {
  std::uint32_t offset = 0;
  std::uint32_t length = 0;  // 0: empty (runs are never empty)
};

/// Keeps runs of T in one array, each distinct run once: placing a run equal to one already
/// there (or to a remembered part of one) returns the earlier run's offset. The registry holds
/// a hundred thousand small zones, so what a service repeats is worth sharing: its SRV records
/// under both `<service>` and `_<service>._tcp` (tails and record runs), its addresses under
/// the service and each instance, and its instance names, which its SRV targets already spell.
template <typename T>
class RunTable {
  static_assert(std::has_unique_object_representations_v<T>, "runs are hashed and compared as bytes");

 public:
  /// `slots`: the table's memory, reused from build to build; sized for `expected` runs.
  RunTable(std::vector<T>& store, std::vector<RunSlot>& slots, std::size_t expected) : store_(store), slots_(slots) {
    slots_.assign(std::bit_ceil(std::max<std::size_t>(64, 2 * expected)), {});
  }

  /// The offset of `run` in the store, appending it if no equal run is known.
  std::uint32_t place(std::span<const T> run) {
    RunSlot& e = slot_of(run);
    if (e.length == 0) {
      e = {static_cast<std::uint32_t>(store_.size()), static_cast<std::uint32_t>(run.size())};
      store_.insert(store_.end(), run.begin(), run.end());
      grow_if_full();
      return static_cast<std::uint32_t>(store_.size() - run.size());
    }
    return e.offset;
  }

  /// Makes the run at [offset, offset + length) of the store findable by place(); false if
  /// an equal run already was.
  bool remember(std::uint32_t offset, std::uint32_t length) {
    RunSlot& e = slot_of({store_.data() + offset, length});
    if (e.length != 0) return false;
    e = {offset, length};
    grow_if_full();
    return true;
  }

 private:
  static std::size_t hash(std::span<const T> run) {
    return std::hash<std::string_view>{}({reinterpret_cast<const char*>(run.data()), run.size_bytes()});
  }

  RunSlot& slot_of(std::span<const T> run) {
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = hash(run) & mask;; i = (i + 1) & mask) {
      RunSlot& e = slots_[i];
      if (e.length == 0) return e;
      if (e.length == run.size() && std::memcmp(store_.data() + e.offset, run.data(), run.size_bytes()) == 0) return e;
    }
  }

  // At most half full, so probes stay short.
  void grow_if_full() {
    if (2 * ++used_ <= slots_.size()) return;
    std::vector<RunSlot> old(2 * slots_.size());
    old.swap(slots_);
    for (const RunSlot& e : old) {
      if (e.length != 0) slot_of({store_.data() + e.offset, e.length}) = e;
    }
  }

  std::vector<T>& store_;
  std::vector<RunSlot>& slots_;
  std::size_t used_ = 0;
};

}  // namespace beacon::zone
