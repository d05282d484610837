#include "server/tcp_listener.hpp"

#include <algorithm>

#include "common/log.hpp"

namespace beacon::server {

TcpListener::TcpListener(boost::asio::ip::tcp::acceptor acceptor, ThreadContext& context)
    : acceptor_(std::move(acceptor)), context_(context) {}

void TcpListener::start() { do_accept(); }

void TcpListener::stop() {
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  for (auto& weak : sessions_) {
    if (auto session = weak.lock()) session->drain();
  }
  sessions_.clear();
}

void TcpListener::forget_closed_sessions() {
  std::erase_if(sessions_, [](const std::weak_ptr<TcpSession>& s) { return s.expired(); });
}

void TcpListener::do_accept() {
  acceptor_.async_accept([this](const boost::system::error_code& ec, boost::asio::ip::tcp::socket socket) {
    if (ec == boost::asio::error::operation_aborted) return;
    if (ec) {
      // Out of descriptors or a connection reset before accept: keep serving the others.
      log::warn("tcp_accept_failed", {{"error", ec.message()}});
    } else {
      accept_session(std::move(socket));
    }
    if (acceptor_.is_open()) do_accept();
  });
}

void TcpListener::accept_session(boost::asio::ip::tcp::socket socket) {
  boost::system::error_code ec;
  const auto peer = socket.remote_endpoint(ec);
  if (ec || !context_.tcp_limits.try_acquire(peer.address())) {
    socket.close(ec);
    log::debug("tcp_connection_refused", {{"reason", "connection limit"}});
    return;
  }
  forget_closed_sessions();
  auto session = std::make_shared<TcpSession>(std::move(socket), peer.address(), context_);
  session->start();
  sessions_.push_back(session);
}

}  // namespace beacon::server
