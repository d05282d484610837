#pragma once
// What one Responder answered, counted per query type, RCODE and transport. One writer
// (the Responder's DNS thread); read on scrape (common/counter.hpp).

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/counter.hpp"

namespace beacon::answer {

struct ResponseStats {
  /// Query types counted on their own; everything else is "other".
  static constexpr std::array<std::uint16_t, 11> qtypes = {1, 28, 33, 16, 2, 6, 5, 15, 12, 255, 65};
  static constexpr std::array<std::string_view, 12> qtype_names = {"A",  "AAAA", "SRV", "TXT",   "NS",   "SOA",
                                                                   "CNAME", "MX", "PTR", "ANY", "HTTPS", "other"};
  static constexpr std::array<std::string_view, 8> rcode_names = {"NOERROR", "FORMERR",  "SERVFAIL", "NXDOMAIN",
                                                                  "NOTIMP",  "REFUSED", "BADVERS",  "other"};
  static constexpr std::array<std::string_view, 2> transport_names = {"udp", "tcp"};

  static std::size_t qtype_slot(std::uint16_t qtype) {
    for (std::size_t i = 0; i < qtypes.size(); ++i) {
      if (qtypes[i] == qtype) return i;
    }
    return qtypes.size();
  }
  static std::size_t rcode_slot(std::uint16_t rcode) {
    if (rcode <= 5) return rcode;
    return rcode == 16 ? 6 : 7;
  }

  std::array<std::array<Counter, qtype_names.size()>, 2> queries;    // [transport][qtype]
  std::array<std::array<Counter, rcode_names.size()>, 2> responses;  // [transport][rcode]
  std::array<Counter, 2> truncated;                                  // [transport]
  std::array<Counter, 2> dropped;                                    // [transport]: no answer sent
};

}  // namespace beacon::answer
