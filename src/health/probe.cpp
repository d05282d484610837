#include "health/probe.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <memory>

#include "common/duration.hpp"

namespace beacon::health {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = boost::asio::ip::tcp;

std::string describe(const beast::error_code& ec, const registry::CheckSpec& spec) {
  if (ec == beast::error::timeout) return "timed out after " + format_duration(spec.timeout);
  return ec.message();
}

/// State of one probe; kept alive by the handlers that reference it.
class Probe : public std::enable_shared_from_this<Probe> {
 public:
  Probe(boost::asio::io_context& io, const registry::CheckSpec& spec, ProbeDone done)
      : stream_(io), spec_(spec), done_(std::move(done)) {}

  void start() {
    boost::system::error_code ec;
    const tcp::endpoint endpoint(boost::asio::ip::make_address(spec_.host, ec), spec_.port);
    if (ec) return finish({Health::critical, "bad address " + spec_.host});
    stream_.expires_after(spec_.timeout);
    stream_.async_connect(endpoint, [self = shared_from_this()](beast::error_code e) { self->on_connect(e); });
  }

 private:
  void on_connect(beast::error_code ec) {
    if (ec) return finish({Health::critical, describe(ec, spec_)});
    if (spec_.kind == registry::CheckSpec::Kind::tcp) return finish({Health::passing, "connected"});
    request_.method_string(spec_.method);
    request_.target(spec_.target);
    request_.version(11);
    // An IPv6 literal goes in brackets (RFC 7230 §5.4); a "Host" the check gives replaces
    // ours rather than adding a second one, which servers must refuse with 400.
    const bool v6 = spec_.host.find(':') != std::string::npos;
    request_.set(bhttp::field::host,
                 (v6 ? "[" + spec_.host + "]" : spec_.host) + ":" + std::to_string(spec_.port));
    request_.set(bhttp::field::user_agent, "beacon-health-check");
    request_.set(bhttp::field::connection, "close");
    for (const auto& [name, value] : spec_.headers) {
      if (beast::iequals(name, "host")) request_.erase(bhttp::field::host);
    }
    for (const auto& [name, value] : spec_.headers) request_.insert(name, value);
    bhttp::async_write(stream_, request_, [self = shared_from_this()](beast::error_code e, std::size_t) {
      self->on_write(e);
    });
  }

  void on_write(beast::error_code ec) {
    if (ec) return finish({Health::critical, describe(ec, spec_)});
    // The status line decides. The body (up to a small bound) is read too, so that the reset
    // that ends the probe never cuts the endpoint off mid-response.
    parser_.body_limit(max_body);
    bhttp::async_read(stream_, buffer_, parser_, [self = shared_from_this()](beast::error_code e, std::size_t) {
      self->on_read(e);
    });
  }

  void on_read(beast::error_code ec) {
    if (!parser_.is_header_done()) return finish({Health::critical, describe(ec, spec_)});
    const unsigned status = parser_.get().result_int();
    finish({health_for_http_status(status), "HTTP " + std::to_string(status)});
  }

  void finish(Observation observation) {
    beast::error_code ignored;
    // Close with a reset, as HAProxy's checks do: thousands of probes a second would
    // otherwise leave as many sockets in TIME_WAIT and run the checker out of ports.
    if (stream_.socket().is_open()) stream_.socket().set_option(boost::asio::socket_base::linger(true, 0), ignored);
    stream_.socket().close(ignored);
    auto done = std::move(done_);
    done(std::move(observation));
  }

  beast::tcp_stream stream_;
  registry::CheckSpec spec_;
  ProbeDone done_;
  bhttp::request<bhttp::empty_body> request_;
  beast::flat_buffer buffer_{8192};
  static constexpr std::uint64_t max_body = 64 * 1024;
  bhttp::response_parser<bhttp::string_body> parser_;
};

}  // namespace

void start_probe(boost::asio::io_context& io, const registry::CheckSpec& spec, ProbeDone done) {
  std::make_shared<Probe>(io, spec, std::move(done))->start();
}

}  // namespace beacon::health
