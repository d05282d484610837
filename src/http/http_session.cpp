#include "http/http_session.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include "common/log.hpp"

namespace beacon::http {

namespace beast = boost::beast;

HttpSession::HttpSession(boost::asio::ip::tcp::socket socket, Api& api, const SessionLimits& limits,
                         std::shared_ptr<unsigned> open)
    : stream_(std::move(socket)), api_(api), limits_(limits), open_(std::move(open)) {}

HttpSession::~HttpSession() { --*open_; }

void HttpSession::start() { do_read(); }

void HttpSession::wait_for_request() {
  if (buffer_.size() > 0) return do_read();  // the next request is already here (pipelined)
  stream_.expires_after(limits_.idle_timeout);
  stream_.async_read_some(buffer_.prepare(4096), [self = shared_from_this()](beast::error_code ec, std::size_t n) {
    if (ec) return self->close();  // idle timeout, or the client went away
    self->buffer_.commit(n);
    self->do_read();
  });
}

void HttpSession::do_read() {
  parser_.emplace();
  parser_->body_limit(limits::max_body);
  parser_->header_limit(static_cast<std::uint32_t>(limits::max_header));
  // One deadline for the whole request, not per read: a client trickling bytes cannot
  // stretch it (slowloris).
  stream_.expires_after(limits_.request_timeout);
  bhttp::async_read(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
    self->on_read(ec);
  });
}

void HttpSession::on_read(beast::error_code ec) {
  if (ec == bhttp::error::end_of_stream || ec == beast::error::timeout || ec == boost::asio::error::operation_aborted ||
      ec == boost::asio::error::connection_reset || ec == boost::asio::error::eof) {
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
  stream_.expires_never();
  // The reply may come later (after the writer's commit); the session waits for it, so
  // responses on one connection keep their order.
  api_.handle(request, [self = shared_from_this(), keep_alive, version = request.version()](Response response) {
    response.version(version);
    response.keep_alive(keep_alive);
    self->send(std::move(response));
  });
}

void HttpSession::send(Response response) {
  // After a framing error the rest of the stream cannot be trusted: answer, then close.
  const bool keep_alive = response.keep_alive() && parser_->is_done();
  response.keep_alive(keep_alive);
  auto shared = std::make_shared<Response>(std::move(response));
  stream_.expires_after(limits_.request_timeout);  // a client that does not read is dropped too
  bhttp::async_write(stream_, *shared, [self = shared_from_this(), shared, keep_alive](beast::error_code ec, std::size_t) {
    self->on_write(keep_alive, ec);
  });
}

void HttpSession::on_write(bool keep_alive, beast::error_code ec) {
  if (ec || !keep_alive) return close();
  wait_for_request();
}

void HttpSession::close() {
  beast::error_code ignored;
  stream_.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_send, ignored);
  stream_.close();
}

}  // namespace beacon::http
