#pragma once
// The registry's data: services, their instances, and each instance's health.

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.hpp"
#include "registry/check_spec.hpp"
#include "registry/compact_optional.hpp"
#include "registry/heap_optional.hpp"

namespace beacon::registry {

enum class Health : std::uint8_t { passing = 0, warning = 1, critical = 2 };
enum class Protocol : std::uint8_t { tcp, udp };

const char* health_name(Health h);
std::optional<Health> parse_health(std::string_view text);
inline Health worst(Health a, Health b) { return a > b ? a : b; }

/// An IPv4 or IPv6 address in network byte order.
struct IpAddress {
  bool is_v6 = false;
  std::array<std::uint8_t, 16> bytes{};  // IPv4 uses the first four
  std::string to_string() const;
  bool operator==(const IpAddress&) const = default;
};

/// What a client registers: everything of an instance except its identity and health.
/// Every field is validated (registry/registration_codec.hpp) before it gets here.
struct Registration {
  // Ordered large to small: one Registration per instance, a million of them at the
  // registry's design size.
  std::vector<IpAddress> addresses;
  std::vector<std::string> tags;                            // DNS labels, lower case, unique
  std::vector<std::pair<std::string, std::string>> meta;    // sorted by key
  CompactOptional<std::chrono::milliseconds> ttl;           // heartbeat TTL
  CompactOptional<std::chrono::milliseconds> deregister_after;
  HeapOptional<CheckSpec> check;                            // active health check
  CompactOptional<std::uint32_t> dns_ttl;                   // seconds
  std::uint16_t port = 0;
  std::uint16_t weight = 1;
  std::uint16_t priority = 0;
  Protocol protocol = Protocol::tcp;
  bool operator==(const Registration&) const = default;
};

/// The latest result of an instance's active check (after its thresholds).
struct CheckState {
  Health status = Health::passing;
  std::string output;        // "HTTP 200", "connection refused", ...; empty before the first run
  TimePoint last_check{};    // epoch before the first run
  TimePoint last_change{};   // when `status` last changed (registration time at first)
};

/// A check result as the health checker hands it to the registry writer.
struct CheckResult {
  std::string service;
  std::string id;
  Health status = Health::passing;
  std::string output;
  TimePoint checked_at{};
};

/// An instance of a service. Its id is its key in Service::instances (not repeated here).
struct Instance {
  Registration registration;
  TimePoint registered_at{};
  TimePoint last_heartbeat{};
  HeapOptional<CheckState> check;      // present when the registration has a check
  CompactOptional<TimePoint> critical_since;
  // Where the registry's deadline index holds this instance (see Registry::index).
  CompactOptional<TimePoint> ttl_due;         // last_heartbeat + ttl, while not lapsed
  CompactOptional<TimePoint> deregister_due;  // critical_since + deregister_after
  Health reported = Health::passing;   // the status the last heartbeat carried
  bool ttl_expired = false;

  /// The worst of what the heartbeats, their TTL and the active check say.
  Health health() const {
    Health h = ttl_expired ? Health::critical : reported;
    return check ? worst(h, check->status) : h;
  }
};

/// A registered service. It stays registered (answering NODATA) when its last instance
/// goes, until it is deleted itself.
struct Service {
  std::string name;
  TimePoint created_at{};
  std::map<std::string, Instance> instances;  // by id
};

}  // namespace beacon::registry
