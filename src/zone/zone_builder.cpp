#include "zone/zone_builder.hpp"

#include <algorithm>
#include <bit>
#include <map>

#include "dns/constants.hpp"
#include "dns/message.hpp"
#include "dns/name.hpp"

namespace beacon::zone {
namespace {

using Bytes = std::span<const std::uint8_t>;

Bytes bytes(const std::string& s) { return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }

std::string lower(const std::string& wire) {
  std::string out(wire.size(), '\0');
  dns::to_lower(bytes(wire), reinterpret_cast<std::uint8_t*>(out.data()));
  return out;
}

std::string text(const std::string& wire) { return dns::name_to_text(bytes(wire)); }

/// Records of one owner, grouped by type in file order.
using NodeDraft = std::map<std::uint16_t, std::vector<const RecordInput*>>;

/// The wire name starting at `offset` of an uncompressed RDATA, or empty if malformed.
std::string name_in_rdata(const std::string& rdata, std::size_t offset) {
  std::size_t i = offset;
  while (i < rdata.size() && rdata[i] != 0) i += static_cast<std::uint8_t>(rdata[i]) + 1u;
  if (i >= rdata.size()) return {};
  return rdata.substr(offset, i + 1 - offset);
}

void check_node(const std::string& owner, const NodeDraft& draft) {
  const auto cname = draft.find(dns::type::CNAME);
  if (cname == draft.end()) return;
  if (cname->second.size() > 1) throw ZoneError("multiple CNAME records at " + text(owner));
  for (const auto& [type, records] : draft) {
    if (type != dns::type::CNAME && type != dns::type::RRSIG)
      throw ZoneError("CNAME and other data at " + text(owner) + " (RFC 1034 §3.6.2)");
  }
}

void append_tail(std::vector<std::uint8_t>& blob, const RecordInput& r, std::uint32_t ttl) {
  std::uint8_t fixed[10];
  dns::write_u16(fixed, r.type);
  dns::write_u16(fixed + 2, dns::qclass::IN);
  dns::write_u32(fixed + 4, ttl);
  dns::write_u16(fixed + 8, static_cast<std::uint16_t>(r.rdata.size()));
  blob.insert(blob.end(), fixed, fixed + 10);
  blob.insert(blob.end(), r.rdata.begin(), r.rdata.end());
}

}  // namespace

ZoneBuilder::ZoneBuilder(std::string origin) : origin_lower_(lower(origin)) {}

std::uint16_t ZoneBuilder::target_offset_in_rdata(std::uint16_t type) {
  switch (type) {
    case dns::type::CNAME:
    case dns::type::NS: return 0;
    case dns::type::MX: return 2;
    case dns::type::SRV: return 6;
    default: return no_target;
  }
}

void ZoneBuilder::add(RecordInput record) {
  if (!dns::is_subdomain(bytes(record.owner), bytes(origin_lower_)))
    throw ZoneError("record " + text(record.owner) + " is outside the zone " + text(origin_lower_));
  if (record.rdata.size() > 65535) throw ZoneError("record " + text(record.owner) + " is too large");
  record.owner = lower(record.owner);
  records_.push_back(std::move(record));
}

void ZoneBuilder::add_name(const std::string& owner) {
  if (!dns::is_subdomain(bytes(owner), bytes(origin_lower_)))
    throw ZoneError("name " + text(owner) + " is outside the zone " + text(origin_lower_));
  empty_names_.push_back(lower(owner));
}

void ZoneBuilder::rotate(const std::string& owner, std::uint16_t type, std::uint32_t slot, std::uint16_t max_records) {
  rotations_[{lower(owner), type}] = {slot, max_records};
}

Zone ZoneBuilder::build() {
  std::map<std::string, std::size_t> soa_count;
  for (const RecordInput& r : records_) {
    if (r.type == dns::type::SOA && r.owner == origin_lower_) ++soa_count[r.owner];
  }
  if (soa_count.empty()) throw ZoneError("zone " + text(origin_lower_) + " has no SOA record at its apex");
  if (soa_count.begin()->second != 1) throw ZoneError("zone " + text(origin_lower_) + " has more than one SOA record");
  return assemble(true);
}

/// The SOA for negative answers: TTL = min(SOA TTL, MINIMUM) (RFC 2308 §5).
void ZoneBuilder::set_negative_soa(Zone& zone) const {
  const RRset* soa = zone.rrset(zone.apex_node(), dns::type::SOA);
  const auto soa_tail = zone.tail(zone.records(*soa)[0]);
  zone.negative_soa_.assign(soa_tail.begin(), soa_tail.end());
  const std::size_t n = zone.negative_soa_.size();
  if (n < 10 + 22) throw ZoneError("malformed SOA in zone " + text(origin_lower_));
  const std::uint32_t minimum = dns::read_u32(&zone.negative_soa_[n - 4]);
  zone.serial_ = dns::read_u32(&zone.negative_soa_[n - 20]);
  dns::write_u32(&zone.negative_soa_[4], std::min(soa->ttl, minimum));
}

Zone ZoneBuilder::build_fragment() { return assemble(false); }

Zone ZoneBuilder::assemble(bool with_apex) {
  std::map<std::string, NodeDraft> drafts;
  for (const RecordInput& r : records_) drafts[r.owner][r.type].push_back(&r);
  for (const std::string& owner : empty_names_) drafts.try_emplace(owner);
  for (const auto& [owner, draft] : drafts) check_node(owner, draft);

  // Empty non-terminals exist (RFC 4592 §2.2.2): give every ancestor up to the apex a node.
  std::vector<std::string> owners;
  for (const auto& [owner, draft] : drafts) owners.push_back(owner);
  for (const std::string& owner : owners) {
    for (std::size_t i = 0; owner.size() - i > origin_lower_.size();) {
      i += static_cast<std::uint8_t>(owner[i]) + 1u;
      if (with_apex || owner.size() - i > origin_lower_.size()) drafts.try_emplace(owner.substr(i));
    }
  }

  Zone zone;
  zone.apex_node_ = no_node;
  for (auto& [owner, draft] : drafts) {
    Node node{};
    node.name_offset = static_cast<std::uint32_t>(zone.blob_.size());
    node.name_length = static_cast<std::uint8_t>(owner.size());
    node.label_count = static_cast<std::uint8_t>(dns::count_labels(bytes(owner)));
    node.hash = dns::hash_lower_name(bytes(owner));
    node.first_rrset = static_cast<std::uint32_t>(zone.rrsets_.size());
    node.rrset_count = static_cast<std::uint16_t>(draft.size());
    node.is_delegation = owner != origin_lower_ && draft.contains(dns::type::NS);
    zone.blob_.insert(zone.blob_.end(), owner.begin(), owner.end());
    if (owner == origin_lower_) zone.apex_node_ = static_cast<std::uint32_t>(zone.nodes_.size());

    for (auto& [type, records] : draft) {
      // SRV in priority order, so rotation can stay within a priority (RFC 2782).
      if (type == dns::type::SRV) {
        std::stable_sort(records.begin(), records.end(),
                         [](const RecordInput* a, const RecordInput* b) { return a->rdata.substr(0, 2) < b->rdata.substr(0, 2); });
      }
      // RFC 2181 §5.2: an RRset has one TTL; use the smallest of its members.
      std::uint32_t ttl = records.front()->ttl;
      for (const RecordInput* r : records) ttl = std::min(ttl, r->ttl);
      RRset set{type, static_cast<std::uint16_t>(records.size()), static_cast<std::uint32_t>(zone.records_.size()), ttl,
                no_rotation, 0};
      if (const auto it = rotations_.find({owner, type}); it != rotations_.end()) {
        set.rotation_slot = it->second.slot;
        set.max_records = type == dns::type::SRV ? 0 : it->second.max_records;
      }
      zone.rrsets_.push_back(set);
      for (const RecordInput* r : records) {
        const std::uint16_t target = target_offset_in_rdata(type);
        Record rec{static_cast<std::uint32_t>(zone.blob_.size()), static_cast<std::uint16_t>(10 + r->rdata.size()),
                   target == no_target ? no_target : static_cast<std::uint16_t>(10 + target), no_node};
        append_tail(zone.blob_, *r, ttl);
        zone.records_.push_back(rec);
      }
    }
    zone.nodes_.push_back(node);
  }

  // Hash index at most half full, so probes stay short.
  const std::size_t slots = std::bit_ceil(std::max<std::size_t>(16, zone.nodes_.size() * 2));
  zone.slots_.assign(slots, 0);
  for (std::uint32_t i = 0; i < zone.nodes_.size(); ++i) {
    std::size_t s = zone.nodes_[i].hash & (slots - 1);
    while (zone.slots_[s] != 0) s = (s + 1) & (slots - 1);
    zone.slots_[s] = i + 1;
  }

  // Wildcard flags and record targets need the index.
  for (const Node& n : zone.nodes_) {
    const auto name = zone.name(n);
    if (name.size() > 2 && name[0] == 1 && name[1] == '*') {
      const Node* parent = zone.find(name.subspan(2));
      if (parent != nullptr) zone.nodes_[static_cast<std::size_t>(parent - zone.nodes_.data())].has_wildcard_child = true;
    }
  }
  for (Record& rec : zone.records_) {
    if (rec.target_in_tail == no_target) continue;
    const auto tail = zone.tail(rec);
    const std::string rdata(reinterpret_cast<const char*>(tail.data()) + 10, tail.size() - 10);
    const std::string target = name_in_rdata(rdata, rec.target_in_tail - 10u);
    if (target.empty()) throw ZoneError("malformed name in RDATA in zone " + text(origin_lower_));
    const Node* node = zone.find(bytes(lower(target)));
    if (node != nullptr) rec.target_node = static_cast<std::uint32_t>(node - zone.nodes_.data());
  }

  if (with_apex) set_negative_soa(zone);
  return zone;
}

}  // namespace beacon::zone
