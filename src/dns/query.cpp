#include "dns/query.hpp"

#include "dns/message.hpp"

namespace beacon::dns {
namespace {

constexpr std::size_t rr_fixed_size = 10;  // type, class, ttl, rdlength

struct RecordHeader {
  std::uint16_t type;
  std::uint16_t rclass;
  std::uint32_t ttl;
  std::uint16_t rdlength;
  bool owner_is_root;
};

/// Reads one resource record's header and skips its RDATA. False if it does not parse.
bool skip_record(std::span<const std::uint8_t> message, std::size_t& pos, RecordHeader& rr) {
  WireName owner;
  if (read_name(message, pos, owner) != NameError::none) return false;
  if (pos + rr_fixed_size > message.size()) return false;
  const std::uint8_t* p = message.data() + pos;
  rr = {read_u16(p), read_u16(p + 2), read_u32(p + 4), read_u16(p + 8), owner.length == 1};
  pos += rr_fixed_size;
  if (pos + rr.rdlength > message.size()) return false;
  pos += rr.rdlength;
  return true;
}

bool parse_question(std::span<const std::uint8_t> message, std::size_t& pos, Query& query) {
  if (read_name(message, pos, query.qname) != NameError::none) return false;
  if (pos + 4 > message.size()) return false;
  query.qtype = read_u16(message.data() + pos);
  query.qclass = read_u16(message.data() + pos + 2);
  pos += 4;
  to_lower(query.qname.wire(), query.qname_lower.data());
  query.has_question = true;
  return true;
}

/// Skips the answer and authority sections and reads the OPT record from the additional
/// section. Exactly one OPT, owned by the root, is allowed (RFC 6891 §6.1.1).
ParseOutcome parse_sections(std::span<const std::uint8_t> message, std::size_t pos, Query& query) {
  const std::uint8_t* h = message.data();
  const unsigned skipped = read_u16(h + header::ancount) + read_u16(h + header::nscount);
  RecordHeader rr{};
  for (unsigned i = 0; i < skipped; ++i) {
    if (!skip_record(message, pos, rr)) return ParseOutcome::formerr;
  }
  const unsigned additional = read_u16(h + header::arcount);
  for (unsigned i = 0; i < additional; ++i) {
    if (!skip_record(message, pos, rr)) return ParseOutcome::formerr;
    if (rr.type != type::OPT) continue;
    if (query.has_edns || !rr.owner_is_root) return ParseOutcome::formerr;
    query.has_edns = true;
    query.edns_udp_size = rr.rclass;
    query.edns_version = static_cast<std::uint8_t>(rr.ttl >> 16);
    query.dnssec_ok = (rr.ttl & edns_do_bit) != 0;
  }
  if (pos != message.size()) return ParseOutcome::formerr;  // trailing garbage
  if (query.has_edns && query.edns_version != 0) return ParseOutcome::badvers;
  return ParseOutcome::ok;
}

}  // namespace

ParseOutcome parse_query(std::span<const std::uint8_t> message, Query& query) {
  query.has_question = false;
  query.has_edns = false;
  query.dnssec_ok = false;
  if (message.size() < limits::header_size) return ParseOutcome::drop;
  const std::uint8_t* h = message.data();
  query.id = read_u16(h + header::id);
  query.flags = read_u16(h + header::flags);
  query.opcode = static_cast<std::uint8_t>((query.flags >> 11) & 0x0F);
  if (query.flags & flag::QR) return ParseOutcome::drop;
  if (query.opcode != opcode::QUERY) return ParseOutcome::notimp;
  if (read_u16(h + header::qdcount) != 1) return ParseOutcome::formerr;

  std::size_t pos = limits::header_size;
  if (!parse_question(message, pos, query)) return ParseOutcome::formerr;
  return parse_sections(message, pos, query);
}

}  // namespace beacon::dns
