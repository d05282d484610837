#pragma once
// An active health check as registered (design.md: "check" in the registration body).

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace beacon::registry {

struct CheckSpec {
  enum class Kind : std::uint8_t { http, tcp };
  Kind kind = Kind::http;
  std::string url;      // http: as registered, e.g. "http://10.0.0.5:8080/health"
  std::string host;     // the IP literal to connect to (http and tcp)
  std::uint16_t port = 0;
  std::string target;   // http: path and query, "/health"
  std::string method = "GET";
  std::vector<std::pair<std::string, std::string>> headers;
  std::chrono::milliseconds interval{10'000};
  std::chrono::milliseconds timeout{2'000};
  unsigned failures_before_critical = 1;
  unsigned successes_before_passing = 1;
  bool operator==(const CheckSpec&) const = default;
};

}  // namespace beacon::registry
