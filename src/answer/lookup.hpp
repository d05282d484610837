#pragma once
// Finding what a zone holds for a name (RFC 1034 §4.3.2 steps 3a-3c, RFC 4592): the node
// itself, a wildcard that covers it, the zone cut above it, or nothing. Names below the
// apex whose first label leads to a registry fragment are looked up in that fragment.

#include <cstddef>
#include <cstdint>

#include "answer/name_position.hpp"
#include "zone/snapshot.hpp"
#include "zone/zone.hpp"

namespace beacon::answer {

enum class Match : std::uint8_t {
  exact,       // the name exists (possibly as an empty non-terminal)
  wildcard,    // it does not, but "*.<closest encloser>" does
  delegation,  // a zone cut lies at or above it
  nxdomain,    // it does not exist
};

struct LookupResult {
  Match match;
  const zone::Zone* zone;  // the zone (or fragment) holding `node`
  const zone::Node* node;  // exact/wildcard: the node; delegation: the cut; nxdomain: closest encloser
  std::size_t cut_skip;    // delegation: labels of the name above the cut
};

/// `name` must lie inside `served`. A DS query at a cut is answered from the parent side
/// (RFC 4035 §3.1.4.1), so it does not count as a delegation there.
LookupResult lookup(const zone::ServedZone& served, const NamePosition& name, std::uint16_t qtype);

}  // namespace beacon::answer
