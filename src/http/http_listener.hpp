#pragma once
// The registration API's HTTP/1.1 server (Boost.Beast), plain or over TLS: keep-alive,
// request size limits and read timeouts. Runs on the control thread's io_context, which also runs the registry
// writer, so API handlers call the Registry without locks.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>

#include "http/api.hpp"
#include "http/http_session.hpp"

namespace beacon::http {

struct HttpOptions {
  std::string address = "127.0.0.1";
  std::uint16_t port = 8054;  // 0: any free port
  unsigned max_connections = 256;  // beyond it new connections are closed at once
  SessionLimits session;
  std::shared_ptr<boost::asio::ssl::context> tls;  // null: plain HTTP (see load_tls_context)
};

class HttpListener {
 public:
  /// Binds and listens; throws std::runtime_error naming the address on failure.
  HttpListener(boost::asio::io_context& io, const HttpOptions& options, Api& api);
  void start();
  void stop();
  std::uint16_t port() const { return port_; }
  bool is_tls() const { return options_.tls != nullptr; }
  /// A reloaded certificate: connections accepted from now on use `tls`, open ones keep theirs.
  void replace_tls(std::shared_ptr<boost::asio::ssl::context> tls);

 private:
  void do_accept();

  void admit(boost::asio::ip::tcp::socket socket);

  boost::asio::ip::tcp::acceptor acceptor_;
  Api& api_;
  HttpOptions options_;
  std::shared_ptr<unsigned> open_ = std::make_shared<unsigned>(0);  // shared with the sessions, which may outlive this
  std::uint16_t port_ = 0;
};

}  // namespace beacon::http
