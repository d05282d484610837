#pragma once
// Collects records for one zone and freezes them into a Zone. Used by the master-file
// loader, the registry's apex and, once per changed service, the registry's fragments — so
// it is on the write path: records go into one flat byte buffer, and freezing is a sort and
// one pass, with no per-record allocation. Throws ZoneError for data no correct zone may
// hold.

#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "zone/run_table.hpp"
#include "zone/zone.hpp"

namespace beacon::zone {

class ZoneError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// One record as a loader hands it over; names are uncompressed wire form.
struct RecordInput {
  std::string owner;       // any case; the index lower-cases it
  std::uint16_t type = 0;
  std::uint32_t ttl = 0;
  std::string rdata;       // uncompressed wire RDATA
};

class ZoneBuilder {
 public:
  /// `origin` in wire form.
  explicit ZoneBuilder(std::string_view origin);

  /// Starts over for a zone of `origin`, keeping the memory of the last one: the registry
  /// builds a fragment per changed service on every commit with one builder per thread, so
  /// that allocates (almost) nothing and leaves no short-lived blocks between the fragments.
  void reset(std::string_view origin);

  /// Adds a record of class IN. Owners outside the origin are refused. `owner` and `rdata`
  /// are wire form, the owner in any case.
  void add(std::string_view owner, std::uint16_t type, std::uint32_t ttl, std::string_view rdata);
  void add(const RecordInput& record) { add(record.owner, record.type, record.ttl, record.rdata); }

  /// Makes `owner` exist with no records (NODATA rather than NXDOMAIN), e.g. a registered
  /// service with no healthy instance.
  void add_name(std::string_view owner);

  /// Hands out `type` records at `owner` in rotation: each answer starts one record further,
  /// using the per-thread counter `slot`; at most `max_records` of them (0: all). SRV records
  /// rotate within each priority and are never capped.
  void rotate(std::string_view owner, std::uint16_t type, std::uint32_t slot, std::uint16_t max_records);

  /// Checks the zone (an apex SOA, no CNAME beside other data) and builds the index.
  Zone build();

  /// Builds a fragment: names below the origin only, no apex and no SOA. The registry
  /// publishes each service's names as one fragment (see FragmentMap).
  Zone build_fragment();

  /// Where a record type's RDATA holds a domain name worth chasing, as an offset into the
  /// RDATA; no_target otherwise.
  static std::uint16_t target_offset_in_rdata(std::uint16_t type);

 private:
  /// A name in `bytes_`: lower-cased wire form. Each distinct name is stored once.
  struct NameRef {
    std::uint32_t offset;
    std::uint8_t length;
    bool is_node;        // has records, was added by add_name, or is their ancestor
    std::uint64_t hash;  // hash_lower_name
  };
  struct Draft {
    std::uint32_t owner;         // into names_
    std::uint16_t type;
    std::uint32_t ttl;
    std::uint32_t rdata_offset;  // in bytes_
    std::uint16_t rdata_length;
    std::uint32_t order;         // order of arrival, kept within an RRset
  };
  struct RotationDraft {
    std::uint32_t owner;  // into names_
    std::uint16_t type;
    std::uint32_t slot;
    std::uint16_t max_records;
  };

  std::string_view view(const NameRef& n) const { return {bytes_.data() + n.offset, n.length}; }
  std::span<const std::uint8_t> rdata(const Draft& d) const {
    return {reinterpret_cast<const std::uint8_t*>(bytes_.data()) + d.rdata_offset, d.rdata_length};
  }
  /// Checks `name` is inside the origin; its index in names_, stored lower-cased if new.
  std::uint32_t intern(std::string_view name, const char* what);
  /// The index of the name at `ref` (already lower-cased in bytes_), adding it if new.
  std::uint32_t intern_ref(NameRef ref);
  /// The slot of index_ holding `name`, or the empty one where it would go.
  std::size_t slot_of(std::string_view name, std::uint64_t hash) const;
  /// The node (its position in the zone, from `rank`) of a lower-cased name, or no_node.
  std::uint32_t node_of(std::string_view lower_name, std::span<const std::uint32_t> rank) const;
  /// Gives every ancestor of a name below the origin (the origin too for a full zone) a name
  /// of its own: empty non-terminals exist (RFC 4592 §2.2.2).
  void add_ancestors(bool with_apex);
  void check_cnames(std::span<const std::uint32_t> sorted) const;
  Zone assemble(bool with_apex);
  /// Nodes, RRsets, records and the blob into scratch_.parts, in node order.
  void write_parts();
  /// Gives each node its name in the blob, sharing bytes the blob already holds.
  void place_names(RunTable<std::uint8_t>& blob);
  /// Moves the RRsets' records into the parts, equal runs stored once.
  void share_record_runs();
  /// Wildcard flags on parents, and the node each record's target names.
  void link();
  void set_negative_soa();

  std::string origin_lower_;
  std::string bytes_;                // names and RDATA of everything added
  std::vector<NameRef> names_;       // distinct names
  std::vector<std::uint32_t> index_; // open addressing over names_: index + 1, 0 = empty
  std::vector<Draft> records_;
  std::vector<RotationDraft> rotations_;

  /// What building needs between add() and the Zone; kept for the next build (see reset).
  struct Scratch {
    std::vector<std::uint32_t> nodes;   // name indices of the nodes, in canonical order
    std::vector<std::uint32_t> rank;    // by name index: the node's position, or no_node
    std::vector<std::uint32_t> sorted;  // record indices by owner rank, type, arrival
    std::vector<std::uint32_t> order;   // a permutation, for sharing passes
    std::vector<Record> records;        // each RRset's records, before equal runs are shared
    std::vector<RunSlot> blob_runs;
    std::vector<RunSlot> record_runs;
    Zone::Parts parts;
  };
  Scratch scratch_;
};

}  // namespace beacon::zone
