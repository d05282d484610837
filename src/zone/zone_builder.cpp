#include "zone/zone_builder.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <functional>
#include <numeric>

#include "dns/constants.hpp"
#include "dns/message.hpp"
#include "dns/name.hpp"

namespace beacon::zone {
namespace {

using Bytes = std::span<const std::uint8_t>;

Bytes bytes(std::string_view s) { return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }

std::string text(std::string_view wire) { return dns::name_to_text(bytes(wire)); }

/// The length of the wire name starting at `offset` of an uncompressed RDATA, or 0 if malformed.
std::size_t name_length_in(Bytes rdata, std::size_t offset) {
  std::size_t i = offset;
  while (i < rdata.size() && rdata[i] != 0) i += rdata[i] + 1u;
  return i < rdata.size() ? i + 1 - offset : 0;
}

/// Files `index` in an open-addressing table of `index + 1` entries (0: empty) whose size is
/// a power of two, probing linearly from the hash.
void insert_slot(std::vector<std::uint32_t>& table, std::uint64_t hash, std::uint32_t index) {
  const std::size_t mask = table.size() - 1;
  std::size_t s = hash & mask;
  while (table[s] != 0) s = (s + 1) & mask;
  table[s] = index + 1;
}

/// 0 .. count-1 into `order`, largest `key` first; equal keys keep index order, so the result
/// (and the zone built from it) does not depend on the sort's implementation.
template <typename Key>
void order_by_descending(std::vector<std::uint32_t>& order, std::size_t count, Key key) {
  order.resize(count);
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) { return std::pair(key(b), a) < std::pair(key(a), b); });
}

std::uint16_t srv_priority(Bytes rdata) { return rdata.size() >= 2 ? dns::read_u16(rdata.data()) : 0; }

}  // namespace

/// Records a name of the blob (it may be known already, e.g. just placed), and each of its
/// parent names (a suffix from a label on), for sharing. A parent already known had its own
/// parents recorded with it: the walk stops there.
static void remember_name_and_parents(RunTable<std::uint8_t>& table, const std::vector<std::uint8_t>& blob,
                                      std::uint32_t offset, std::size_t length) {
  table.remember(offset, static_cast<std::uint32_t>(length));
  for (std::size_t i = blob[offset] + 1u; i < length; i += blob[offset + i] + 1u) {
    if (!table.remember(static_cast<std::uint32_t>(offset + i), static_cast<std::uint32_t>(length - i))) return;
  }
}

ZoneBuilder::ZoneBuilder(std::string_view origin) { reset(origin); }

void ZoneBuilder::reset(std::string_view origin) {
  origin_lower_.resize(origin.size());
  dns::to_lower(bytes(origin), reinterpret_cast<std::uint8_t*>(origin_lower_.data()));
  bytes_.clear();
  names_.clear();
  index_.clear();
  records_.clear();
  rotations_.clear();
}

std::uint16_t ZoneBuilder::target_offset_in_rdata(std::uint16_t type) {
  switch (type) {
    case dns::type::CNAME:
    case dns::type::NS: return 0;
    case dns::type::MX: return 2;
    case dns::type::SRV: return 6;
    default: return no_target;
  }
}

std::uint32_t ZoneBuilder::intern(std::string_view name, const char* what) {
  if (name.size() > 255 || !dns::is_subdomain(bytes(name), bytes(origin_lower_)))
    throw ZoneError(std::string(what) + " " + text(name) + " is outside the zone " + text(origin_lower_));
  const NameRef ref{static_cast<std::uint32_t>(bytes_.size()), static_cast<std::uint8_t>(name.size()), false, 0};
  bytes_.resize(bytes_.size() + name.size());
  dns::to_lower(bytes(name), reinterpret_cast<std::uint8_t*>(bytes_.data() + ref.offset));
  const std::size_t count = names_.size();
  const std::uint32_t index = intern_ref(ref);
  if (names_.size() == count) bytes_.resize(ref.offset);  // known: drop the copy
  return index;
}

std::uint32_t ZoneBuilder::intern_ref(NameRef ref) {
  const std::string_view name = view(ref);
  ref.hash = dns::hash_lower_name(bytes(name));
  if (index_.size() < 2 * (names_.size() + 1)) {
    // Keep the table at most half full.
    index_.assign(std::bit_ceil(std::max<std::size_t>(16, 4 * (names_.size() + 1))), 0);
    for (std::uint32_t i = 0; i < names_.size(); ++i) insert_slot(index_, names_[i].hash, i);
  }
  const std::size_t slot = slot_of(name, ref.hash);
  if (index_[slot] == 0) {
    names_.push_back(ref);
    index_[slot] = static_cast<std::uint32_t>(names_.size());
  }
  return index_[slot] - 1;
}

std::size_t ZoneBuilder::slot_of(std::string_view name, std::uint64_t hash) const {
  const std::size_t mask = index_.size() - 1;
  std::size_t s = hash & mask;
  for (; index_[s] != 0; s = (s + 1) & mask) {
    const NameRef& known = names_[index_[s] - 1];
    if (known.hash == hash && view(known) == name) break;
  }
  return s;
}

std::uint32_t ZoneBuilder::node_of(std::string_view lower_name, std::span<const std::uint32_t> rank) const {
  if (index_.empty()) return no_node;
  const std::uint32_t entry = index_[slot_of(lower_name, dns::hash_lower_name(bytes(lower_name)))];
  return entry == 0 ? no_node : rank[entry - 1];
}

void ZoneBuilder::add(std::string_view owner, std::uint16_t type, std::uint32_t ttl, std::string_view rdata) {
  const std::uint32_t name = intern(owner, "record");
  if (rdata.size() > 65535 - 10) throw ZoneError("record " + text(owner) + " is too large");
  names_[name].is_node = true;
  records_.push_back({name, type, ttl, static_cast<std::uint32_t>(bytes_.size()), static_cast<std::uint16_t>(rdata.size()),
                      static_cast<std::uint32_t>(records_.size())});
  bytes_.append(rdata);
}

void ZoneBuilder::add_name(std::string_view owner) { names_[intern(owner, "name")].is_node = true; }

void ZoneBuilder::rotate(std::string_view owner, std::uint16_t type, std::uint32_t slot, std::uint16_t max_records) {
  rotations_.push_back({intern(owner, "name"), type, slot, max_records});
}

Zone ZoneBuilder::build() {
  std::size_t apex_soas = 0;
  for (const Draft& r : records_) {
    if (r.type == dns::type::SOA && view(names_[r.owner]) == origin_lower_) ++apex_soas;
  }
  if (apex_soas == 0) throw ZoneError("zone " + text(origin_lower_) + " has no SOA record at its apex");
  if (apex_soas != 1) throw ZoneError("zone " + text(origin_lower_) + " has more than one SOA record");
  return assemble(true);
}

/// The SOA for negative answers: TTL = min(SOA TTL, MINIMUM) (RFC 2308 §5); and the same
/// with an MNAME or RNAME inside the zone written as its own labels and a pointer to the apex,
/// like the owner (RFC 1035 §4.1.4 allows compression in SOA RDATA). With the usual ns1. and
/// hostmaster. names that makes every NXDOMAIN and NODATA answer 24 octets shorter.
void ZoneBuilder::set_negative_soa() {
  Zone::Parts& parts = scratch_.parts;
  const Node& apex = parts.nodes[parts.apex_node];
  for (std::uint32_t i = apex.first_rrset; i < apex.first_rrset + apex.rrset_count; ++i) {
    const RRset& soa = parts.rrsets[i];
    if (soa.type != dns::type::SOA) continue;
    const Record& r = parts.records[soa.first_record];
    const Bytes tail(parts.blob.data() + r.tail_offset, r.tail_length);
    const std::size_t mname = name_length_in(tail, 10);
    const std::size_t rname = mname == 0 ? 0 : name_length_in(tail, 10 + mname);
    if (rname == 0 || tail.size() != 10 + mname + rname + 20) throw ZoneError("malformed SOA in zone " + text(origin_lower_));
    const Bytes fixed = tail.last(20);  // SERIAL REFRESH RETRY EXPIRE MINIMUM
    parts.serial = dns::read_u32(fixed.data());
    parts.negative_soa.assign(tail.begin(), tail.end());
    dns::write_u32(&parts.negative_soa[4], std::min(soa.ttl, dns::read_u32(fixed.data() + 16)));

    std::vector<std::uint8_t>& out = parts.compressed_negative_soa;
    out.assign(parts.negative_soa.begin(), parts.negative_soa.begin() + 10);
    std::size_t pointers = 0;
    for (const Bytes name : {tail.subspan(10, mname), tail.subspan(10 + mname, rname)}) {
      // Only a name spelling the apex exactly as the zone does: a pointer changes no case.
      if (!dns::is_subdomain(name, bytes(origin_lower_)) || !std::ranges::equal(name.last(origin_lower_.size()), bytes(origin_lower_))) {
        out.insert(out.end(), name.begin(), name.end());
        continue;
      }
      out.insert(out.end(), name.begin(), name.end() - static_cast<std::ptrdiff_t>(origin_lower_.size()));
      parts.negative_soa_pointers[pointers++] = static_cast<std::uint16_t>(out.size());
      out.insert(out.end(), {0xC0, 0x00});  // aimed when answering
    }
    out.insert(out.end(), fixed.begin(), fixed.end());
    dns::write_u16(&out[8], static_cast<std::uint16_t>(out.size() - 10));
    return;
  }
}

Zone ZoneBuilder::build_fragment() { return assemble(false); }

void ZoneBuilder::add_ancestors(bool with_apex) {
  const std::size_t given = names_.size();
  for (std::size_t k = 0; k < given; ++k) {
    if (!names_[k].is_node) continue;
    const NameRef n = names_[k];
    for (std::size_t i = 0; n.length - i > origin_lower_.size();) {
      i += static_cast<std::uint8_t>(bytes_[n.offset + i]) + 1u;
      if (!with_apex && n.length - i <= origin_lower_.size()) break;
      // An ancestor is a suffix of its descendant: no copy needed.
      const std::uint32_t a = intern_ref({static_cast<std::uint32_t>(n.offset + i), static_cast<std::uint8_t>(n.length - i), false, 0});
      if (names_[a].is_node) break;  // its own ancestors are (or will be) walked from it
      names_[a].is_node = true;
    }
  }
}

void ZoneBuilder::check_cnames(std::span<const std::uint32_t> sorted) const {
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    const Draft& r = records_[sorted[i]];
    if (r.type != dns::type::CNAME) continue;
    const std::string owner = text(view(names_[r.owner]));
    if (i + 1 < sorted.size() && records_[sorted[i + 1]].type == dns::type::CNAME && records_[sorted[i + 1]].owner == r.owner)
      throw ZoneError("multiple CNAME records at " + owner);
    auto other = [&](std::size_t j) { return records_[sorted[j]].type != dns::type::RRSIG && records_[sorted[j]].type != dns::type::CNAME; };
    for (std::size_t j = i; j-- > 0 && records_[sorted[j]].owner == r.owner;) {
      if (other(j)) throw ZoneError("CNAME and other data at " + owner + " (RFC 1034 §3.6.2)");
    }
    for (std::size_t j = i + 1; j < sorted.size() && records_[sorted[j]].owner == r.owner; ++j) {
      if (other(j)) throw ZoneError("CNAME and other data at " + owner + " (RFC 1034 §3.6.2)");
    }
  }
}

Zone ZoneBuilder::assemble(bool with_apex) {
  add_ancestors(with_apex);
  // Nodes in canonical order; from here on names compare by their rank in it.
  std::vector<std::uint32_t>& nodes = scratch_.nodes;
  nodes.clear();
  for (std::uint32_t i = 0; i < names_.size(); ++i) {
    if (names_[i].is_node) nodes.push_back(i);
  }
  std::sort(nodes.begin(), nodes.end(), [&](std::uint32_t a, std::uint32_t b) { return view(names_[a]) < view(names_[b]); });
  std::vector<std::uint32_t>& rank = scratch_.rank;
  rank.assign(names_.size(), no_node);
  for (std::uint32_t i = 0; i < nodes.size(); ++i) rank[nodes[i]] = i;

  // Records by owner, then type; SRV by priority so rotation can stay within a priority
  // (RFC 2782); otherwise in the order they came.
  std::vector<std::uint32_t>& sorted = scratch_.sorted;
  sorted.resize(records_.size());
  for (std::uint32_t i = 0; i < sorted.size(); ++i) sorted[i] = i;
  std::sort(sorted.begin(), sorted.end(), [&](std::uint32_t x, std::uint32_t y) {
    const Draft& a = records_[x];
    const Draft& b = records_[y];
    if (a.owner != b.owner) return rank[a.owner] < rank[b.owner];
    if (a.type != b.type) return a.type < b.type;
    if (a.type == dns::type::SRV && srv_priority(rdata(a)) != srv_priority(rdata(b)))
      return srv_priority(rdata(a)) < srv_priority(rdata(b));
    return a.order < b.order;
  });
  check_cnames(sorted);
  std::sort(rotations_.begin(), rotations_.end(), [&](const RotationDraft& a, const RotationDraft& b) {
    return std::pair(rank[a.owner], a.type) < std::pair(rank[b.owner], b.type);
  });

  write_parts();
  Zone::Parts& parts = scratch_.parts;
  // Hash index at most half full, so probes stay short.
  parts.slots.assign(std::bit_ceil(std::max<std::size_t>(16, parts.nodes.size() * 2)), 0);
  for (std::uint32_t i = 0; i < parts.nodes.size(); ++i) insert_slot(parts.slots, parts.nodes[i].hash, i);
  link();
  if (with_apex) set_negative_soa();
  return Zone(parts);
}

void ZoneBuilder::write_parts() {
  const std::span<const std::uint32_t> nodes = scratch_.nodes;
  const std::span<const std::uint32_t> rank = scratch_.rank;
  const std::span<const std::uint32_t> sorted = scratch_.sorted;
  Zone::Parts& parts = scratch_.parts;
  parts.clear();
  parts.apex_node = no_node;
  // Tails, and names with their parents (a few labels each).
  RunTable<std::uint8_t> blob(parts.blob, scratch_.blob_runs, sorted.size() + 4 * nodes.size());
  std::vector<Record>& records = scratch_.records;
  records.clear();
  std::array<std::uint8_t, 10 + 65535> tail_buffer;
  auto rotation = rotations_.begin();

  std::size_t next = 0;  // into `sorted`
  for (const std::uint32_t name : nodes) {
    const std::string_view owner = view(names_[name]);
    Node node{};
    node.name_length = names_[name].length;
    node.label_count = static_cast<std::uint8_t>(dns::count_labels(bytes(owner)));
    node.hash = static_cast<std::uint32_t>(names_[name].hash);
    node.first_rrset = static_cast<std::uint32_t>(parts.rrsets.size());
    if (owner == origin_lower_) parts.apex_node = static_cast<std::uint32_t>(parts.nodes.size());

    while (next < sorted.size() && records_[sorted[next]].owner == name) {
      const std::uint16_t type = records_[sorted[next]].type;
      std::size_t end = next;
      // RFC 2181 §5.2: an RRset has one TTL; use the smallest of its members.
      std::uint32_t ttl = records_[sorted[next]].ttl;
      while (end < sorted.size() && records_[sorted[end]].type == type && records_[sorted[end]].owner == name)
        ttl = std::min(ttl, records_[sorted[end++]].ttl);
      RRset set{type, static_cast<std::uint16_t>(end - next), static_cast<std::uint32_t>(records.size()), ttl,
                no_rotation, 0};
      while (rotation != rotations_.end() && std::pair(rank[rotation->owner], rotation->type) < std::pair(rank[name], type))
        ++rotation;
      if (rotation != rotations_.end() && rotation->owner == name && rotation->type == type) {
        set.rotation_slot = rotation->slot;
        set.max_records = type == dns::type::SRV ? 0 : rotation->max_records;
      }
      if (type == dns::type::NS && owner != origin_lower_) node.is_delegation = true;
      parts.rrsets.push_back(set);
      const std::uint16_t target = target_offset_in_rdata(type);
      for (; next < end; ++next) {
        const Draft& r = records_[sorted[next]];
        dns::write_u16(tail_buffer.data(), type);
        dns::write_u16(tail_buffer.data() + 2, dns::qclass::IN);
        dns::write_u32(tail_buffer.data() + 4, ttl);
        dns::write_u16(tail_buffer.data() + 8, r.rdata_length);
        std::memcpy(tail_buffer.data() + 10, rdata(r).data(), r.rdata_length);
        const std::size_t length = 10u + r.rdata_length;
        records.push_back({blob.place({tail_buffer.data(), length}), static_cast<std::uint16_t>(length),
                           target == no_target ? no_target : static_cast<std::uint16_t>(10 + target), no_node});
      }
    }
    node.rrset_count = static_cast<std::uint16_t>(parts.rrsets.size() - node.first_rrset);
    parts.nodes.push_back(node);
  }
  place_names(blob);
  share_record_runs();
}

void ZoneBuilder::place_names(RunTable<std::uint8_t>& blob) {
  Zone::Parts& parts = scratch_.parts;
  // Names the RDATA already spells (SRV, NS, MX, CNAME targets) are not stored again, nor is
  // a parent whose child is stored: longest names first, each remembered with its parents.
  for (const Record& r : scratch_.records) {
    if (r.target_in_tail == no_target) continue;
    const std::size_t length = name_length_in({parts.blob.data() + r.tail_offset, r.tail_length}, r.target_in_tail);
    if (length != 0) remember_name_and_parents(blob, parts.blob, r.tail_offset + r.target_in_tail, length);
  }
  order_by_descending(scratch_.order, parts.nodes.size(), [&](std::uint32_t i) { return parts.nodes[i].name_length; });
  for (const std::uint32_t i : scratch_.order) {
    Node& node = parts.nodes[i];
    node.name_offset = blob.place(bytes(view(names_[scratch_.nodes[i]])));
    remember_name_and_parents(blob, parts.blob, node.name_offset, node.name_length);
  }
}

void ZoneBuilder::share_record_runs() {
  Zone::Parts& parts = scratch_.parts;
  const std::span<const Record> records = scratch_.records;
  // Largest RRsets first, each of their records remembered on its own, so a one-record RRset
  // (an instance's address) finds its record inside a larger one (the service's addresses).
  order_by_descending(scratch_.order, parts.rrsets.size(), [&](std::uint32_t i) { return parts.rrsets[i].record_count; });
  RunTable<Record> runs(parts.records, scratch_.record_runs, records.size() + parts.rrsets.size());
  for (const std::uint32_t i : scratch_.order) {
    RRset& set = parts.rrsets[i];
    set.first_record = runs.place(records.subspan(set.first_record, set.record_count));
    for (std::uint32_t k = 0; k < set.record_count; ++k) runs.remember(set.first_record + k, 1);
  }
}

void ZoneBuilder::link() {
  Zone::Parts& parts = scratch_.parts;
  const std::span<const std::uint32_t> rank = scratch_.rank;
  for (const Node& n : parts.nodes) {
    const std::string_view name(reinterpret_cast<const char*>(parts.blob.data()) + n.name_offset, n.name_length);
    if (name.size() > 2 && name[0] == 1 && name[1] == '*') {
      const std::uint32_t parent = node_of(name.substr(2), rank);
      if (parent != no_node) parts.nodes[parent].has_wildcard_child = true;
    }
  }
  std::array<char, 255> target_lower;
  for (Record& rec : parts.records) {
    if (rec.target_in_tail == no_target) continue;
    const Bytes tail(parts.blob.data() + rec.tail_offset, rec.tail_length);
    const std::size_t length = name_length_in(tail, rec.target_in_tail);
    if (length == 0 || length > target_lower.size())
      throw ZoneError("malformed name in RDATA in zone " + text(origin_lower_));
    dns::to_lower(tail.subspan(rec.target_in_tail, length), reinterpret_cast<std::uint8_t*>(target_lower.data()));
    rec.target_node = node_of({target_lower.data(), length}, rank);
  }
}

}  // namespace beacon::zone
