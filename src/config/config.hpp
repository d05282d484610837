#pragma once
// beacond's configuration as plain values. config/ is the only module that includes
// yaml-cpp; everything else receives a validated Config.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/cidr.hpp"
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
  unsigned max_in_flight = 64;  // answered queries per connection the client has not read yet
};

/// Response rate limiting for UDP (dns.rrl); off unless `rate` is set.
struct RrlConfig {
  unsigned rate = 0;  // responses per second per client prefix and response; 0: off
  unsigned slip = 2;  // every slip-th limited response is sent truncated; 0: drop them all
  unsigned ipv4_prefix = 24;
  unsigned ipv6_prefix = 56;
  std::vector<Cidr> exempt{*Cidr::parse("127.0.0.0/8"), *Cidr::parse("::1/128")};
  unsigned table_size = 65536;
};

/// The SOA of the registry zone when no zone file of the same origin provides one.
struct SoaConfig {
  std::string mname;  // empty: the first name server
  std::string rname;  // empty: hostmaster.<zone>
  std::chrono::seconds refresh{3600};
  std::chrono::seconds retry{600};
  std::chrono::seconds expire{86400};
};

struct DnsConfig {
  std::vector<Endpoint> listen{{"127.0.0.1", 8053}};
  unsigned threads = 0;  // 0: one per core
  std::filesystem::path zone_dir = "zones";
  std::uint16_t max_udp_payload = 1232;
  TcpConfig tcp;
  RrlConfig rrl;

  std::string zone = "svc.internal.";     // where registered services are answered
  std::chrono::seconds ttl{5};            // TTL of service records
  std::chrono::seconds negative_ttl{5};   // SOA MINIMUM of a configured SOA
  std::uint16_t max_answers = 8;          // A/AAAA records per answer
  SoaConfig soa;
  std::vector<std::string> ns;            // empty: ns1.<zone>
  bool only_passing = false;              // warning instances are not served
  bool fail_open = false;                 // all critical: serve all rather than none
};

struct HealthConfig {
  unsigned max_concurrent = 512;  // probes in flight at once
};

/// What a bearer token of the registration API may do; each scope includes the ones before it.
enum class TokenScope { read, write, admin };

/// One entry of http.tokens, its secret already read from the file or environment.
struct TokenConfig {
  std::string secret;                 // never logged, never part of an error message
  TokenScope scope = TokenScope::read;
  std::vector<std::string> services;  // service-name prefixes it is limited to; empty: all
};

/// http.tls: PEM files of the API's certificate (chain) and private key; both or neither.
struct TlsConfig {
  std::filesystem::path certificate;  // empty: plain HTTP
  std::filesystem::path key;
  bool is_enabled() const { return !certificate.empty(); }
  bool operator==(const TlsConfig&) const = default;
};

struct HttpConfig {
  Endpoint listen{"127.0.0.1", 8054};
  TlsConfig tls;
  std::vector<TokenConfig> tokens;                   // empty: the API is open (loopback default)
  std::chrono::milliseconds request_timeout{10'000};  // one request, first byte to last
  std::chrono::milliseconds idle_timeout{60'000};     // between requests of a keep-alive connection
  unsigned max_connections = 256;
  unsigned keepalive_requests = 1000;  // requests per connection before it is closed
};

struct StorageConfig {
  std::filesystem::path path = "data";  // directory holding beacon.db
};

struct LogConfig {
  log::Level level = log::Level::info;
  log::Format format = log::Format::text;
  bool queries = false;  // one line per DNS query
};

struct Config {
  DnsConfig dns;
  HttpConfig http;
  StorageConfig storage;
  HealthConfig health;
  LogConfig log;
};

/// A domain name in presentation format, made absolute ("svc.internal" -> "svc.internal.").
/// Throws ConfigError naming `what` if it is not a valid name.
std::string parse_domain_name(const std::string& text, const std::string& what);

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
