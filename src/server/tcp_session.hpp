#pragma once
// One DNS-over-TCP connection (RFC 7766): two-octet length framing across partial reads and
// writes, pipelined queries answered in order, and an idle timeout that restarts only when a
// complete query was answered, so a client stalling in, or trickling, a message is closed.
// Queries are answered as soon as they are read, up to `tcp_max_in_flight` answers not yet
// written (and 4 x 64 KiB of them); beyond that the connection is not read, and queries already
// received wait, until the client reads its answers.
// Lives on its DNS thread's io_context.

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <memory>
#include <vector>

#include "server/thread_context.hpp"

namespace beacon::server {

class TcpSession : public std::enable_shared_from_this<TcpSession> {
 public:
  /// `client` has already been admitted by context.tcp_limits; the session releases it.
  TcpSession(boost::asio::ip::tcp::socket socket, boost::asio::ip::address client, ThreadContext& context);
  ~TcpSession();
  TcpSession(const TcpSession&) = delete;
  TcpSession& operator=(const TcpSession&) = delete;

  void start();
  /// Closes the connection once what was already received is answered (server shutdown).
  void drain();

 private:
  void do_read();
  void on_read(const boost::system::error_code& ec, std::size_t bytes);
  /// Answers every complete message in the input buffer; a partial one waits for more input.
  /// Returns how many were answered (or dropped as malformed).
  std::size_t answer_complete_messages();
  /// Reading goes on while the client keeps up with its answers.
  bool may_read() const;
  void do_write();
  void on_write(const boost::system::error_code& ec);
  void arm_idle_timer();
  void close();

  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer idle_timer_;
  ThreadContext& context_;
  boost::asio::ip::address client_;
  std::vector<std::uint8_t> input_;   // received, not yet answered
  std::vector<std::uint8_t> output_;  // framed responses waiting to be written
  std::vector<std::uint8_t> writing_; // the buffer of the write in progress
  unsigned answers_waiting_ = 0;      // answers in output_
  unsigned answers_writing_ = 0;      // answers in writing_
  bool write_in_progress_ = false;
  bool read_in_progress_ = false;
  bool closing_ = false;
};

}  // namespace beacon::server
