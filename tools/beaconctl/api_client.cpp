#include "api_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/json/parse.hpp>
#include <openssl/err.h>

#include <cctype>

#include "exit_status.hpp"

namespace beacon::ctl {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using Request = bhttp::request<bhttp::string_body>;
using Reply = bhttp::response<bhttp::string_body>;

/// Runs the io_context until the pending operation completes; returns its error.
beast::error_code finish(asio::io_context& io, beast::error_code& result) {
  io.restart();
  io.run();
  return result;
}

Failure unreachable(const ServerUrl& url, const std::string& step, const beast::error_code& ec) {
  const std::string why = ec == beast::error::timeout ? "timed out" : ec.message();
  return Failure(exit_status::unreachable, "cannot " + step + " the API at " + url.text + ": " + why);
}

/// TLS 1.2 or later, the server's certificate checked against `cacert` (or the system's CAs).
ssl::context client_context(const std::string& cacert) {
  ssl::context context(ssl::context::tls_client);
  context.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                      ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  beast::error_code ec;
  if (cacert.empty()) context.set_default_verify_paths(ec);
  else context.load_verify_file(cacert, ec);
  if (ec) throw usage_error("--cacert: cannot load " + (cacert.empty() ? "the system's CAs" : cacert) + ": " + ec.message());
  context.set_verify_mode(ssl::verify_peer);
  return context;
}

/// Connects `stream` (the TCP layer of either kind) to the first endpoint that answers.
void connect(asio::io_context& io, beast::tcp_stream& stream, const tcp::resolver::results_type& endpoints,
             const ServerUrl& url, std::chrono::milliseconds timeout) {
  beast::error_code ec;
  stream.expires_after(timeout);
  stream.async_connect(endpoints, [&](beast::error_code e, const tcp::endpoint&) { ec = e; });
  if (finish(io, ec)) throw unreachable(url, "connect to", ec);
}

/// Sends `req` and reads the reply on a connected (for TLS, handshaken) stream.
template <class Stream>
Reply exchange(asio::io_context& io, Stream& stream, Request& req, const ServerUrl& url, std::chrono::milliseconds timeout) {
  beast::error_code ec;
  beast::get_lowest_layer(stream).expires_after(timeout);
  bhttp::async_write(stream, req, [&](beast::error_code e, std::size_t) { ec = e; });
  if (finish(io, ec)) throw unreachable(url, "send a request to", ec);

  beast::flat_buffer buffer;
  Reply res;
  beast::get_lowest_layer(stream).expires_after(timeout);
  bhttp::async_read(stream, buffer, res, [&](beast::error_code e, std::size_t) { ec = e; });
  if (finish(io, ec)) throw unreachable(url, "read the reply of", ec);
  beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_both, ec);
  return res;
}

/// The TLS handshake, checking the certificate's name (or IP address) against the URL's host.
void handshake(asio::io_context& io, beast::ssl_stream<beast::tcp_stream>& stream, const ServerUrl& url,
               std::chrono::milliseconds timeout) {
  beast::error_code ec;
  asio::ip::make_address(url.host, ec);
  // SNI carries host names only; an IP address is checked against the certificate all the same.
  if (ec && SSL_set_tlsext_host_name(stream.native_handle(), url.host.c_str()) != 1)
    throw unreachable(url, "set up TLS for", beast::error_code(static_cast<int>(::ERR_get_error()), asio::error::get_ssl_category()));
  stream.set_verify_callback(ssl::host_name_verification(url.host));
  beast::get_lowest_layer(stream).expires_after(timeout);
  stream.async_handshake(ssl::stream_base::client, [&](beast::error_code e) { ec = e; });
  if (finish(io, ec)) throw unreachable(url, "make a TLS connection to", ec);
}

}  // namespace

ServerUrl parse_server_url(const std::string& text) {
  std::string_view rest = text;
  const bool is_tls = rest.starts_with("https://");
  if (is_tls) rest.remove_prefix(8);
  else if (rest.starts_with("http://")) rest.remove_prefix(7);
  else if (rest.find("://") != std::string_view::npos) throw usage_error("--server: '" + text + "' is not an http:// or https:// URL");
  const auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  ServerUrl url{.host = {}, .port = is_tls ? "443" : "80", .prefix = {}, .text = text, .is_tls = is_tls};
  if (slash != std::string_view::npos) url.prefix = std::string(rest.substr(slash));
  while (!url.prefix.empty() && url.prefix.back() == '/') url.prefix.pop_back();
  std::string_view port;
  if (authority.starts_with('[')) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) throw usage_error("--server: '" + text + "' has an unclosed '['");
    url.host = std::string(authority.substr(1, close - 1));
    if (close + 1 < authority.size() && authority[close + 1] == ':') port = authority.substr(close + 2);
  } else {
    const auto colon = authority.rfind(':');
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (!port.empty()) url.port = std::string(port);
  if (url.host.empty() || url.port.find_first_not_of("0123456789") != std::string::npos)
    throw usage_error("--server: '" + text + "' is not http://HOST:PORT");
  return url;
}

ApiClient::ApiClient(ServerUrl url, std::string token, std::string cacert, std::chrono::milliseconds timeout)
    : url_(std::move(url)), token_(std::move(token)), cacert_(std::move(cacert)), timeout_(timeout) {}

ApiReply ApiClient::request(bhttp::verb method, std::string_view path, const std::string& body) const {
  asio::io_context io;
  beast::error_code ec;
  tcp::resolver resolver(io);
  const auto endpoints = resolver.resolve(url_.host, url_.port, ec);
  if (ec) throw unreachable(url_, "resolve", ec);

  Request req{method, url_.prefix + std::string(path), 11};
  req.set(bhttp::field::host, url_.host.find(':') != std::string::npos ? "[" + url_.host + "]:" + url_.port
                                                                     : url_.host + ":" + url_.port);
  req.set(bhttp::field::user_agent, "beaconctl");
  req.set(bhttp::field::accept, "application/json");
  if (!token_.empty()) req.set(bhttp::field::authorization, "Bearer " + token_);
  if (!body.empty()) req.set(bhttp::field::content_type, "application/json");
  req.body() = body;
  req.prepare_payload();

  Reply res;
  if (url_.is_tls) {
    ssl::context context = client_context(cacert_);
    beast::ssl_stream<beast::tcp_stream> stream(io, context);
    connect(io, beast::get_lowest_layer(stream), endpoints, url_, timeout_);
    handshake(io, stream, url_, timeout_);
    res = exchange(io, stream, req, url_, timeout_);
  } else {
    beast::tcp_stream stream(io);
    connect(io, stream, endpoints, url_, timeout_);
    res = exchange(io, stream, req, url_, timeout_);
  }
  return ApiReply{res.result_int(), std::string(res.reason()), std::move(res.body())};
}

ApiReply ApiClient::expect_success(bhttp::verb method, std::string_view path, const std::string& body) const {
  ApiReply reply = request(method, path, body);
  if (!reply.is_success()) throw Failure(exit_status::refused, describe_api_error(reply));
  return reply;
}

std::string describe_api_error(const ApiReply& reply) {
  const std::string status = "[HTTP " + std::to_string(reply.status) + (reply.reason.empty() ? "" : " " + reply.reason) + "]";
  boost::system::error_code ec;
  const boost::json::value value = boost::json::parse(reply.body, ec);
  const auto* object = ec ? nullptr : value.if_object();
  const auto* error = object ? object->if_contains("error") : nullptr;
  if (error == nullptr || !error->is_string()) {
    std::string body = reply.body;
    while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.pop_back();
    return "error: " + (body.empty() ? std::string("the API refused the request") : body) + " " + status;
  }
  std::string message = "error: " + std::string(error->get_string());
  const auto* field = object->if_contains("field");
  if (field != nullptr && field->is_string() && !field->get_string().empty())
    message += " (field: " + std::string(field->get_string()) + ")";
  return message + " " + status;
}

}  // namespace beacon::ctl

namespace beacon::ctl {

std::string path_segment(std::string_view segment) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : segment) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += hex[u >> 4];
      out += hex[u & 15];
    }
  }
  return out;
}

std::string instance_path(std::string_view service, std::string_view id) {
  return "/v1/services/" + path_segment(service) + "/instances/" + path_segment(id);
}

}  // namespace beacon::ctl
