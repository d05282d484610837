#pragma once
// How the registry's names look in DNS.

#include <cstdint>
#include <string>

namespace beacon::registry {

struct ZoneSettings {
  std::string origin;              // wire form, lower case ("\3svc\10internal\0")
  std::uint32_t default_ttl = 5;   // seconds, for records of instances without dns_ttl
  std::uint16_t max_answers = 8;   // A/AAAA records per answer
  bool only_passing = false;       // serve passing instances only, not warning ones
  bool fail_open = false;          // no servable instance: serve all of them rather than none
};

}  // namespace beacon::registry
