#pragma once
// The registry zone's apex when no zone file of the same origin provides it: an SOA and NS
// records from the configuration.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "zone/zone.hpp"

namespace beacon::registry {

struct ApexSettings {
  std::string origin;                    // presentation format, absolute ("svc.internal.")
  std::vector<std::string> name_servers; // presentation format; empty: ns1.<origin>
  std::string mname;                     // empty: the first name server
  std::string rname;                     // empty: hostmaster.<origin>
  std::uint32_t serial = 1;
  std::uint32_t refresh = 3600;
  std::uint32_t retry = 600;
  std::uint32_t expire = 86400;
  std::uint32_t minimum = 5;             // negative caching TTL (RFC 2308)
  std::uint32_t ttl = 60;                // of the SOA and NS records
};

/// Throws zone::ZoneError for names that are not valid.
std::shared_ptr<const zone::Zone> build_apex_zone(const ApexSettings& settings);

}  // namespace beacon::registry
