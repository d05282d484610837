#include "registry/json_fields.hpp"

#include <boost/json.hpp>

#include "common/duration.hpp"

namespace beacon::registry {

namespace json = boost::json;

/// An integer field in [min, max]; absent leaves `out` as is unless `required`.
std::optional<Refusal> read_integer(const json::object& body, const char* key, std::int64_t min, std::int64_t max,
                                    bool required, std::int64_t& out, const std::string& prefix) {
  const std::string field = prefix + key;
  const json::value* v = body.if_contains(key);
  const std::string range = "must be an integer from " + std::to_string(min) + " to " + std::to_string(max);
  if (!v) return required ? std::optional(invalid(field, "required: " + range.substr(8))) : std::nullopt;
  std::int64_t n = 0;
  if (v->is_int64()) n = v->get_int64();
  else if (v->is_uint64() && v->get_uint64() <= static_cast<std::uint64_t>(max)) n = static_cast<std::int64_t>(v->get_uint64());
  else return invalid(field, range);
  if (n < min || n > max) return invalid(field, range);
  out = n;
  return std::nullopt;
}

/// A duration given as a string ("15s") or integer seconds.
std::optional<Refusal> read_duration(const json::object& body, const char* key, std::chrono::milliseconds min,
                                     std::chrono::milliseconds max, std::optional<std::chrono::milliseconds>& out,
                                     const std::string& prefix) {
  const std::string field = prefix + key;
  const json::value* v = body.if_contains(key);
  if (!v) return std::nullopt;
  std::optional<std::chrono::milliseconds> d;
  if (v->is_string()) d = parse_duration(v->get_string());
  else if (v->is_int64() && v->get_int64() >= 0) d = parse_duration(std::to_string(v->get_int64()));
  else if (v->is_uint64()) d = parse_duration(std::to_string(v->get_uint64()));  // as to_json writes dns_ttl
  const std::string range = "must be a duration from " + format_duration(min) + " to " + format_duration(max) +
                            " such as \"500ms\", \"15s\", \"2m\" or integer seconds";
  if (!d || *d < min || *d > max) return invalid(field, range);
  out = d;
  return std::nullopt;
}

std::optional<Refusal> read_duration(const json::object& body, const char* key, std::chrono::milliseconds min,
                                     std::chrono::milliseconds max, CompactOptional<std::chrono::milliseconds>& out,
                                     const std::string& prefix) {
  std::optional<std::chrono::milliseconds> d;
  auto refusal = read_duration(body, key, min, max, d, prefix);
  if (d) out = *d;
  return refusal;
}

}  // namespace beacon::registry
