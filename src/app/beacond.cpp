#include "app/beacond.hpp"

#include <iostream>

#include "app/command_line.hpp"
#include "app/daemon.hpp"
#include "app/dns_data.hpp"
#include "common/log.hpp"
#include "config/config.hpp"
#include "zone/zone_builder.hpp"

#ifndef BEACON_VERSION
#define BEACON_VERSION "unknown"
#endif

namespace beacon::app {
namespace {

/// --check-config: the file, the flags over it, and the zones it names must all load.
int check_config(CommandLine cli) {
  cli.config_file = cli.check_config_file;
  try {
    const config::Config cfg = resolve_config(cli);
    log::set_level(log::Level::warn);
    DnsData data(cfg);
    tls_context(cfg.http.tls);
  } catch (const std::exception& e) {
    std::cerr << "beacond: " << e.what() << '\n';
    return 1;
  }
  std::cout << cli.check_config_file->string() << ": ok\n";
  return 0;
}

}  // namespace

int beacond_main(int argc, const char* const* argv) {
  CommandLine cli;
  try {
    cli = parse_command_line(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "beacond: " << e.what() << '\n';
    return 2;
  }
  if (cli.help) {
    std::cout << cli.usage;
    return 0;
  }
  if (cli.version) {
    std::cout << "beacond " << BEACON_VERSION << '\n';
    return 0;
  }
  if (cli.check_config_file) return check_config(cli);
  try {
    config::Config cfg = resolve_config(cli);
    log::set_level(cfg.log.level);
    log::set_format(cfg.log.format);
    Daemon daemon(cli, std::move(cfg));
    return daemon.run();
  } catch (const std::exception& e) {
    log::error("startup_failed", {{"error", e.what()}});
    return 1;
  }
}

}  // namespace beacon::app
