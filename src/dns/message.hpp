#pragma once
// Big-endian field access on raw DNS messages.

#include <cstddef>
#include <cstdint>

namespace beacon::dns {

inline std::uint16_t read_u16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>(p[0] << 8 | p[1]);
}
inline std::uint32_t read_u32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) << 24 | static_cast<std::uint32_t>(p[1]) << 16 |
         static_cast<std::uint32_t>(p[2]) << 8 | p[3];
}
inline void write_u16(std::uint8_t* p, std::uint16_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v);
}
inline void write_u32(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 24);
  p[1] = static_cast<std::uint8_t>(v >> 16);
  p[2] = static_cast<std::uint8_t>(v >> 8);
  p[3] = static_cast<std::uint8_t>(v);
}

/// Offsets of the header fields (RFC 1035 §4.1.1).
namespace header {
constexpr std::size_t id = 0;
constexpr std::size_t flags = 2;
constexpr std::size_t qdcount = 4;
constexpr std::size_t ancount = 6;
constexpr std::size_t nscount = 8;
constexpr std::size_t arcount = 10;
}  // namespace header

}  // namespace beacon::dns
