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
    if (node != nullptr) return {Match::wildcard, node, 0};
  }
  return {Match::nxdomain, &encloser, 0};
}

}  // namespace

LookupResult lookup(const zone::Zone& zone, const NamePosition& name, std::uint16_t qtype) {
  const zone::Node* encloser = &zone.apex_node();
  // Walk down from the apex one label at a time: the first cut on the way wins, and the
  // last node found is the closest encloser if the name itself does not exist.
  for (std::size_t skip = name.label_count - zone.apex_labels(); skip-- > 0;) {
    const zone::Node* node = zone.find(name.suffix(skip));
    if (node == nullptr) return wildcard_or_nxdomain(zone, *encloser);
    if (node->is_delegation && !(skip == 0 && qtype == dns::type::DS)) return {Match::delegation, node, skip};
    encloser = node;
  }
  return {Match::exact, encloser, 0};
}

}  // namespace beacon::answer
