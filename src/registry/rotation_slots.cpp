#include "registry/rotation_slots.hpp"

#include <algorithm>
#include <bit>

namespace beacon::registry {

std::uint32_t RotationSlots::acquire(const std::string& owner, std::uint32_t count) {
  std::lock_guard lock(*mutex_);
  const auto it = blocks_.find(owner);
  if (it != blocks_.end() && it->second.capacity >= count) return it->second.first;
  if (count == 0) return 0;
  if (it != blocks_.end()) release_locked(it);

  const std::uint32_t capacity = std::bit_ceil(std::max<std::uint32_t>(4, count));
  std::uint32_t first;
  auto& free = free_[capacity];
  if (!free.empty()) {
    first = free.back();
    free.pop_back();
  } else {
    first = next_;
    next_ += capacity;
  }
  blocks_.emplace(owner, Block{first, capacity});
  return first;
}

void RotationSlots::release(const std::string& owner) {
  std::lock_guard lock(*mutex_);
  const auto it = blocks_.find(owner);
  if (it != blocks_.end()) release_locked(it);
}

void RotationSlots::release_locked(std::unordered_map<std::string, Block>::iterator it) {
  free_[it->second.capacity].push_back(it->second.first);
  blocks_.erase(it);
}

}  // namespace beacon::registry
