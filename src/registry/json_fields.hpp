#pragma once
// Reading typed fields of a JSON object, with refusals that name the field. `prefix` is
// prepended to the field name in a refusal ("check." for the fields of a check).

#include <boost/json/object.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "registry/compact_optional.hpp"
#include "registry/refusal.hpp"

namespace beacon::registry {

/// An integer in [min, max]; absent leaves `out` as it is, or is refused if `required`.
std::optional<Refusal> read_integer(const boost::json::object& body, const char* key, std::int64_t min,
                                    std::int64_t max, bool required, std::int64_t& out, const std::string& prefix);

/// A duration given as a string ("15s") or integer seconds, in [min, max].
std::optional<Refusal> read_duration(const boost::json::object& body, const char* key, std::chrono::milliseconds min,
                                     std::chrono::milliseconds max, std::optional<std::chrono::milliseconds>& out,
                                     const std::string& prefix);
std::optional<Refusal> read_duration(const boost::json::object& body, const char* key, std::chrono::milliseconds min,
                                     std::chrono::milliseconds max, CompactOptional<std::chrono::milliseconds>& out,
                                     const std::string& prefix);

}  // namespace beacon::registry
