#include "answer/zone_answer.hpp"

#include "dns/name.hpp"

namespace beacon::answer {

using dns::Section;

void ZoneAnswer::write(NamePosition& name) {
  for (int hop = 0; hop < max_cname_hops; ++hop) {
    const LookupResult found = lookup(zone_, name, qtype_);
    switch (found.match) {
      case Match::delegation:
        write_referral(name, found);
        return;
      case Match::nxdomain:
        rcode_ = dns::rcode::NXDOMAIN;
        write_negative(name);
        return;
      case Match::exact:
      case Match::wildcard:
        if (!write_node(name, *found.node)) return;
        break;
    }
  }
  // A chain longer than max_cname_hops (or a loop): the resolver gets what we have.
}

bool ZoneAnswer::write_node(NamePosition& name, const zone::Node& node) {
  const auto sets = zone_.rrsets(node);
  // ANY: one RRset, not all of them (RFC 8482 §4.1).
  const zone::RRset* set = qtype_ == dns::type::ANY ? (sets.empty() ? nullptr : &sets.front()) : zone_.rrset(node, qtype_);
  if (set != nullptr) {
    if (add_rrset(Section::answer, name.offset, *set)) add_target_addresses(false);
    return false;
  }
  const zone::RRset* cname = qtype_ == dns::type::CNAME ? nullptr : zone_.rrset(node, dns::type::CNAME);
  if (cname == nullptr) {
    write_negative(name);  // NODATA
    return false;
  }
  const std::size_t at = writer_.size();
  if (!add_rrset(Section::answer, name.offset, *cname)) return false;
  const zone::Record& record = zone_.records(*cname).front();
  const auto rdata_name = zone_.tail(record).subspan(record.target_in_tail);
  const auto target_name = rdata_name.first(dns::wire_length(rdata_name));
  if (!dns::is_subdomain(target_name, zone_.apex())) return false;  // leaves the zone
  name.assign(target_name, static_cast<std::uint16_t>(at + 2 + record.target_in_tail));
  return true;
}

void ZoneAnswer::write_referral(const NamePosition& name, const LookupResult& cut) {
  authoritative_ = writer_.count(Section::answer) > 0;  // only a CNAME before the cut is ours
  const zone::RRset* ns = zone_.rrset(*cut.node, dns::type::NS);
  if (add_rrset(Section::authority, name.suffix_offset(cut.cut_skip), *ns)) add_target_addresses(true);
}

void ZoneAnswer::write_negative(const NamePosition& name) {
  const std::size_t apex_skip = name.label_count - zone_.apex_labels();
  if (!writer_.add_record(Section::authority, name.suffix_offset(apex_skip), zone_.negative_soa_tail()))
    truncated_ = true;
}

bool ZoneAnswer::add_rrset(Section section, std::uint16_t owner_offset, const zone::RRset& set) {
  const auto mark = writer_.mark();
  const std::size_t first_target = target_count_;
  const bool collect = set.type != dns::type::CNAME;
  for (const zone::Record& record : zone_.records(set)) {
    const std::size_t at = writer_.size();
    if (!writer_.add_record(section, owner_offset, zone_.tail(record))) {
      // No partial RRsets: the client retries over TCP (RFC 2181 §9).
      writer_.rollback(mark);
      target_count_ = first_target;
      truncated_ = true;
      return false;
    }
    const std::size_t name_at = at + 2 + record.target_in_tail;
    if (collect && record.target_node != zone::no_node && target_count_ < max_targets && name_at < 0x4000)
      targets_[target_count_++] = {record.target_node, static_cast<std::uint16_t>(name_at)};
  }
  return true;
}

void ZoneAnswer::add_target_addresses(bool required) {
  for (std::size_t i = 0; i < target_count_; ++i) {
    const zone::Node& node = zone_.node(targets_[i].node);
    for (const std::uint16_t type : {dns::type::A, dns::type::AAAA}) {
      const zone::RRset* set = zone_.rrset(node, type);
      if (set == nullptr) continue;
      const auto mark = writer_.mark();
      const bool was_truncated = truncated_;
      if (!add_rrset(Section::additional, targets_[i].name_offset, *set)) {
        // Glue a referral needs makes the response truncated; other additional data is optional.
        writer_.rollback(mark);
        truncated_ = was_truncated || required;
        return;
      }
    }
  }
}

}  // namespace beacon::answer
