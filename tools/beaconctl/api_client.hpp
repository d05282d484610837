#pragma once
// A blocking HTTP/1.1 client for the registration API (Boost.Beast), over TCP or TLS, one
// connection per request, every step bounded by a timeout.

#include <boost/beast/http/verb.hpp>
#include <chrono>
#include <string>
#include <string_view>

namespace beacon::ctl {

/// "http://HOST[:PORT][/PREFIX]" or "https://..."; the scheme may be left out (http).
struct ServerUrl {
  std::string host;
  std::string port;
  std::string prefix;  // no trailing slash
  std::string text;    // as given, for messages
  bool is_tls = false;  // https: the server's certificate is verified, for `host`
};

/// Throws a usage error for anything but http:// and https:// URLs.
ServerUrl parse_server_url(const std::string& text);

struct ApiReply {
  unsigned status = 0;
  std::string reason;
  std::string body;
  bool is_success() const { return status >= 200 && status < 300; }
};

class ApiClient {
 public:
  /// `cacert`: PEM file of the CAs an https server's certificate is checked against; empty:
  /// the system's.
  ApiClient(ServerUrl url, std::string token, std::string cacert = {},
            std::chrono::milliseconds timeout = std::chrono::seconds(10));

  /// Sends one request (`body` as application/json if not empty) and returns the reply,
  /// whatever its status. Throws Failure(unreachable) if there is no reply.
  ApiReply request(boost::beast::http::verb method, std::string_view path, const std::string& body = {}) const;

  /// request(), then throws Failure(refused) with the API's message if the status is not 2xx.
  ApiReply expect_success(boost::beast::http::verb method, std::string_view path, const std::string& body = {}) const;

  const ServerUrl& url() const { return url_; }

 private:
  ServerUrl url_;
  std::string token_;
  std::string cacert_;
  std::chrono::milliseconds timeout_;
};

/// "error: <message> (field: <field>) [HTTP 404 Not Found]" from an error reply's
/// {"error", "field"} body, or the status and raw body if it has another shape.
std::string describe_api_error(const ApiReply& reply);

}  // namespace beacon::ctl

namespace beacon::ctl {

/// `segment` percent-encoded for a URL path (names are DNS labels; anything else is sent
/// encoded so that the API, not the URL, refuses it).
std::string path_segment(std::string_view segment);

/// "/v1/services/<service>/instances/<id>".
std::string instance_path(std::string_view service, std::string_view id);

}  // namespace beacon::ctl
