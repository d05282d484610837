#pragma once
// One HTTP/1.1 connection of the registration API.

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <memory>
#include <optional>

#include "http/api.hpp"

namespace beacon::http {

namespace limits {
constexpr std::size_t max_body = 64 * 1024;
constexpr std::size_t max_header = 8 * 1024;
constexpr std::chrono::seconds read_timeout{30};
}  // namespace limits

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(boost::asio::ip::tcp::socket socket, Api& api);
  void start();

 private:
  void do_read();
  void on_read(boost::beast::error_code ec);
  void send(Response response);
  void on_write(bool keep_alive, boost::beast::error_code ec);
  void close();

  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  Api& api_;
};

}  // namespace beacon::http
