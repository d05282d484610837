#include "registry/registration_codec.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <boost/json.hpp>
#include <set>

#include "common/duration.hpp"
#include "registry/check_codec.hpp"
#include "registry/json_fields.hpp"

namespace beacon::registry {
namespace json = boost::json;

namespace {

using Result = Expected<Registration, Refusal>;

const std::set<std::string_view> known_fields = {"address", "addresses", "port",  "protocol", "tags",
                                                 "meta",    "weight",    "priority", "ttl", "deregister_after",
                                                 "dns_ttl", "check"};

std::optional<Refusal> read_addresses(const json::object& body, Registration& r) {
  const json::value* one = body.if_contains("address");
  const json::value* many = body.if_contains("addresses");
  if (one && many) return invalid("addresses", "give either address or addresses, not both");
  if (!one && !many) return invalid("address", "required: an IPv4 or IPv6 address");
  if (one) {
    const auto ip = one->is_string() ? parse_ip(one->get_string()) : std::nullopt;
    if (!ip) return invalid("address", "must be an IPv4 or IPv6 address literal");
    r.addresses.push_back(*ip);
    return std::nullopt;
  }
  if (!many->is_array() || many->get_array().empty() || many->get_array().size() > bounds::max_addresses)
    return invalid("addresses", "must be a list of 1 to " + std::to_string(bounds::max_addresses) + " addresses");
  for (const auto& item : many->get_array()) {
    const auto ip = item.is_string() ? parse_ip(item.get_string()) : std::nullopt;
    if (!ip) return invalid("addresses", "every entry must be an IPv4 or IPv6 address literal");
    if (std::find(r.addresses.begin(), r.addresses.end(), *ip) != r.addresses.end())
      return invalid("addresses", "duplicate address " + ip->to_string());
    r.addresses.push_back(*ip);
  }
  return std::nullopt;
}

/// A 16-bit field of the body.
std::optional<Refusal> read_u16(const json::object& body, const char* field, std::int64_t min, std::int64_t max,
                                bool required, std::uint16_t& out) {
  std::int64_t value = out;
  if (auto refusal = read_integer(body, field, min, max, required, value, "")) return refusal;
  out = static_cast<std::uint16_t>(value);
  return std::nullopt;
}

std::optional<Refusal> read_tags(const json::object& body, Registration& r) {
  const json::value* v = body.if_contains("tags");
  if (!v) return std::nullopt;
  if (!v->is_array() || v->get_array().size() > bounds::max_tags)
    return invalid("tags", "must be a list of at most " + std::to_string(bounds::max_tags) + " DNS labels");
  for (const auto& item : v->get_array()) {
    const auto tag = item.is_string() ? normalize_label(item.get_string()) : std::nullopt;
    if (!tag) return invalid("tags", "every tag must be a DNS label: 1-63 of a-z, 0-9 and '-', not starting or ending with '-'");
    if (std::find(r.tags.begin(), r.tags.end(), *tag) != r.tags.end()) return invalid("tags", "duplicate tag " + *tag);
    r.tags.push_back(*tag);
  }
  std::sort(r.tags.begin(), r.tags.end());
  return std::nullopt;
}

bool is_printable_key(std::string_view key) {
  return !key.empty() && std::all_of(key.begin(), key.end(), [](char c) { return c >= 0x20 && c <= 0x7E && c != '='; });
}

std::optional<Refusal> read_meta(const json::object& body, Registration& r) {
  const json::value* v = body.if_contains("meta");
  if (!v) return std::nullopt;
  if (!v->is_object()) return invalid("meta", "must be an object of string values");
  std::size_t total = 0;
  for (const auto& [key, value] : v->get_object()) {
    const std::string field = "meta." + std::string(key);
    if (!is_printable_key(key)) return invalid(field, "keys must be printable ASCII without '='");
    if (!value.is_string()) return invalid(field, "must be a string");
    const std::size_t entry = key.size() + 1 + value.get_string().size();
    if (entry > bounds::max_meta_entry) return invalid(field, "key=value must fit in 255 octets (one TXT string)");
    total += entry + 1;
    r.meta.emplace_back(std::string(key), std::string(value.get_string()));
  }
  if (total > bounds::max_meta_total) return invalid("meta", "all key=value strings together must fit in 4096 octets");
  std::sort(r.meta.begin(), r.meta.end());
  return std::nullopt;
}

std::optional<Refusal> read_protocol(const json::object& body, Registration& r) {
  const json::value* v = body.if_contains("protocol");
  if (!v) return std::nullopt;
  if (v->is_string() && v->get_string() == "tcp") r.protocol = Protocol::tcp;
  else if (v->is_string() && v->get_string() == "udp") r.protocol = Protocol::udp;
  else return invalid("protocol", "must be \"tcp\" or \"udp\"");
  return std::nullopt;
}

std::optional<Refusal> read_dns_ttl(const json::object& body, Registration& r) {
  std::optional<std::chrono::milliseconds> d;
  if (auto refusal = read_duration(body, "dns_ttl", std::chrono::seconds(0), std::chrono::seconds(bounds::max_dns_ttl), d, ""))
    return refusal;
  if (!d) return std::nullopt;
  if (d->count() % 1000 != 0) return invalid("dns_ttl", "must be whole seconds (DNS TTLs have no fractions)");
  r.dns_ttl = static_cast<std::uint32_t>(d->count() / 1000);
  return std::nullopt;
}

}  // namespace

std::optional<std::string> normalize_label(std::string_view text) {
  if (text.empty() || text.size() > 63 || text.front() == '-' || text.back() == '-') return std::nullopt;
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c | 0x20);
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return std::nullopt;
  }
  return out;
}

std::optional<IpAddress> parse_ip(std::string_view text) {
  if (text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  const std::string s(text);
  IpAddress ip;
  if (inet_pton(AF_INET, s.c_str(), ip.bytes.data()) == 1) return ip;
  ip.is_v6 = true;
  if (inet_pton(AF_INET6, s.c_str(), ip.bytes.data()) == 1) return ip;
  return std::nullopt;
}

Expected<Registration, Refusal> parse_registration(const json::value& value) {
  if (!value.is_object()) return unexpected(invalid("", "the body must be a JSON object"));
  const json::object& body = value.get_object();
  for (const auto& [key, v] : body) {
    if (!known_fields.contains(key)) return unexpected(invalid(std::string(key), "unknown field"));
  }
  Registration r;
  std::optional<Refusal> refusal;
  if ((refusal = read_addresses(body, r)) || (refusal = read_u16(body, "port", 1, 65535, true, r.port)) ||
      (refusal = read_protocol(body, r)) || (refusal = read_tags(body, r)) || (refusal = read_meta(body, r)) ||
      (refusal = read_u16(body, "weight", 0, 65535, false, r.weight)) ||
      (refusal = read_u16(body, "priority", 0, 65535, false, r.priority)) ||
      (refusal = read_duration(body, "ttl", bounds::min_ttl, bounds::max_ttl, r.ttl, "")) ||
      (refusal = read_duration(body, "deregister_after", bounds::min_deregister_after, bounds::max_deregister_after,
                               r.deregister_after, "")) ||
      (refusal = read_dns_ttl(body, r)) || (refusal = read_check(body, r))) {
    return unexpected(std::move(*refusal));
  }
  return r;
}

json::object to_json(const Registration& r) {
  json::object o;
  if (r.addresses.size() == 1) {
    o["address"] = r.addresses[0].to_string();
  } else {
    json::array a;
    for (const auto& ip : r.addresses) a.emplace_back(ip.to_string());
    o["addresses"] = std::move(a);
  }
  o["port"] = r.port;
  o["protocol"] = r.protocol == Protocol::tcp ? "tcp" : "udp";
  json::array tags;
  for (const auto& t : r.tags) tags.emplace_back(t);
  o["tags"] = std::move(tags);
  json::object meta;
  for (const auto& [k, v] : r.meta) meta[k] = v;
  o["meta"] = std::move(meta);
  o["weight"] = r.weight;
  o["priority"] = r.priority;
  if (r.ttl) o["ttl"] = format_duration(*r.ttl);
  if (r.deregister_after) o["deregister_after"] = format_duration(*r.deregister_after);
  if (r.dns_ttl) o["dns_ttl"] = *r.dns_ttl;
  if (r.check) o["check"] = check_to_json(*r.check);
  return o;
}

}  // namespace beacon::registry
