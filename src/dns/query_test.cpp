#include "dns/query.hpp"

#include <doctest/doctest.h>

#include "test_support.hpp"

namespace beacon::dns {
namespace {

using test::Bytes;
using test::raw_message;
using test::raw_opt;
using test::raw_question;

Bytes cat(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

ParseOutcome parse(const Bytes& msg, Query& q) { return parse_query(msg, q); }

ParseOutcome parse(const Bytes& msg) {
  Query q;
  return parse_query(msg, q);
}

}  // namespace

TEST_CASE("parse_query: a message shorter than the header is dropped") {
  for (std::size_t n = 0; n < limits::header_size; ++n) {
    CAPTURE(n);
    CHECK(parse(Bytes(n, 0)) == ParseOutcome::drop);
  }
}

TEST_CASE("parse_query: a response (QR=1) is dropped") {
  CHECK(parse(raw_message(1, flag::QR, 1, 0, 0, 0, raw_question("a.test."))) == ParseOutcome::drop);
  CHECK(parse(raw_message(1, flag::QR | 0x2800, 1, 0, 0, 0, {})) == ParseOutcome::drop);
}

TEST_CASE("parse_query: QDCOUNT 0 or 2 is FORMERR with id and flags kept") {
  Query q;
  CHECK(parse(raw_message(0x1234, flag::RD, 0, 0, 0, 0, {}), q) == ParseOutcome::formerr);
  CHECK(q.id == 0x1234);
  CHECK(q.flags == flag::RD);
  CHECK_FALSE(q.has_question);
  const Bytes two = cat(raw_question("a.test."), raw_question("b.test."));
  CHECK(parse(raw_message(0x4321, 0, 2, 0, 0, 0, two), q) == ParseOutcome::formerr);
  CHECK(q.id == 0x4321);
}

TEST_CASE("parse_query: a truncated question is FORMERR") {
  const Bytes question = raw_question("www.example.test.");
  for (std::size_t cut = 0; cut < question.size(); ++cut) {
    CAPTURE(cut);
    const Bytes part(question.begin(), question.begin() + static_cast<std::ptrdiff_t>(cut));
    Query q;
    CHECK(parse(raw_message(7, 0, 1, 0, 0, 0, part), q) == ParseOutcome::formerr);
    CHECK_FALSE(q.has_question);
    CHECK(q.id == 7);
  }
}

TEST_CASE("parse_query: a label loop in the question is FORMERR") {
  CHECK(parse(raw_message(1, 0, 1, 0, 0, 0, {0xC0, 12, 0, 1, 0, 1})) == ParseOutcome::formerr);
  CHECK(parse(raw_message(1, 0, 1, 0, 0, 0, {1, 'a', 0xC0, 12, 0, 1, 0, 1})) == ParseOutcome::formerr);
}

TEST_CASE("parse_query: a label longer than 63 octets is FORMERR") {
  Bytes body = {64};
  body.insert(body.end(), 64, 'x');
  body.insert(body.end(), {0, 0, 1, 0, 1});
  CHECK(parse(raw_message(1, 0, 1, 0, 0, 0, body)) == ParseOutcome::formerr);
}

TEST_CASE("parse_query: a name longer than 255 octets is FORMERR") {
  Bytes body;
  for (int i = 0; i < 4; ++i) {
    body.push_back(63);
    body.insert(body.end(), 63, 'x');
  }
  body.insert(body.end(), {0, 0, 1, 0, 1});
  CHECK(parse(raw_message(1, 0, 1, 0, 0, 0, body)) == ParseOutcome::formerr);
}

TEST_CASE("parse_query: trailing garbage after the last record is FORMERR") {
  CHECK(parse(raw_message(1, 0, 1, 0, 0, 0, cat(raw_question("a.test."), {0}))) == ParseOutcome::formerr);
  CHECK(parse(raw_message(1, 0, 1, 0, 0, 1, cat(cat(raw_question("a.test."), raw_opt(1232)), {0xFF}))) ==
        ParseOutcome::formerr);
}

TEST_CASE("parse_query: record counts larger than the records present are FORMERR") {
  CHECK(parse(raw_message(1, 0, 1, 1, 0, 0, raw_question("a.test."))) == ParseOutcome::formerr);
  CHECK(parse(raw_message(1, 0, 1, 0, 0, 1, raw_question("a.test."))) == ParseOutcome::formerr);
  Bytes opt = raw_opt(1232);
  opt.pop_back();  // RDLENGTH cut short
  CHECK(parse(raw_message(1, 0, 1, 0, 0, 1, cat(raw_question("a.test."), opt))) == ParseOutcome::formerr);
}

TEST_CASE("parse_query: two OPT records are FORMERR") {
  const Bytes body = cat(cat(raw_question("a.test."), raw_opt(1232)), raw_opt(1232));
  CHECK(parse(raw_message(1, 0, 1, 0, 0, 2, body)) == ParseOutcome::formerr);
}

TEST_CASE("parse_query: an OPT owned by a name other than the root is FORMERR") {
  const Bytes body = cat(raw_question("a.test."), raw_opt(1232, 0, false, "a.test."));
  CHECK(parse(raw_message(1, 0, 1, 0, 0, 1, body)) == ParseOutcome::formerr);
}

TEST_CASE("parse_query: EDNS version 1 is BADVERS") {
  Query q;
  const Bytes body = cat(raw_question("a.test."), raw_opt(1232, 1));
  CHECK(parse(raw_message(9, 0, 1, 0, 0, 1, body), q) == ParseOutcome::badvers);
  CHECK(q.has_edns);
  CHECK(q.edns_version == 1);
  CHECK(q.has_question);
  CHECK(q.id == 9);
}

TEST_CASE("parse_query: opcodes other than QUERY are NOTIMP") {
  for (const int opcode : {1, 2, 4 /* NOTIFY */, 5 /* UPDATE */, 15}) {
    CAPTURE(opcode);
    Query q;
    CHECK(parse(raw_message(0x55AA, static_cast<std::uint16_t>(opcode << 11), 1, 0, 0, 0, raw_question("a.test.")), q) ==
          ParseOutcome::notimp);
    CHECK(q.id == 0x55AA);
    CHECK(q.opcode == opcode);
  }
}

TEST_CASE("parse_query: a valid query without EDNS") {
  Query q;
  const Bytes msg = test::make_query({.qname = "WwW.Example.TEST.", .qtype = type::AAAA, .id = 0xBEEF, .rd = true});
  REQUIRE(parse(msg, q) == ParseOutcome::ok);
  CHECK(q.id == 0xBEEF);
  CHECK(q.recursion_desired());
  CHECK(q.opcode == 0);
  CHECK(q.has_question);
  CHECK(q.qtype == type::AAAA);
  CHECK(q.qclass == qclass::IN);
  CHECK(name_to_text(q.qname.wire()) == "WwW.Example.TEST.");
  CHECK(name_to_text(q.lower_name()) == "www.example.test.");
  CHECK(name_to_text(q.lower_suffix(1)) == "example.test.");
  CHECK_FALSE(q.has_edns);
  CHECK_FALSE(q.dnssec_ok);
}

TEST_CASE("parse_query: a valid query with EDNS: UDP size and DO bit") {
  Query q;
  const Bytes msg =
      test::make_query({.qname = "a.test.", .edns = true, .udp_size = 4096, .dnssec_ok = true});
  REQUIRE(parse(msg, q) == ParseOutcome::ok);
  CHECK(q.has_edns);
  CHECK(q.edns_udp_size == 4096);
  CHECK(q.edns_version == 0);
  CHECK(q.dnssec_ok);

  // The Query is reused: state from the previous packet must not leak.
  REQUIRE(parse(test::make_query({.qname = "a.test."}), q) == ParseOutcome::ok);
  CHECK_FALSE(q.has_edns);
  CHECK_FALSE(q.dnssec_ok);
  REQUIRE(parse(test::make_query({.qname = "a.test.", .edns = true, .udp_size = 512}), q) == ParseOutcome::ok);
  CHECK(q.has_edns);
  CHECK(q.edns_udp_size == 512);
  CHECK_FALSE(q.dnssec_ok);
}

TEST_CASE("parse_query: records in the answer and authority sections are skipped") {
  // An A record in the answer section, compressed to the question name.
  const Bytes rr = {0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1};
  Query q;
  const Bytes body = cat(cat(cat(raw_question("a.test."), rr), rr), raw_opt(1400));
  REQUIRE(parse(raw_message(1, 0, 1, 1, 1, 1, body), q) == ParseOutcome::ok);
  CHECK(q.has_edns);
  CHECK(q.edns_udp_size == 1400);
}

}  // namespace beacon::dns
