#include "registry/model.hpp"

#include <arpa/inet.h>

namespace beacon::registry {

const char* health_name(Health h) {
  switch (h) {
    case Health::passing: return "passing";
    case Health::warning: return "warning";
    case Health::critical: return "critical";
  }
  return "critical";
}

std::optional<Health> parse_health(std::string_view text) {
  if (text == "passing") return Health::passing;
  if (text == "warning") return Health::warning;
  if (text == "critical") return Health::critical;
  return std::nullopt;
}

std::string IpAddress::to_string() const {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(is_v6 ? AF_INET6 : AF_INET, bytes.data(), buf, sizeof buf);
  return buf;
}

}  // namespace beacon::registry
