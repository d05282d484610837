#include "server/dns_server.hpp"

#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <stdexcept>

#include "common/log.hpp"

namespace beacon::server {
namespace {

namespace asio = boost::asio;
using reuse_port = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

std::string describe(const ListenAddress& a, const char* transport) {
  const bool v6 = a.address.find(':') != std::string::npos;
  return (v6 ? "[" + a.address + "]" : a.address) + ":" + std::to_string(a.port) + "/" + transport;
}

template <typename Protocol>
typename Protocol::endpoint endpoint_of(const ListenAddress& a) {
  return {asio::ip::make_address(a.address), a.port};
}

/// A UDP socket bound to `a`; `share`: in the SO_REUSEPORT group of the DNS threads.
asio::ip::udp::socket open_udp(asio::io_context& io, const ListenAddress& a, bool share = true) {
  const auto endpoint = endpoint_of<asio::ip::udp>(a);
  asio::ip::udp::socket socket(io);
  boost::system::error_code ec;
  socket.open(endpoint.protocol(), ec);
  if (!ec && endpoint.address().is_v6()) socket.set_option(asio::ip::v6_only(true), ec);
  if (!ec && share) socket.set_option(reuse_port(true), ec);
  if (!ec) socket.bind(endpoint, ec);
  if (ec) throw std::runtime_error("cannot listen on " + describe(a, "udp") + ": " + ec.message());
  return socket;
}

/// A TCP acceptor bound to `a` (TIME_WAIT does not block it); `share` as for open_udp.
asio::ip::tcp::acceptor bind_tcp(asio::io_context& io, const ListenAddress& a, bool share = true) {
  const auto endpoint = endpoint_of<asio::ip::tcp>(a);
  asio::ip::tcp::acceptor acceptor(io);
  boost::system::error_code ec;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec && endpoint.address().is_v6()) acceptor.set_option(asio::ip::v6_only(true), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec && share) acceptor.set_option(reuse_port(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (ec) throw std::runtime_error("cannot listen on " + describe(a, "tcp") + ": " + ec.message());
  return acceptor;
}

asio::ip::tcp::acceptor open_tcp(asio::io_context& io, const ListenAddress& a) {
  asio::ip::tcp::acceptor acceptor = bind_tcp(io, a);
  boost::system::error_code ec;
  acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) throw std::runtime_error("cannot listen on " + describe(a, "tcp") + ": " + ec.message());
  return acceptor;
}

/// SO_REUSEPORT lets any other process of the same user bind the port as well, and the
/// kernel would then split queries between the two servers without a word: a second beacond
/// started by mistake would answer half the queries from its own data. A plain bind first
/// proves nobody holds the port (UDP and TCP); the group binds right after.
void check_port_free(const ListenAddress& a) {
  asio::io_context io;
  open_udp(io, a, false);
  bind_tcp(io, a, false);
}

}  // namespace

DnsServer::DnsServer(ServerOptions options, const SnapshotSlot& snapshots)
    : options_(std::move(options)),
      snapshots_(snapshots),
      tcp_limits_(options_.tcp_max_connections, options_.tcp_max_connections_per_client),
      rate_limiter_(options_.rate_limit) {
  if (options_.threads == 0) options_.threads = 1;
  for (unsigned i = 0; i < options_.threads; ++i)
    threads_.push_back(std::make_unique<DnsThread>(snapshots_, options_, tcp_limits_, rate_limiter_));
  bind_all();
}

DnsServer::~DnsServer() { stop(); }

void DnsServer::bind_all() {
  for (ListenAddress address : options_.listen) {
    if (address.port != 0) check_port_free(address);  // port 0: the kernel picks a free one
    for (std::size_t i = 0; i < threads_.size(); ++i) {
      DnsThread& t = *threads_[i];
      auto udp = open_udp(t.io, address);
      // With port 0 the first socket picks a port; every other socket joins it.
      if (address.port == 0) address.port = udp.local_endpoint().port();
      t.udp.push_back(std::make_unique<UdpWorker>(std::move(udp), snapshots_, options_, tcp_limits_, rate_limiter_));
      t.tcp.push_back(std::make_unique<TcpListener>(open_tcp(t.io, address), t.context));
    }
    bound_.push_back(address);
  }
}

std::vector<const ThreadContext*> DnsServer::thread_contexts() const {
  std::vector<const ThreadContext*> contexts;
  for (const auto& t : threads_) {
    contexts.push_back(&t->context);
    for (const auto& u : t->udp) contexts.push_back(&u->context());
  }
  return contexts;
}

void DnsServer::start() {
  for (auto& t : threads_) {
    for (auto& u : t->udp) u->start();
    for (auto& l : t->tcp) l->start();
    std::promise<void> done;
    t->finished = done.get_future();
    t->thread = std::thread([io = &t->io, done = std::move(done)]() mutable {
      io->run();
      done.set_value();
    });
  }
  running_ = true;
  for (const auto& a : bound_)
    log::info("dns_listening", {{"address", a.address}, {"port", a.port}, {"threads", threads_.size()}});
}

void DnsServer::stop() {
  if (!running_) return;
  running_ = false;
  for (auto& t : threads_) {
    for (auto& u : t->udp) u->stop();
    asio::post(t->io, [thread = t.get()] {
      thread->context.stopping = true;
      for (auto& l : thread->tcp) l->stop();
    });
  }
  const auto deadline = std::chrono::steady_clock::now() + options_.drain_timeout;
  for (auto& t : threads_) {
    if (t->finished.wait_until(deadline) == std::future_status::timeout) {
      log::warn("dns_drain_timeout", {{"timeout_ms", options_.drain_timeout.count()}});
      t->io.stop();
    }
    t->thread.join();
  }
}

}  // namespace beacon::server
