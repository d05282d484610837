#pragma once
// An immutable, query-ready zone: every RRset pre-encoded as wire-format record "tails"
// (type, class, TTL, RDLENGTH, RDATA), indexed by lower-cased owner name in an
// open-addressing hash table. Built once by ZoneBuilder, then only read, by any number of
// threads, without locks.

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace beacon::zone {

constexpr std::uint32_t no_node = 0xFFFFFFFFu;
constexpr std::uint16_t no_target = 0xFFFFu;
constexpr std::uint32_t no_rotation = 0xFFFFFFFFu;

/// One resource record of an RRset.
struct Record {
  std::uint32_t tail_offset;  // into the zone's blob
  std::uint16_t tail_length;
  /// For records whose RDATA names a host the answer may chase or add (CNAME, NS, MX, SRV):
  /// the offset of that name within the tail, else no_target.
  std::uint16_t target_in_tail;
  /// The node of the zone owning that name, if any; lets the responder add glue and
  /// additional A/AAAA without a lookup.
  std::uint32_t target_node;
};

struct RRset {
  std::uint16_t type;
  std::uint16_t record_count;
  std::uint32_t first_record;
  std::uint32_t ttl;
  /// Registry RRsets rotate: the index of the per-thread counter that picks the first
  /// record of each answer, or no_rotation.
  std::uint32_t rotation_slot;
  std::uint16_t max_records;  // answer with at most this many records; 0: all
};

struct Node {
  std::uint32_t name_offset;  // lower-cased wire name, in the blob
  std::uint8_t name_length;
  std::uint8_t label_count;
  bool is_delegation;          // NS RRset below the apex: a zone cut
  bool has_wildcard_child;     // "*.<this name>" exists
  std::uint32_t first_rrset;
  std::uint16_t rrset_count;   // 0 for an empty non-terminal
  std::uint32_t hash;          // the low half of hash_lower_name()
};

class Zone {
 public:
  Zone() = default;
  Zone(Zone&&) noexcept = default;
  Zone& operator=(Zone&&) noexcept = default;

  /// The origin, lower-cased wire form.
  std::span<const std::uint8_t> apex() const { return name(nodes_[apex_node_]); }
  std::size_t apex_labels() const { return nodes_[apex_node_].label_count; }
  const Node& apex_node() const { return nodes_[apex_node_]; }

  /// Looks up an owner name (lower-cased wire form) with its hash_lower_name().
  const Node* find(std::span<const std::uint8_t> lower_name, std::uint64_t hash) const;
  const Node* find(std::span<const std::uint8_t> lower_name) const;
  const Node& node(std::uint32_t index) const { return nodes_[index]; }

  std::span<const RRset> rrsets(const Node& n) const { return {rrsets_ + n.first_rrset, n.rrset_count}; }
  const RRset* rrset(const Node& n, std::uint16_t type) const;
  std::span<const Record> records(const RRset& set) const { return {records_ + set.first_record, set.record_count}; }
  std::span<const std::uint8_t> tail(const Record& r) const { return {blob_ + r.tail_offset, r.tail_length}; }
  std::span<const std::uint8_t> name(const Node& n) const { return {blob_ + n.name_offset, n.name_length}; }

  /// The apex SOA with its TTL lowered to min(TTL, MINIMUM), for negative answers (RFC 2308 §5).
  std::span<const std::uint8_t> negative_soa_tail() const { return {negative_soa_, negative_soa_size_}; }
  /// The same with its MNAME and RNAME, where inside the zone, ending in compression pointers
  /// to aim at the apex in the message (RFC 1035 §4.1.4): the offsets of those pointers in
  /// the tail (0: none). Only for a message spelling the apex as the zone does (lower case),
  /// or the names would change case.
  std::span<const std::uint8_t> compressed_negative_soa_tail() const {
    return {negative_soa_ + negative_soa_size_, compressed_negative_soa_size_};
  }
  const std::array<std::uint16_t, 2>& negative_soa_pointers() const { return negative_soa_pointers_; }
  std::uint32_t serial() const { return serial_; }
  std::size_t node_count() const { return node_count_; }
  std::size_t record_count() const { return record_count_; }

 private:
  friend class ZoneBuilder;
  /// What ZoneBuilder assembles; the Zone keeps it packed in one allocation, because the
  /// registry holds one Zone per service (a hundred thousand of them).
  struct Parts {
    std::vector<Node> nodes;
    std::vector<RRset> rrsets;
    std::vector<Record> records;
    std::vector<std::uint8_t> blob;
    std::vector<std::uint32_t> slots;  // node index + 1; 0 = empty; size is a power of two
    std::vector<std::uint8_t> negative_soa;
    std::vector<std::uint8_t> compressed_negative_soa;
    std::array<std::uint16_t, 2> negative_soa_pointers{};
    std::uint32_t apex_node = 0;
    std::uint32_t serial = 0;
    /// Empties every part, keeping the vectors' memory for the next zone (ZoneBuilder::reset).
    void clear() {
      nodes.clear();
      rrsets.clear();
      records.clear();
      blob.clear();
      slots.clear();
      negative_soa.clear();
      compressed_negative_soa.clear();
      negative_soa_pointers = {};
      apex_node = 0;
      serial = 0;
    }
  };
  explicit Zone(const Parts& parts);

  std::unique_ptr<std::uint64_t[]> storage_;  // every array below, 8-aligned
  const Node* nodes_ = nullptr;
  const RRset* rrsets_ = nullptr;
  const Record* records_ = nullptr;
  const std::uint8_t* blob_ = nullptr;
  const std::uint32_t* slots_ = nullptr;
  const std::uint8_t* negative_soa_ = nullptr;  // followed by the compressed one
  std::uint32_t node_count_ = 0;
  std::uint32_t record_count_ = 0;
  std::uint32_t slot_mask_ = 0;
  std::uint16_t negative_soa_size_ = 0;
  std::uint16_t compressed_negative_soa_size_ = 0;
  std::array<std::uint16_t, 2> negative_soa_pointers_{};
  std::uint32_t apex_node_ = 0;
  std::uint32_t serial_ = 0;
};

}  // namespace beacon::zone
