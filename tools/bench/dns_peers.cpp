// Closed-loop UDP DNS load generator for tools/bench/dns_peers.py (issue 8).
//
// dnsperf spends 5-9 us of CPU per query and cannot saturate a server on the other core of a
// 2-core machine; this tool keeps WINDOW queries in flight per thread and moves them with
// sendmmsg/recvmmsg in batches of 64, so it costs a fraction of that and the server, not the
// generator, is the bottleneck. It reads a dnsperf query file ("name TYPE" lines), sends the
// queries round-robin from a connected socket per thread for SECONDS seconds, and prints
//
//   sent=N received=N lost=N seconds=S qps=Q noerror=N nxdomain=N other=N
//
// A window that sees no response for 50 ms counts its queries as lost and is refilled.
//
//   g++ -O2 -std=c++20 -pthread -o dns_peers_load tools/bench/dns_peers.cpp
//   dns_peers_load 127.0.0.1 5300 queries.txt 10 [window=256] [threads=1]

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr int batch = 64;

std::uint16_t qtype_code(const std::string& t) {
  if (t == "A") return 1;
  if (t == "NS") return 2;
  if (t == "SOA") return 6;
  if (t == "TXT") return 16;
  if (t == "AAAA") return 28;
  if (t == "SRV") return 33;
  return static_cast<std::uint16_t>(std::atoi(t.c_str()));
}

std::string encode(const std::string& name, std::uint16_t qtype) {
  std::string q(12, '\0');
  q[5] = 1;  // QDCOUNT; id is set per send, flags 0 (no RD: authoritative)
  std::size_t start = 0;
  while (start < name.size()) {
    std::size_t dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    q += static_cast<char>(dot - start);
    q += name.substr(start, dot - start);
    start = dot + 1;
  }
  q += '\0';
  q += static_cast<char>(qtype >> 8);
  q += static_cast<char>(qtype & 0xff);
  q += '\0';
  q += '\1';
  return q;
}

struct Totals {
  std::atomic<std::uint64_t> sent{0}, received{0}, lost{0}, noerror{0}, nxdomain{0}, other{0};
};

void run(const sockaddr_in& server, const std::vector<std::string>& queries, std::size_t first, double seconds,
         int window, Totals& totals) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  int size = 4 << 20;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&server), sizeof server) != 0) {
    std::perror("connect");
    std::exit(2);
  }
  std::vector<std::string> tx_buf(batch);
  std::vector<std::array<char, 4096>> rx_buf(batch);
  mmsghdr tx[batch]{}, rx[batch]{};
  iovec tx_iov[batch], rx_iov[batch];
  for (int i = 0; i < batch; ++i) {
    rx_iov[i] = {rx_buf[i].data(), rx_buf[i].size()};
    rx[i].msg_hdr.msg_iov = &rx_iov[i];
    rx[i].msg_hdr.msg_iovlen = 1;
  }
  std::uint64_t sent = 0, received = 0, lost = 0, noerror = 0, nxdomain = 0, other = 0;
  std::size_t next = first;
  std::uint16_t id = 0;
  long inflight = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    while (inflight < window) {
      const int n = static_cast<int>(std::min<long>(batch, window - inflight));
      for (int i = 0; i < n; ++i) {
        tx_buf[i] = queries[next];
        next = (next + 1) % queries.size();
        ++id;
        tx_buf[i][0] = static_cast<char>(id >> 8);
        tx_buf[i][1] = static_cast<char>(id & 0xff);
        tx_iov[i] = {tx_buf[i].data(), tx_buf[i].size()};
        tx[i].msg_hdr.msg_iov = &tx_iov[i];
        tx[i].msg_hdr.msg_iovlen = 1;
      }
      const int s = ::sendmmsg(fd, tx, static_cast<unsigned>(n), 0);
      if (s <= 0) break;
      sent += static_cast<std::uint64_t>(s);
      inflight += s;
    }
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 50) == 0) {  // the window is gone: count it lost, refill
      lost += static_cast<std::uint64_t>(inflight);
      inflight = 0;
      continue;
    }
    const int r = ::recvmmsg(fd, rx, batch, MSG_DONTWAIT, nullptr);
    if (r <= 0) continue;
    for (int i = 0; i < r; ++i) {
      const int rcode = rx[i].msg_len >= 4 ? (rx_buf[i][3] & 0x0f) : -1;
      if (rcode == 0) ++noerror;
      else if (rcode == 3) ++nxdomain;
      else ++other;
    }
    received += static_cast<std::uint64_t>(r);
    inflight = std::max<long>(0, inflight - r);
  }
  ::close(fd);
  totals.sent += sent;
  totals.received += received;
  totals.lost += lost;
  totals.noerror += noerror;
  totals.nxdomain += nxdomain;
  totals.other += other;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: %s HOST PORT QUERYFILE SECONDS [WINDOW=256] [THREADS=1]\n", argv[0]);
    return 2;
  }
  sockaddr_in server{};
  server.sin_family = AF_INET;
  server.sin_port = htons(static_cast<std::uint16_t>(std::atoi(argv[2])));
  if (::inet_pton(AF_INET, argv[1], &server.sin_addr) != 1) return 2;
  std::ifstream in(argv[3]);
  std::vector<std::string> queries;
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    std::string name, type;
    if (fields >> name >> type) queries.push_back(encode(name, qtype_code(type)));
  }
  if (queries.empty()) return 2;
  const double seconds = std::atof(argv[4]);
  const int window = argc > 5 ? std::atoi(argv[5]) : 256;
  const int threads = argc > 6 ? std::atoi(argv[6]) : 1;
  Totals totals;
  const auto started = std::chrono::steady_clock::now();
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t)
    workers.emplace_back(run, std::cref(server), std::cref(queries), queries.size() * t / threads, seconds, window,
                         std::ref(totals));
  for (auto& w : workers) w.join();
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf("sent=%llu received=%llu lost=%llu seconds=%.3f qps=%.0f noerror=%llu nxdomain=%llu other=%llu\n",
              static_cast<unsigned long long>(totals.sent.load()), static_cast<unsigned long long>(totals.received.load()),
              static_cast<unsigned long long>(totals.lost.load()), elapsed,
              static_cast<double>(totals.received.load()) / elapsed,
              static_cast<unsigned long long>(totals.noerror.load()),
              static_cast<unsigned long long>(totals.nxdomain.load()),
              static_cast<unsigned long long>(totals.other.load()));
  return 0;
}
