#pragma once
// The authoritative answer path: request bytes + Snapshot -> response bytes.
// Pure and synchronous: no I/O, no locks, no heap allocation and no exceptions per query.
// One Responder per DNS thread; it holds scratch space and the thread's rotation counters.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "answer/response_stats.hpp"
#include "dns/constants.hpp"
#include "dns/query.hpp"
#include "zone/snapshot.hpp"

namespace beacon::answer {

enum class Transport : std::uint8_t { udp, tcp };

struct ResponderOptions {
  /// The largest UDP response we send and the size we advertise in OPT (RFC 6891 §6.2.5).
  std::uint16_t max_udp_payload = static_cast<std::uint16_t>(dns::limits::default_udp_payload);
};

class Responder {
 public:
  explicit Responder(ResponderOptions options = {}) : options_(options) {}

  /// Writes the response to `request` into `out`, which must hold the largest response the
  /// transport allows: dns::limits::max_message octets for TCP, `max_udp_payload` for UDP.
  /// Returns the response length, or 0 when the request must be dropped unanswered.
  std::size_t respond(const zone::Snapshot& snapshot, std::span<const std::uint8_t> request, Transport transport,
                      std::span<std::uint8_t> out);

  /// Counters of everything this responder answered; read from other threads on scrape.
  const ResponseStats& stats() const { return stats_; }
  /// The query of the last respond() call (for query logging), valid until the next call.
  const dns::Query& last_query() const { return query_; }

 private:
  std::span<std::uint32_t> rotation_counters(const zone::Snapshot& snapshot);

  ResponderOptions options_;
  dns::Query query_;  // scratch, reused for every request
  /// Round-robin counters of this thread, by RRset::rotation_slot: rotation without a
  /// shared atomic, and without ever mutating the snapshot.
  std::vector<std::uint32_t> rotation_;
  ResponseStats stats_;
};

}  // namespace beacon::answer
