#pragma once
// Writes the answer, authority and additional sections for a question inside one served
// zone: positive answers (rotated and capped for registry RRsets), CNAME chains inside the
// zone, wildcards, referrals with glue, and NXDOMAIN/NODATA with the SOA. Lives on the
// stack of one respond() call.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "answer/lookup.hpp"
#include "answer/name_position.hpp"
#include "dns/response_writer.hpp"
#include "zone/snapshot.hpp"

namespace beacon::answer {

class ZoneAnswer {
 public:
  /// `rotation` holds this thread's counters, indexed by RRset::rotation_slot.
  ZoneAnswer(const zone::ServedZone& served, dns::ResponseWriter& writer, std::uint16_t qtype,
             std::span<std::uint32_t> rotation)
      : served_(served), apex_zone_(*served.zone), writer_(writer), qtype_(qtype), rotation_(rotation) {}

  /// Answers for `name` (the question, at offset 12).
  void write(NamePosition& name);

  std::uint16_t rcode() const { return rcode_; }
  bool is_authoritative() const { return authoritative_; }
  bool is_truncated() const { return truncated_; }

 private:
  /// A name in RDATA whose A/AAAA belong in the additional section.
  struct Target {
    const zone::Zone* zone;
    std::uint32_t node;
    std::uint16_t name_offset;
  };
  static constexpr std::size_t max_targets = 32;
  static constexpr std::size_t max_cname_hops = 8;

  /// Returns false when the whole name has been answered; true to follow a CNAME.
  bool write_node(NamePosition& name, const zone::Zone& zone, const zone::Node& node);
  void write_referral(const NamePosition& name, const LookupResult& cut);
  void write_negative(const NamePosition& name);
  bool add_rrset(dns::Section section, std::uint16_t owner_offset, const zone::Zone& zone, const zone::RRset& set);
  bool add_record(dns::Section section, std::uint16_t owner_offset, const zone::Zone& zone, const zone::Record& record,
                  bool collect_target);
  void add_target_addresses(bool required);
  /// This thread's turn counter for a rotating RRset (then advanced); 0 for RRsets that do
  /// not rotate. Each run of equal SRV priority starts at turn % (its length).
  std::size_t next_rotation(const zone::RRset& set);

  const zone::ServedZone& served_;
  const zone::Zone& apex_zone_;
  dns::ResponseWriter& writer_;
  std::uint16_t qtype_;
  std::span<std::uint32_t> rotation_;
  std::uint16_t rcode_ = 0;
  bool authoritative_ = true;
  bool truncated_ = false;
  std::array<Target, max_targets> targets_;  // [0, target_count_) in use; not zero-filled per query
  std::size_t target_count_ = 0;
  std::uint64_t followed_from_ = 0;  // hash of the name whose CNAME write_node just followed
};

}  // namespace beacon::answer
