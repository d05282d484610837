#include "answer/zone_answer.hpp"

#include "dns/message.hpp"
#include "dns/name.hpp"

namespace beacon::answer {

using dns::Section;

void ZoneAnswer::write(NamePosition& name) {
  // The names a CNAME chain has answered, hashed only once a CNAME is followed (most answers
  // never are): a loop ends where it comes back to one of them, so each record of the loop
  // appears once (as Knot DNS answers it).
  std::array<std::uint64_t, max_cname_hops> visited{};
  for (std::size_t hop = 0; hop < max_cname_hops; ++hop) {
    const LookupResult found = lookup(served_, name, qtype_);
    switch (found.match) {
      case Match::delegation:
        write_referral(name, found);
        return;
      case Match::nxdomain:
        rcode_ = dns::rcode::NXDOMAIN;
        write_negative(name);
        return;
      case Match::exact:
      case Match::wildcard: {
        if (!write_node(name, *found.zone, *found.node)) return;
        visited[hop] = followed_from_;
        const std::uint64_t next = dns::hash_lower_name({name.lower.data(), name.length});
        for (std::size_t i = 0; i <= hop; ++i) {
          if (visited[i] == next) return;
        }
        break;
      }
    }
  }
  // A chain longer than max_cname_hops (or a loop): the resolver gets what we have.
}

bool ZoneAnswer::write_node(NamePosition& name, const zone::Zone& zone, const zone::Node& node) {
  const auto sets = zone.rrsets(node);
  // ANY: one RRset, not all of them (RFC 8482 §4.1).
  const zone::RRset* set = qtype_ == dns::type::ANY ? (sets.empty() ? nullptr : &sets.front()) : zone.rrset(node, qtype_);
  if (set != nullptr) {
    if (add_rrset(Section::answer, name.offset, zone, *set)) add_target_addresses(false);
    return false;
  }
  const zone::RRset* cname = qtype_ == dns::type::CNAME ? nullptr : zone.rrset(node, dns::type::CNAME);
  if (cname == nullptr) {
    write_negative(name);  // NODATA
    return false;
  }
  const std::size_t at = writer_.size();
  if (!add_rrset(Section::answer, name.offset, zone, *cname)) return false;
  const zone::Record& record = zone.records(*cname).front();
  const auto rdata_name = zone.tail(record).subspan(record.target_in_tail);
  const auto target_name = rdata_name.first(dns::wire_length(rdata_name));
  if (!dns::is_subdomain(target_name, apex_zone_.apex())) return false;  // leaves the zone
  followed_from_ = dns::hash_lower_name({name.lower.data(), name.length});
  name.assign(target_name, static_cast<std::uint16_t>(at + 2 + record.target_in_tail));
  return true;
}

void ZoneAnswer::write_referral(const NamePosition& name, const LookupResult& cut) {
  authoritative_ = writer_.count(Section::answer) > 0;  // only a CNAME before the cut is ours
  const zone::RRset* ns = cut.zone->rrset(*cut.node, dns::type::NS);
  if (add_rrset(Section::authority, name.suffix_offset(cut.cut_skip), *cut.zone, *ns)) add_target_addresses(true);
}

void ZoneAnswer::write_negative(const NamePosition& name) {
  const std::uint16_t apex_at = name.suffix_offset(name.label_count - apex_zone_.apex_labels());
  // The compressed SOA's names point at the apex as the message spells it: only when that is
  // the zone's own spelling, or they would take the question's case.
  const bool written = writer_.spells(apex_at, apex_zone_.apex())
                           ? writer_.add_record(Section::authority, apex_at, apex_zone_.compressed_negative_soa_tail(),
                                                apex_zone_.negative_soa_pointers())
                           : writer_.add_record(Section::authority, apex_at, apex_zone_.negative_soa_tail());
  if (!written) truncated_ = true;
}

std::size_t ZoneAnswer::next_rotation(const zone::RRset& set) {
  if (set.rotation_slot >= rotation_.size()) return 0;
  return rotation_[set.rotation_slot]++;
}

bool ZoneAnswer::add_rrset(Section section, std::uint16_t owner_offset, const zone::Zone& zone, const zone::RRset& set) {
  const auto mark = writer_.mark();
  const std::size_t first_target = target_count_;
  const bool collect = set.type != dns::type::CNAME;
  const auto records = zone.records(set);
  const std::size_t n = records.size();
  const std::size_t turn = next_rotation(set);
  const std::size_t count = set.max_records != 0 && set.max_records < n ? set.max_records : n;
  bool ok = true;
  if (set.type == dns::type::SRV && set.rotation_slot != zone::no_rotation) {
    // Rotate within each priority, keep priorities in order (RFC 2782): records are sorted
    // by priority, so each run of equal priority rotates on its own.
    for (std::size_t run = 0; run < n && ok;) {
      const std::uint16_t priority = dns::read_u16(zone.tail(records[run]).data() + 10);
      std::size_t end = run + 1;
      while (end < n && dns::read_u16(zone.tail(records[end]).data() + 10) == priority) ++end;
      const std::size_t length = end - run;
      for (std::size_t k = 0; k < length && ok; ++k)
        ok = add_record(section, owner_offset, zone, records[run + (turn + k) % length], collect);
      run = end;
    }
  } else {
    for (std::size_t k = 0; k < count && ok; ++k)
      ok = add_record(section, owner_offset, zone, records[(turn + k) % n], collect);
  }
  if (!ok) {
    // No partial RRsets: the client retries over TCP (RFC 2181 §9).
    writer_.rollback(mark);
    target_count_ = first_target;
    truncated_ = true;
  }
  return ok;
}

bool ZoneAnswer::add_record(Section section, std::uint16_t owner_offset, const zone::Zone& zone,
                            const zone::Record& record, bool collect_target) {
  const std::size_t at = writer_.size();
  if (!writer_.add_record(section, owner_offset, zone.tail(record))) return false;
  const std::size_t name_at = at + 2 + record.target_in_tail;
  if (!collect_target || record.target_node == zone::no_node || target_count_ == max_targets || name_at >= 0x4000)
    return true;
  for (std::size_t i = 0; i < target_count_; ++i) {
    if (targets_[i].zone == &zone && targets_[i].node == record.target_node) return true;  // already listed
  }
  targets_[target_count_++] = {&zone, record.target_node, static_cast<std::uint16_t>(name_at)};
  return true;
}

void ZoneAnswer::add_target_addresses(bool required) {
  const std::size_t count = target_count_;
  for (std::size_t i = 0; i < count; ++i) {
    const zone::Zone& zone = *targets_[i].zone;
    const zone::Node& node = zone.node(targets_[i].node);
    for (const std::uint16_t type : {dns::type::A, dns::type::AAAA}) {
      const zone::RRset* set = zone.rrset(node, type);
      if (set == nullptr) continue;
      const bool was_truncated = truncated_;
      if (!add_rrset(Section::additional, targets_[i].name_offset, zone, *set)) {
        // Glue a referral needs makes the response truncated; other additional data is optional.
        truncated_ = was_truncated || required;
        return;
      }
    }
  }
}

}  // namespace beacon::answer
