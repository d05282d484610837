#include "common/cidr.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <charconv>
#include <cstring>

namespace beacon {
namespace {

bool prefix_matches(const std::uint8_t* a, const std::uint8_t* b, unsigned bits) {
  const unsigned whole = bits / 8;
  if (std::memcmp(a, b, whole) != 0) return false;
  const unsigned rest = bits % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xFF << (8 - rest));
  return (a[whole] & mask) == (b[whole] & mask);
}

}  // namespace

PeerAddress PeerAddress::of(const sockaddr_storage& peer) {
  PeerAddress out;
  if (peer.ss_family == AF_INET) {
    const auto& in = reinterpret_cast<const sockaddr_in&>(peer);
    out.family = AF_INET;
    std::memcpy(out.bytes.data(), &in.sin_addr, 4);
  } else if (peer.ss_family == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(peer);
    if (IN6_IS_ADDR_V4MAPPED(&in6.sin6_addr)) {
      out.family = AF_INET;
      std::memcpy(out.bytes.data(), in6.sin6_addr.s6_addr + 12, 4);
    } else {
      out.family = AF_INET6;
      std::memcpy(out.bytes.data(), in6.sin6_addr.s6_addr, 16);
    }
  }
  return out;
}

std::optional<Cidr> Cidr::parse(std::string_view text) {
  const auto slash = text.find('/');
  const std::string address(text.substr(0, slash));
  Cidr cidr;
  if (inet_pton(AF_INET, address.c_str(), cidr.address.data()) == 1) {
    cidr.family = AF_INET;
  } else if (inet_pton(AF_INET6, address.c_str(), cidr.address.data()) == 1) {
    cidr.family = AF_INET6;
  } else {
    return std::nullopt;
  }
  const unsigned width = cidr.family == AF_INET ? 32 : 128;
  cidr.length = width;
  if (slash != std::string_view::npos) {
    const std::string_view digits = text.substr(slash + 1);
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), cidr.length);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || cidr.length > width)
      return std::nullopt;
  }
  return cidr;
}

bool Cidr::contains(const sockaddr_storage& peer) const {
  const PeerAddress p = PeerAddress::of(peer);
  return p.family == family && prefix_matches(p.bytes.data(), address.data(), length);
}

std::string Cidr::to_string() const {
  char text[INET6_ADDRSTRLEN] = "";
  inet_ntop(family, address.data(), text, sizeof text);
  return std::string(text) + "/" + std::to_string(length);
}

}  // namespace beacon
