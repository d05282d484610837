#pragma once
// The DNS threads. For each of `threads` and every listen address there is a SO_REUSEPORT UDP
// socket served by a thread of its own (UdpWorker: blocking recvmmsg, no event loop) and a TCP
// acceptor; the TCP side of each of `threads` runs on its own io_context. The kernel spreads
// queries across the sockets and no socket is shared (Knot's udp_master, Asio's
// io_context-per-thread pool). Every thread has its own ThreadContext (snapshot reader,
// responder, counters); they only read the SnapshotSlot, and nothing they do waits for the
// registry or the control thread.

#include <boost/asio/io_context.hpp>
#include <future>
#include <memory>
#include <thread>
#include <vector>

#include "server/server_options.hpp"
#include "server/snapshot_slot.hpp"
#include "server/tcp_listener.hpp"
#include "server/thread_context.hpp"
#include "server/udp_worker.hpp"

namespace beacon::server {

class DnsServer {
 public:
  /// Opens and binds every socket; throws std::runtime_error naming the address on failure.
  DnsServer(ServerOptions options, const SnapshotSlot& snapshots);
  ~DnsServer();
  DnsServer(const DnsServer&) = delete;
  DnsServer& operator=(const DnsServer&) = delete;

  void start();
  /// Stops reading new queries, finishes those already received, and joins the threads
  /// (forcibly after options.drain_timeout).
  void stop();

  /// Every DNS thread's counters, for the metrics scrape (read with relaxed loads).
  std::vector<const ThreadContext*> thread_contexts() const;

  /// The addresses actually bound (a requested port 0 replaced by the chosen one).
  const std::vector<ListenAddress>& bound() const { return bound_; }

 private:
  struct DnsThread {
    DnsThread(const SnapshotSlot& slot, const ServerOptions& options, ConnectionLimits& limits,
              RateLimiter& rate_limiter)
        : context(slot, options, limits, rate_limiter) {}
    // One thread runs it and touches its sockets; other threads only post (stop), so the
    // reactor needs no locking of its own.
    boost::asio::io_context io{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO};
    ThreadContext context;
    std::vector<std::unique_ptr<UdpWorker>> udp;
    std::vector<std::unique_ptr<TcpListener>> tcp;
    std::thread thread;
    std::future<void> finished;
  };

  void bind_all();

  ServerOptions options_;
  const SnapshotSlot& snapshots_;
  ConnectionLimits tcp_limits_;
  RateLimiter rate_limiter_;
  std::vector<std::unique_ptr<DnsThread>> threads_;
  std::vector<ListenAddress> bound_;
  bool running_ = false;
};

}  // namespace beacon::server
