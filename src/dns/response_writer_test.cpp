#include "dns/response_writer.hpp"

#include <doctest/doctest.h>

#include <vector>

#include "dns/message.hpp"
#include "test_support.hpp"

namespace beacon::dns {
namespace {

using test::Bytes;

/// A pre-encoded A record tail: type, class, TTL, RDLENGTH, RDATA.
Bytes a_tail(std::uint32_t ttl, std::uint8_t last_octet) {
  Bytes t(14);
  write_u16(t.data(), type::A);
  write_u16(t.data() + 2, qclass::IN);
  write_u32(t.data() + 4, ttl);
  write_u16(t.data() + 8, 4);
  t[10] = 192;
  t[11] = 0;
  t[12] = 2;
  t[13] = last_octet;
  return t;
}

struct Buffer {
  std::vector<std::uint8_t> bytes = std::vector<std::uint8_t>(limits::max_message, 0xEE);
  std::span<std::uint8_t> span() { return bytes; }
  std::span<const std::uint8_t> message(std::size_t n) const { return {bytes.data(), n}; }
};

}  // namespace

TEST_CASE("ResponseWriter: header, question and section counts") {
  Buffer buf;
  ResponseWriter w(buf.span(), 512);
  w.write_header(0xCAFE, flag::QR | flag::RD);
  CHECK(w.size() == limits::header_size);
  const Bytes qname = test::wire_name("www.example.test.");
  REQUIRE(w.write_question(qname, type::A, qclass::IN));
  CHECK(w.size() == 12 + qname.size() + 4);
  REQUIRE(w.add_record(Section::answer, 12, a_tail(300, 1)));
  REQUIRE(w.add_record(Section::answer, 12, a_tail(300, 2)));
  REQUIRE(w.add_record(Section::authority, 12, a_tail(60, 3)));
  REQUIRE(w.add_record(Section::additional, 12, a_tail(30, 4)));
  CHECK(w.count(Section::answer) == 2);
  CHECK(w.count(Section::authority) == 1);
  CHECK(w.count(Section::additional) == 1);
  const std::size_t n = w.finish();
  CHECK(n == w.size());

  const auto d = test::decode(buf.message(n));
  REQUIRE_MESSAGE(d.ok, d.error);
  CHECK(d.id == 0xCAFE);
  CHECK(d.qr);
  CHECK(d.rd);
  CHECK_FALSE(d.aa);
  CHECK(d.qdcount == 1);
  CHECK(d.ancount == 2);
  CHECK(d.nscount == 1);
  CHECK(d.arcount == 1);
  REQUIRE(d.question.size() == 1);
  CHECK(d.question[0].owner == "www.example.test.");
  CHECK(test::texts(d.answer) == std::vector<std::string>{"www.example.test. 300 A 192.0.2.1",
                                                         "www.example.test. 300 A 192.0.2.2"});
  CHECK(test::texts(d.authority) == std::vector<std::string>{"www.example.test. 60 A 192.0.2.3"});
  CHECK(test::texts(d.additional) == std::vector<std::string>{"www.example.test. 30 A 192.0.2.4"});
}

TEST_CASE("ResponseWriter: owners as pointers to a suffix, and written out in full") {
  Buffer buf;
  ResponseWriter w(buf.span(), 512);
  w.write_header(1, flag::QR);
  REQUIRE(w.write_question(test::wire_name("www.example.test."), type::A, qclass::IN));
  REQUIRE(w.add_record(Section::answer, 12 + 4, a_tail(5, 1)));  // "example.test."
  const Bytes owner = test::wire_name("Other.Name.");
  REQUIRE(w.add_record(Section::answer, owner, a_tail(5, 2)));
  const auto d = test::decode(buf.message(w.finish()));
  REQUIRE_MESSAGE(d.ok, d.error);
  CHECK(test::texts(d.answer) == std::vector<std::string>{"example.test. 5 A 192.0.2.1", "Other.Name. 5 A 192.0.2.2"});
}

TEST_CASE("ResponseWriter: rollback to a mark removes a partial RRset and its counts") {
  Buffer buf;
  ResponseWriter w(buf.span(), 512);
  w.write_header(1, flag::QR);
  REQUIRE(w.write_question(test::wire_name("a.test."), type::A, qclass::IN));
  REQUIRE(w.add_record(Section::answer, 12, a_tail(5, 1)));
  const auto mark = w.mark();
  REQUIRE(w.add_record(Section::answer, 12, a_tail(5, 2)));
  REQUIRE(w.add_record(Section::authority, 12, a_tail(5, 3)));
  REQUIRE(w.add_record(Section::additional, 12, a_tail(5, 4)));
  w.rollback(mark);
  CHECK(w.size() == mark.size);
  CHECK(w.count(Section::answer) == 1);
  CHECK(w.count(Section::authority) == 0);
  CHECK(w.count(Section::additional) == 0);
  const auto d = test::decode(buf.message(w.finish()));
  REQUIRE_MESSAGE(d.ok, d.error);
  CHECK(test::texts(d.answer) == std::vector<std::string>{"a.test. 5 A 192.0.2.1"});
  CHECK(d.authority.empty());
  CHECK(d.additional.empty());
}

TEST_CASE("ResponseWriter: records never go past the limit") {
  Buffer buf;
  const std::size_t limit = 12 + 12 + 3 * 16;  // header, question "a.test." A IN, three records
  ResponseWriter w(buf.span(), limit);
  w.write_header(1, flag::QR);
  REQUIRE(w.write_question(test::wire_name("a.test."), type::A, qclass::IN));
  CHECK(w.size() == 24);
  CHECK(w.add_record(Section::answer, 12, a_tail(5, 1)));
  CHECK(w.add_record(Section::answer, 12, a_tail(5, 2)));
  CHECK(w.add_record(Section::answer, 12, a_tail(5, 3)));
  CHECK(w.size() == limit);
  CHECK_FALSE(w.add_record(Section::answer, 12, a_tail(5, 4)));
  CHECK_FALSE(w.add_record(Section::additional, test::wire_name("."), a_tail(5, 4)));
  CHECK(w.size() == limit);
  CHECK(w.count(Section::answer) == 3);
  CHECK(w.count(Section::additional) == 0);
  CHECK(buf.bytes[limit] == 0xEE);  // nothing written behind the limit

  // A limit above the buffer size is capped to the buffer.
  std::vector<std::uint8_t> big(100, 0xEE);
  ResponseWriter capped(std::span<std::uint8_t>(big.data(), 40), 65535);
  capped.write_header(1, 0);
  REQUIRE(capped.write_question(test::wire_name("a.test."), type::A, qclass::IN));
  CHECK(capped.add_record(Section::answer, 12, a_tail(5, 1)));
  CHECK_FALSE(capped.add_record(Section::answer, 12, a_tail(5, 2)));
  CHECK(big[40] == 0xEE);

  // The question itself respects the limit.
  ResponseWriter tiny(buf.span(), 20);
  tiny.write_header(1, 0);
  CHECK_FALSE(tiny.write_question(test::wire_name("a.test."), type::A, qclass::IN));
  CHECK(tiny.size() == 12);
}

TEST_CASE("ResponseWriter: the OPT reservation cannot be crowded out") {
  Buffer buf;
  const std::size_t limit = 12 + 12 + 2 * 16 + opt_record_size;
  ResponseWriter w(buf.span(), limit);
  w.write_header(0x0101, flag::QR);
  REQUIRE(w.write_question(test::wire_name("a.test."), type::A, qclass::IN));
  w.reserve(opt_record_size);
  CHECK(w.add_record(Section::answer, 12, a_tail(5, 1)));
  CHECK(w.add_record(Section::answer, 12, a_tail(5, 2)));
  CHECK_FALSE(w.add_record(Section::additional, 12, a_tail(5, 3)));  // would eat the reservation
  REQUIRE(w.add_opt(1232, 1, true));
  CHECK(w.size() == limit);
  CHECK(w.count(Section::additional) == 1);
  w.set_rcode(rcode::BADVERS);
  const auto d = test::decode(buf.message(w.finish()));
  REQUIRE_MESSAGE(d.ok, d.error);
  CHECK(d.has_edns);
  CHECK(d.edns_udp_size == 1232);
  CHECK(d.edns_version == 0);
  CHECK(d.edns_do);
  CHECK(d.header_rcode == 0);
  CHECK(d.rcode == rcode::BADVERS);
  CHECK(d.arcount == 1);
  CHECK(d.additional.empty());  // ldns moves the OPT out of the section
  CHECK(d.answer.size() == 2);

  // Without a reservation an OPT that does not fit is refused.
  ResponseWriter full(buf.span(), 12 + 12 + 5);
  full.write_header(1, 0);
  REQUIRE(full.write_question(test::wire_name("a.test."), type::A, qclass::IN));
  CHECK_FALSE(full.add_opt(1232, 0, false));
  CHECK(full.count(Section::additional) == 0);
}

TEST_CASE("ResponseWriter: set_flags ORs bits in, set_rcode replaces only the low four bits") {
  Buffer buf;
  ResponseWriter w(buf.span(), 512);
  w.write_header(7, flag::QR | flag::RD | rcode::SERVFAIL);
  w.set_flags(flag::AA);
  w.set_flags(flag::TC);
  CHECK(read_u16(buf.bytes.data() + header::flags) == (flag::QR | flag::RD | flag::AA | flag::TC | rcode::SERVFAIL));
  w.set_rcode(rcode::NXDOMAIN);
  CHECK(read_u16(buf.bytes.data() + header::flags) == (flag::QR | flag::RD | flag::AA | flag::TC | rcode::NXDOMAIN));
  w.set_rcode(rcode::BADVERS);  // 16: only the extended bits, the header says 0
  CHECK(read_u16(buf.bytes.data() + header::flags) == (flag::QR | flag::RD | flag::AA | flag::TC));
  const auto d = test::decode(buf.message(w.finish()));
  REQUIRE_MESSAGE(d.ok, d.error);
  CHECK(d.qr);
  CHECK(d.aa);
  CHECK(d.tc);
  CHECK(d.rd);
  CHECK_FALSE(d.ra);
  CHECK(d.qdcount == 0);
}

TEST_CASE("ResponseWriter: write_header resets a reused writer") {
  Buffer buf;
  ResponseWriter w(buf.span(), 512);
  w.write_header(1, 0);
  REQUIRE(w.write_question(test::wire_name("a.test."), type::A, qclass::IN));
  REQUIRE(w.add_record(Section::answer, 12, a_tail(5, 1)));
  w.reserve(100);
  w.write_header(2, flag::QR);
  CHECK(w.size() == 12);
  CHECK(w.count(Section::answer) == 0);
  CHECK(w.finish() == 12);
  CHECK(read_u16(buf.bytes.data() + header::qdcount) == 0);
}

}  // namespace beacon::dns
