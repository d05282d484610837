#include "server/snapshot_slot.hpp"

namespace beacon::server {

SnapshotSlot::SnapshotSlot(std::shared_ptr<const zone::Snapshot> initial) : current_(std::move(initial)) {}

void SnapshotSlot::publish(std::shared_ptr<const zone::Snapshot> next) {
  std::shared_ptr<const zone::Snapshot> old;
  {
    std::lock_guard lock(mutex_);
    old = std::move(current_);
    current_ = std::move(next);
    generation_.fetch_add(1, std::memory_order_release);
  }
  // `old` is released here, outside the lock, if no reader holds it any more.
}

std::shared_ptr<const zone::Snapshot> SnapshotSlot::current() const {
  std::lock_guard lock(mutex_);
  return current_;
}

void SnapshotSlot::Reader::refresh() {
  std::lock_guard lock(slot_.mutex_);
  snapshot_ = slot_.current_;
  generation_ = slot_.generation_.load(std::memory_order_relaxed);
}

}  // namespace beacon::server
