#pragma once
// Collects records for one zone and freezes them into a Zone. Used by the master-file
// loader (and later by the registry). Throws ZoneError for data no correct zone may hold.

#include <cstdint>
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

  /// Checks the zone (an apex SOA, no CNAME beside other data) and builds the index.
  Zone build();

  /// Where a record type's RDATA holds a domain name worth chasing, as an offset into the
  /// RDATA; no_target otherwise.
  static std::uint16_t target_offset_in_rdata(std::uint16_t type);

 private:
  std::string origin_lower_;
  std::vector<RecordInput> records_;
};

}  // namespace beacon::zone
