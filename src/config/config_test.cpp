#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <unistd.h>

#include "config/config.hpp"

namespace cfg = beacon::config;

namespace {

/// A YAML file in the temp directory, removed at scope exit.
struct TempConfig {
  std::filesystem::path path;
  explicit TempConfig(const std::string& text) {
    path = std::filesystem::temp_directory_path() /
           ("beacon-config-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + ".yaml");
    std::ofstream(path) << text;
  }
  ~TempConfig() { std::filesystem::remove(path); }
  static inline int counter = 0;
};

std::string error_of(const std::string& yaml) {
  TempConfig file(yaml);
  try {
    cfg::load_file(file.path);
  } catch (const cfg::ConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("an empty file gives the defaults") {
  TempConfig file("");
  const auto c = cfg::load_file(file.path);
  REQUIRE(c.dns.listen.size() == 1);
  CHECK(c.dns.listen[0] == cfg::Endpoint{"127.0.0.1", 8053});
  CHECK(c.dns.threads == 0);
  CHECK(c.dns.zone_dir == "zones");
  CHECK(c.dns.max_udp_payload == 1232);
  CHECK(c.dns.tcp.idle_timeout == std::chrono::seconds(10));
  CHECK(c.log.level == beacon::log::Level::info);
}

TEST_CASE("every key is read") {
  TempConfig file(R"(
dns:
  listen: ["127.0.0.1:5300", "[::1]:5301"]
  threads: 3
  zone_dir: /tmp/zones
  max_udp_payload: 1400
  tcp: {idle_timeout: 2500ms, max_connections: 9, max_connections_per_client: 2}
log: {level: debug}
)");
  const auto c = cfg::load_file(file.path);
  REQUIRE(c.dns.listen.size() == 2);
  CHECK(c.dns.listen[1] == cfg::Endpoint{"::1", 5301});
  CHECK(c.dns.threads == 3);
  CHECK(c.dns.zone_dir == "/tmp/zones");
  CHECK(c.dns.max_udp_payload == 1400);
  CHECK(c.dns.tcp.idle_timeout == std::chrono::milliseconds(2500));
  CHECK(c.dns.tcp.max_connections == 9);
  CHECK(c.dns.tcp.max_connections_per_client == 2);
  CHECK(c.log.level == beacon::log::Level::debug);
}

TEST_CASE("registry zone, HTTP and storage keys are read") {
  TempConfig file(R"(
dns:
  zone: Example.Test
  ttl: 30
  negative_ttl: 1m
  max_answers: 4
  ns: [ns1.example.test, ns2.example.test.]
  soa: {mname: ns1.example.test., rname: admin.example.test., refresh: 2h, retry: 5m, expire: 7d}
http: {listen: "[::1]:9054"}
storage: {path: /var/lib/x}
)");
  const auto c = cfg::load_file(file.path);
  CHECK(c.dns.zone == "example.test.");
  CHECK(c.dns.ttl == std::chrono::seconds(30));
  CHECK(c.dns.negative_ttl == std::chrono::seconds(60));
  CHECK(c.dns.max_answers == 4);
  CHECK(c.dns.ns == std::vector<std::string>{"ns1.example.test.", "ns2.example.test."});
  CHECK(c.dns.soa.rname == "admin.example.test.");
  CHECK(c.dns.soa.refresh == std::chrono::hours(2));
  CHECK(c.dns.soa.expire == std::chrono::hours(24 * 7));
  CHECK(c.http.listen == cfg::Endpoint{"::1", 9054});
  CHECK(c.storage.path == "/var/lib/x");
}

TEST_CASE("registry zone keys refuse bad values by name") {
  CHECK(error_of("dns: {zone: 'a..b'}").find("dns.zone:") != std::string::npos);
  CHECK(error_of("dns: {zone: 'bad name'}").find("dns.zone:") != std::string::npos);
  CHECK(error_of("dns: {ttl: 1500ms}").find("dns.ttl: must be whole seconds") != std::string::npos);
  CHECK(error_of("dns: {max_answers: 0}").find("dns.max_answers: must be an integer from 1") != std::string::npos);
  CHECK(error_of("dns: {ns: []}").find("dns.ns: must be a non-empty list") != std::string::npos);
  CHECK(error_of("dns: {soa: {serial: 5}}").find("dns.soa.serial: unknown key") != std::string::npos);
  CHECK(error_of("http: {listen: 'localhost:80'}").find("http.listen:") != std::string::npos);
  CHECK(error_of("storage: {dir: x}").find("storage.dir: unknown key") != std::string::npos);
}

TEST_CASE("unknown keys are errors that name the key") {
  CHECK(error_of("dns: {listn: ['127.0.0.1:53']}").find("dns.listn: unknown key") != std::string::npos);
  CHECK(error_of("dsn: {}").find("dsn: unknown key") != std::string::npos);
  CHECK(error_of("dns: {tcp: {idle: 3s}}").find("dns.tcp.idle: unknown key") != std::string::npos);
}

TEST_CASE("bad values name the key and say why") {
  CHECK(error_of("dns: {threads: many}").find("dns.threads: must be an integer") != std::string::npos);
  CHECK(error_of("dns: {max_udp_payload: 100}").find("dns.max_udp_payload: must be an integer from 512") != std::string::npos);
  CHECK(error_of("dns: {tcp: {idle_timeout: soon}}").find("dns.tcp.idle_timeout: must be a positive duration") != std::string::npos);
  CHECK(error_of("dns: {listen: ['localhost:53']}").find("dns.listen: 'localhost' is not an IPv4 or IPv6") != std::string::npos);
  CHECK(error_of("dns: {listen: ['127.0.0.1:0']}").find("port '0' must be 1-65535") != std::string::npos);
  CHECK(error_of("dns: {listen: []}").find("dns.listen: must be a non-empty list") != std::string::npos);
  CHECK(error_of("log: {level: loud}").find("log.level: must be one of") != std::string::npos);
  CHECK(error_of("dns: 5").find("dns: must be a mapping") != std::string::npos);
}

TEST_CASE("errors about addresses name the file too (fuzz_config regression)") {
  const std::string e = error_of("dns:\n  listen: ['127.0.0.\x19\x19:53']\n");
  CHECK(e.find(".yaml: dns.listen: '127.0.0.") != std::string::npos);
  CHECK(error_of("http: {listen: 'nope:1'}").find(".yaml: http.listen: 'nope'") != std::string::npos);
}

TEST_CASE("YAML syntax errors give the file and line") {
  const std::string e = error_of("dns:\n  threads: 1\n  listen: [unclosed\n");
  CHECK(e.find(".yaml:") != std::string::npos);
  CHECK(e.find(":4:") != std::string::npos);
}

TEST_CASE("a missing file is an error naming it") {
  CHECK_THROWS_WITH_AS(cfg::load_file("/nonexistent/beacon.yaml"), "/nonexistent/beacon.yaml: cannot read the file",
                       cfg::ConfigError);
}

TEST_CASE("endpoints: IPv4, bracketed IPv6, and refusals") {
  CHECK(cfg::parse_endpoint("10.1.2.3:53", "x") == cfg::Endpoint{"10.1.2.3", 53});
  CHECK(cfg::parse_endpoint("[::1]:8053", "x") == cfg::Endpoint{"::1", 8053});
  CHECK_THROWS_AS(cfg::parse_endpoint("::1:53", "x"), cfg::ConfigError);
  CHECK_THROWS_AS(cfg::parse_endpoint("[::1]53", "x"), cfg::ConfigError);
  CHECK_THROWS_AS(cfg::parse_endpoint("1.2.3.4:65536", "x"), cfg::ConfigError);
  CHECK_THROWS_AS(cfg::parse_endpoint("1.2.3.4", "x"), cfg::ConfigError);
}

TEST_CASE("the shipped sample configuration is valid and shows every key") {
  const auto c = cfg::load_file("packaging/beacon.yaml");
  CHECK(c.dns.listen.size() == 2);
  std::ifstream in("packaging/beacon.yaml");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (const char* key : {"listen:", "threads:", "zone_dir:", "max_udp_payload:", "tcp:", "idle_timeout:",
                          "max_connections:", "max_connections_per_client:", "log:", "level:", "zone:",
                          "ttl:", "negative_ttl:", "max_answers:", "ns:", "soa:", "mname:", "rname:", "refresh:",
                          "retry:", "expire:", "http:", "storage:", "path:", "only_passing:", "fail_open:", "health:",
                          "max_concurrent:"}) {
    CHECK_MESSAGE(text.find(key) != std::string::npos, key);
  }
}

TEST_CASE("http limits and tokens are read, from the file, a file and the environment") {
  TempConfig secret("file-token-0123456789\n");
  ::setenv("BEACON_TEST_TOKEN", "env-token-0123456789", 1);
  TempConfig file("http:\n"
                  "  request_timeout: 5s\n  idle_timeout: 30s\n  max_connections: 7\n  keepalive_requests: 3\n"
                  "  tokens:\n"
                  "    - {token: inline-token-0123456789, scope: admin}\n"
                  "    - {token_file: " + secret.path.string() + ", scope: write, services: [Web, api-]}\n"
                  "    - {token_env: BEACON_TEST_TOKEN, scope: read}\n");
  const auto c = cfg::load_file(file.path);
  CHECK(c.http.request_timeout == std::chrono::seconds(5));
  CHECK(c.http.idle_timeout == std::chrono::seconds(30));
  CHECK(c.http.max_connections == 7);
  CHECK(c.http.keepalive_requests == 3);
  REQUIRE(c.http.tokens.size() == 3);
  CHECK(c.http.tokens[0].secret == "inline-token-0123456789");
  CHECK(c.http.tokens[0].scope == cfg::TokenScope::admin);
  CHECK(c.http.tokens[1].secret == "file-token-0123456789");
  CHECK(c.http.tokens[1].services == std::vector<std::string>{"web", "api-"});
  CHECK(c.http.tokens[2].secret == "env-token-0123456789");
  CHECK(c.http.tokens[2].scope == cfg::TokenScope::read);
  ::unsetenv("BEACON_TEST_TOKEN");
}

TEST_CASE("bad tokens are refused without quoting them") {
  CHECK(error_of("http:\n  tokens:\n    - {token: short-secret, scope: read}\n").find("16 to 256") != std::string::npos);
  CHECK(error_of("http:\n  tokens:\n    - {token: short-secret, scope: read}\n").find("short-secret") == std::string::npos);
  CHECK(error_of("http:\n  tokens:\n    - {token: inline-token-0123456789}\n").find("needs a scope") != std::string::npos);
  CHECK(error_of("http:\n  tokens:\n    - {token: inline-token-0123456789, scope: root}\n").find("http.tokens[0].scope") != std::string::npos);
  CHECK(error_of("http:\n  tokens:\n    - {scope: read}\n").find("exactly one of") != std::string::npos);
  CHECK(error_of("http:\n  tokens:\n    - {token_env: BEACON_TEST_UNSET_VARIABLE, scope: read}\n").find("is not set") != std::string::npos);
  CHECK(error_of("http:\n  tokens:\n    - {token_file: /nonexistent/token, scope: read}\n").find("cannot read the token file") != std::string::npos);
  CHECK(error_of("http:\n  tokens:\n    - {token: inline-token-0123456789, scope: read, services: [a.b]}\n").find("prefix") != std::string::npos);
  CHECK(error_of("http:\n  tokens:\n    - {token: inline-token-0123456789, scope: read, color: red}\n").find("unknown key") != std::string::npos);
}

TEST_CASE("http.tls takes a certificate and a key, both or neither") {
  CHECK_FALSE(cfg::load_file(TempConfig("").path).http.tls.is_enabled());
  CHECK_FALSE(cfg::load_file(TempConfig("http: {tls: {certificate: '', key: ''}}").path).http.tls.is_enabled());
  const auto c = cfg::load_file(TempConfig("http:\n  tls:\n    certificate: /etc/beacon/api.crt\n    key: /etc/beacon/api.key\n").path);
  CHECK(c.http.tls.is_enabled());
  CHECK(c.http.tls.certificate == "/etc/beacon/api.crt");
  CHECK(c.http.tls.key == "/etc/beacon/api.key");

  const std::string no_key = error_of("http: {tls: {certificate: /etc/beacon/api.crt}}");
  CHECK(no_key.find(".yaml: http.tls.key: is required with http.tls.certificate") != std::string::npos);
  const std::string no_certificate = error_of("http: {tls: {key: /etc/beacon/api.key}}");
  CHECK(no_certificate.find(".yaml: http.tls.certificate: is required with http.tls.key") != std::string::npos);
  CHECK(error_of("http: {tls: {certificate: a, key: b, min_version: '1.3'}}").find("http.tls.min_version: unknown key") !=
        std::string::npos);
  CHECK(error_of("http: {tls: [a, b]}").find("http.tls: must be a mapping") != std::string::npos);
}

TEST_CASE("dns.rrl and dns.tcp.max_in_flight: defaults, values and refusals") {
  const cfg::Config defaults = cfg::load_file(TempConfig("{}").path);
  CHECK(defaults.dns.rrl.rate == 0);
  CHECK(defaults.dns.rrl.slip == 2);
  REQUIRE(defaults.dns.rrl.exempt.size() == 2);
  CHECK(defaults.dns.rrl.exempt[0].to_string() == "127.0.0.0/8");
  CHECK(defaults.dns.rrl.exempt[1].to_string() == "::1/128");
  CHECK(defaults.dns.tcp.max_in_flight == 64);

  TempConfig file(
      "dns:\n  tcp: {max_in_flight: 8}\n  rrl: {rate: 50, slip: 3, ipv4_prefix: 32, ipv6_prefix: 64,"
      " exempt: ['10.0.0.0/8'], table_size: 4096}\n");
  const cfg::Config c = cfg::load_file(file.path);
  CHECK(c.dns.tcp.max_in_flight == 8);
  CHECK(c.dns.rrl.rate == 50);
  CHECK(c.dns.rrl.slip == 3);
  CHECK(c.dns.rrl.ipv4_prefix == 32);
  CHECK(c.dns.rrl.ipv6_prefix == 64);
  REQUIRE(c.dns.rrl.exempt.size() == 1);
  CHECK(c.dns.rrl.exempt[0].to_string() == "10.0.0.0/8");
  CHECK(c.dns.rrl.table_size == 4096);
  CHECK(cfg::load_file(TempConfig("dns: {rrl: {exempt: []}}").path).dns.rrl.exempt.empty());

  CHECK(error_of("dns: {rrl: {exempt: ['10.0.0.0/33']}}").find("dns.rrl.exempt: '10.0.0.0/33' is not") != std::string::npos);
  CHECK(error_of("dns: {rrl: {exempt: 10.0.0.0/8}}").find("dns.rrl.exempt: must be a list") != std::string::npos);
  CHECK(error_of("dns: {rrl: {rate: 20000}}").find("dns.rrl.rate: must be an integer") != std::string::npos);
  CHECK(error_of("dns: {rrl: {ipv4_prefix: 33}}").find("dns.rrl.ipv4_prefix:") != std::string::npos);
  CHECK(error_of("dns: {rrl: {window: 2}}").find("dns.rrl.window: unknown key") != std::string::npos);
  CHECK(error_of("dns: {tcp: {max_in_flight: 0}}").find("dns.tcp.max_in_flight:") != std::string::npos);
}
