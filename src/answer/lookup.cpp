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

const zone::Zone& find_fragment(const zone::ServedZone& served, const std::uint8_t* key, std::size_t length) {
  const zone::Zone* fragment = served.fragments->find({key, length});
  return fragment ? *fragment : *served.zone;
}

/// The zone holding `name` if it lies below the apex in the registry's part: the fragment
/// of the service its first label under the apex names (FragmentMap's key), or for an
/// RFC 2782 name "_web._tcp" service web's (the underscore dropped); "_tcp" itself has a
/// fragment of its own. Otherwise the static zone.
const zone::Zone& zone_below_apex(const zone::ServedZone& served, const NamePosition& name, std::size_t depth) {
  if (!served.fragments) return *served.zone;
  const std::uint8_t* top = &name.lower[name.label_offsets[depth - 1]];
  if (!is_protocol_label(top) || depth == 1) return find_fragment(served, top, top[0] + 1u);
  const std::uint8_t* service = &name.lower[name.label_offsets[depth - 2]];
  // Service labels are hostnames, so never start with '_' themselves.
  if (service[0] < 2 || service[1] != '_' || service[2] == '_') return *served.zone;
  std::uint8_t key[dns::limits::max_label + 1];
  key[0] = static_cast<std::uint8_t>(service[0] - 1);
  std::memcpy(key + 1, service + 2, key[0]);
  return find_fragment(served, key, key[0] + 1u);
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
