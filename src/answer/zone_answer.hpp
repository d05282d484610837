#pragma once
// Writes the answer, authority and additional sections for a question inside one zone:
// positive answers, CNAME chains inside the zone, wildcards, referrals with glue, and
// NXDOMAIN/NODATA with the SOA. Lives on the stack of one respond() call.

#include <array>
#include <cstddef>
#include <cstdint>

#include "answer/lookup.hpp"
#include "answer/name_position.hpp"
#include "dns/response_writer.hpp"
#include "zone/zone.hpp"

namespace beacon::answer {

class ZoneAnswer {
 public:
  ZoneAnswer(const zone::Zone& zone, dns::ResponseWriter& writer, std::uint16_t qtype)
      : zone_(zone), writer_(writer), qtype_(qtype) {}

  /// Answers for `name` (the question, at offset 12).
  void write(NamePosition& name);

  std::uint16_t rcode() const { return rcode_; }
  bool is_authoritative() const { return authoritative_; }
  bool is_truncated() const { return truncated_; }

 private:
  /// A name in RDATA whose A/AAAA belong in the additional section.
  struct Target {
    std::uint32_t node;
    std::uint16_t name_offset;
  };
  static constexpr std::size_t max_targets = 32;
  static constexpr int max_cname_hops = 8;

  /// Returns false when the whole name has been answered; true to follow a CNAME.
  bool write_node(NamePosition& name, const zone::Node& node);
  void write_referral(const NamePosition& name, const LookupResult& cut);
  void write_negative(const NamePosition& name);
  bool add_rrset(dns::Section section, std::uint16_t owner_offset, const zone::RRset& set);
  void add_target_addresses(bool required);

  const zone::Zone& zone_;
  dns::ResponseWriter& writer_;
  std::uint16_t qtype_;
  std::uint16_t rcode_ = 0;
  bool authoritative_ = true;
  bool truncated_ = false;
  std::array<Target, max_targets> targets_{};
  std::size_t target_count_ = 0;
};

}  // namespace beacon::answer
