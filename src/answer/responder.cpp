#include "answer/responder.hpp"

#include <algorithm>

#include "answer/name_position.hpp"
#include "answer/zone_answer.hpp"
#include "dns/response_writer.hpp"

namespace beacon::answer {
namespace {

using dns::ParseOutcome;

std::size_t response_limit(const dns::Query& q, Transport transport, std::uint16_t max_udp) {
  if (transport == Transport::tcp) return dns::limits::max_message;
  if (!q.has_edns) return dns::limits::min_udp_payload;
  // RFC 6891 §6.2.5: values below 512 are treated as 512.
  return std::clamp<std::size_t>(q.edns_udp_size, dns::limits::min_udp_payload, max_udp);
}

std::uint16_t response_flags(const dns::Query& q) {
  // QR set, opcode echoed, RD and CD copied (RFC 1035 §4.1.1, RFC 4035 §3.1.6); RA clear.
  return static_cast<std::uint16_t>(dns::flag::QR | (q.flags & (0x7800 | dns::flag::RD | dns::flag::CD)));
}

/// Query types a server answers with an error instead of a lookup.
std::uint16_t refusal_for_qtype(std::uint16_t qtype) {
  switch (qtype) {
    case dns::type::OPT: return dns::rcode::FORMERR;  // a meta type, never a question
    case dns::type::TKEY:
    case dns::type::TSIG:
    case dns::type::MAILA:
    case dns::type::MAILB: return dns::rcode::NOTIMP;
    case dns::type::AXFR:
    case dns::type::IXFR: return dns::rcode::REFUSED;  // no zone transfers
    default: return dns::rcode::NOERROR;
  }
}

/// Fills the answer for a well-formed query; returns its RCODE.
std::uint16_t answer_question(const zone::Snapshot& snapshot, const dns::Query& q, dns::ResponseWriter& writer,
                              std::span<std::uint32_t> rotation) {
  if (q.qclass != dns::qclass::IN) return dns::rcode::REFUSED;
  if (const auto rcode = refusal_for_qtype(q.qtype); rcode != dns::rcode::NOERROR) return rcode;
  const zone::ServedZone* zone =
      snapshot.find_zone(q.lower_name(), {q.qname.label_offsets.data(), q.qname.label_count});
  if (zone == nullptr) return dns::rcode::REFUSED;  // not ours, and we never recurse

  NamePosition name;
  name.assign(q.qname, q.lower_name(), static_cast<std::uint16_t>(dns::limits::header_size));
  ZoneAnswer answer(*zone, writer, q.qtype, rotation);
  answer.write(name);
  if (answer.is_authoritative()) writer.set_flags(dns::flag::AA);
  if (answer.is_truncated()) writer.set_flags(dns::flag::TC);
  return answer.rcode();
}

}  // namespace

std::span<std::uint32_t> Responder::rotation_counters(const zone::Snapshot& snapshot) {
  // Grows only when the registry allocates new rotation slots, not per query.
  if (rotation_.size() < snapshot.rotation_slots()) rotation_.resize(snapshot.rotation_slots() + 256);
  return rotation_;
}

std::size_t Responder::respond(const zone::Snapshot& snapshot, std::span<const std::uint8_t> request,
                               Transport transport, std::span<std::uint8_t> out) {
  dns::Query& q = query_;
  const ParseOutcome outcome = dns::parse_query(request, q);
  const auto t = static_cast<std::size_t>(transport);
  if (outcome == ParseOutcome::drop) {
    stats_.dropped[t].add();
    return 0;
  }

  dns::ResponseWriter writer(out, response_limit(q, transport, options_.max_udp_payload));
  writer.write_header(q.id, response_flags(q));
  if (q.has_question) writer.write_question(q.qname.wire(), q.qtype, q.qclass);
  // A malformed OPT gets no OPT back; every other response to an EDNS query carries one.
  const bool echo_opt = q.has_edns && outcome != ParseOutcome::formerr;
  if (echo_opt) writer.reserve(dns::opt_record_size);

  std::uint16_t rcode = dns::rcode::NOERROR;
  switch (outcome) {
    case ParseOutcome::ok: rcode = answer_question(snapshot, q, writer, rotation_counters(snapshot)); break;
    case ParseOutcome::formerr: rcode = dns::rcode::FORMERR; break;
    case ParseOutcome::notimp: rcode = dns::rcode::NOTIMP; break;
    case ParseOutcome::badvers: rcode = dns::rcode::BADVERS; break;
    case ParseOutcome::drop: break;
  }
  writer.set_rcode(rcode);
  // RFC 3225 §3: the DO bit of the query is copied into the response.
  if (echo_opt) writer.add_opt(options_.max_udp_payload, static_cast<std::uint8_t>(rcode >> 4), q.dnssec_ok);
  const std::size_t length = writer.finish();
  stats_.queries[t][q.has_question ? ResponseStats::qtype_slot(q.qtype) : ResponseStats::qtypes.size()].add();
  stats_.responses[t][ResponseStats::rcode_slot(rcode)].add();
  if ((out[2] & 0x02) != 0) stats_.truncated[t].add();
  return length;
}

}  // namespace beacon::answer
