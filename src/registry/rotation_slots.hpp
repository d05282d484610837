#pragma once
// Hands out the per-thread rotation counters of the registry's RRsets. Each service holds one
// block of consecutive slots, one per rotating RRset of its fragment, and keeps it across
// rebuilds, so rotation carries on across snapshots; a block is only moved when the service
// outgrows it (it gained tags or a protocol), and freed blocks are reused so the counters
// stay dense. One map entry per service, not one per RRset: at 100 000 services that is the
// difference between ~6 MiB and ~60 MiB. Thread-safe: a full rebuild builds fragments on two
// threads (RegistryZone); the lock is uncontended otherwise.

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace beacon::registry {

class RotationSlots {
 public:
  /// The first of `count` consecutive slots owned by `owner` (a service name). The same block
  /// as last time while it is large enough; no block is taken for a count of zero.
  std::uint32_t acquire(const std::string& owner, std::uint32_t count);
  void release(const std::string& owner);
  /// One more than the highest slot ever handed out.
  std::uint32_t size() const {
    std::lock_guard lock(*mutex_);
    return next_;
  }

 private:
  struct Block {
    std::uint32_t first;
    std::uint32_t capacity;  // a power of two, at least 4
  };
  void release_locked(std::unordered_map<std::string, Block>::iterator it);

  std::unique_ptr<std::mutex> mutex_ = std::make_unique<std::mutex>();  // a pointer: movable
  std::unordered_map<std::string, Block> blocks_;
  std::map<std::uint32_t, std::vector<std::uint32_t>> free_;  // first slots of free blocks, by capacity
  std::uint32_t next_ = 0;
};

}  // namespace beacon::registry
