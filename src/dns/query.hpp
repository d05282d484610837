#pragma once
// Parsing an incoming query: header, the one question, and the EDNS(0) OPT record.
// The result is a plain value; nothing here allocates or throws, and every malformed input
// maps to an outcome the responder turns into FORMERR, NOTIMP, BADVERS or a silent drop.

#include <cstdint>
#include <span>

#include "dns/name.hpp"

namespace beacon::dns {

enum class ParseOutcome : std::uint8_t {
  ok,
  drop,       // no header to answer (runt) or a response (QR=1): answering could loop or reflect
  formerr,    // malformed; the header (and the question, if `has_question`) can be echoed
  notimp,     // opcode other than QUERY
  badvers,    // EDNS version above 0 (RFC 6891 §6.1.3)
};

struct Query {
  std::uint16_t id = 0;
  std::uint16_t flags = 0;  // the request's flags word as received
  std::uint8_t opcode = 0;

  bool has_question = false;
  WireName qname;  // as received: case preserved, uncompressed
  std::array<std::uint8_t, limits::max_name> qname_lower{};
  std::uint16_t qtype = 0;
  std::uint16_t qclass = 0;

  bool has_edns = false;
  std::uint8_t edns_version = 0;
  std::uint16_t edns_udp_size = 0;  // as the client advertised it
  bool dnssec_ok = false;

  bool recursion_desired() const { return (flags & flag::RD) != 0; }
  std::span<const std::uint8_t> lower_name() const { return {qname_lower.data(), qname.length}; }
  std::span<const std::uint8_t> lower_suffix(std::size_t skip) const {
    const auto s = qname.suffix(skip);
    return {qname_lower.data() + (s.data() - qname.bytes.data()), s.size()};
  }
};

/// Parses `message` into `query`. On any outcome other than `drop`, `query.id`, `flags` and
/// `opcode` are set so that an error response can echo them.
ParseOutcome parse_query(std::span<const std::uint8_t> message, Query& query);

}  // namespace beacon::dns
