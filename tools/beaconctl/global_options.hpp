#pragma once
// The flags every command takes (--server, --dns, --token, --cacert, --zone, --json), with their
// BEACON_* environment defaults, and the small parsers built on them.

#include <boost/program_options/options_description.hpp>
#include <chrono>
#include <string>

namespace beacon::ctl {

struct GlobalOptions {
  std::string server;  // registration API base URL
  std::string dns;     // ADDR:PORT of the DNS server
  std::string token;   // sent as "Authorization: Bearer <token>" when not empty
  std::string cacert;  // PEM CAs for an https server; empty: the system's
  std::string zone;    // the registry zone, absolute ("svc.internal.")
  bool json = false;
  bool help = false;
  bool version = false;
};

/// The global flags, writing into `options`; defaults come from BEACON_SERVER, BEACON_DNS,
/// BEACON_TOKEN, BEACON_CACERT and BEACON_ZONE when set.
boost::program_options::options_description global_options(GlobalOptions& options);

/// Is `name` (without dashes) a global flag that takes a value ("server", "dns", ...)?
bool global_flag_takes_value(const std::string& name);

/// "svc.internal" -> "svc.internal.". Throws a usage error for an empty name.
std::string absolute_zone(const std::string& zone);

/// A name as `resolve` and `wait` query it: "web" -> "web.<zone>", "web.svc.internal" (inside
/// the zone) and "example.com." (absolute) unchanged but for the final dot.
std::string qualify(const std::string& name, const std::string& zone);

/// A duration flag ("500ms", "5s", "2m", or seconds); throws a usage error naming `flag`.
std::chrono::milliseconds parse_duration_flag(const std::string& text, const std::string& flag);

}  // namespace beacon::ctl
