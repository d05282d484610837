// Any bytes in, over UDP and TCP: a well-formed response (checked by ldns) or a drop out,
// never a write past the transport's limit.
#include <array>
#include <cstdlib>
#include <memory>

#include "answer/responder.hpp"
#include "zone/master_file.hpp"
#include "zone/snapshot.hpp"

// ldns last: its headers define macros that break C++ headers included after them.
#include <ldns/ldns.h>

namespace {

const beacon::zone::Snapshot& snapshot() {
  static const beacon::zone::Snapshot s = [] {
    const char* dir = std::getenv("BEACON_FUZZ_ZONES");
    return beacon::zone::Snapshot(beacon::zone::load_zone_dir(dir ? dir : "tests/data/unit"), 1);
  }();
  return s;
}

void check(std::span<const std::uint8_t> response) {
  ldns_pkt* pkt = nullptr;
  if (ldns_wire2pkt(&pkt, response.data(), response.size()) != LDNS_STATUS_OK) std::abort();
  ldns_pkt_free(pkt);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static beacon::answer::Responder responder;
  static std::array<std::uint8_t, beacon::dns::limits::max_message + 64> out;
  for (const auto transport : {beacon::answer::Transport::udp, beacon::answer::Transport::tcp}) {
    out.fill(0xA5);
    const std::size_t n = responder.respond(snapshot(), {data, size}, transport, {out.data(), out.size() - 64});
    const std::size_t limit = transport == beacon::answer::Transport::udp ? 4096 : beacon::dns::limits::max_message;
    if (n > limit) std::abort();
    for (std::size_t i = out.size() - 64; i < out.size(); ++i) {
      if (out[i] != 0xA5) std::abort();  // wrote into the guard zone
    }
    if (n > 0) check({out.data(), n});
  }
  return 0;
}
