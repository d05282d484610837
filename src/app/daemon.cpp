#include "app/daemon.hpp"

#include <unistd.h>

#include <csignal>

#include "common/log.hpp"
#include "dns/name.hpp"
#include "zone/master_file.hpp"

namespace beacon::app {

std::shared_ptr<const zone::Snapshot> load_snapshot(const std::filesystem::path& zone_dir, std::uint64_t generation) {
  auto zones = zone::load_zone_dir(zone_dir);
  for (const auto& z : zones) {
    log::info("zone_loaded", {{"zone", dns::name_to_text(z->apex())},
                              {"serial", z->serial()},
                              {"records", z->record_count()}});
  }
  if (zones.empty()) log::warn("no_zones", {{"zone_dir", zone_dir.string()}, {"effect", "every query is REFUSED"}});
  return std::make_shared<const zone::Snapshot>(std::move(zones), generation);
}

server::ServerOptions server_options(const config::Config& config) {
  server::ServerOptions options;
  for (const auto& e : config.dns.listen) options.listen.push_back({e.address, e.port});
  options.threads = config::effective_threads(config.dns);
  options.max_udp_payload = config.dns.max_udp_payload;
  options.tcp_idle_timeout = config.dns.tcp.idle_timeout;
  options.tcp_max_connections = config.dns.tcp.max_connections;
  options.tcp_max_connections_per_client = config.dns.tcp.max_connections_per_client;
  return options;
}

Daemon::Daemon(CommandLine cli, config::Config config)
    : cli_(std::move(cli)),
      config_(std::move(config)),
      snapshots_(load_snapshot(config_.dns.zone_dir, generation_)),
      dns_(server_options(config_), snapshots_),
      signals_(control_, SIGTERM, SIGINT, SIGHUP) {}

int Daemon::run() {
  dns_.start();
  log::info("started", {{"pid", static_cast<long>(::getpid())}});
  wait_for_signal();
  control_.run();
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
    // control_.run() returns once nothing is left waiting; the DNS threads drain after it.
  });
}

void Daemon::reload() {
  log::info("reloading");
  try {
    config::Config next = resolve_config(cli_);
    auto snapshot = load_snapshot(next.dns.zone_dir, generation_ + 1);
    if (next.dns.listen != config_.dns.listen || next.dns.threads != config_.dns.threads)
      log::warn("restart_required", {{"reason", "dns.listen and dns.threads change only on restart"}});
    log::set_level(next.log.level);
    snapshots_.publish(std::move(snapshot));
    ++generation_;
    config_ = std::move(next);
    log::info("reloaded", {{"generation", generation_}});
  } catch (const std::exception& e) {
    // A bad file must not take down a serving server: keep answering from the old data.
    log::error("reload_failed", {{"error", e.what()}, {"effect", "still serving the previous configuration and zones"}});
  }
}

}  // namespace beacon::app
