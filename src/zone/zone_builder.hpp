#pragma once
// Collects records for one zone and freezes them into a Zone. Used by the master-file
// loader (and later by the registry). Throws ZoneError for data no correct zone may hold.

#include <cstdint>
#include <map>
#include <utility>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

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
  explicit ZoneBuilder(std::string origin);

  /// Adds a record of class IN. Owners outside the origin are refused.
  void add(RecordInput record);

  /// Makes `owner` exist with no records (NODATA rather than NXDOMAIN), e.g. a registered
  /// service with no healthy instance.
  void add_name(const std::string& owner);

  /// Hands out `type` records at `owner` in rotation: each answer starts one record further,
  /// using the per-thread counter `slot`; at most `max_records` of them (0: all). SRV records
  /// rotate within each priority and are never capped.
  void rotate(const std::string& owner, std::uint16_t type, std::uint32_t slot, std::uint16_t max_records);

  /// Checks the zone (an apex SOA, no CNAME beside other data) and builds the index.
  Zone build();

  /// Builds a fragment: names below the origin only, no apex and no SOA. The registry
  /// publishes each service's names as one fragment (see FragmentMap).
  Zone build_fragment();

  /// Where a record type's RDATA holds a domain name worth chasing, as an offset into the
  /// RDATA; no_target otherwise.
  static std::uint16_t target_offset_in_rdata(std::uint16_t type);

 private:
  struct Rotation {
    std::uint32_t slot;
    std::uint16_t max_records;
  };
  Zone assemble(bool with_apex);
  void set_negative_soa(Zone& zone) const;

  std::string origin_lower_;
  std::vector<RecordInput> records_;
  std::vector<std::string> empty_names_;
  std::map<std::pair<std::string, std::uint16_t>, Rotation> rotations_;
};

}  // namespace beacon::zone
