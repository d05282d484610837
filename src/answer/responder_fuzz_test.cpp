// A bounded, deterministic fuzz loop through Responder::respond: mutated and random packets
// must never make it write past the transport's limit or the buffer, and every response it
// does send must decode with ldns, echo the id and have QR set.
#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

#include "answer/responder.hpp"
#include "dns/message.hpp"
#include "test_support.hpp"

namespace beacon::answer {
namespace {

std::vector<test::Bytes> seed_corpus() {
  std::vector<test::Bytes> seeds;
  const char* names[] = {"www.example.test.",  "alias.example.test.", "x.wild.example.test.", "sub.example.test.",
                         "a.b.sub.example.test.", "big.example.test.", "huge.example.test.", "nope.example.test.",
                         "example.test.",      "dangling.example.test.", "loop1.example.test.", "other.org."};
  const std::uint16_t types[] = {dns::type::A, dns::type::AAAA, dns::type::MX, dns::type::NS, dns::type::ANY,
                                 dns::type::DS, dns::type::SRV, dns::type::TXT};
  for (const char* name : names) {
    for (const std::uint16_t t : types) {
      seeds.push_back(test::make_query({.qname = name, .qtype = t}));
      seeds.push_back(test::make_query({.qname = name, .qtype = t, .rd = true, .edns = true, .udp_size = 700,
                                        .dnssec_ok = true}));
    }
  }
  return seeds;
}

test::Bytes mutate(const test::Bytes& seed, std::mt19937& rng) {
  test::Bytes p = seed;
  auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
  const unsigned edits = 1 + static_cast<unsigned>(rng() % 4);
  for (unsigned e = 0; e < edits; ++e) {
    switch (rng() % 7) {
      case 0:  // flip a bit
        if (!p.empty()) p[pick(p.size())] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
        break;
      case 1:  // random byte
        if (!p.empty()) p[pick(p.size())] = static_cast<std::uint8_t>(rng());
        break;
      case 2:  // truncate
        if (!p.empty()) p.resize(pick(p.size() + 1));
        break;
      case 3:  // insert random bytes
        for (std::size_t n = pick(8) + 1; n > 0; --n)
          p.insert(p.begin() + static_cast<std::ptrdiff_t>(pick(p.size() + 1)), static_cast<std::uint8_t>(rng()));
        break;
      case 4:  // a compression pointer somewhere
        if (p.size() > 13) {
          const std::size_t at = 12 + pick(p.size() - 13);
          p[at] = static_cast<std::uint8_t>(0xC0 | (rng() & 0x3F));
          p[at + 1] = static_cast<std::uint8_t>(rng());
        }
        break;
      case 5:  // random header counts
        if (p.size() >= 12) dns::write_u16(p.data() + 4 + 2 * pick(4), static_cast<std::uint16_t>(rng() % 4));
        break;
      default:  // append an OPT-looking tail
        for (const std::uint8_t b : test::raw_opt(static_cast<std::uint16_t>(rng()), static_cast<std::uint8_t>(rng() % 2)))
          p.push_back(b);
        if (p.size() >= 12) dns::write_u16(p.data() + 10, static_cast<std::uint16_t>(dns::read_u16(p.data() + 10) + 1));
        break;
    }
  }
  return p;
}

}  // namespace

TEST_CASE("responder fuzz: random and mutated packets never overrun and always decode") {
  test::TestServer server = test::TestServer::from_files({"example.test.zone"});
  const auto seeds = seed_corpus();
  std::mt19937 rng(20240101);
  constexpr int iterations = 20000;
  int answered = 0;
  int failures = 0;
  std::string first_failure;
  for (int i = 0; i < iterations && failures < 10; ++i) {
    test::Bytes packet;
    if (i % 10 == 0) {
      packet.resize(static_cast<std::size_t>(rng() % 64));
      for (auto& b : packet) b = static_cast<std::uint8_t>(rng());
    } else {
      packet = mutate(seeds[static_cast<std::size_t>(rng() % seeds.size())], rng);
    }
    const Transport transport = i % 3 == 0 ? Transport::tcp : Transport::udp;
    const std::size_t n = server.respond(packet, transport);
    if (n == 0) continue;
    ++answered;
    const std::size_t limit = transport == Transport::tcp ? dns::limits::max_message : 1232;
    const test::Decoded d = test::decode(server.last());
    std::string problem;
    if (n > limit || server.high_water() > limit) problem = "wrote past the limit";
    else if (n < 12) problem = "response shorter than a header";
    else if (!d.ok) problem = "ldns cannot decode: " + d.error;
    else if (d.id != dns::read_u16(packet.data())) problem = "id not echoed";
    else if (!d.qr) problem = "QR clear";
    else if (d.qdcount > 1) problem = "more than one question";
    if (!problem.empty()) {
      if (failures++ == 0) {
        first_failure = problem + " at iteration " + std::to_string(i) + ", packet:";
        for (const std::uint8_t b : packet) first_failure += " " + std::to_string(b);
      }
    }
  }
  CHECK_MESSAGE(failures == 0, first_failure);
  CHECK(answered > iterations / 4);
}

}  // namespace beacon::answer
