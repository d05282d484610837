#pragma once
// Counters for statistics that one thread writes and another reads on scrape.
//
// Each counter has a single writer (its DNS thread, or the control thread), so an increment
// is a relaxed load and store — no locked instruction, no shared cache line between DNS
// threads (dnsdist's tcounters). The reader sums across threads with relaxed loads; a
// scrape may miss an increment in flight, never tear a value.

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace beacon {

class Counter {
 public:
  void add(std::uint64_t n = 1) { value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

/// A histogram with fixed upper bounds in microseconds (Prometheus `le` buckets).
class LatencyHistogram {
 public:
  static constexpr std::array<std::uint64_t, 12> bounds_us = {10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000,
                                                               50000, 250000};

  /// Records `count` events of `micros` each.
  void record(std::uint64_t micros, std::uint64_t count = 1) {
    std::size_t i = 0;
    while (i < bounds_us.size() && micros > bounds_us[i]) ++i;
    buckets_[i].add(count);
    sum_us_.add(micros * count);
  }
  std::uint64_t bucket(std::size_t i) const { return buckets_[i].value(); }  // i == bounds_us.size(): +Inf
  std::uint64_t sum_us() const { return sum_us_.value(); }

 private:
  std::array<Counter, bounds_us.size() + 1> buckets_{};
  Counter sum_us_;
};

}  // namespace beacon
