#include "registry/check_codec.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <charconv>
#include <set>

#include "common/duration.hpp"
#include "registry/json_fields.hpp"
#include "registry/registration_codec.hpp"

namespace beacon::registry {
namespace json = boost::json;

namespace {

const std::set<std::string_view> known_check_fields = {"http",   "tcp",    "interval", "timeout", "failures_before_critical",
                                                       "successes_before_passing", "method", "header"};

/// "HOST:PORT" or "[V6]:PORT" with HOST an IP literal; `default_port` if the port is absent.
bool split_host_port(std::string_view text, std::uint16_t default_port, std::string& host, std::uint16_t& port) {
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return false;
    host = std::string(text.substr(1, close - 1));
    const auto rest = text.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') return false;
    if (!rest.empty()) port_text = rest.substr(1);
  } else {
    const auto colon = text.find(':');
    host = std::string(text.substr(0, colon));
    if (colon != std::string_view::npos) port_text = text.substr(colon + 1);
  }
  if (!parse_ip(host)) return false;
  if (port_text.empty()) {
    port = default_port;
    return port != 0;
  }
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
  if (ec != std::errc{} || end != port_text.data() + port_text.size() || value == 0 || value > 65535) return false;
  port = static_cast<std::uint16_t>(value);
  return true;
}

std::optional<Refusal> read_target(const json::object& check, CheckSpec& spec) {
  const json::value* http = check.if_contains("http");
  const json::value* tcp = check.if_contains("tcp");
  if ((http != nullptr) == (tcp != nullptr)) return invalid("check", "give exactly one of \"http\" or \"tcp\"");
  if (tcp) {
    spec.kind = CheckSpec::Kind::tcp;
    if (!tcp->is_string() || !split_host_port(tcp->get_string(), 0, spec.host, spec.port))
      return invalid("check.tcp", "must be IP:PORT, such as \"10.0.0.5:8080\" or \"[fd00::5]:8080\"");
    spec.url = std::string(tcp->get_string());
    return std::nullopt;
  }
  spec.kind = CheckSpec::Kind::http;
  const std::string_view url = http->is_string() ? std::string_view(http->get_string()) : std::string_view{};
  constexpr std::string_view scheme = "http://";
  if (!url.starts_with(scheme)) return invalid("check.http", "must be an http:// URL (https is not supported)");
  const auto rest = url.substr(scheme.size());
  const auto slash = rest.find('/');
  if (!split_host_port(rest.substr(0, slash), 80, spec.host, spec.port))
    return invalid("check.http", "the host must be an IP literal with an optional port, such as http://10.0.0.5:8080/health");
  spec.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (std::any_of(spec.target.begin(), spec.target.end(), [](char c) { return c <= 0x20 || c == 0x7F; }))
    return invalid("check.http", "the path must not contain spaces or control characters");
  spec.url = std::string(url);
  return std::nullopt;
}

bool is_token(std::string_view s) {
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  });
}

bool is_header_value(std::string_view s) {
  return s.size() <= 1024 && std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c != 0x7F; });
}

std::optional<Refusal> read_http_options(const json::object& check, CheckSpec& spec) {
  if (const json::value* method = check.if_contains("method")) {
    if (!method->is_string() || !is_token(method->get_string()))
      return invalid("check.method", "must be an HTTP method such as GET or HEAD");
    spec.method = std::string(method->get_string());
  }
  const json::value* header = check.if_contains("header");
  if (!header) return std::nullopt;
  if (!header->is_object()) return invalid("check.header", "must be an object of header names to a value or a list of values");
  for (const auto& [name, values] : header->get_object()) {
    const std::string field = "check.header." + std::string(name);
    if (!is_token(name)) return invalid(field, "is not a valid header name");
    const json::array one{values};
    const json::array& list = values.is_array() ? values.get_array() : one;
    for (const auto& value : list) {
      if (!value.is_string() || !is_header_value(value.get_string())) return invalid(field, "values must be printable strings");
      spec.headers.emplace_back(std::string(name), std::string(value.get_string()));
    }
  }
  if (spec.headers.size() > 32) return invalid("check.header", "at most 32 header values");
  return std::nullopt;
}

std::optional<Refusal> read_thresholds(const json::object& check, CheckSpec& spec) {
  std::int64_t failures = spec.failures_before_critical;
  std::int64_t successes = spec.successes_before_passing;
  if (auto r = read_integer(check, "failures_before_critical", 1, check_bounds::max_threshold, false, failures, "check."))
    return r;
  if (auto r = read_integer(check, "successes_before_passing", 1, check_bounds::max_threshold, false, successes, "check."))
    return r;
  spec.failures_before_critical = static_cast<unsigned>(failures);
  spec.successes_before_passing = static_cast<unsigned>(successes);
  return std::nullopt;
}

}  // namespace

std::optional<Refusal> read_check(const json::object& body, Registration& r) {
  const json::value* value = body.if_contains("check");
  if (!value) return std::nullopt;
  if (!value->is_object()) return invalid("check", "must be an object with \"http\" or \"tcp\"");
  const json::object& check = value->get_object();
  for (const auto& [key, v] : check) {
    if (!known_check_fields.contains(key)) return invalid("check." + std::string(key), "unknown field");
  }
  CheckSpec spec;
  std::optional<std::chrono::milliseconds> interval;
  std::optional<std::chrono::milliseconds> timeout;
  std::optional<Refusal> refusal;
  if ((refusal = read_target(check, spec)) ||
      (refusal = read_duration(check, "interval", check_bounds::min_interval, check_bounds::max_interval, interval, "check.")) ||
      (refusal = read_duration(check, "timeout", check_bounds::min_timeout, check_bounds::max_timeout, timeout, "check.")) ||
      (refusal = read_thresholds(check, spec)))
    return refusal;
  if (spec.kind == CheckSpec::Kind::tcp && (check.contains("method") || check.contains("header")))
    return invalid("check", "method and header apply to http checks only");
  if (spec.kind == CheckSpec::Kind::http && (refusal = read_http_options(check, spec))) return refusal;
  if (interval) spec.interval = *interval;
  if (timeout) spec.timeout = *timeout;
  r.check = std::move(spec);
  return std::nullopt;
}

json::object check_to_json(const CheckSpec& spec) {
  json::object o;
  o[spec.kind == CheckSpec::Kind::http ? "http" : "tcp"] = spec.url;
  o["interval"] = format_duration(spec.interval);
  o["timeout"] = format_duration(spec.timeout);
  o["failures_before_critical"] = spec.failures_before_critical;
  o["successes_before_passing"] = spec.successes_before_passing;
  if (spec.kind == CheckSpec::Kind::http) {
    o["method"] = spec.method;
    json::object header;
    for (const auto& [name, value] : spec.headers) {
      auto& slot = header[name];
      if (slot.is_null()) slot = json::array{};
      slot.as_array().emplace_back(value);
    }
    if (!header.empty()) o["header"] = std::move(header);
  }
  return o;
}

}  // namespace beacon::registry
