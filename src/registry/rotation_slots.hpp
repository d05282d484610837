#pragma once
// Hands out the per-thread rotation counter index of each rotating registry RRset. A slot
// stays with its RRset for as long as the RRset exists, so rotation carries on across
// snapshots; freed slots are reused so the counters stay dense.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace beacon::registry {

class RotationSlots {
 public:
  /// The slot of `key` ("web.|A"), allocating one if it has none.
  std::uint32_t acquire(const std::string& key);
  void release(const std::string& key);
  /// One more than the highest slot ever handed out.
  std::uint32_t size() const { return next_; }

 private:
  std::map<std::string, std::uint32_t> slots_;
  std::vector<std::uint32_t> free_;
  std::uint32_t next_ = 0;
};

}  // namespace beacon::registry
