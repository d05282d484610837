#pragma once
// What the DNS server needs to know, filled in by app/ from the Config.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "server/rate_limiter.hpp"

namespace beacon::server {

struct ListenAddress {
  std::string address;
  std::uint16_t port = 0;  // 0: any free port (the first socket picks it, the rest share it)
};

struct ServerOptions {
  std::vector<ListenAddress> listen;
  unsigned threads = 1;
  std::uint16_t max_udp_payload = 1232;
  std::chrono::milliseconds tcp_idle_timeout{10'000};
  unsigned tcp_max_connections = 512;
  unsigned tcp_max_connections_per_client = 64;
  /// Answered TCP queries whose responses are not yet written, per connection; beyond it the
  /// connection is not read until the client reads.
  unsigned tcp_max_in_flight = 64;
  RateLimitOptions rate_limit;
  /// Log every query at info (log.queries); off by default, it costs a line per query.
  bool log_queries = false;
  /// How long SIGTERM waits for TCP sessions to finish before closing them.
  std::chrono::milliseconds drain_timeout{3'000};
};

}  // namespace beacon::server
