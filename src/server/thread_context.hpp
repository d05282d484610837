#pragma once
// What every listener of one DNS thread shares. Everything on a DNS thread runs on its own
// io_context, one handler at a time, so this needs no synchronization.

#include <array>
#include <cstdint>

#include "answer/responder.hpp"
#include "common/counter.hpp"
#include "dns/constants.hpp"
#include "server/connection_limits.hpp"
#include "server/rate_limiter.hpp"
#include "server/server_options.hpp"
#include "server/snapshot_slot.hpp"

namespace beacon::server {

struct ThreadContext {
  ThreadContext(const SnapshotSlot& slot, const ServerOptions& options_, ConnectionLimits& tcp_limits_,
                RateLimiter& rate_limiter_)
      : snapshots(slot), responder(answer::ResponderOptions{options_.max_udp_payload}), options(options_),
        tcp_limits(tcp_limits_), rate_limiter(rate_limiter_) {}

  SnapshotSlot::Reader snapshots;
  answer::Responder responder;
  const ServerOptions& options;
  ConnectionLimits& tcp_limits;  // shared by all threads
  RateLimiter& rate_limiter;     // shared by all threads, lock-free
  Counter rrl_dropped;           // UDP responses RRL dropped
  Counter rrl_slipped;           // ... and sent truncated instead
  std::array<std::uint8_t, dns::limits::max_message> tcp_scratch{};
  /// Time from a query's arrival in user space to its answer being ready to send;
  /// for UDP measured per recvmmsg batch and shared out over its queries.
  std::array<LatencyHistogram, 2> latency;  // [udp, tcp]
  bool stopping = false;
};

}  // namespace beacon::server
