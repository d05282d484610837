#pragma once
// A name the answer is about (the question, or a CNAME target) together with where it
// stands in the response, so that records owned by it or by any of its ancestors can be
// written as compression pointers.

#include <array>
#include <cstdint>
#include <cstring>
#include <span>

#include "dns/constants.hpp"
#include "dns/name.hpp"

namespace beacon::answer {

struct NamePosition {
  // Not zero-filled: one is made per query, and only the first `length` octets and
  // `label_count` offsets are ever read.
  std::array<std::uint8_t, dns::limits::max_name> lower;
  std::uint8_t length = 0;
  std::array<std::uint8_t, dns::limits::max_labels + 1> label_offsets;
  std::uint8_t label_count = 0;
  std::uint16_t offset = 0;  // message offset of the name's first octet

  /// The question: already lower-cased and split into labels by the parser.
  void assign(const dns::WireName& name, std::span<const std::uint8_t> lower_wire, std::uint16_t at) {
    length = name.length;
    std::memcpy(lower.data(), lower_wire.data(), length);
    label_count = name.label_count;
    std::memcpy(label_offsets.data(), name.label_offsets.data(), label_count);
    offset = at;
  }

  /// `wire` is an uncompressed name in any case, written at message offset `at`.
  void assign(std::span<const std::uint8_t> wire, std::uint16_t at) {
    length = static_cast<std::uint8_t>(wire.size());
    dns::to_lower(wire, lower.data());
    label_count = 0;
    for (std::size_t i = 0; i < wire.size() && wire[i] != 0; i += wire[i] + 1u) {
      label_offsets[label_count++] = static_cast<std::uint8_t>(i);
    }
    offset = at;
  }

  std::size_t suffix_start(std::size_t skip) const { return skip < label_count ? label_offsets[skip] : length - 1u; }
  /// The ancestor that drops `skip` leading labels, lower-cased.
  std::span<const std::uint8_t> suffix(std::size_t skip) const {
    const std::size_t start = suffix_start(skip);
    return {lower.data() + start, length - start};
  }
  /// Message offset of that ancestor, for a compression pointer.
  std::uint16_t suffix_offset(std::size_t skip) const { return static_cast<std::uint16_t>(offset + suffix_start(skip)); }
};

}  // namespace beacon::answer
