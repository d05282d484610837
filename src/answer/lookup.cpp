#include "answer/lookup.hpp"

#include <cstring>

namespace beacon::answer {
namespace {

LookupResult wildcard_or_nxdomain(const zone::Zone& zone, const zone::Node& encloser) {
  if (encloser.has_wildcard_child) {
    std::uint8_t wildcard[dns::limits::max_name + 2];
    const auto parent = zone.name(encloser);
    wildcard[0] = 1;
    wildcard[1] = '*';
    std::memcpy(wildcard + 2, parent.data(), parent.size());
    const zone::Node* node = zone.find({wildcard, parent.size() + 2});
    if (node != nullptr) return {Match::wildcard, &zone, node, 0};
  }
  return {Match::nxdomain, &zone, &encloser, 0};
}

bool is_protocol_label(const std::uint8_t* label) {
  return label[0] == 4 && label[1] == '_' &&
         ((label[2] == 't' && label[3] == 'c' && label[4] == 'p') || (label[2] == 'u' && label[3] == 'd' && label[4] == 'p'));
}

/// The zone holding the names below the apex that share `name`'s fragment key: its first
/// label under the apex, or for RFC 2782 names (_service._tcp) the two labels.
const zone::Zone& zone_below_apex(const zone::ServedZone& served, const NamePosition& name, std::size_t depth) {
  if (!served.fragments) return *served.zone;
  const std::size_t top = name.label_offsets[depth - 1];
  const std::size_t end = top + name.lower[top] + 1u;
  const std::size_t start = depth >= 2 && is_protocol_label(&name.lower[top]) ? name.label_offsets[depth - 2] : top;
  const zone::Zone* fragment = served.fragments->find({name.lower.data() + start, end - start});
  return fragment ? *fragment : *served.zone;
}

}  // namespace

LookupResult lookup(const zone::ServedZone& served, const NamePosition& name, std::uint16_t qtype) {
  const zone::Zone& apex_zone = *served.zone;
  const std::size_t depth = name.label_count - apex_zone.apex_labels();
  if (depth == 0) return {Match::exact, &apex_zone, &apex_zone.apex_node(), 0};
  const zone::Zone& below = zone_below_apex(served, name, depth);

  const zone::Zone* encloser_zone = &apex_zone;
  const zone::Node* encloser = &apex_zone.apex_node();
  // Walk down from the apex one label at a time: the first cut on the way wins, and the
  // last node found is the closest encloser if the name itself does not exist.
  for (std::size_t skip = depth; skip-- > 0;) {
    const zone::Node* node = below.find(name.suffix(skip));
    if (node == nullptr) return wildcard_or_nxdomain(*encloser_zone, *encloser);
    if (node->is_delegation && !(skip == 0 && qtype == dns::type::DS)) return {Match::delegation, &below, node, skip};
    encloser = node;
    encloser_zone = &below;
  }
  return {Match::exact, &below, encloser, 0};
}

}  // namespace beacon::answer
