#pragma once
// An IPv4 or IPv6 network prefix ("192.0.2.0/24", "::1/128", or a bare address meaning the
// host), matched against socket addresses without allocating. Used for lists such as the
// addresses exempt from response rate limiting.

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace beacon {

struct Cidr {
  sa_family_t family = AF_UNSPEC;
  std::array<std::uint8_t, 16> address{};  // network byte order; 4 bytes used for AF_INET
  unsigned length = 0;                     // prefix length in bits

  /// "ADDR/LEN" or "ADDR"; nullopt if it is not an address, or LEN exceeds the family's width.
  static std::optional<Cidr> parse(std::string_view text);
  /// True if `peer` (AF_INET or AF_INET6) lies inside this prefix. IPv4-mapped IPv6 peers
  /// (::ffff:a.b.c.d) match IPv4 prefixes.
  bool contains(const sockaddr_storage& peer) const;
  std::string to_string() const;
};

/// The address bytes of `peer` (4 or 16, IPv4-mapped IPv6 folded to IPv4) and its family;
/// family AF_UNSPEC for anything else.
struct PeerAddress {
  sa_family_t family = AF_UNSPEC;
  std::array<std::uint8_t, 16> bytes{};
  static PeerAddress of(const sockaddr_storage& peer);
};

}  // namespace beacon
