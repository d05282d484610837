#pragma once
// Accepts DNS-over-TCP connections on one SO_REUSEPORT socket of one DNS thread and refuses
// them beyond the server-wide connection limit.

#include <boost/asio/ip/tcp.hpp>
#include <memory>
#include <vector>

#include "server/tcp_session.hpp"
#include "server/thread_context.hpp"

namespace beacon::server {

class TcpListener {
 public:
  TcpListener(boost::asio::ip::tcp::acceptor acceptor, ThreadContext& context);
  void start();
  /// Stops accepting and lets every open session finish what it has received.
  void stop();

 private:
  void do_accept();
  void accept_session(boost::asio::ip::tcp::socket socket);
  void forget_closed_sessions();

  boost::asio::ip::tcp::acceptor acceptor_;
  ThreadContext& context_;
  std::vector<std::weak_ptr<TcpSession>> sessions_;
};

}  // namespace beacon::server
