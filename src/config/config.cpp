#include "config/config.hpp"

#include <yaml-cpp/yaml.h>

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <charconv>
#include <functional>
#include <set>
#include <thread>

#include "common/duration.hpp"

namespace beacon::config {
namespace {

/// One mapping of the file: reads the keys it knows and refuses the rest.
class Section {
 public:
  Section(YAML::Node node, std::string path, const std::string& file)
      : node_(std::move(node)), path_(std::move(path)), file_(file) {
    if (node_ && !node_.IsNull() && !node_.IsMap()) fail(path_, "must be a mapping");
  }

  /// Calls `read(value, key_path)` if `key` is present.
  void field(const std::string& key, const std::function<void(const YAML::Node&, const std::string&)>& read) {
    known_.insert(key);
    if (!node_ || !node_.IsMap()) return;
    const YAML::Node value = node_[key];
    if (value) read(value, qualified(key));
  }

  void reject_unknown_keys() const {
    if (!node_ || !node_.IsMap()) return;
    for (const auto& entry : node_) {
      const auto key = entry.first.as<std::string>();
      if (known_.contains(key)) continue;
      std::string expected;
      for (const auto& k : known_) expected += (expected.empty() ? "" : ", ") + k;
      fail(qualified(key), "unknown key (expected one of: " + expected + ")");
    }
  }

  Section child(const std::string& key) const { return Section(node_ ? node_[key] : YAML::Node(), qualified(key), file_); }
  /// A mapping inside a list, e.g. the entry `http.tokens[2]`.
  Section entry(const YAML::Node& node, std::string path) const { return Section(node, std::move(path), file_); }

  [[noreturn]] void fail(const std::string& key, const std::string& why) const {
    throw ConfigError(file_ + ": " + key + ": " + why);
  }

 private:
  std::string qualified(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }

  YAML::Node node_;
  std::string path_;
  const std::string& file_;
  std::set<std::string> known_;
};

std::string scalar(const Section& s, const YAML::Node& v, const std::string& key) {
  if (!v.IsScalar()) s.fail(key, "must be a single value");
  return v.Scalar();
}

std::uint64_t integer(const Section& s, const YAML::Node& v, const std::string& key, std::uint64_t min, std::uint64_t max) {
  const std::string text = scalar(s, v, key);
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value < min || value > max)
    s.fail(key, "must be an integer from " + std::to_string(min) + " to " + std::to_string(max) + ", not '" + text + "'");
  return value;
}

std::chrono::milliseconds duration(const Section& s, const YAML::Node& v, const std::string& key) {
  const std::string text = scalar(s, v, key);
  const auto d = parse_duration(text);
  if (!d || d->count() == 0) s.fail(key, "must be a positive duration such as 500ms, 15s, 2m or 10, not '" + text + "'");
  return *d;
}

std::chrono::seconds whole_seconds(const Section& s, const YAML::Node& v, const std::string& key, std::chrono::seconds min,
                             std::chrono::seconds max) {
  const std::string text = scalar(s, v, key);
  const auto d = parse_duration(text);
  if (!d || d->count() % 1000 != 0 || *d < min || *d > max)
    s.fail(key, "must be whole seconds from " + std::to_string(min.count()) + "s to " + std::to_string(max.count()) +
                    "s (e.g. 5s, 2m or 30), not '" + text + "'");
  return std::chrono::duration_cast<std::chrono::seconds>(*d);
}

/// parse_endpoint's errors name the key; in a file they must name the file too (found by
/// tools/fuzz/fuzz_config).
Endpoint endpoint(const Section& s, const YAML::Node& v, const std::string& key) {
  try {
    return parse_endpoint(scalar(s, v, key), key);
  } catch (const ConfigError& e) {
    s.fail(key, e.what() + key.size() + 2);  // parse_endpoint's "<key>: " prefix, replaced
  }
}

bool boolean(const Section& s, const YAML::Node& v, const std::string& key) {
  const std::string text = scalar(s, v, key);
  if (text == "true") return true;
  if (text == "false") return false;
  s.fail(key, "must be true or false, not '" + text + "'");
}

std::string domain(const Section& s, const YAML::Node& v, const std::string& key) {
  try {
    return parse_domain_name(scalar(s, v, key), key);
  } catch (const ConfigError& e) {
    s.fail(key, e.what() + key.size() + 2);
  }
}

void read_registry_zone(Section& section, DnsConfig& dns) {
  section.field("zone", [&](const YAML::Node& v, const std::string& key) { dns.zone = domain(section, v, key); });
  section.field("ttl", [&](const YAML::Node& v, const std::string& key) {
    dns.ttl = whole_seconds(section, v, key, std::chrono::seconds(0), std::chrono::seconds(86400));
  });
  section.field("negative_ttl", [&](const YAML::Node& v, const std::string& key) {
    dns.negative_ttl = whole_seconds(section, v, key, std::chrono::seconds(0), std::chrono::seconds(86400));
  });
  section.field("max_answers", [&](const YAML::Node& v, const std::string& key) {
    dns.max_answers = static_cast<std::uint16_t>(integer(section, v, key, 1, 64));
  });
  section.field("only_passing", [&](const YAML::Node& v, const std::string& key) { dns.only_passing = boolean(section, v, key); });
  section.field("fail_open", [&](const YAML::Node& v, const std::string& key) { dns.fail_open = boolean(section, v, key); });
  section.field("ns", [&](const YAML::Node& v, const std::string& key) {
    if (!v.IsSequence() || v.size() == 0) section.fail(key, "must be a non-empty list of name server names");
    dns.ns.clear();
    for (const auto& item : v) dns.ns.push_back(domain(section, item, key));
  });
  section.field("soa", [](const YAML::Node&, const std::string&) {});
  Section soa = section.child("soa");
  soa.field("mname", [&](const YAML::Node& v, const std::string& key) { dns.soa.mname = domain(soa, v, key); });
  soa.field("rname", [&](const YAML::Node& v, const std::string& key) { dns.soa.rname = domain(soa, v, key); });
  const std::chrono::seconds year(365 * 86400);
  soa.field("refresh", [&](const YAML::Node& v, const std::string& key) { dns.soa.refresh = whole_seconds(soa, v, key, std::chrono::seconds(1), year); });
  soa.field("retry", [&](const YAML::Node& v, const std::string& key) { dns.soa.retry = whole_seconds(soa, v, key, std::chrono::seconds(1), year); });
  soa.field("expire", [&](const YAML::Node& v, const std::string& key) { dns.soa.expire = whole_seconds(soa, v, key, std::chrono::seconds(1), year); });
  soa.reject_unknown_keys();
}

void read_health(Section section, HealthConfig& health) {
  section.field("max_concurrent", [&](const YAML::Node& v, const std::string& key) {
    health.max_concurrent = static_cast<unsigned>(integer(section, v, key, 1, 100'000));
  });
  section.reject_unknown_keys();
}

/// A bearer token: 16 to 256 visible ASCII characters. The message never quotes it.
std::string checked_secret(const Section& s, std::string secret, const std::string& key, const std::string& where) {
  while (!secret.empty() && std::isspace(static_cast<unsigned char>(secret.back()))) secret.pop_back();
  const bool visible = std::all_of(secret.begin(), secret.end(), [](char c) { return c > ' ' && c < 127; });
  if (secret.size() < 16 || secret.size() > 256 || !visible)
    s.fail(key, "the token" + where + " must be 16 to 256 visible ASCII characters (no spaces)");
  return secret;
}

std::string token_from_file(const Section& s, const std::string& file, const std::string& key) {
  std::ifstream in(file);
  if (!in) s.fail(key, "cannot read the token file " + file + ": " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  return checked_secret(s, text.str(), key, " in " + file);
}

std::string token_from_env(const Section& s, const std::string& variable, const std::string& key) {
  const char* value = std::getenv(variable.c_str());
  if (value == nullptr) s.fail(key, "the environment variable " + variable + " is not set");
  return checked_secret(s, value, key, " in $" + variable);
}

TokenScope token_scope(const Section& s, const YAML::Node& v, const std::string& key) {
  const std::string text = scalar(s, v, key);
  if (text == "read") return TokenScope::read;
  if (text == "write") return TokenScope::write;
  if (text == "admin") return TokenScope::admin;
  s.fail(key, "must be read, write or admin, not '" + text + "'");
}

std::vector<std::string> service_prefixes(const Section& s, const YAML::Node& v, const std::string& key) {
  if (!v.IsSequence() || v.size() == 0) s.fail(key, "must be a non-empty list of service-name prefixes");
  std::vector<std::string> prefixes;
  for (const auto& item : v) {
    std::string prefix = scalar(s, item, key);
    for (char& c : prefix) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const bool label_chars = std::all_of(prefix.begin(), prefix.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '-';
    });
    if (prefix.empty() || prefix.size() > 63 || !label_chars)
      s.fail(key, "'" + prefix + "' is not a service-name prefix (1-63 of a-z, 0-9 and '-')");
    prefixes.push_back(std::move(prefix));
  }
  return prefixes;
}

TokenConfig read_token(Section entry, const std::string& path) {
  TokenConfig token;
  int sources = 0;
  const auto source = [&](const char* key, std::string (*read)(const Section&, const std::string&, const std::string&)) {
    entry.field(key, [&](const YAML::Node& v, const std::string& k) {
      ++sources;
      token.secret = read(entry, scalar(entry, v, k), k);
    });
  };
  source("token", [](const Section& s, const std::string& text, const std::string& k) {
    return checked_secret(s, text, k, "");
  });
  source("token_file", token_from_file);
  source("token_env", token_from_env);
  bool has_scope = false;
  entry.field("scope", [&](const YAML::Node& v, const std::string& k) {
    token.scope = token_scope(entry, v, k);
    has_scope = true;
  });
  entry.field("services", [&](const YAML::Node& v, const std::string& k) { token.services = service_prefixes(entry, v, k); });
  entry.reject_unknown_keys();
  if (sources != 1) entry.fail(path, "needs exactly one of token, token_file or token_env");
  if (!has_scope) entry.fail(path, "needs a scope: read, write or admin");
  return token;
}

/// http.tls: both files or neither (an empty path is none); whether they load is checked by
/// the API server at start-up and by --check-config.
void read_tls(Section& http_section, TlsConfig& tls) {
  http_section.field("tls", [](const YAML::Node&, const std::string&) {});
  Section section = http_section.child("tls");
  section.field("certificate", [&](const YAML::Node& v, const std::string& key) { tls.certificate = scalar(section, v, key); });
  section.field("key", [&](const YAML::Node& v, const std::string& key) { tls.key = scalar(section, v, key); });
  section.reject_unknown_keys();
  if (tls.certificate.empty() != tls.key.empty())
    section.fail(tls.key.empty() ? "http.tls.key" : "http.tls.certificate",
                 tls.key.empty() ? "is required with http.tls.certificate" : "is required with http.tls.key");
}

void read_http(Section section, HttpConfig& http) {
  section.field("listen", [&](const YAML::Node& v, const std::string& key) {
    http.listen = endpoint(section, v, key);
  });
  section.field("tokens", [&](const YAML::Node& v, const std::string& key) {
    if (!v.IsSequence()) section.fail(key, "must be a list of {token | token_file | token_env, scope, services}");
    for (std::size_t i = 0; i < v.size(); ++i) {
      const std::string path = key + "[" + std::to_string(i) + "]";
      if (!v[i].IsMap()) section.fail(path, "must be a mapping with token, token_file or token_env, and scope");
      http.tokens.push_back(read_token(section.entry(v[i], path), path));
    }
  });
  section.field("request_timeout", [&](const YAML::Node& v, const std::string& key) {
    http.request_timeout = duration(section, v, key);
  });
  section.field("idle_timeout", [&](const YAML::Node& v, const std::string& key) {
    http.idle_timeout = duration(section, v, key);
  });
  section.field("max_connections", [&](const YAML::Node& v, const std::string& key) {
    http.max_connections = static_cast<unsigned>(integer(section, v, key, 1, 1'000'000));
  });
  section.field("keepalive_requests", [&](const YAML::Node& v, const std::string& key) {
    http.keepalive_requests = static_cast<unsigned>(integer(section, v, key, 1, 1'000'000));
  });
  read_tls(section, http.tls);
  section.reject_unknown_keys();
}

void read_storage(Section section, StorageConfig& storage) {
  section.field("path", [&](const YAML::Node& v, const std::string& key) { storage.path = scalar(section, v, key); });
  section.reject_unknown_keys();
}

void read_rrl(Section section, RrlConfig& rrl) {
  section.field("rate", [&](const YAML::Node& v, const std::string& key) {
    rrl.rate = static_cast<unsigned>(integer(section, v, key, 0, 10'000));
  });
  section.field("slip", [&](const YAML::Node& v, const std::string& key) {
    rrl.slip = static_cast<unsigned>(integer(section, v, key, 0, 100));
  });
  section.field("ipv4_prefix", [&](const YAML::Node& v, const std::string& key) {
    rrl.ipv4_prefix = static_cast<unsigned>(integer(section, v, key, 8, 32));
  });
  section.field("ipv6_prefix", [&](const YAML::Node& v, const std::string& key) {
    rrl.ipv6_prefix = static_cast<unsigned>(integer(section, v, key, 16, 128));
  });
  section.field("exempt", [&](const YAML::Node& v, const std::string& key) {
    if (!v.IsSequence()) section.fail(key, "must be a list of ADDR/LEN prefixes ([] for none)");
    rrl.exempt.clear();
    for (const auto& item : v) {
      const std::string text = scalar(section, item, key);
      const auto prefix = Cidr::parse(text);
      if (!prefix) section.fail(key, "'" + text + "' is not an ADDR/LEN prefix");
      rrl.exempt.push_back(*prefix);
    }
  });
  section.field("table_size", [&](const YAML::Node& v, const std::string& key) {
    rrl.table_size = static_cast<unsigned>(integer(section, v, key, 1024, 1u << 24));
  });
  section.reject_unknown_keys();
}

void read_dns(Section section, DnsConfig& dns) {
  section.field("listen", [&](const YAML::Node& v, const std::string& key) {
    if (!v.IsSequence() || v.size() == 0) section.fail(key, "must be a non-empty list of ADDR:PORT");
    dns.listen.clear();
    for (const auto& item : v) dns.listen.push_back(endpoint(section, item, key));
  });
  section.field("threads", [&](const YAML::Node& v, const std::string& key) {
    dns.threads = static_cast<unsigned>(integer(section, v, key, 0, 256));
  });
  section.field("zone_dir", [&](const YAML::Node& v, const std::string& key) { dns.zone_dir = scalar(section, v, key); });
  section.field("max_udp_payload", [&](const YAML::Node& v, const std::string& key) {
    dns.max_udp_payload = static_cast<std::uint16_t>(integer(section, v, key, 512, 4096));
  });
  Section tcp = section.child("tcp");
  section.field("tcp", [](const YAML::Node&, const std::string&) {});
  tcp.field("idle_timeout", [&](const YAML::Node& v, const std::string& key) { dns.tcp.idle_timeout = duration(tcp, v, key); });
  tcp.field("max_connections", [&](const YAML::Node& v, const std::string& key) {
    dns.tcp.max_connections = static_cast<unsigned>(integer(tcp, v, key, 1, 1'000'000));
  });
  tcp.field("max_connections_per_client", [&](const YAML::Node& v, const std::string& key) {
    dns.tcp.max_connections_per_client = static_cast<unsigned>(integer(tcp, v, key, 1, 1'000'000));
  });
  tcp.field("max_in_flight", [&](const YAML::Node& v, const std::string& key) {
    dns.tcp.max_in_flight = static_cast<unsigned>(integer(tcp, v, key, 1, 65'535));
  });
  tcp.reject_unknown_keys();
  section.field("rrl", [](const YAML::Node&, const std::string&) {});
  read_rrl(section.child("rrl"), dns.rrl);
  read_registry_zone(section, dns);
  section.reject_unknown_keys();
}

void read_log(Section section, LogConfig& log_config) {
  section.field("level", [&](const YAML::Node& v, const std::string& key) {
    const std::string text = scalar(section, v, key);
    const auto level = log::parse_level(text);
    if (!level) section.fail(key, "must be one of debug, info, warn, error, not '" + text + "'");
    log_config.level = *level;
  });
  section.field("format", [&](const YAML::Node& v, const std::string& key) {
    const std::string text = scalar(section, v, key);
    const auto format = log::parse_format(text);
    if (!format) section.fail(key, "must be text or json, not '" + text + "'");
    log_config.format = *format;
  });
  section.field("queries", [&](const YAML::Node& v, const std::string& key) { log_config.queries = boolean(section, v, key); });
  section.reject_unknown_keys();
}

}  // namespace

Endpoint parse_endpoint(const std::string& text, const std::string& what) {
  std::string address;
  std::string port;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':')
      throw ConfigError(what + ": '" + text + "' is not [IPV6]:PORT");
    address = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string::npos || text.find(':') != colon)
      throw ConfigError(what + ": '" + text + "' is not ADDR:PORT (write IPv6 as [ADDR]:PORT)");
    address = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  unsigned char buf[16];
  const bool is_v6 = inet_pton(AF_INET6, address.c_str(), buf) == 1;
  if (inet_pton(AF_INET, address.c_str(), buf) != 1 && !is_v6)
    throw ConfigError(what + ": '" + address + "' is not an IPv4 or IPv6 address");
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc{} || end != port.data() + port.size() || value == 0 || value > 65535)
    throw ConfigError(what + ": port '" + port + "' must be 1-65535");
  return {address, static_cast<std::uint16_t>(value)};
}

Config load_file(const std::filesystem::path& file) {
  const std::string name = file.string();
  YAML::Node root;
  try {
    root = YAML::LoadFile(name);
  } catch (const YAML::BadFile&) {
    throw ConfigError(name + ": cannot read the file");
  } catch (const YAML::Exception& e) {
    throw ConfigError(name + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  Config config;
  try {
    Section top(root, "", name);
    top.field("dns", [&](const YAML::Node&, const std::string&) {});
    top.field("log", [&](const YAML::Node&, const std::string&) {});
    top.field("http", [&](const YAML::Node&, const std::string&) {});
    top.field("storage", [&](const YAML::Node&, const std::string&) {});
    top.field("health", [&](const YAML::Node&, const std::string&) {});
    read_dns(top.child("dns"), config.dns);
    read_http(top.child("http"), config.http);
    read_storage(top.child("storage"), config.storage);
    read_health(top.child("health"), config.health);
    read_log(top.child("log"), config.log);
    top.reject_unknown_keys();
  } catch (const YAML::Exception& e) {
    throw ConfigError(name + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  return config;
}

std::string parse_domain_name(const std::string& text, const std::string& what) {
  std::string name = text;
  if (name.empty()) throw ConfigError(what + ": must be a domain name");
  if (name.back() != '.') name += '.';
  std::size_t label = 0;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (c == '.') {
      if (label == 0 && name != ".") throw ConfigError(what + ": '" + text + "' has an empty label");
      label = 0;
      continue;
    }
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok) throw ConfigError(what + ": '" + text + "' is not a domain name (letters, digits, '-' and '_' only)");
    if (++label > 63) throw ConfigError(what + ": '" + text + "' has a label over 63 characters");
  }
  if (name.size() > 254) throw ConfigError(what + ": '" + text + "' is longer than 253 characters");
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

unsigned effective_threads(const DnsConfig& dns) {
  if (dns.threads != 0) return dns.threads;
  const unsigned cores = std::thread::hardware_concurrency();
  return cores == 0 ? 1 : cores;
}

}  // namespace beacon::config
