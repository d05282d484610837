// Answer tests over the fixture zone tests/data/unit/example.test.zone. Every response is
// decoded by ldns and compared field by field, so the hand-written encoder is checked by an
// independent decoder. Tables follow CoreDNS lookup_test.go / Knot test_process_query.c.
#include "answer/responder.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "dns/constants.hpp"
#include "dns/message.hpp"
#include "test_support.hpp"

namespace beacon::answer {
namespace {

using dns::qclass::IN;
using dns::rcode::FORMERR;
using dns::rcode::NOERROR;
using dns::rcode::NXDOMAIN;
using dns::rcode::REFUSED;
namespace type = dns::type;
using test::Decoded;
using test::QuerySpec;
using Strings = std::vector<std::string>;

const std::string soa_text = "ns1.example.test. hostmaster.example.test. 2024010101 7200 3600 1209600 300";
/// The SOA in a negative answer: TTL = min(3600, MINIMUM 300).
const std::string negative_soa = "example.test. 300 SOA " + soa_text;

struct Case {
  std::string qname;
  std::uint16_t qtype;
  std::uint16_t rcode;
  bool aa;
  Strings answer;
  Strings authority;
  Strings additional;
};

test::TestServer& server() {
  static test::TestServer s = test::TestServer::from_files({"example.test.zone"});
  return s;
}

/// Checks one response against a table row; the header and question are checked too.
void check(const Case& c, const Decoded& d, const QuerySpec& spec) {
  CAPTURE(c.qname);
  CAPTURE(c.qtype);
  REQUIRE_MESSAGE(d.ok, d.error);
  CHECK(d.id == spec.id);
  CHECK(d.qr);
  CHECK(d.opcode == 0);
  CHECK(d.aa == c.aa);
  CHECK_FALSE(d.tc);
  CHECK(d.rd == spec.rd);
  CHECK_FALSE(d.ra);
  CHECK_FALSE(d.ad);
  CHECK(d.rcode == c.rcode);
  REQUIRE(d.question.size() == 1);
  CHECK(d.question[0].owner == c.qname);
  CHECK(d.question[0].type == c.qtype);
  CHECK(d.question[0].rclass == IN);
  CHECK(test::texts(d.answer) == c.answer);
  CHECK(test::texts(d.authority) == c.authority);
  CHECK(test::texts(d.additional) == c.additional);
  CHECK(d.ancount == c.answer.size());
  CHECK(d.nscount == c.authority.size());
  CHECK(d.arcount == c.additional.size() + (d.has_edns ? 1u : 0u));
}

void run(const std::vector<Case>& table) {
  for (const Case& c : table) {
    for (const bool edns : {false, true}) {
      CAPTURE(edns);
      const QuerySpec spec{.qname = c.qname, .qtype = c.qtype, .id = 0x1357, .edns = edns};
      const Decoded d = server().ask(spec);
      check(c, d, spec);
      CHECK(d.has_edns == edns);
    }
  }
}

Decoded ask(const QuerySpec& spec, Transport transport = Transport::udp) { return server().ask(spec, transport); }

}  // namespace

TEST_CASE("answer: positive answers are authoritative with the whole RRset and nothing in authority") {
  run({
      {"www.example.test.", type::A, NOERROR, true,
       {"www.example.test. 300 A 192.0.2.10", "www.example.test. 300 A 192.0.2.11"}, {}, {}},
      {"www.example.test.", type::AAAA, NOERROR, true, {"www.example.test. 3600 AAAA 2001:db8::10"}, {}, {}},
      {"txt.example.test.", type::TXT, NOERROR, true,
       {"txt.example.test. 3600 TXT \"hello world\" \"second string\""}, {}, {}},
      {"example.test.", type::SOA, NOERROR, true, {"example.test. 3600 SOA " + soa_text}, {}, {}},
      {"alias.example.test.", type::CNAME, NOERROR, true, {"alias.example.test. 3600 CNAME alias2.example.test."}, {}, {}},
  });
}

TEST_CASE("answer: apex NS with in-zone name server addresses in additional") {
  run({{"example.test.", type::NS, NOERROR, true,
        {"example.test. 3600 NS ns1.example.test.", "example.test. 3600 NS ns2.example.test."},
        {},
        {"ns1.example.test. 3600 A 192.0.2.1", "ns1.example.test. 3600 AAAA 2001:db8::1",
         "ns2.example.test. 3600 A 192.0.2.2"}}});
}

TEST_CASE("answer: MX and SRV get A/AAAA of in-zone targets in additional") {
  run({
      {"example.test.", type::MX, NOERROR, true,
       {"example.test. 3600 MX 10 mail.example.test."},
       {},
       {"mail.example.test. 3600 A 192.0.2.25", "mail.example.test. 3600 AAAA 2001:db8::25"}},
      {"_http._tcp.example.test.", type::SRV, NOERROR, true,
       {"_http._tcp.example.test. 3600 SRV 0 5 8080 web.example.test."},
       {},
       {"web.example.test. 3600 A 192.0.2.80"}},
  });
}

TEST_CASE("answer: AA on authoritative answers, RD and CD copied, RA clear") {
  for (const bool rd : {false, true}) {
    for (const bool cd : {false, true}) {
      CAPTURE(rd);
      CAPTURE(cd);
      const Decoded d = ask({.qname = "www.example.test.", .id = 0xFFFF, .rd = rd, .cd = cd});
      REQUIRE(d.ok);
      CHECK(d.id == 0xFFFF);
      CHECK(d.qr);
      CHECK(d.aa);
      CHECK(d.rd == rd);
      CHECK(d.cd == cd);
      CHECK_FALSE(d.ra);
      CHECK_FALSE(d.tc);
      CHECK(d.rcode == NOERROR);
    }
  }
}

TEST_CASE("answer: the question's case is echoed, also in owner names") {
  const Decoded d = ask({.qname = "wWw.ExAmPlE.tEsT.", .qtype = type::A});
  REQUIRE(d.ok);
  REQUIRE(d.question.size() == 1);
  CHECK(d.question[0].owner == "wWw.ExAmPlE.tEsT.");
  CHECK(d.aa);
  CHECK(test::texts(d.answer) == Strings{"wWw.ExAmPlE.tEsT. 300 A 192.0.2.10", "wWw.ExAmPlE.tEsT. 300 A 192.0.2.11"});

  const Decoded nx = ask({.qname = "NoPe.EXAMPLE.test.", .qtype = type::A});
  REQUIRE(nx.ok);
  CHECK(nx.rcode == NXDOMAIN);
  CHECK(test::texts(nx.authority) == Strings{"EXAMPLE.test. 300 SOA " + soa_text});
}

TEST_CASE("answer: a negative answer's SOA names point at the apex, unless the question spells it in another case") {
  // 12 header + 23 question + SOA: 2 owner + 10 + "ns1"+pointer 6 + "hostmaster"+pointer 13 + 20.
  const Decoded nx = ask({.qname = "nope.example.test.", .qtype = type::A});
  REQUIRE(nx.ok);
  CHECK(nx.size == 86);
  CHECK(test::texts(nx.authority) == Strings{negative_soa});
  const Decoded nodata = ask({.qname = "www.example.test.", .qtype = type::MX});
  REQUIRE(nodata.ok);
  CHECK(nodata.size == 85);
  CHECK(test::texts(nodata.authority) == Strings{negative_soa});
  // The names keep the zone's case: written out (24 octets more) rather than pointing at "EXAMPLE".
  const Decoded upper = ask({.qname = "nope.EXAMPLE.test.", .qtype = type::A});
  REQUIRE(upper.ok);
  CHECK(upper.size == 110);
  CHECK(test::texts(upper.authority) == Strings{"EXAMPLE.test. 300 SOA " + soa_text});
}

TEST_CASE("answer: a CNAME chain inside the zone is followed") {
  run({{"alias.example.test.", type::A, NOERROR, true,
        {"alias.example.test. 3600 CNAME alias2.example.test.", "alias2.example.test. 3600 CNAME www.example.test.",
         "www.example.test. 300 A 192.0.2.10", "www.example.test. 300 A 192.0.2.11"},
        {},
        {}},
       // The chain ends in NODATA: the SOA goes with it.
       {"alias.example.test.", type::MX, NOERROR, true,
        {"alias.example.test. 3600 CNAME alias2.example.test.", "alias2.example.test. 3600 CNAME www.example.test."},
        {negative_soa},
        {}}});
}

TEST_CASE("answer: a CNAME to a name outside the zone stops there") {
  run({{"out.example.test.", type::A, NOERROR, true, {"out.example.test. 3600 CNAME www.elsewhere.invalid."}, {}, {}}});
}

TEST_CASE("answer: a CNAME to a nonexistent in-zone name is NXDOMAIN with the CNAME in the answer") {
  run({{"dangling.example.test.", type::A, NXDOMAIN, true,
        {"dangling.example.test. 3600 CNAME nothere.example.test."},
        {negative_soa},
        {}}});
}

TEST_CASE("answer: a CNAME loop ends after a bounded number of hops") {
  const Decoded d = ask({.qname = "loop1.example.test.", .qtype = type::A});
  REQUIRE(d.ok);
  CHECK(d.rcode == NOERROR);
  CHECK_FALSE(d.answer.empty());
  CHECK(d.answer.size() <= 8);
  for (const auto& rr : d.answer) CHECK(rr.type == type::CNAME);
}

TEST_CASE("answer: NXDOMAIN carries the SOA in authority with TTL min(SOA TTL, MINIMUM)") {
  run({{"nope.example.test.", type::A, NXDOMAIN, true, {}, {negative_soa}, {}},
       {"a.b.c.nope.example.test.", type::AAAA, NXDOMAIN, true, {}, {negative_soa}, {}},
       {"xwww.example.test.", type::A, NXDOMAIN, true, {}, {negative_soa}, {}},
       {"x.www.example.test.", type::A, NXDOMAIN, true, {}, {negative_soa}, {}}});
}

TEST_CASE("answer: NODATA is NOERROR with an empty answer and the SOA") {
  run({{"www.example.test.", type::MX, NOERROR, true, {}, {negative_soa}, {}},
       {"example.test.", type::A, NOERROR, true, {}, {negative_soa}, {}},
       {"mail.example.test.", type::TXT, NOERROR, true, {}, {negative_soa}, {}}});
}

TEST_CASE("answer: an empty non-terminal is NODATA, not NXDOMAIN") {
  run({{"ent.example.test.", type::A, NOERROR, true, {}, {negative_soa}, {}},
       {"_tcp.example.test.", type::SRV, NOERROR, true, {}, {negative_soa}, {}},
       {"wild.example.test.", type::A, NOERROR, true, {}, {negative_soa}, {}}});
}

TEST_CASE("answer: referral at and below a delegation: AA clear, NS in authority, glue in additional") {
  const Strings ns = {"sub.example.test. 3600 NS ns.sub.example.test.", "sub.example.test. 3600 NS ns.elsewhere.invalid."};
  const Strings glue = {"ns.sub.example.test. 3600 A 192.0.2.53"};
  run({{"sub.example.test.", type::A, NOERROR, false, {}, ns, glue},
       {"sub.example.test.", type::NS, NOERROR, false, {}, ns, glue},
       {"www.sub.example.test.", type::A, NOERROR, false, {}, ns, glue},
       {"a.b.c.sub.example.test.", type::MX, NOERROR, false, {}, ns, glue},
       {"ns.sub.example.test.", type::A, NOERROR, false, {}, ns, glue},
       {"x.sub.example.test.", type::DS, NOERROR, false, {}, ns, glue}});
  // The owner of the NS RRset keeps the question's case (it points into the question).
  const Decoded d = ask({.qname = "WWW.SUB.example.test."});
  REQUIRE(d.ok);
  REQUIRE_FALSE(d.authority.empty());
  CHECK(d.authority[0].owner == "SUB.example.test.");
}

TEST_CASE("answer: DS at the cut is answered from the parent side (NODATA, AA)") {
  run({{"sub.example.test.", type::DS, NOERROR, true, {}, {negative_soa}, {}}});
}

TEST_CASE("answer: wildcard synthesis uses the query name as owner") {
  run({{"x.wild.example.test.", type::A, NOERROR, true, {"x.wild.example.test. 3600 A 192.0.2.99"}, {}, {}},
       {"a.b.wild.example.test.", type::TXT, NOERROR, true, {"a.b.wild.example.test. 3600 TXT \"wild\""}, {}, {}},
       {"x.wild.example.test.", type::AAAA, NOERROR, true, {}, {negative_soa}, {}},
       {"*.wild.example.test.", type::A, NOERROR, true, {"*.wild.example.test. 3600 A 192.0.2.99"}, {}, {}}});
  const Decoded d = ask({.qname = "MiXeD.wild.example.test."});
  REQUIRE(d.ok);
  CHECK(test::texts(d.answer) == Strings{"MiXeD.wild.example.test. 3600 A 192.0.2.99"});
}

TEST_CASE("answer: a wildcard does not apply to a name that exists, nor to an empty non-terminal") {
  run({{"host.wild.example.test.", type::A, NOERROR, true, {"host.wild.example.test. 3600 A 192.0.2.98"}, {}, {}},
       {"host.wild.example.test.", type::TXT, NOERROR, true, {}, {negative_soa}, {}},
       // Below an existing name the closest encloser is that name, which has no wildcard.
       {"x.host.wild.example.test.", type::A, NXDOMAIN, true, {}, {negative_soa}, {}},
       {"wild.example.test.", type::TXT, NOERROR, true, {}, {negative_soa}, {}},
       // No wildcard at the apex: a missing name there is NXDOMAIN.
       {"x.example.test.", type::A, NXDOMAIN, true, {}, {negative_soa}, {}}});
}

TEST_CASE("answer: names outside every zone are REFUSED, not authoritative, no recursion") {
  for (const char* qname : {"www.example.org.", "test.", ".", "xexample.test.", "example.test.org."}) {
    CAPTURE(qname);
    const Decoded d = ask({.qname = qname, .rd = true});
    REQUIRE(d.ok);
    CHECK(d.rcode == REFUSED);
    CHECK_FALSE(d.aa);
    CHECK_FALSE(d.ra);
    CHECK(d.rd);
    CHECK(d.question.size() == 1);
    CHECK(d.answer.empty());
    CHECK(d.authority.empty());
    CHECK(d.additional.empty());
  }
}

TEST_CASE("answer: ANY is answered with a single RRset (RFC 8482)") {
  for (const char* qname : {"www.example.test.", "example.test.", "alias.example.test.", "x.wild.example.test."}) {
    CAPTURE(qname);
    const Decoded d = ask({.qname = qname, .qtype = type::ANY});
    REQUIRE(d.ok);
    CHECK(d.rcode == NOERROR);
    CHECK(d.aa);
    REQUIRE_FALSE(d.answer.empty());
    for (const auto& rr : d.answer) CHECK(rr.type == d.answer.front().type);
    CHECK(d.authority.empty());
  }
  const Decoded nx = ask({.qname = "nope.example.test.", .qtype = type::ANY});
  CHECK(nx.rcode == NXDOMAIN);
  const Decoded ent = ask({.qname = "ent.example.test.", .qtype = type::ANY});
  CHECK(ent.rcode == NOERROR);
  CHECK(ent.answer.empty());
  CHECK(test::texts(ent.authority) == Strings{negative_soa});
}

TEST_CASE("answer: class CH and ANY are REFUSED") {
  for (const std::uint16_t qclass : {dns::qclass::CH, dns::qclass::ANY}) {
    CAPTURE(qclass);
    const Decoded d = ask({.qname = "www.example.test.", .qclass = qclass});
    REQUIRE(d.ok);
    CHECK(d.rcode == REFUSED);
    CHECK_FALSE(d.aa);
    REQUIRE(d.question.size() == 1);
    CHECK(d.question[0].rclass == qclass);
    CHECK(d.answer.empty());
  }
}

TEST_CASE("answer: AXFR and IXFR are REFUSED") {
  for (const std::uint16_t qtype : {type::AXFR, type::IXFR}) {
    CAPTURE(qtype);
    for (const Transport t : {Transport::udp, Transport::tcp}) {
      const Decoded d = ask({.qname = "example.test.", .qtype = qtype}, t);
      REQUIRE(d.ok);
      CHECK(d.rcode == REFUSED);
      CHECK(d.answer.empty());
    }
  }
}

TEST_CASE("answer: EDNS: OPT echoed with our size 1232, version 0") {
  const Decoded d = ask({.qname = "www.example.test.", .edns = true, .udp_size = 4096});
  REQUIRE(d.ok);
  CHECK(d.has_edns);
  CHECK(d.edns_udp_size == 1232);
  CHECK(d.edns_version == 0);
  CHECK(d.rcode == NOERROR);
  CHECK(d.arcount == 1);
  const Decoded plain = ask({.qname = "www.example.test."});
  CHECK_FALSE(plain.has_edns);
  CHECK(plain.arcount == 0);
}

TEST_CASE("answer: EDNS: the DO bit is copied into the response (RFC 3225 §3)") {
  CHECK(ask({.qname = "www.example.test.", .edns = true, .dnssec_ok = true}).edns_do);
  CHECK_FALSE(ask({.qname = "www.example.test.", .edns = true, .dnssec_ok = false}).edns_do);
}

TEST_CASE("answer: EDNS: the client's UDP size is honoured") {
  // big: 40 A records, 673 octets; huge: 100 A records, 1621 octets.
  const Decoded fits = ask({.qname = "big.example.test.", .edns = true, .udp_size = 1000});
  CHECK(fits.size <= 1000);
  CHECK_FALSE(fits.tc);
  CHECK(fits.answer.size() == 40);

  const Decoded too_big = ask({.qname = "huge.example.test.", .edns = true, .udp_size = 1000});
  CHECK(too_big.size <= 1000);
  CHECK(server().high_water() <= 1000);
  CHECK(too_big.tc);
  CHECK(too_big.answer.empty());
  CHECK(too_big.has_edns);

  // Above our maximum: capped at 1232.
  const Decoded capped = ask({.qname = "huge.example.test.", .edns = true, .udp_size = 65535});
  CHECK(capped.size <= 1232);
  CHECK(server().high_water() <= 1232);
  CHECK(capped.tc);
}

TEST_CASE("answer: EDNS: a UDP size below 512 is treated as 512") {
  for (const std::uint16_t size : {std::uint16_t{0}, std::uint16_t{1}, std::uint16_t{100}, std::uint16_t{511}}) {
    CAPTURE(size);
    const Decoded small = ask({.qname = "www.example.test.", .edns = true, .udp_size = size});
    REQUIRE(small.ok);
    CHECK_FALSE(small.tc);
    CHECK(small.answer.size() == 2);
    const Decoded big = ask({.qname = "big.example.test.", .edns = true, .udp_size = size});
    CHECK(big.tc);
    CHECK(big.size <= 512);
    CHECK(server().high_water() <= 512);
  }
}

TEST_CASE("answer: no EDNS means a 512-octet limit") {
  const Decoded d = ask({.qname = "big.example.test."});
  REQUIRE(d.ok);
  CHECK(d.tc);
  CHECK(d.size <= 512);
  CHECK(server().high_water() <= 512);
  CHECK(d.answer.empty());
  CHECK(d.aa);
  CHECK(d.rcode == NOERROR);
}

TEST_CASE("answer: BADVERS is extended rcode 16 in the OPT, header rcode 0") {
  const Decoded d = ask({.qname = "www.example.test.", .id = 77, .edns = true, .edns_version = 1});
  REQUIRE(d.ok);
  CHECK(d.id == 77);
  CHECK(d.has_edns);
  CHECK(d.header_rcode == 0);
  CHECK(d.rcode == dns::rcode::BADVERS);
  CHECK(d.edns_version == 0);
  CHECK(d.answer.empty());
  CHECK_FALSE(d.aa);
}

TEST_CASE("answer: two OPT records are FORMERR without an OPT") {
  const auto body = [] {
    auto b = test::raw_question("www.example.test.");
    for (int i = 0; i < 2; ++i) {
      const auto opt = test::raw_opt(1232);
      b.insert(b.end(), opt.begin(), opt.end());
    }
    return b;
  }();
  const Decoded d = server().ask_raw(test::raw_message(0x2468, dns::flag::RD, 1, 0, 0, 2, body));
  REQUIRE(d.ok);
  CHECK(d.id == 0x2468);
  CHECK(d.rcode == FORMERR);
  CHECK_FALSE(d.has_edns);
  CHECK(d.rd);
  CHECK(d.answer.empty());
}

TEST_CASE("answer: truncation over UDP never leaves a partial RRset; TCP gets the whole RRset") {
  for (const char* qname : {"big.example.test.", "huge.example.test."}) {
    const std::size_t full = std::string(qname) == "big.example.test." ? 40 : 100;
    for (std::uint16_t size = 512; size <= 1300; size = static_cast<std::uint16_t>(size + 37)) {
      CAPTURE(qname);
      CAPTURE(size);
      const Decoded d = ask({.qname = qname, .edns = true, .udp_size = size});
      REQUIRE(d.ok);
      CHECK(d.size <= size);
      const bool whole = d.answer.size() == full;
      CHECK((whole || d.answer.empty()));
      CHECK(d.tc == !whole);
      CHECK(d.authority.empty());  // a truncated positive answer has no SOA either
    }
    const Decoded tcp = ask({.qname = qname}, Transport::tcp);
    REQUIRE(tcp.ok);
    CHECK_FALSE(tcp.tc);
    CHECK(tcp.answer.size() == full);
    CHECK(tcp.aa);
    const Decoded tcp_edns = ask({.qname = qname, .edns = true, .udp_size = 512}, Transport::tcp);
    CHECK_FALSE(tcp_edns.tc);
    CHECK(tcp_edns.answer.size() == full);
  }
}

TEST_CASE("answer: malformed queries get FORMERR with the id echoed, runts and responses are dropped") {
  using test::raw_message;
  using test::raw_question;
  const auto q = raw_question("www.example.test.");
  auto with = [](test::Bytes a, const test::Bytes& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
  };
  test::Bytes long_label = {64};
  long_label.insert(long_label.end(), 64, 'x');
  long_label.insert(long_label.end(), {0, 0, 1, 0, 1});
  test::Bytes long_name;
  for (int i = 0; i < 4; ++i) {
    long_name.push_back(63);
    long_name.insert(long_name.end(), 63, 'y');
  }
  long_name.insert(long_name.end(), {0, 0, 1, 0, 1});
  const std::vector<std::pair<const char*, test::Bytes>> formerr = {
      {"qdcount 0", raw_message(0xA001, 0, 0, 0, 0, 0, {})},
      {"qdcount 2", raw_message(0xA002, 0, 2, 0, 0, 0, with(q, q))},
      {"truncated question", raw_message(0xA003, 0, 1, 0, 0, 0, test::Bytes(q.begin(), q.end() - 3))},
      {"label loop", raw_message(0xA004, 0, 1, 0, 0, 0, {0xC0, 12, 0, 1, 0, 1})},
      {"label > 63", raw_message(0xA005, 0, 1, 0, 0, 0, long_label)},
      {"name > 255", raw_message(0xA006, 0, 1, 0, 0, 0, long_name)},
      {"trailing garbage", raw_message(0xA007, 0, 1, 0, 0, 0, with(q, {0xDE, 0xAD}))},
      {"OPT not at root", raw_message(0xA008, 0, 1, 0, 0, 1, with(q, test::raw_opt(1232, 0, false, "x.")))},
      {"arcount too high", raw_message(0xA009, 0, 1, 0, 0, 3, q)},
      {"qtype OPT", raw_message(0xA00A, 0, 1, 0, 0, 0, raw_question("www.example.test.", type::OPT))},
  };
  for (const auto& [what, packet] : formerr) {
    CAPTURE(what);
    for (const Transport t : {Transport::udp, Transport::tcp}) {
      const Decoded d = server().ask_raw(packet, t);
      REQUIRE_MESSAGE(d.ok, d.error);
      CHECK(d.id == dns::read_u16(packet.data()));
      CHECK(d.qr);
      CHECK(d.rcode == FORMERR);
      CHECK_FALSE(d.aa);
      CHECK(d.answer.empty());
      CHECK(d.authority.empty());
      CHECK(d.additional.empty());
      CHECK_FALSE(d.has_edns);
    }
  }
  for (std::size_t n = 0; n < 12; ++n) CHECK(server().respond(test::Bytes(n, 0)) == 0);
  CHECK(server().respond(raw_message(1, dns::flag::QR, 1, 0, 0, 0, q)) == 0);
  CHECK(server().respond(raw_message(1, dns::flag::QR | dns::flag::AA, 1, 0, 0, 0, q), Transport::tcp) == 0);
}

TEST_CASE("answer: opcodes other than QUERY get NOTIMP with id and opcode echoed") {
  for (const std::uint8_t opcode : {std::uint8_t{1}, std::uint8_t{2}, std::uint8_t{4}, std::uint8_t{5}}) {
    CAPTURE(opcode);
    const Decoded d = ask({.qname = "example.test.", .qtype = type::SOA, .id = 0x0BAD, .opcode = opcode, .rd = true});
    REQUIRE_MESSAGE(d.ok, d.error);
    CHECK(d.id == 0x0BAD);
    CHECK(d.opcode == opcode);
    CHECK(d.rcode == dns::rcode::NOTIMP);
    CHECK(d.qr);
    CHECK(d.rd);
    CHECK_FALSE(d.aa);
    CHECK(d.answer.empty());
  }
}

TEST_CASE("answer: TKEY/TSIG/MAILA/MAILB questions get NOTIMP") {
  for (const std::uint16_t qtype : {type::TKEY, type::TSIG, type::MAILA, type::MAILB}) {
    CAPTURE(qtype);
    const Decoded d = ask({.qname = "www.example.test.", .qtype = qtype});
    REQUIRE(d.ok);
    CHECK(d.rcode == dns::rcode::NOTIMP);
  }
}

TEST_CASE("answer: a larger snapshot picks the closest zone") {
  test::TestServer two = test::TestServer::from_files({"example.test.zone", "sub.example.test.zone"});
  // The child zone is served here too: its data, not the parent's referral.
  const Decoded d = two.ask({.qname = "ns.sub.example.test."});
  REQUIRE(d.ok);
  CHECK(d.aa);
  CHECK(test::texts(d.answer) == Strings{"ns.sub.example.test. 60 A 192.0.2.153"});
  const Decoded parent = two.ask({.qname = "www.example.test."});
  CHECK(parent.aa);
  CHECK(parent.answer.size() == 2);
}

}  // namespace beacon::answer
