#pragma once
// One HTTP/1.1 connection of the registration API, plain or TLS, with the limits that keep
// an abusive client from holding it: a deadline for the TLS handshake and for each request
// (a slowloris client sending a byte at a time is dropped), an idle timeout between
// keep-alive requests, and a cap on requests.

#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <type_traits>

#include "http/api.hpp"

namespace beacon::http {

namespace limits {
constexpr std::size_t max_body = 64 * 1024;
constexpr std::size_t max_header = 8 * 1024;
}  // namespace limits

struct SessionLimits {
  /// From the first byte of a request (or the accept, for the first one) to its last byte;
  /// also bounds writing a response.
  std::chrono::milliseconds request_timeout{10'000};
  /// Waiting for the next request on a keep-alive connection.
  std::chrono::milliseconds idle_timeout{60'000};
  /// Requests on one connection; the last one is answered with Connection: close.
  unsigned keepalive_requests = 1000;
};

using PlainStream = boost::beast::tcp_stream;
using TlsStream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

/// `Stream` is PlainStream or TlsStream; everything but the handshake and the close is shared.
template <class Stream>
class HttpSession : public std::enable_shared_from_this<HttpSession<Stream>> {
 public:
  /// `open` counts the open sessions; this one is in it until destroyed. A TLS session keeps
  /// `tls` (the context its stream was made with) alive, so a reload may replace it meanwhile.
  HttpSession(Stream stream, Api& api, const SessionLimits& limits, std::shared_ptr<unsigned> open,
              std::shared_ptr<boost::asio::ssl::context> tls = nullptr);
  ~HttpSession();
  HttpSession(const HttpSession&) = delete;
  HttpSession& operator=(const HttpSession&) = delete;
  void start();

 private:
  static constexpr bool is_tls = std::is_same_v<Stream, TlsStream>;

  boost::beast::tcp_stream& transport() { return boost::beast::get_lowest_layer(stream_); }
  /// Between requests: waits up to the idle timeout for the first byte of the next one.
  void wait_for_request();
  void do_read();
  void on_read(boost::beast::error_code ec);
  void send(Response response);
  void on_write(bool keep_alive, boost::beast::error_code ec);
  /// TLS: a close_notify first, bounded by the request timeout.
  void close();
  void close_transport();

  Stream stream_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
  boost::beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  Api& api_;
  SessionLimits limits_;
  std::shared_ptr<unsigned> open_;
  unsigned requests_ = 0;
  bool is_secured_ = false;  // TLS handshake completed
};

extern template class HttpSession<PlainStream>;
extern template class HttpSession<TlsStream>;

}  // namespace beacon::http
