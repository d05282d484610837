#pragma once
// Serves one UDP socket on one DNS thread: waits for readability, then drains the socket in
// batches with recvmmsg(2), answers each datagram, and sends the batch with sendmmsg(2).
// Batching keeps the syscall count per query well below one under load.

#include <sys/socket.h>

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <cstdint>
#include <memory>

#include "server/thread_context.hpp"

namespace beacon::server {

class UdpWorker {
 public:
  UdpWorker(boost::asio::ip::udp::socket socket, ThreadContext& context);
  void start();
  void stop();

 private:
  static constexpr std::size_t batch_size = 32;
  static constexpr std::size_t buffer_size = 4096;  // >= the largest max_udp_payload allowed
  static constexpr int batches_per_wakeup = 8;      // then let TCP on this thread have a turn

  struct Datagram {
    std::array<std::uint8_t, buffer_size> request;
    std::array<std::uint8_t, buffer_size> response;
    sockaddr_storage peer;
  };

  void wait_readable();
  /// Receives, answers and sends one batch; false when the socket had nothing to read.
  bool serve_batch();
  /// Applies response rate limiting to the answer in `d`; returns the length to send, 0 to drop.
  std::size_t rate_limited(Datagram& d, std::size_t length, std::uint32_t second);
  void send_responses(unsigned count);
  void log_datagram(const sockaddr_storage& peer, std::size_t length) const;

  boost::asio::ip::udp::socket socket_;
  ThreadContext& context_;
  std::unique_ptr<Datagram[]> datagrams_;
  std::array<mmsghdr, batch_size> rx_{};
  std::array<mmsghdr, batch_size> tx_{};
  std::array<iovec, batch_size> rx_iov_{};
  std::array<iovec, batch_size> tx_iov_{};
  std::uint32_t rrl_logged_second_ = 0;  // RRL logs at most one line per second per thread
};

}  // namespace beacon::server
