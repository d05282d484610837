#include "global_options.hpp"

#include <boost/program_options/value_semantic.hpp>
#include <cctype>
#include <cstdlib>
#include <string_view>

#include "common/duration.hpp"
#include "exit_status.hpp"

namespace beacon::ctl {
namespace {

namespace po = boost::program_options;

constexpr const char* default_server = "http://127.0.0.1:8054";
constexpr const char* default_dns = "127.0.0.1:8053";
constexpr const char* default_zone = "svc.internal.";

std::string env_or(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}

bool ends_with_label_boundary(std::string_view name, std::string_view suffix) {
  if (name.size() < suffix.size()) return false;
  const std::string_view tail = name.substr(name.size() - suffix.size());
  for (std::size_t i = 0; i < suffix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(tail[i])) != std::tolower(static_cast<unsigned char>(suffix[i]))) return false;
  return name.size() == suffix.size() || name[name.size() - suffix.size() - 1] == '.';
}

}  // namespace

po::options_description global_options(GlobalOptions& options) {
  po::options_description global("Global options", 100, 60);
  global.add_options()
      ("server", po::value(&options.server)->value_name("URL")->default_value(env_or("BEACON_SERVER", default_server), ""),
       "registration API (default: $BEACON_SERVER, else http://127.0.0.1:8054)")
      ("dns", po::value(&options.dns)->value_name("ADDR:PORT")->default_value(env_or("BEACON_DNS", default_dns), ""),
       "DNS server for resolve and wait (default: $BEACON_DNS, else 127.0.0.1:8053)")
      ("token", po::value(&options.token)->value_name("TOKEN")->default_value(env_or("BEACON_TOKEN", ""), ""),
       "sent as Authorization: Bearer TOKEN (default: $BEACON_TOKEN)")
      ("cacert", po::value(&options.cacert)->value_name("FILE")->default_value(env_or("BEACON_CACERT", ""), ""),
       "PEM file of the CAs that an https:// server's certificate is checked against (default: $BEACON_CACERT, else the system's)")
      ("zone", po::value(&options.zone)->value_name("ZONE")->default_value(env_or("BEACON_ZONE", default_zone), ""),
       "the registry zone, appended to names outside it (default: $BEACON_ZONE, else svc.internal.)")
      ("json", po::bool_switch(&options.json), "print JSON for scripts instead of text")
      ("help,h", po::bool_switch(&options.help), "show help and exit")
      ("version", po::bool_switch(&options.version), "print the version and exit");
  return global;
}

bool global_flag_takes_value(const std::string& name) {
  return name == "server" || name == "dns" || name == "token" || name == "cacert" || name == "zone";
}

std::string absolute_zone(const std::string& zone) {
  if (zone.empty() || zone == ".") throw usage_error("--zone: must be a domain name such as svc.internal");
  return zone.back() == '.' ? zone : zone + '.';
}

std::string qualify(const std::string& name, const std::string& zone) {
  if (name.empty()) throw usage_error("the name must not be empty");
  if (name.back() == '.') return name;
  const std::string_view relative_zone(zone.data(), zone.size() - 1);
  if (ends_with_label_boundary(name, relative_zone)) return name + '.';
  return name + '.' + zone;
}

std::chrono::milliseconds parse_duration_flag(const std::string& text, const std::string& flag) {
  const auto d = parse_duration(text);
  if (!d || d->count() == 0)
    throw usage_error(flag + ": must be a positive duration such as 500ms, 5s, 2m or 10, not '" + text + "'");
  return *d;
}

}  // namespace beacon::ctl
