#pragma once
// The registry's single writer: batches commits. Callers (API handlers, the expiry timer)
// stage writes on the Registry and ask for a commit; all the writes staged before the
// writer runs go to the store in one transaction and to DNS in one snapshot, then every
// caller hears the outcome. A burst of writes costs one fsync and one publish, not one each.
// While writes keep arriving, the flush waits a few more event-loop turns (each lets the
// loop read the requests that are ready) so a burst from many connections becomes one batch
// rather than two alternating halves; a lone write is flushed on the first turn.
//
// The writer runs on the control thread; `post` defers work to that thread's event loop
// (the registry module itself has no event loop, and no Asio).

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "common/counter.hpp"
#include "registry/registry.hpp"

namespace beacon::registry {

class Writer {
 public:
  using Post = std::function<void(std::function<void()>)>;
  /// Rebuilds and publishes DNS data for the changed services; returns when published.
  using Publish = std::function<void(const std::set<std::string>& changed)>;

  Writer(Registry& registry, Post post, Publish publish);

  Registry& registry() { return registry_; }

  /// `done(true)` once every write staged so far is durable and visible in DNS;
  /// `done(false)` if the store refused them (they are undone). Never called inline.
  void commit_then(std::function<void(bool durable)> done);

  /// Event-loop turns a pending flush waits, at most, for more writes to join its batch.
  static constexpr unsigned max_gather_turns = 8;

  /// Runs `read` once every write staged so far is committed (or undone), at once if none is
  /// pending, so an API read never shows a change that is not yet durable and in DNS (a GET that
  /// says an instance is gone is followed by DNS answering the same). Never inline if waiting.
  void after_pending(std::function<void()> read);

  /// Commits now (start-up, expiry timer). Returns false if the store refused.
  bool commit_now();

  struct Stats {
    Counter commits;           // store transactions attempted
    Counter commit_failures;
    LatencyHistogram commit_latency;   // registry.commit(): the SQLite transaction with its fsync
    Counter publishes;
    LatencyHistogram publish_latency;  // rebuilding changed services and publishing the snapshot
  };
  const Stats& stats() const { return stats_; }

 private:
  void gather();
  void post_flush();
  void flush();

  Registry& registry_;
  Post post_;
  Publish publish_;
  std::vector<std::function<void(bool)>> waiting_;
  std::vector<std::function<void()>> readers_;  // after_pending() calls waiting for the flush
  bool flush_posted_ = false;
  std::size_t gathered_ = 0;  // waiting_.size() at the last turn
  unsigned turns_ = 0;
  Stats stats_;
};

}  // namespace beacon::registry
