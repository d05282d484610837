#pragma once
// beacond's configuration as plain values. config/ is the only module that includes
// yaml-cpp; everything else receives a validated Config.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/log.hpp"

namespace beacon::config {

/// An address and port to listen on: "127.0.0.1:8053" or "[::1]:8053".
struct Endpoint {
  std::string address;
  std::uint16_t port = 0;
  bool operator==(const Endpoint&) const = default;
};

struct TcpConfig {
  std::chrono::milliseconds idle_timeout{10'000};
  unsigned max_connections = 512;
  unsigned max_connections_per_client = 64;
};

struct DnsConfig {
  std::vector<Endpoint> listen{{"127.0.0.1", 8053}};
  unsigned threads = 0;  // 0: one per core
  std::filesystem::path zone_dir = "zones";
  std::uint16_t max_udp_payload = 1232;
  TcpConfig tcp;
};

struct LogConfig {
  log::Level level = log::Level::info;
};

struct Config {
  DnsConfig dns;
  LogConfig log;
};

/// A configuration that cannot be used; the message names the file, the key and the reason.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Reads and validates a YAML file. Unknown keys are errors, so a typo is never ignored.
Config load_file(const std::filesystem::path& file);

/// Parses "ADDR:PORT" or "[V6ADDR]:PORT"; throws ConfigError naming `what`.
Endpoint parse_endpoint(const std::string& text, const std::string& what);

/// Threads to run: `threads`, or one per core when 0.
unsigned effective_threads(const DnsConfig& dns);

}  // namespace beacon::config
