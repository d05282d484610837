#pragma once
// Protocol numbers and limits from RFC 1035, RFC 6891 and the IANA DNS parameters registry.

#include <cstddef>
#include <cstdint>

namespace beacon::dns {

namespace limits {
constexpr std::size_t header_size = 12;
constexpr std::size_t max_name = 255;     // octets on the wire, root label included
constexpr std::size_t max_label = 63;
constexpr std::size_t max_labels = 127;   // 255 octets hold at most 127 one-letter labels
constexpr std::size_t min_udp_payload = 512;
constexpr std::size_t default_udp_payload = 1232;  // DNS flag day 2020
constexpr std::size_t max_message = 65535;
}  // namespace limits

namespace type {
constexpr std::uint16_t A = 1;
constexpr std::uint16_t NS = 2;
constexpr std::uint16_t CNAME = 5;
constexpr std::uint16_t SOA = 6;
constexpr std::uint16_t PTR = 12;
constexpr std::uint16_t HINFO = 13;
constexpr std::uint16_t MX = 15;
constexpr std::uint16_t TXT = 16;
constexpr std::uint16_t AAAA = 28;
constexpr std::uint16_t SRV = 33;
constexpr std::uint16_t NAPTR = 35;
constexpr std::uint16_t DNAME = 39;
constexpr std::uint16_t OPT = 41;
constexpr std::uint16_t DS = 43;
constexpr std::uint16_t RRSIG = 46;
constexpr std::uint16_t TKEY = 249;
constexpr std::uint16_t TSIG = 250;
constexpr std::uint16_t IXFR = 251;
constexpr std::uint16_t AXFR = 252;
constexpr std::uint16_t MAILB = 253;
constexpr std::uint16_t MAILA = 254;
constexpr std::uint16_t ANY = 255;
}  // namespace type

namespace qclass {
constexpr std::uint16_t IN = 1;
constexpr std::uint16_t CH = 3;
constexpr std::uint16_t ANY = 255;
}  // namespace qclass

namespace opcode {
constexpr std::uint8_t QUERY = 0;
}

/// Response codes; values above 15 only exist as extended RCODEs carried in the OPT record.
namespace rcode {
constexpr std::uint16_t NOERROR = 0;
constexpr std::uint16_t FORMERR = 1;
constexpr std::uint16_t SERVFAIL = 2;
constexpr std::uint16_t NXDOMAIN = 3;
constexpr std::uint16_t NOTIMP = 4;
constexpr std::uint16_t REFUSED = 5;
constexpr std::uint16_t BADVERS = 16;
}  // namespace rcode

/// Bits of the header's flags word (octets 2-3).
namespace flag {
constexpr std::uint16_t QR = 0x8000;
constexpr std::uint16_t AA = 0x0400;
constexpr std::uint16_t TC = 0x0200;
constexpr std::uint16_t RD = 0x0100;
constexpr std::uint16_t RA = 0x0080;
constexpr std::uint16_t AD = 0x0020;
constexpr std::uint16_t CD = 0x0010;
}  // namespace flag

constexpr std::uint32_t edns_do_bit = 0x8000;

}  // namespace beacon::dns
