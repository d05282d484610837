// Closed-loop HTTP registration load generator for tools/bench/registration_throughput.py
// (issue 8, item 4).
//
// Python clients top out near 1.5 k registrations/s on this machine; this tool keeps one
// request in flight on each of CONNECTIONS keep-alive connections from a single epoll thread,
// so the server, not the client, is the bottleneck. Each request is
//
//   PUT /v1/services/web-S/instances/iK   {"address": "10.a.b.c", "port": 8080}
//
// for the keys S in [first, first + services), K in [0, instances), in order (key n is service
// first + n / instances, instance n % instances), wrapping around when --count exceeds the keys.
// The address is derived from (S * instances + K + salt), so a run with another salt replaces
// every instance with a new address. The next request on a connection is sent only once the
// previous response has been read in full (Content-Length or chunked). It stops after --count
// requests or --seconds, whichever comes first, and prints one JSON line:
//
//   {"sent":N,"acked":N,"non2xx":N,"errors":N,"seconds":S,"acked_per_s":R,
//    "p50_ms":..,"p90_ms":..,"p99_ms":..,"max_ms":..,"status":{"201":N,...}}
//
// acked = 2xx responses; errors = connections that failed (their request counts as sent, not
// acked); latency = send of the request to the end of its response, per request.
//
//   g++ -O2 -std=c++20 -pthread -o registration_load tools/bench/registration_load.cpp
//   registration_load --port 8054 --services 1000 --instances 5 [--first 0] [--connections 64]
//                     [--count N] [--seconds 60] [--salt 0] [--host 127.0.0.1] [--token T]

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string host = "127.0.0.1";
  int port = 8054;
  long first = 0;
  long services = 1000;
  long instances = 5;
  int connections = 64;
  long count = -1;  // default: services * instances
  double seconds = 60;
  long salt = 0;
  std::string token;
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr, "registration_load: %s\n", why);
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (i + 1 >= argc) usage("every flag takes a value");
    const char* v = argv[++i];
    if (flag == "--host") o.host = v;
    else if (flag == "--port") o.port = std::atoi(v);
    else if (flag == "--first") o.first = std::atol(v);
    else if (flag == "--services") o.services = std::atol(v);
    else if (flag == "--instances") o.instances = std::atol(v);
    else if (flag == "--connections") o.connections = std::atoi(v);
    else if (flag == "--count") o.count = std::atol(v);
    else if (flag == "--seconds") o.seconds = std::atof(v);
    else if (flag == "--salt") o.salt = std::atol(v);
    else if (flag == "--token") o.token = v;
    else usage("unknown flag");
  }
  if (o.services <= 0 || o.instances <= 0 || o.connections <= 0) usage("services, instances, connections must be > 0");
  if (o.count < 0) o.count = o.services * o.instances;
  return o;
}

std::string address(long n) {
  return "10." + std::to_string((n >> 16) & 255) + "." + std::to_string((n >> 8) & 255) + "." + std::to_string(n & 255);
}

std::string request_for(const Options& o, long n) {
  const long key = n % (o.services * o.instances);
  const long service = o.first + key / o.instances;
  const long instance = key % o.instances;
  const std::string body =
      "{\"address\": \"" + address(service * o.instances + instance + o.salt) + "\", \"port\": 8080}";
  std::string r = "PUT /v1/services/web-" + std::to_string(service) + "/instances/i" + std::to_string(instance) +
                  " HTTP/1.1\r\nHost: " + o.host + "\r\nContent-Type: application/json\r\nContent-Length: " +
                  std::to_string(body.size()) + "\r\n";
  if (!o.token.empty()) r += "Authorization: Bearer " + o.token + "\r\n";
  return r + "\r\n" + body;
}

bool iequals_prefix(std::string_view line, std::string_view name) {
  if (line.size() < name.size()) return false;
  for (std::size_t i = 0; i < name.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(line[i])) != name[i]) return false;
  return true;
}

/// Parses one complete response at the front of `in`. Returns its length (0: incomplete, -1: malformed).
long complete_response(const std::string& in, int& status, bool& close) {
  const auto head_end = in.find("\r\n\r\n");
  if (head_end == std::string::npos) return 0;
  if (in.compare(0, 9, "HTTP/1.1 ") != 0 && in.compare(0, 9, "HTTP/1.0 ") != 0) return -1;
  status = std::atoi(in.c_str() + 9);
  long length = 0;
  bool chunked = false;
  close = in.compare(0, 9, "HTTP/1.0 ") == 0;
  std::size_t pos = in.find("\r\n") + 2;
  while (pos < head_end) {
    const auto eol = in.find("\r\n", pos);
    const std::string_view line(in.data() + pos, eol - pos);
    if (iequals_prefix(line, "content-length:")) length = std::atol(line.data() + 15);
    else if (iequals_prefix(line, "transfer-encoding:") && line.find("chunked") != std::string_view::npos) chunked = true;
    else if (iequals_prefix(line, "connection:")) close = line.find("close") != std::string_view::npos;
    pos = eol + 2;
  }
  std::size_t body = head_end + 4;
  if (!chunked) return in.size() >= body + length ? static_cast<long>(body + length) : 0;
  for (;;) {  // chunk-size CRLF data CRLF ... 0 CRLF (no trailers from beacond) CRLF
    const auto eol = in.find("\r\n", body);
    if (eol == std::string::npos) return 0;
    const long size = std::strtol(in.c_str() + body, nullptr, 16);
    if (size == 0) return in.size() >= eol + 4 ? static_cast<long>(eol + 4) : 0;
    body = eol + 2 + size + 2;
    if (in.size() < body) return 0;
  }
}

struct Connection {
  int fd = -1;
  std::string out;
  std::size_t written = 0;
  std::string in;
  Clock::time_point sent_at;
  bool busy = false;
};

struct Run {
  Options o;
  int epoll = -1;
  sockaddr_in peer{};
  long next = 0, sent = 0, acked = 0, non2xx = 0, errors = 0;
  std::map<int, long> statuses;
  std::vector<std::uint32_t> latency_us;
  Clock::time_point deadline;
};

int connect_one(Run& run) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(fd, reinterpret_cast<sockaddr*>(&run.peer), sizeof run.peer) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

bool flush_out(Connection& c) {
  while (c.written < c.out.size()) {
    const ssize_t n = send(c.fd, c.out.data() + c.written, c.out.size() - c.written, MSG_NOSIGNAL);
    if (n < 0) return errno == EAGAIN || errno == EINTR;
    c.written += static_cast<std::size_t>(n);
  }
  return true;
}

/// Sends the next request on `c`, if any are left; false once the run is over for it.
bool start_request(Run& run, Connection& c) {
  if (run.next >= run.o.count || Clock::now() >= run.deadline) return false;
  c.out = request_for(run.o, run.next++);
  c.written = 0;
  c.busy = true;
  c.sent_at = Clock::now();
  ++run.sent;
  epoll_event ev{EPOLLIN, {.ptr = &c}};
  epoll_ctl(run.epoll, EPOLL_CTL_MOD, c.fd, &ev);
  return flush_out(c);
}

void drop(Run& run, Connection& c) {
  if (c.busy) ++run.errors;
  c.busy = false;
  epoll_ctl(run.epoll, EPOLL_CTL_DEL, c.fd, nullptr);
  close(c.fd);
  c.fd = -1;
}

/// Replaces a connection the server closed (it closes keep-alive ones after
/// http.keepalive_requests) with a new one; false if that fails.
bool reconnect(Run& run, Connection& c) {
  epoll_ctl(run.epoll, EPOLL_CTL_DEL, c.fd, nullptr);
  close(c.fd);
  c.in.clear();
  c.fd = connect_one(run);
  if (c.fd < 0) return false;
  epoll_event ev{EPOLLIN, {.ptr = &c}};
  epoll_ctl(run.epoll, EPOLL_CTL_ADD, c.fd, &ev);
  return true;
}

/// Reads what arrived; completes the response and starts the next request.
void on_readable(Run& run, Connection& c, int& live) {
  char buf[16384];
  bool eof = false;
  for (;;) {
    const ssize_t n = recv(c.fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) {
      c.in.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) break;
    eof = true;  // closed (possibly right after a complete response) or failed
    break;
  }
  int status = 0;
  bool must_close = false;
  const long used = complete_response(c.in, status, must_close);
  if (used <= 0) {
    if (used < 0 || eof) {
      drop(run, c);
      --live;
    }
    return;
  }
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - c.sent_at).count();
  run.latency_us.push_back(static_cast<std::uint32_t>(us));
  ++run.statuses[status];
  if (status >= 200 && status < 300) ++run.acked;
  else ++run.non2xx;
  c.busy = false;
  c.in.erase(0, static_cast<std::size_t>(used));
  if ((must_close || eof) && !reconnect(run, c)) {
    --live;
    return;
  }
  if (!start_request(run, c)) {
    if (c.busy) drop(run, c);
    --live;
  }
}

double percentile_ms(const std::vector<std::uint32_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  const auto i = static_cast<std::size_t>(p / 100.0 * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(i, sorted.size() - 1)] / 1000.0;
}

}  // namespace

int main(int argc, char** argv) {
  Run run;
  run.o = parse(argc, argv);
  run.peer.sin_family = AF_INET;
  run.peer.sin_port = htons(static_cast<std::uint16_t>(run.o.port));
  if (inet_pton(AF_INET, run.o.host.c_str(), &run.peer.sin_addr) != 1) usage("--host must be an IPv4 literal");
  run.epoll = epoll_create1(EPOLL_CLOEXEC);
  run.latency_us.reserve(static_cast<std::size_t>(std::min<long>(run.o.count, 50'000'000)));

  std::vector<Connection> connections(static_cast<std::size_t>(run.o.connections));
  for (auto& c : connections) {
    c.fd = connect_one(run);
    if (c.fd < 0) {
      std::perror("registration_load: connect");
      return 1;
    }
    epoll_event ev{EPOLLIN, {.ptr = &c}};
    epoll_ctl(run.epoll, EPOLL_CTL_ADD, c.fd, &ev);
  }
  const auto start = Clock::now();
  run.deadline = start + std::chrono::microseconds(static_cast<long>(run.o.seconds * 1e6));
  int live = 0;
  for (auto& c : connections) {
    if (start_request(run, c)) ++live;
    else if (c.busy) drop(run, c);
  }
  std::vector<epoll_event> events(connections.size());
  while (live > 0) {
    const int n = epoll_wait(run.epoll, events.data(), static_cast<int>(events.size()), 1000);
    if (n < 0 && errno != EINTR) break;
    for (int i = 0; i < n; ++i) {
      auto& c = *static_cast<Connection*>(events[i].data.ptr);
      if (c.fd >= 0) on_readable(run, c, live);
    }
    // A server that stops answering must not hang the run: give up 30 s after the deadline.
    if (Clock::now() > run.deadline + std::chrono::seconds(30)) break;
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  for (auto& c : connections)
    if (c.fd >= 0) drop(run, c);

  std::sort(run.latency_us.begin(), run.latency_us.end());
  std::string statuses;
  for (const auto& [code, n] : run.statuses)
    statuses += (statuses.empty() ? "\"" : ",\"") + std::to_string(code) + "\":" + std::to_string(n);
  std::printf("{\"sent\":%ld,\"acked\":%ld,\"non2xx\":%ld,\"errors\":%ld,\"seconds\":%.3f,\"acked_per_s\":%.1f,"
              "\"p50_ms\":%.3f,\"p90_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f,\"status\":{%s}}\n",
              run.sent, run.acked, run.non2xx, run.errors, seconds, run.acked / seconds,
              percentile_ms(run.latency_us, 50), percentile_ms(run.latency_us, 90), percentile_ms(run.latency_us, 99),
              percentile_ms(run.latency_us, 100), statuses.c_str());
  return run.errors == 0 && run.non2xx == 0 ? 0 : 1;
}
