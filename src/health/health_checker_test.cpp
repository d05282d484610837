#include "health/health_checker.hpp"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace beacon::health;
using beacon::registry::CheckSpec;
using beacon::registry::Health;
using namespace std::chrono_literals;
using std::chrono::milliseconds;

namespace {

/// A TCP socket listening on 127.0.0.1 on a kernel-chosen port. It never accepts: the
/// kernel completes handshakes into the backlog, so a TCP check passes and an HTTP check
/// gets no answer (a black hole) until close().
class Listener {
 public:
  explicit Listener(bool v6 = false) {
    fd_ = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_storage a{};
    socklen_t len = 0;
    if (v6) {
      auto* a6 = reinterpret_cast<sockaddr_in6*>(&a);
      a6->sin6_family = AF_INET6;
      a6->sin6_addr = in6addr_loopback;
      len = sizeof *a6;
    } else {
      auto* a4 = reinterpret_cast<sockaddr_in*>(&a);
      a4->sin_family = AF_INET;
      a4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      len = sizeof *a4;
    }
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), len) != 0) {
      close();
      return;  // no IPv6 loopback here: ok() is false
    }
    REQUIRE(::listen(fd_, 1024) == 0);
    REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    port_ = ntohs(v6 ? reinterpret_cast<sockaddr_in6*>(&a)->sin6_port : reinterpret_cast<sockaddr_in*>(&a)->sin_port);
  }
  ~Listener() { close(); }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  bool ok() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  std::uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

/// Answers every HTTP request with `status` (changeable at any time), on its own thread.
class HttpResponder {
 public:
  explicit HttpResponder(bool v6 = false) : listener_(v6), thread_([this] { serve(); }) {}
  ~HttpResponder() {
    stop_ = true;
    thread_.join();
  }
  void set_status(unsigned s) { status_ = s; }
  std::uint16_t port() const { return listener_.port(); }
  std::size_t requests() const { return requests_; }
  bool ok() const { return listener_.ok(); }
  std::string last_request() const {
    std::lock_guard lock(mutex_);
    return last_request_;
  }

 private:
  void serve() {
    while (!stop_ && listener_.ok()) {
      pollfd p{listener_.fd(), POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      const int c = ::accept(listener_.fd(), nullptr, nullptr);
      if (c < 0) continue;
      std::string request;
      char buf[1024];
      while (request.find("\r\n\r\n") == std::string::npos) {
        pollfd q{c, POLLIN, 0};
        if (::poll(&q, 1, 1000) <= 0) break;
        const ssize_t n = ::read(c, buf, sizeof buf);
        if (n <= 0) break;
        request.append(buf, static_cast<std::size_t>(n));
      }
      {
        std::lock_guard lock(mutex_);
        last_request_ = request;
      }
      ++requests_;
      const std::string response = "HTTP/1.1 " + std::to_string(status_.load()) +
                                   " Whatever\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
      (void)!::write(c, response.data(), response.size());
      ::close(c);
    }
  }

  Listener listener_;
  mutable std::mutex mutex_;
  std::string last_request_;
  std::atomic<unsigned> status_{200};
  std::atomic<bool> stop_{false};
  std::atomic<std::size_t> requests_{0};
  std::thread thread_;
};

/// Collects what the checker's sink receives; waits for it with a deadline.
class Reports {
 public:
  HealthChecker::Sink sink() {
    return [this](std::vector<CheckReport> batch) {
      std::lock_guard lock(mutex_);
      ++batches_;
      for (auto& r : batch) all_.push_back(std::move(r));
      changed_.notify_all();
    };
  }

  /// Waits until a report for `id` arrives (after the first `after` reports) satisfying `pred`;
  /// returns it, or fails at the deadline.
  template <class Pred>
  CheckReport wait_for(const std::string& id, Pred pred, std::size_t after = 0, milliseconds timeout = 2000ms) {
    std::unique_lock lock(mutex_);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (std::size_t i = after;;) {
      for (; i < all_.size(); ++i) {
        if (all_[i].id == id && pred(all_[i])) return all_[i];
      }
      if (changed_.wait_until(lock, deadline) == std::cv_status::timeout) {
        FAIL("no matching report for ", id, " within ", timeout.count(), " ms (", all_.size(), " reports)");
        return {};
      }
    }
  }

  CheckReport wait_for_status(const std::string& id, Health status, std::size_t after = 0) {
    return wait_for(id, [&](const CheckReport& r) { return r.status == status; }, after);
  }

  void wait_for_count(std::size_t n, milliseconds timeout = 2000ms) {
    std::unique_lock lock(mutex_);
    REQUIRE_MESSAGE(changed_.wait_for(lock, timeout, [&] { return all_.size() >= n; }), "only ", all_.size(),
                    " reports of ", n);
  }

  void wait_for_batches(std::size_t n, milliseconds timeout = 2000ms) {
    std::unique_lock lock(mutex_);
    REQUIRE_MESSAGE(changed_.wait_for(lock, timeout, [&] { return batches_ >= n; }), "only ", batches_,
                    " batches of ", n);
  }

  std::size_t count() const {
    std::lock_guard lock(mutex_);
    return all_.size();
  }
  std::size_t batches() const {
    std::lock_guard lock(mutex_);
    return batches_;
  }
  std::vector<CheckReport> all() const {
    std::lock_guard lock(mutex_);
    return all_;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<CheckReport> all_;
  std::size_t batches_ = 0;
};

CheckSpec tcp_spec(std::uint16_t port, milliseconds interval = 50ms, milliseconds timeout = 200ms) {
  CheckSpec s;
  s.kind = CheckSpec::Kind::tcp;
  s.host = "127.0.0.1";
  s.port = port;
  s.url = "127.0.0.1:" + std::to_string(port);
  s.interval = interval;
  s.timeout = timeout;
  return s;
}

CheckSpec http_spec(std::uint16_t port, milliseconds interval = 50ms, milliseconds timeout = 200ms) {
  CheckSpec s = tcp_spec(port, interval, timeout);
  s.kind = CheckSpec::Kind::http;
  s.target = "/health";
  s.url = "http://127.0.0.1:" + std::to_string(port) + "/health";
  return s;
}

CheckerOptions fast_options() {
  CheckerOptions o;
  o.batch_window = 5ms;
  o.seed = 42;
  return o;
}

}  // namespace

TEST_CASE("health checker: initial delay is uniform in [0, interval) and spread out") {
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    std::mt19937_64 random(seed);
    for (milliseconds interval : {2ms, 500ms, 1000ms, 5000ms, 3'600'000ms}) {
      const milliseconds d = initial_delay(interval, random);
      CHECK(d >= 0ms);
      CHECK(d < interval);
    }
  }
  // Degenerate intervals start at once.
  std::mt19937_64 random(7);
  CHECK(initial_delay(0ms, random) == 0ms);
  CHECK(initial_delay(1ms, random) == 0ms);

  // 10 000 checks of 1 s registered at once: spread over the whole second, not bunched.
  std::vector<milliseconds> delays;
  for (int i = 0; i < 10'000; ++i) delays.push_back(initial_delay(1000ms, random));
  const std::set<milliseconds> distinct(delays.begin(), delays.end());
  CHECK(distinct.size() > 900);  // nearly every millisecond is used
  CHECK(*std::min_element(delays.begin(), delays.end()) < 10ms);
  CHECK(*std::max_element(delays.begin(), delays.end()) > 990ms);
  // Each tenth of the second gets its share (1 000 expected; far from 0 and from all).
  std::vector<int> tenths(10, 0);
  for (milliseconds d : delays) ++tenths[static_cast<std::size_t>(d.count() / 100)];
  for (int n : tenths) CHECK((n > 800 && n < 1200));
  // Different seeds give different schedules.
  std::mt19937_64 a(1), b(2);
  std::vector<milliseconds> da, db;
  for (int i = 0; i < 20; ++i) {
    da.push_back(initial_delay(1000ms, a));
    db.push_back(initial_delay(1000ms, b));
  }
  CHECK(da != db);
}

TEST_CASE("health checker: TCP check passes while the port listens, critical once it is closed") {
  beacon::SystemClock clock;
  Reports reports;
  auto listener = std::make_unique<Listener>();
  const std::uint16_t port = listener->port();
  HealthChecker checker(fast_options(), clock, reports.sink());
  checker.start();
  checker.set_service_checks("web", {{"web", "a", tcp_spec(port)}});

  const CheckReport up = reports.wait_for_status("a", Health::passing);
  CHECK(up.service == "web");
  CHECK(up.output == "connected");
  CHECK(up.checked_at.time_since_epoch().count() > 0);

  const std::size_t mark = reports.count();
  listener.reset();
  const CheckReport down = reports.wait_for_status("a", Health::critical, mark);
  CHECK(down.output == "Connection refused");
  checker.stop();
}

TEST_CASE("health checker: HTTP status maps to health, a black hole times out, thresholds apply") {
  beacon::SystemClock clock;
  Reports reports;
  HttpResponder http;
  Listener black_hole;  // accepts (in the kernel), never answers
  HealthChecker checker(fast_options(), clock, reports.sink());
  checker.start();
  CheckSpec slow_to_fail = http_spec(http.port());
  slow_to_fail.failures_before_critical = 3;
  slow_to_fail.successes_before_passing = 2;
  checker.set_service_checks("web", {{"web", "h", http_spec(http.port())},
                                     {"web", "t", slow_to_fail},
                                     {"web", "bh", http_spec(black_hole.port(), 50ms, 100ms)}});

  CHECK(reports.wait_for_status("h", Health::passing).output == "HTTP 200");
  const CheckReport hole = reports.wait_for_status("bh", Health::critical);
  CHECK(hole.output == "timed out after 100ms");

  std::size_t mark = reports.count();
  http.set_status(429);
  CHECK(reports.wait_for_status("h", Health::warning, mark).output == "HTTP 429");
  CHECK(reports.wait_for_status("t", Health::warning, mark).output == "HTTP 429");  // immediate

  mark = reports.count();
  http.set_status(503);
  CHECK(reports.wait_for_status("h", Health::critical, mark).output == "HTTP 503");
  reports.wait_for_status("t", Health::critical, mark);
  http.set_status(200);
  CHECK(reports.wait_for_status("h", Health::passing, mark).output == "HTTP 200");
  reports.wait_for_status("t", Health::passing, mark);
  checker.stop();

  // "t" needed 3 failures in a row to turn critical, 2 successes to pass again: the reports
  // between its last warning and its first critical carry "HTTP 503" while still warning.
  std::vector<CheckReport> t;
  for (const auto& r : reports.all()) {
    if (r.id == "t" && r.output != "HTTP 429") t.push_back(r);
    if (r.id == "t" && r.output == "HTTP 429") t.clear();
  }
  std::size_t i = 0;
  std::size_t absorbed = 0;
  for (; i < t.size() && t[i].status == Health::warning; ++i) {
    CHECK(t[i].output == "HTTP 503");
    ++absorbed;
  }
  CHECK(absorbed == 2);
  REQUIRE(i < t.size());
  CHECK(t[i].status == Health::critical);
  for (; i < t.size() && t[i].status == Health::critical; ++i) {}
  // Exactly one success (HTTP 200) is absorbed on the way back.
  std::size_t successes_while_critical = 0;
  for (const auto& r : t) successes_while_critical += r.status == Health::critical && r.output == "HTTP 200";
  CHECK(successes_while_critical == 1);
}

TEST_CASE("health checker: a burst of results reaches the sink in a few batches; removed checks stop") {
  beacon::SystemClock clock;
  Reports reports;
  Listener listener;
  CheckerOptions options = fast_options();
  options.batch_window = 20ms;
  options.max_in_flight = 16;  // bounded: the rest wait their turn
  HealthChecker checker(options, clock, reports.sink());
  checker.start();
  std::vector<CheckTarget> targets;
  for (int i = 0; i < 300; ++i) targets.push_back({"fleet", "i" + std::to_string(i), tcp_spec(listener.port(), 100ms)});
  checker.set_service_checks("fleet", targets);
  reports.wait_for_count(300);
  // 300 first runs spread over 100 ms, batched every 20 ms: a handful of batches.
  CHECK(reports.batches() <= 12);
  std::set<std::string> seen;
  for (const auto& r : reports.all()) seen.insert(r.id);
  CHECK(seen.size() >= 250);

  // Keep a single instance; the others stop reporting.
  const std::size_t batches = reports.batches();
  checker.set_service_checks("fleet", {targets[0]});
  reports.wait_for_batches(batches + 3);  // the change has been applied by now...
  const std::size_t mark = reports.count();
  reports.wait_for_count(mark + 3);  // ...so later reports are about i0 only
  const auto all = reports.all();
  for (std::size_t k = mark; k < all.size(); ++k) CHECK(all[k].id == "i0");
  const LatenessStats late = checker.lateness();
  CHECK(late.samples > 0);
  CHECK(late.p50_ms <= late.p99_ms);
  CHECK(late.p99_ms <= late.max_ms);
  checker.stop();
}

TEST_CASE("health checker: the HTTP request carries method, path and one Host header (custom or bracketed IPv6)") {
  beacon::SystemClock clock;
  Reports reports;
  HttpResponder http;
  HealthChecker checker(fast_options(), clock, reports.sink());
  checker.start();
  CheckSpec spec = http_spec(http.port());
  spec.method = "HEAD";
  spec.target = "/health?deep=1";
  spec.headers = {{"Host", "web.internal"}, {"X-Probe", "a"}, {"X-Probe", "b"}};
  checker.set_service_checks("web", {{"web", "a", spec}});
  reports.wait_for_status("a", Health::passing);
  checker.stop();
  const std::string request = http.last_request();
  CAPTURE(request);
  CHECK(request.starts_with("HEAD /health?deep=1 HTTP/1.1\r\n"));
  std::size_t hosts = 0;
  for (std::size_t at = 0; (at = request.find("\r\nHost:", at)) != std::string::npos; ++at) ++hosts;
  CHECK(hosts == 1);  // two Host headers must be refused by servers (RFC 7230 §5.4)
  CHECK(request.find("\r\nHost: web.internal\r\n") != std::string::npos);
  CHECK(request.find("\r\nX-Probe: a\r\n") != std::string::npos);
  CHECK(request.find("\r\nX-Probe: b\r\n") != std::string::npos);

  HttpResponder v6(true);
  if (!v6.ok()) return;  // no ::1 in this environment
  Reports reports6;
  HealthChecker checker6(fast_options(), clock, reports6.sink());
  checker6.start();
  CheckSpec spec6 = http_spec(v6.port());
  spec6.host = "::1";
  checker6.set_service_checks("web", {{"web", "b", spec6}});
  CHECK(reports6.wait_for_status("b", Health::passing).output == "HTTP 200");
  checker6.stop();
  CHECK(v6.last_request().find("\r\nHost: [::1]:" + std::to_string(v6.port()) + "\r\n") != std::string::npos);
}
