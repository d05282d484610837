#pragma once
// The running beacond: the control thread (signals, reloads) and the DNS threads it starts.
//
// Threads: the thread that calls run() is the control thread; it owns the configuration,
// loads zones and publishes snapshots. The DNS threads (server::DnsServer) only read the
// published snapshot.

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <cstdint>
#include <memory>

#include "app/command_line.hpp"
#include "config/config.hpp"
#include "server/dns_server.hpp"
#include "server/snapshot_slot.hpp"

namespace beacon::app {

class Daemon {
 public:
  /// Loads the zones and binds every socket; throws on anything that stops start-up.
  Daemon(CommandLine cli, config::Config config);

  /// Serves until SIGTERM or SIGINT, reloading on SIGHUP. Returns the exit code.
  int run();

 private:
  void wait_for_signal();
  void reload();

  CommandLine cli_;
  config::Config config_;
  std::uint64_t generation_ = 1;
  server::SnapshotSlot snapshots_;
  server::DnsServer dns_;
  boost::asio::io_context control_;
  boost::asio::signal_set signals_;
};

/// Loads every zone of `zone_dir` into a new snapshot. Throws zone::ZoneError.
std::shared_ptr<const zone::Snapshot> load_snapshot(const std::filesystem::path& zone_dir, std::uint64_t generation);

server::ServerOptions server_options(const config::Config& config);

}  // namespace beacon::app
