#include "app/daemon.hpp"

#include <malloc.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <csignal>

#include "app/metrics.hpp"
#include "common/log.hpp"
#include "http/tls_context.hpp"

namespace beacon::app {
namespace {

// How often heartbeat TTLs are checked: an instance leaves DNS within this of its TTL.
constexpr std::chrono::milliseconds expiry_interval{200};

http::HttpOptions http_options(const config::Config& config) {
  http::HttpOptions options{config.http.listen.address, config.http.listen.port, config.http.max_connections, {}, {}};
  options.session = {config.http.request_timeout, config.http.idle_timeout, config.http.keepalive_requests};
  options.tls = tls_context(config.http.tls);
  return options;
}

std::vector<http::TokenGrant> token_grants(const config::Config& config) {
  std::vector<http::TokenGrant> grants;
  for (const auto& t : config.http.tokens) {
    const auto scope = t.scope == config::TokenScope::admin   ? http::Scope::admin
                       : t.scope == config::TokenScope::write ? http::Scope::write
                                                              : http::Scope::read;
    grants.push_back({t.secret, scope, t.services});
  }
  return grants;
}

bool http_limits_differ(const config::HttpConfig& a, const config::HttpConfig& b) {
  return !(a.listen == b.listen) || a.request_timeout != b.request_timeout || a.idle_timeout != b.idle_timeout ||
         a.max_connections != b.max_connections || a.keepalive_requests != b.keepalive_requests;
}

}  // namespace

std::shared_ptr<boost::asio::ssl::context> tls_context(const config::TlsConfig& tls) {
  if (!tls.is_enabled()) return nullptr;
  return http::load_tls_context(tls.certificate.string(), tls.key.string());
}

server::ServerOptions server_options(const config::Config& config) {
  server::ServerOptions options;
  for (const auto& e : config.dns.listen) options.listen.push_back({e.address, e.port});
  options.threads = config::effective_threads(config.dns);
  options.max_udp_payload = config.dns.max_udp_payload;
  options.tcp_idle_timeout = config.dns.tcp.idle_timeout;
  options.tcp_max_connections = config.dns.tcp.max_connections;
  options.tcp_max_connections_per_client = config.dns.tcp.max_connections_per_client;
  options.tcp_max_in_flight = config.dns.tcp.max_in_flight;
  const config::RrlConfig& rrl = config.dns.rrl;
  options.rate_limit = {rrl.rate, rrl.slip, rrl.ipv4_prefix, rrl.ipv6_prefix, rrl.exempt, rrl.table_size};
  options.log_queries = config.log.queries;
  return options;
}

Daemon::Daemon(CommandLine cli, config::Config config)
    : cli_(std::move(cli)),
      config_(std::move(config)),
      dns_data_(config_),
      store_(config_.storage.path / "beacon.db"),
      registry_(store_, clock_, [this](const std::string& label) { return dns_data_.is_static_name(label); }),
      writer_(
          registry_, [this](std::function<void()> f) { boost::asio::post(control_, std::move(f)); },
          [this](const std::set<std::string>& changed) { publish(changed); }),
      health_(health::CheckerOptions{config_.health.max_concurrent}, clock_,
              [this](std::vector<registry::CheckResult> results) {
                boost::asio::post(control_, [this, results = std::move(results)]() mutable {
                  on_check_results(std::move(results));
                });
              }),
      dns_(server_options(config_), dns_data_.slot()),
      api_(
          writer_, [this](const std::string& service) { return dns_data_.fails_open(service); },
          [this] { return render_metrics({dns_, registry_, writer_, health_, api_}); }),
      http_(control_, http_options(config_), api_),
      signals_(control_, SIGTERM, SIGINT, SIGHUP),
      expiry_timer_(control_) {
  api_.set_tokens(token_grants(config_));
  registry_.load();
  if (!writer_.commit_now()) throw registry::StoreError("cannot publish the stored registrations");
  // Loading leaves the heap full of freed temporaries (rows, the set of every service);
  // hand those pages back rather than carry them in RSS for the life of the process.
  malloc_trim(0);
  log::info("registry_loaded", {{"store", store_.path().string()},
                                {"services", registry_.services().size()},
                                {"instances", registry_.instance_count()}});
}

void Daemon::publish(const std::set<std::string>& changed) {
  dns_data_.update_services(registry_, changed);
  for (const std::string& name : changed) {
    std::vector<health::CheckTarget> targets;
    if (const registry::Service* service = registry_.find(name)) {
      for (const auto& [id, instance] : service->instances) {
        if (instance.registration.check) targets.push_back({name, id, *instance.registration.check});
      }
    }
    health_.set_service_checks(name, std::move(targets));
  }
}

void Daemon::on_check_results(std::vector<registry::CheckResult> results) {
  // One batch of results, one commit, at most one snapshot (issue 4 §5).
  registry_.apply_check_results(results);
  writer_.commit_now();
}

int Daemon::run() {
  health_.start();
  dns_.start();
  http_.start();
  log::info("started", {{"pid", static_cast<long>(::getpid())}, {"api_tokens", config_.http.tokens.size()}});
  wait_for_signal();
  schedule_expiry();
  control_.run();
  health_.stop();
  dns_.stop();
  log::info("stopped");
  return 0;
}

void Daemon::wait_for_signal() {
  signals_.async_wait([this](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    if (signal == SIGHUP) {
      reload();
      wait_for_signal();
      return;
    }
    log::info("stopping", {{"signal", signal == SIGTERM ? "SIGTERM" : "SIGINT"}});
    stop();
  });
}

void Daemon::stop() {
  // Writes already accepted are committed by the writer before the loop runs dry; the
  // loop ends once the listener, the timer and the open HTTP sessions are done.
  http_.stop();
  expiry_timer_.cancel();
  control_.stop();
}

void Daemon::schedule_expiry() {
  expiry_timer_.expires_after(expiry_interval);
  expiry_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    registry_.expire();
    writer_.commit_now();
    schedule_expiry();
  });
}

std::shared_ptr<boost::asio::ssl::context> Daemon::reloaded_tls(const config::TlsConfig& tls) const {
  if (tls.is_enabled() != http_.is_tls()) {
    log::warn("restart_required", {{"reason", "turning http.tls on or off takes a restart"}});
    return nullptr;
  }
  // Re-read even when the paths are the same: renewing a certificate rewrites its files.
  return tls_context(tls);
}

void Daemon::reload() {
  log::info("reloading");
  try {
    config::Config next = resolve_config(cli_);
    if (next.dns.listen != config_.dns.listen || next.dns.threads != config_.dns.threads ||
        next.storage.path != config_.storage.path)
      log::warn("restart_required", {{"reason", "dns.listen, dns.threads and storage.path change only on restart"}});
    if (http_limits_differ(next.http, config_.http))
      log::warn("restart_required", {{"reason", "http keys other than http.tokens and http.tls change only on restart"}});
    // A certificate or key that does not load fails the whole reload, before anything changed.
    auto tls = reloaded_tls(next.http.tls);
    dns_data_.reload(next, registry_);
    if (tls) http_.replace_tls(std::move(tls));  // new connections get the new certificate
    api_.set_tokens(token_grants(next));  // rotated tokens work, and revoked ones stop, from now on
    log::set_level(next.log.level);
    log::set_format(next.log.format);
    if (next.log.queries != config_.log.queries)
      log::warn("restart_required", {{"reason", "log.queries changes only on restart"}});
    config_ = std::move(next);
    log::info("reloaded");
  } catch (const std::exception& e) {
    // A bad file must not take down a serving server: keep answering from the old data.
    log::error("reload_failed", {{"error", e.what()}, {"effect", "still serving the previous configuration and zones"}});
  }
}

}  // namespace beacon::app
