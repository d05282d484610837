#pragma once
// Response rate limiting (RRL) for UDP, after Knot DNS and BIND: responses to one client
// prefix are counted per second in buckets keyed by (prefix, kind of response, query name);
// beyond `rate` a bucket's responses are dropped, except every `slip`-th, which is sent as an
// empty truncated answer so a real client (whose address was not spoofed) retries over TCP,
// where no limit applies. This caps what a spoofed flood can reflect at a victim.
//
// The table is shared by all DNS threads (SO_REUSEPORT spreads one client's source ports over
// the sockets) and updated with one compare-and-swap per response: no lock, no allocation.
// Two keys that collide in the fixed-size table evict each other and restart counting, so a
// collision can only let more through, never limit a client that stayed under its rate.

#include <sys/socket.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "common/cidr.hpp"

namespace beacon::server {

struct RateLimitOptions {
  unsigned rate = 0;           // responses per second per bucket; 0 disables RRL
  unsigned slip = 2;           // every slip-th limited response goes out truncated; 0: none
  unsigned ipv4_prefix = 24;   // clients in one /24 share buckets
  unsigned ipv6_prefix = 56;
  std::vector<Cidr> exempt;    // never limited (loopback by default)
  std::size_t table_size = 1 << 16;  // buckets, rounded up to a power of two
};

class RateLimiter {
 public:
  enum class Verdict { send, drop, slip };

  explicit RateLimiter(RateLimitOptions options);

  bool enabled() const { return options_.rate > 0; }
  /// Counts `response` (a complete DNS response) to `client` in second `now`.
  Verdict check(const sockaddr_storage& client, std::span<const std::uint8_t> response, std::uint32_t now);

  /// Rewrites `response` in place into its slip form: same header with TC=1 and only the
  /// question. Returns the new length, or 0 if it has no question to keep (then drop it).
  static std::size_t truncate_to_question(std::span<std::uint8_t> response);

 private:
  bool exempt(const sockaddr_storage& client) const;
  std::uint64_t key(const sockaddr_storage& client, std::span<const std::uint8_t> response) const;

  RateLimitOptions options_;
  std::size_t mask_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;
};

}  // namespace beacon::server
