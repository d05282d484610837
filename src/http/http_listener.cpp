#include "http/http_listener.hpp"

#include <stdexcept>

#include "common/log.hpp"
#include "http/http_session.hpp"

namespace beacon::http {

namespace asio = boost::asio;

HttpListener::HttpListener(asio::io_context& io, const HttpOptions& options, Api& api)
    : acceptor_(io), api_(api), options_(options) {
  boost::system::error_code ec;
  const asio::ip::tcp::endpoint endpoint(asio::ip::make_address(options.address, ec), options.port);
  if (!ec) acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    throw std::runtime_error("cannot listen for HTTP on " + options.address + ":" + std::to_string(options.port) + ": " +
                             ec.message());
  port_ = acceptor_.local_endpoint().port();
}

void HttpListener::start() {
  log::info("http_listening", {{"address", acceptor_.local_endpoint().address().to_string()}, {"port", port_},
                               {"tls", is_tls() ? "on" : "off"}});
  do_accept();
}

void HttpListener::replace_tls(std::shared_ptr<asio::ssl::context> tls) { options_.tls = std::move(tls); }

void HttpListener::stop() {
  boost::system::error_code ignored;
  acceptor_.close(ignored);
}

void HttpListener::do_accept() {
  acceptor_.async_accept([this](boost::system::error_code ec, asio::ip::tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (ec) log::warn("http_accept_failed", {{"error", ec.message()}});
    else admit(std::move(socket));
    if (acceptor_.is_open()) do_accept();
  });
}

void HttpListener::admit(asio::ip::tcp::socket socket) {
  if (*open_ >= options_.max_connections) {
    boost::system::error_code ignored;
    socket.close(ignored);
    log::debug("http_connection_refused", {{"reason", "connection limit"}});
    return;
  }
  ++*open_;
  if (options_.tls) {
    TlsStream stream(std::move(socket), *options_.tls);
    std::make_shared<HttpSession<TlsStream>>(std::move(stream), api_, options_.session, open_, options_.tls)->start();
  } else {
    std::make_shared<HttpSession<PlainStream>>(PlainStream(std::move(socket)), api_, options_.session, open_)->start();
  }
}

}  // namespace beacon::http
