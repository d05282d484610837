#pragma once
// JSON <-> Registration, with every validation rule of the API (design.md, issue 3 §2).
// The API and the store both use it, so what is stored is exactly what was accepted.

#include <boost/json/fwd.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "common/expected.hpp"
#include "registry/model.hpp"
#include "registry/refusal.hpp"

namespace beacon::registry {

/// 1-63 characters of a-z, 0-9 and '-', not starting or ending with '-'; upper case is
/// folded. nullopt if `text` is not such a label.
std::optional<std::string> normalize_label(std::string_view text);

std::optional<IpAddress> parse_ip(std::string_view text);

/// Validates a registration body. Unknown fields are refused so that typos are not ignored.
Expected<Registration, Refusal> parse_registration(const boost::json::value& body);

boost::json::object to_json(const Registration& r);

/// Limits, here so that tests and documentation can name them.
namespace bounds {
constexpr std::size_t max_meta_entry = 255;   // one TXT character-string
constexpr std::size_t max_meta_total = 4096;  // all TXT strings of an instance
constexpr std::size_t max_addresses = 16;
constexpr std::size_t max_tags = 32;
constexpr auto min_ttl = std::chrono::seconds(1);
constexpr auto max_ttl = std::chrono::hours(24);
constexpr auto min_deregister_after = std::chrono::seconds(1);
constexpr auto max_deregister_after = std::chrono::hours(24 * 30);
constexpr std::uint32_t max_dns_ttl = 86400;
}  // namespace bounds

}  // namespace beacon::registry
