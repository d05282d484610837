#pragma once
// Assembles a response into a caller-owned buffer, section by section, never past a size
// limit. Records are appended as pre-encoded "tails" (type, class, TTL, RDLENGTH, RDATA)
// behind an owner name that is either a compression pointer to a name already in the message
// or written out in full. A `Mark` lets the caller roll back a partially written RRset, so a
// response that does not fit ends at an RRset boundary (RFC 2181 §9).

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "dns/constants.hpp"

namespace beacon::dns {

enum class Section : std::uint8_t { answer = 0, authority = 1, additional = 2 };

class ResponseWriter {
 public:
  /// `buffer` must hold at least `limits::max_message` octets; `limit` is the size the
  /// response may reach (the client's UDP payload size, or 65535 over TCP).
  ResponseWriter(std::span<std::uint8_t> buffer, std::size_t limit);

  struct Mark {
    std::size_t size;
    std::uint16_t counts[3];
  };

  /// Writes the header (counts are filled in by `finish`). `flags` holds QR, opcode, AA,
  /// TC, RD, RA and the low four bits of the RCODE.
  void write_header(std::uint16_t id, std::uint16_t flags);
  /// Appends the question; false if it does not fit (never happens for a parsed query).
  bool write_question(std::span<const std::uint8_t> qname, std::uint16_t qtype, std::uint16_t qclass);

  /// Appends a record owned by the name at message offset `owner_offset` (< 0x4000).
  bool add_record(Section section, std::uint16_t owner_offset, std::span<const std::uint8_t> tail);
  /// The same, aiming the compression pointers at `owner_pointers` (offsets into `tail`; 0:
  /// unused) at the owner too: the negative-answer SOA, whose MNAME and RNAME end in the apex.
  bool add_record(Section section, std::uint16_t owner_offset, std::span<const std::uint8_t> tail,
                  const std::array<std::uint16_t, 2>& owner_pointers);
  /// Appends a record whose owner is written out uncompressed.
  bool add_record(Section section, std::span<const std::uint8_t> owner, std::span<const std::uint8_t> tail);

  /// Reserves room for the OPT record so that later records cannot crowd it out.
  void reserve(std::size_t octets) { reserved_ += octets; }
  /// Releases a reservation and appends the OPT record (RFC 6891 §6.1.2).
  bool add_opt(std::uint16_t udp_size, std::uint8_t extended_rcode, bool dnssec_ok);

  Mark mark() const { return {size_, {counts_[0], counts_[1], counts_[2]}}; }
  void rollback(const Mark& m);

  void set_flags(std::uint16_t set_bits);
  void set_rcode(std::uint16_t rcode);
  std::uint16_t count(Section s) const { return counts_[static_cast<int>(s)]; }

  /// True if the message holds `name` (uncompressed, these exact octets) at `offset`.
  bool spells(std::size_t offset, std::span<const std::uint8_t> name) const;

  /// Offset the next octet will be written at.
  std::size_t size() const { return size_; }
  /// Fills in the section counts; returns the message length.
  std::size_t finish();

 private:
  bool fits(std::size_t octets) const { return size_ + octets + reserved_ <= limit_; }

  std::uint8_t* buf_;
  std::size_t limit_;
  std::size_t size_ = 0;
  std::size_t reserved_ = 0;
  std::uint16_t qdcount_ = 0;
  std::uint16_t counts_[3] = {0, 0, 0};
};

constexpr std::size_t opt_record_size = 11;

}  // namespace beacon::dns
