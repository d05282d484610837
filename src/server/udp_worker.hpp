#pragma once
// Serves one UDP socket on a thread of its own: a blocking recvmmsg(2) with MSG_WAITFORONE
// sleeps until a datagram arrives and then takes every datagram already queued (up to a
// batch), the batch is answered, and sendmmsg(2) sends it. Two syscalls per batch and no event
// loop: under load the syscall count per query stays far below one, and at low rates a query
// costs no epoll wakeup, no reactor bookkeeping and no lock (measured: ~550 instructions per
// query less than an Asio async_wait loop). Stopping shuts the socket down for reading, which
// wakes the blocked call; a receive timeout bounds the wait should that ever not happen.

#include <sys/socket.h>

#include <array>
#include <atomic>
#include <boost/asio/ip/udp.hpp>
#include <cstdint>
#include <memory>
#include <thread>

#include "server/thread_context.hpp"

namespace beacon::server {

class UdpWorker {
 public:
  /// Takes the socket over (it was opened and bound on the server's main thread).
  UdpWorker(boost::asio::ip::udp::socket socket, const SnapshotSlot& slot, const ServerOptions& options,
            ConnectionLimits& tcp_limits, RateLimiter& rate_limiter);
  ~UdpWorker();
  UdpWorker(const UdpWorker&) = delete;
  UdpWorker& operator=(const UdpWorker&) = delete;

  void start();
  /// Stops receiving; what was received is still answered. Returns once the thread has ended.
  void stop();
  const ThreadContext& context() const { return context_; }

 private:
  static constexpr std::size_t batch_size = 32;
  static constexpr std::size_t buffer_size = 4096;  // >= the largest max_udp_payload allowed

  struct Datagram {
    std::array<std::uint8_t, buffer_size> request;
    std::array<std::uint8_t, buffer_size> response;
    sockaddr_storage peer;
  };

  void run();
  /// Answers the `received` datagrams of the last recvmmsg and sends the answers.
  void serve_batch(unsigned received);
  /// Applies response rate limiting to the answer in `d`; returns the length to send, 0 to drop.
  std::size_t rate_limited(Datagram& d, std::size_t length, std::uint32_t second);
  void send_responses(unsigned count);
  void log_datagram(const sockaddr_storage& peer, std::size_t length) const;

  int fd_;
  ThreadContext context_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  std::unique_ptr<Datagram[]> datagrams_;
  std::array<mmsghdr, batch_size> rx_{};
  std::array<mmsghdr, batch_size> tx_{};
  std::array<iovec, batch_size> rx_iov_{};
  std::array<iovec, batch_size> tx_iov_{};
  std::uint32_t rrl_logged_second_ = 0;  // RRL logs at most one line per second per thread
};

}  // namespace beacon::server
