#include "server/udp_worker.hpp"

#include <cerrno>
#include <chrono>

#include <arpa/inet.h>
#include <sys/time.h>
#include <unistd.h>

#include "common/log.hpp"
#include "server/query_log.hpp"

namespace beacon::server {
namespace {

std::string peer_text(const sockaddr_storage& peer) {
  char host[INET6_ADDRSTRLEN] = "?";
  if (peer.ss_family == AF_INET)
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(peer).sin_addr, host, sizeof host);
  else if (peer.ss_family == AF_INET6)
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6&>(peer).sin6_addr, host, sizeof host);
  return host;
}

}  // namespace

UdpWorker::UdpWorker(boost::asio::ip::udp::socket socket, const SnapshotSlot& slot, const ServerOptions& options,
                     ConnectionLimits& tcp_limits, RateLimiter& rate_limiter)
    : fd_(socket.release()),
      context_(slot, options, tcp_limits, rate_limiter),
      datagrams_(std::make_unique<Datagram[]>(batch_size)) {
  const timeval wake_at_least_every{0, 500'000};
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &wake_at_least_every, sizeof wake_at_least_every);
  for (std::size_t i = 0; i < batch_size; ++i) {
    rx_iov_[i] = {datagrams_[i].request.data(), buffer_size};
    rx_[i].msg_hdr.msg_iov = &rx_iov_[i];
    rx_[i].msg_hdr.msg_iovlen = 1;
    rx_[i].msg_hdr.msg_name = &datagrams_[i].peer;
    rx_[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
  }
}

UdpWorker::~UdpWorker() {
  stop();
  ::close(fd_);
}

void UdpWorker::start() { thread_ = std::thread([this] { run(); }); }

void UdpWorker::stop() {
  if (!thread_.joinable()) return;
  stopping_.store(true, std::memory_order_relaxed);
  // On an unconnected UDP socket shutdown() reports ENOTCONN but still marks the socket shut
  // for reading and wakes a blocked receive (Linux), which then returns 0.
  ::shutdown(fd_, SHUT_RD);
  thread_.join();
}

void UdpWorker::run() {
  while (!stopping_.load(std::memory_order_relaxed)) {
    const int received = ::recvmmsg(fd_, rx_.data(), batch_size, MSG_WAITFORONE, nullptr);
    if (received > 0) {
      serve_batch(static_cast<unsigned>(received));
    } else if (received < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      if (stopping_.load(std::memory_order_relaxed)) break;
      log::warn("udp_receive_failed", {{"errno", errno}});
    }
  }
}

void UdpWorker::serve_batch(unsigned received) {
  const auto started = std::chrono::steady_clock::now();
  const auto second = static_cast<std::uint32_t>(
      std::chrono::duration_cast<std::chrono::seconds>(started.time_since_epoch()).count());
  const bool limiting = context_.rate_limiter.enabled();
  const zone::Snapshot& snapshot = context_.snapshots.load();
  unsigned answers = 0;
  for (unsigned i = 0; i < received; ++i) {
    Datagram& d = datagrams_[i];
    std::size_t length = context_.responder.respond(snapshot, {d.request.data(), rx_[i].msg_len}, answer::Transport::udp,
                                                    {d.response.data(), d.response.size()});
    if (context_.options.log_queries) log_datagram(d.peer, length);
    if (limiting && length != 0) length = rate_limited(d, length, second);
    if (length == 0) continue;
    tx_iov_[answers] = {d.response.data(), length};
    mmsghdr& out = tx_[answers];
    out.msg_hdr = {};
    out.msg_hdr.msg_name = &d.peer;
    out.msg_hdr.msg_namelen = rx_[i].msg_hdr.msg_namelen;
    out.msg_hdr.msg_iov = &tx_iov_[answers];
    out.msg_hdr.msg_iovlen = 1;
    ++answers;
  }
  // Recorded before sending, so a client that has its answer also finds it counted.
  const auto elapsed = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started);
  context_.latency[0].record(static_cast<std::uint64_t>(elapsed.count()) / received, received);
  send_responses(answers);
  // recvmmsg shortened the address lengths it filled in; only those need restoring.
  for (unsigned i = 0; i < received; ++i) rx_[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
}

std::size_t UdpWorker::rate_limited(Datagram& d, std::size_t length, std::uint32_t second) {
  const auto verdict = context_.rate_limiter.check(d.peer, {d.response.data(), length}, second);
  if (verdict == RateLimiter::Verdict::send) return length;
  if (second != rrl_logged_second_) {
    rrl_logged_second_ = second;
    log::warn("rrl_limiting", {{"client", peer_text(d.peer)}, {"rate", context_.options.rate_limit.rate}});
  }
  if (verdict == RateLimiter::Verdict::slip) {
    context_.rrl_slipped.add();
    return RateLimiter::truncate_to_question({d.response.data(), length});
  }
  context_.rrl_dropped.add();
  return 0;
}

void UdpWorker::log_datagram(const sockaddr_storage& peer, std::size_t length) const {
  log_query(context_.responder, peer_text(peer), "udp", length);
}

void UdpWorker::send_responses(unsigned count) {
  unsigned sent = 0;
  while (sent < count) {
    const int n = ::sendmmsg(fd_, tx_.data() + sent, count - sent, MSG_DONTWAIT);
    if (n > 0) {
      sent += static_cast<unsigned>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    // A full send buffer or an unreachable peer: UDP may drop, the client will retry.
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) ++sent;  // skip the failing datagram
    else break;
  }
}

}  // namespace beacon::server
