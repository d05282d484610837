#pragma once
// Domain names in wire form (RFC 1035 §3.1): a sequence of length-prefixed labels ending in
// the root label. All functions here work on caller-owned fixed buffers; none allocates,
// so they are safe on the query path.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "dns/constants.hpp"

namespace beacon::dns {

/// A name decoded from a message: uncompressed wire form plus where each label starts.
struct WireName {
  std::array<std::uint8_t, limits::max_name> bytes{};
  std::uint8_t length = 0;  // octets, root label included (1 for the root name)
  std::array<std::uint8_t, limits::max_labels + 1> label_offsets{};
  std::uint8_t label_count = 0;  // labels, root excluded

  std::span<const std::uint8_t> wire() const { return {bytes.data(), length}; }
  /// The suffix that drops the first `skip` labels (skip <= label_count).
  std::span<const std::uint8_t> suffix(std::size_t skip) const {
    const std::size_t start = skip < label_count ? label_offsets[skip] : length - 1u;
    return {bytes.data() + start, length - start};
  }
};

enum class NameError : std::uint8_t {
  none,
  truncated,      // the message ends inside the name
  bad_label,      // a label type other than plain or pointer (0x40, 0x80)
  bad_pointer,    // a compression pointer that does not point strictly backwards
  too_long,       // over 255 octets
};

/// Reads the name at `pos` of `message`, following compression pointers. On success `pos`
/// is left after the name's last octet in the message. A pointer must point strictly before
/// the labels read since the previous jump (so before the position it occurs at), which
/// makes loops impossible and bounds the work.
NameError read_name(std::span<const std::uint8_t> message, std::size_t& pos, WireName& out);

/// ASCII lower-casing of a wire name (labels are case-insensitive, RFC 4343).
void to_lower(std::span<const std::uint8_t> in, std::uint8_t* out);

/// Case-insensitive equality of two uncompressed wire names.
bool equal_names(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b);

/// True if `name` equals `ancestor` or lies below it (both uncompressed wire names).
bool is_subdomain(std::span<const std::uint8_t> name, std::span<const std::uint8_t> ancestor);

/// Octets of the uncompressed wire name at the start of `wire`, root label included; the
/// caller guarantees the name is complete (it comes from data we encoded).
std::size_t wire_length(std::span<const std::uint8_t> wire);

/// Number of labels of an uncompressed wire name, root excluded.
std::size_t count_labels(std::span<const std::uint8_t> name);

/// Parses presentation format ("www.example.", relative names are taken as absolute) into
/// wire form. Supports \DDD and \X escapes. Returns nullopt for an invalid name.
std::optional<std::string> name_from_text(std::string_view text);

/// Wire form to presentation format with a trailing dot; escapes as RFC 4343 §2.1.
std::string name_to_text(std::span<const std::uint8_t> wire);

/// A 64-bit hash of the lower-cased name, eight octets per step; the snapshot's name index
/// and the fragment map use it.
std::uint64_t hash_lower_name(std::span<const std::uint8_t> lower_wire);

}  // namespace beacon::dns
