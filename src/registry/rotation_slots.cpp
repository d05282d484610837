#include "registry/rotation_slots.hpp"

namespace beacon::registry {

std::uint32_t RotationSlots::acquire(const std::string& key) {
  const auto it = slots_.find(key);
  if (it != slots_.end()) return it->second;
  std::uint32_t slot;
  if (!free_.empty()) {
    slot = free_.back();
    free_.pop_back();
  } else {
    slot = next_++;
  }
  slots_.emplace(key, slot);
  return slot;
}

void RotationSlots::release(const std::string& key) {
  const auto it = slots_.find(key);
  if (it == slots_.end()) return;
  free_.push_back(it->second);
  slots_.erase(it);
}

}  // namespace beacon::registry
