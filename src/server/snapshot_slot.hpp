#pragma once
// Where the current Snapshot is published for the DNS threads.
//
// One writer publishes; many DNS threads read. A reader checks an atomic generation number
// once per packet batch (a plain load, no shared write, so no cache-line ping-pong) and only
// when it changed copies the new shared_ptr under a mutex held for that copy alone. An old
// Snapshot is freed when its last reader has moved on (the RCU idea of Knot DNS; dnsdist's
// sholder.hh works the same way). libstdc++'s atomic<shared_ptr> would take a lock per load.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>

#include "zone/snapshot.hpp"

namespace beacon::server {

class SnapshotSlot {
 public:
  explicit SnapshotSlot(std::shared_ptr<const zone::Snapshot> initial);

  /// Makes `next` the snapshot every reader sees from its next batch on.
  void publish(std::shared_ptr<const zone::Snapshot> next);
  std::shared_ptr<const zone::Snapshot> current() const;

  /// A DNS thread's cached view of the slot. Not thread-safe: one per thread.
  class Reader {
   public:
    explicit Reader(const SnapshotSlot& slot) : slot_(slot) { refresh(); }
    /// The latest published snapshot; valid until the next call.
    const zone::Snapshot& load() {
      if (slot_.generation_.load(std::memory_order_acquire) != generation_) refresh();
      return *snapshot_;
    }

   private:
    void refresh();
    const SnapshotSlot& slot_;
    std::shared_ptr<const zone::Snapshot> snapshot_;
    std::uint64_t generation_ = 0;
  };

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const zone::Snapshot> current_;
  std::atomic<std::uint64_t> generation_{1};
};

}  // namespace beacon::server
