#include "http/http_session.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include "common/log.hpp"

namespace beacon::http {

namespace beast = boost::beast;

template <class Stream>
HttpSession<Stream>::HttpSession(Stream stream, Api& api, const SessionLimits& limits, std::shared_ptr<unsigned> open,
                                 std::shared_ptr<boost::asio::ssl::context> tls)
    : stream_(std::move(stream)), tls_(std::move(tls)), api_(api), limits_(limits), open_(std::move(open)) {}

template <class Stream>
HttpSession<Stream>::~HttpSession() {
  --*open_;
}

template <class Stream>
void HttpSession<Stream>::start() {
  if constexpr (!is_tls) {
    do_read();
  } else {
    // The handshake has the request deadline too: a client that connects and never sends
    // (or never finishes) its ClientHello is dropped like a slowloris one.
    transport().expires_after(limits_.request_timeout);
    stream_.async_handshake(boost::asio::ssl::stream_base::server, [self = this->shared_from_this()](beast::error_code ec) {
      if (ec) {
        log::debug("http_tls_handshake_failed", {{"error", ec == beast::error::timeout ? "timed out" : ec.message()}});
        return self->close_transport();
      }
      self->is_secured_ = true;
      self->do_read();
    });
  }
}

template <class Stream>
void HttpSession<Stream>::wait_for_request() {
  if (buffer_.size() > 0) return do_read();  // the next request is already here (pipelined)
  transport().expires_after(limits_.idle_timeout);
  stream_.async_read_some(buffer_.prepare(4096), [self = this->shared_from_this()](beast::error_code ec, std::size_t n) {
    if (ec) return self->close();  // idle timeout, or the client went away
    self->buffer_.commit(n);
    self->do_read();
  });
}

template <class Stream>
void HttpSession<Stream>::do_read() {
  parser_.emplace();
  parser_->body_limit(limits::max_body);
  parser_->header_limit(static_cast<std::uint32_t>(limits::max_header));
  // One deadline for the whole request, not per read: a client trickling bytes cannot
  // stretch it (slowloris).
  transport().expires_after(limits_.request_timeout);
  bhttp::async_read(stream_, buffer_, *parser_, [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
    self->on_read(ec);
  });
}

template <class Stream>
void HttpSession<Stream>::on_read(beast::error_code ec) {
  // Anything but a parse error (the client left, a timeout, a TLS failure) ends the session.
  if (ec == bhttp::error::end_of_stream || (ec && ec.category() != bhttp::make_error_code(bhttp::error::bad_target).category())) {
    if (ec == beast::error::timeout) log::debug("http_request_timeout");
    return close();
  }
  if (ec == bhttp::error::body_limit) {
    return send(error_response(bhttp::status::payload_too_large, "the body is larger than 64 KiB", "body"));
  }
  if (ec == bhttp::error::header_limit) {
    return send(error_response(bhttp::status::request_header_fields_too_large, "the headers are larger than 8 KiB", "headers"));
  }
  if (ec) return send(error_response(bhttp::status::bad_request, "malformed HTTP request", "request"));

  Request request = parser_->release();
  const bool keep_alive = request.keep_alive() && ++requests_ < limits_.keepalive_requests;
  // No deadline while the API works on it (a write waits for the commit); send() sets one.
  transport().expires_never();
  // The reply may come later (after the writer's commit); the session waits for it, so
  // responses on one connection keep their order.
  api_.handle(request, [self = this->shared_from_this(), keep_alive, version = request.version()](Response response) {
    response.version(version);
    response.keep_alive(keep_alive);
    self->send(std::move(response));
  });
}

template <class Stream>
void HttpSession<Stream>::send(Response response) {
  // After a framing error the rest of the stream cannot be trusted: answer, then close.
  const bool keep_alive = response.keep_alive() && parser_->is_done();
  response.keep_alive(keep_alive);
  auto shared = std::make_shared<Response>(std::move(response));
  transport().expires_after(limits_.request_timeout);  // a client that does not read is dropped too
  bhttp::async_write(stream_, *shared, [self = this->shared_from_this(), shared, keep_alive](beast::error_code ec, std::size_t) {
    self->on_write(keep_alive, ec);
  });
}

template <class Stream>
void HttpSession<Stream>::on_write(bool keep_alive, beast::error_code ec) {
  if (ec || !keep_alive) return close();
  wait_for_request();
}

template <class Stream>
void HttpSession<Stream>::close() {
  if constexpr (is_tls) {
    if (is_secured_ && transport().socket().is_open()) {
      is_secured_ = false;
      transport().expires_after(limits_.request_timeout);
      return stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) { self->close_transport(); });
    }
  }
  close_transport();
}

template <class Stream>
void HttpSession<Stream>::close_transport() {
  beast::error_code ignored;
  transport().socket().shutdown(boost::asio::ip::tcp::socket::shutdown_send, ignored);
  transport().close();
}

template class HttpSession<PlainStream>;
template class HttpSession<TlsStream>;

}  // namespace beacon::http
