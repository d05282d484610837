#pragma once
// The running beacond.
//
// Threads and ownership:
// - the control thread (the caller of run()) runs `control_`: signals, the registration
//   API, the registry writer and its expiry timer. It owns the Config, the Registry, the
//   Store and DnsData, and is the only thread that publishes snapshots. A rebuild of every
//   service (start-up, a reload changing the zone settings) borrows a second thread for its
//   duration (registry::RegistryZone).
// - the health thread (health::HealthChecker) runs the active checks; it hands results
//   to the control thread in batches and never touches the registry itself.
// - the DNS threads (server::DnsServer) only read published snapshots; they never wait for
//   the control thread.

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>

#include "app/command_line.hpp"
#include "app/dns_data.hpp"
#include "common/clock.hpp"
#include "config/config.hpp"
#include "health/health_checker.hpp"
#include "http/api.hpp"
#include "http/http_listener.hpp"
#include "registry/registry.hpp"
#include "registry/store.hpp"
#include "registry/writer.hpp"
#include "server/dns_server.hpp"

namespace beacon::app {

class Daemon {
 public:
  /// Loads zones and registrations and binds every socket; throws on anything that stops
  /// start-up, with a message naming the file, key or address at fault.
  Daemon(CommandLine cli, config::Config config);

  /// Serves until SIGTERM or SIGINT, reloading on SIGHUP. Returns the exit code.
  int run();

 private:
  void wait_for_signal();
  void schedule_expiry();
  void reload();
  /// The TLS context a reload installs: null if TLS stays off or is turned on or off.
  std::shared_ptr<boost::asio::ssl::context> reloaded_tls(const config::TlsConfig& tls) const;
  void stop();
  /// After a commit: rebuild DNS data of `changed` services and give their checks to the checker.
  void publish(const std::set<std::string>& changed);
  void on_check_results(std::vector<registry::CheckResult> results);

  CommandLine cli_;
  config::Config config_;
  boost::asio::io_context control_;
  SystemClock clock_;
  DnsData dns_data_;
  registry::Store store_;
  registry::Registry registry_;
  registry::Writer writer_;
  health::HealthChecker health_;
  server::DnsServer dns_;
  http::Api api_;
  http::HttpListener http_;
  boost::asio::signal_set signals_;
  boost::asio::steady_timer expiry_timer_;
};

server::ServerOptions server_options(const config::Config& config);

/// The API's TLS context from http.tls (null without it); throws naming the file that does
/// not load.
std::shared_ptr<boost::asio::ssl::context> tls_context(const config::TlsConfig& tls);

}  // namespace beacon::app
