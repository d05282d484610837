#include "test_support.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <sqlite3.h>

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <random>

#include "dns/message.hpp"
#include "dns/name.hpp"
#include "zone/master_file.hpp"

// ldns last: its headers define `bool`/`true`/`false` macros that break C++ headers after them.
#include <ldns/ldns.h>

namespace beacon::test {
namespace {

struct PktFree {
  void operator()(ldns_pkt* p) const { ldns_pkt_free(p); }
};
struct CharFree {
  void operator()(char* p) const { std::free(p); }
};

std::string take(char* s) {
  std::unique_ptr<char, CharFree> owned(s);
  return owned ? std::string(owned.get()) : std::string("<null>");
}

void append_u16(Bytes& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}

DecodedRR to_decoded(const ldns_rr* rr, bool question) {
  DecodedRR d;
  d.owner = take(ldns_rdf2str(ldns_rr_owner(rr)));
  d.type = static_cast<std::uint16_t>(ldns_rr_get_type(rr));
  d.rclass = static_cast<std::uint16_t>(ldns_rr_get_class(rr));
  d.ttl = question ? 0 : ldns_rr_ttl(rr);
  for (std::size_t i = 0; i < ldns_rr_rd_count(rr); ++i) {
    if (i > 0) d.rdata += ' ';
    d.rdata += take(ldns_rdf2str(ldns_rr_rdf(rr, i)));
  }
  return d;
}

std::vector<DecodedRR> section(const ldns_rr_list* list, bool question = false) {
  std::vector<DecodedRR> out;
  for (std::size_t i = 0; i < ldns_rr_list_rr_count(list); ++i) out.push_back(to_decoded(ldns_rr_list_rr(list, i), question));
  return out;
}

}  // namespace

Bytes wire_name(std::string_view text) {
  const auto wire = dns::name_from_text(text);
  REQUIRE_MESSAGE(wire.has_value(), "invalid name in test: ", std::string(text));
  return {wire->begin(), wire->end()};
}

sockaddr_storage socket_address(const char* text) {
  sockaddr_storage s{};
  if (inet_pton(AF_INET, text, &reinterpret_cast<sockaddr_in&>(s).sin_addr) == 1) {
    s.ss_family = AF_INET;
  } else {
    REQUIRE(inet_pton(AF_INET6, text, &reinterpret_cast<sockaddr_in6&>(s).sin6_addr) == 1);
    s.ss_family = AF_INET6;
  }
  return s;
}

std::filesystem::path data_dir() { return std::filesystem::path(__FILE__).parent_path() / "data" / "unit"; }

TempDir::TempDir() {
  static std::atomic<unsigned> counter{0};
  std::random_device rd;
  path_ = std::filesystem::temp_directory_path() /
          ("beacon-unit-" + std::to_string(rd()) + "-" + std::to_string(counter++));
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::filesystem::path TempDir::write(const std::string& name, std::string_view content) const {
  const auto file = path_ / name;
  std::ofstream(file, std::ios::binary) << content;
  return file;
}

Bytes make_query(const QuerySpec& spec) {
  ldns_rdf* name = ldns_dname_new_frm_str(spec.qname.c_str());
  REQUIRE_MESSAGE(name != nullptr, "ldns refused the name ", spec.qname);
  std::unique_ptr<ldns_pkt, PktFree> pkt(ldns_pkt_query_new(name, static_cast<ldns_rr_type>(spec.qtype),
                                                            static_cast<ldns_rr_class>(spec.qclass), 0));
  REQUIRE(pkt != nullptr);
  ldns_pkt_set_id(pkt.get(), spec.id);
  ldns_pkt_set_opcode(pkt.get(), static_cast<ldns_pkt_opcode>(spec.opcode));
  ldns_pkt_set_rd(pkt.get(), spec.rd);
  ldns_pkt_set_cd(pkt.get(), spec.cd);
  if (spec.edns) {
    ldns_pkt_set_edns_udp_size(pkt.get(), spec.udp_size);
    ldns_pkt_set_edns_do(pkt.get(), spec.dnssec_ok);
    ldns_pkt_set_edns_version(pkt.get(), spec.edns_version);
  }
  std::uint8_t* wire = nullptr;
  std::size_t size = 0;
  REQUIRE(ldns_pkt2wire(&wire, pkt.get(), &size) == LDNS_STATUS_OK);
  Bytes out(wire, wire + size);
  std::free(wire);
  return out;
}

Bytes raw_message(std::uint16_t id, std::uint16_t flags, std::uint16_t qd, std::uint16_t an, std::uint16_t ns,
                  std::uint16_t ar, const Bytes& body) {
  Bytes out;
  for (const std::uint16_t v : {id, flags, qd, an, ns, ar}) append_u16(out, v);
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

Bytes raw_question(std::string_view name, std::uint16_t qtype, std::uint16_t qclass) {
  Bytes out = wire_name(name);
  append_u16(out, qtype);
  append_u16(out, qclass);
  return out;
}

Bytes raw_opt(std::uint16_t udp_size, std::uint8_t version, bool dnssec_ok, std::string_view owner) {
  Bytes out = wire_name(owner);
  append_u16(out, dns::type::OPT);
  append_u16(out, udp_size);
  out.push_back(0);  // extended rcode
  out.push_back(version);
  append_u16(out, dnssec_ok ? 0x8000 : 0);
  append_u16(out, 0);  // rdlength
  return out;
}

std::string DecodedRR::text() const {
  const std::string t = take(ldns_rr_type2str(static_cast<ldns_rr_type>(type)));
  return owner + " " + std::to_string(ttl) + " " + t + (rdata.empty() ? "" : " " + rdata);
}

std::vector<std::string> texts(const std::vector<DecodedRR>& rrs) {
  std::vector<std::string> out;
  for (const auto& rr : rrs) out.push_back(rr.text());
  return out;
}

Decoded decode(std::span<const std::uint8_t> message) {
  Decoded d;
  d.size = message.size();
  ldns_pkt* raw = nullptr;
  const ldns_status status = ldns_wire2pkt(&raw, message.data(), message.size());
  std::unique_ptr<ldns_pkt, PktFree> pkt(raw);
  if (status != LDNS_STATUS_OK) {
    d.error = ldns_get_errorstr_by_id(status);
    return d;
  }
  d.ok = true;
  d.id = ldns_pkt_id(raw);
  d.opcode = static_cast<std::uint8_t>(ldns_pkt_get_opcode(raw));
  d.qr = ldns_pkt_qr(raw);
  d.aa = ldns_pkt_aa(raw);
  d.tc = ldns_pkt_tc(raw);
  d.rd = ldns_pkt_rd(raw);
  d.ra = ldns_pkt_ra(raw);
  d.ad = ldns_pkt_ad(raw);
  d.cd = ldns_pkt_cd(raw);
  d.header_rcode = static_cast<std::uint16_t>(ldns_pkt_get_rcode(raw));
  d.has_edns = ldns_pkt_edns(raw);
  d.rcode = d.header_rcode;
  if (d.has_edns) {
    d.edns_udp_size = ldns_pkt_edns_udp_size(raw);
    d.edns_version = ldns_pkt_edns_version(raw);
    d.edns_do = ldns_pkt_edns_do(raw);
    d.rcode = static_cast<std::uint16_t>(ldns_pkt_edns_extended_rcode(raw) << 4 | d.header_rcode);
  }
  d.qdcount = dns::read_u16(message.data() + dns::header::qdcount);
  d.ancount = dns::read_u16(message.data() + dns::header::ancount);
  d.nscount = dns::read_u16(message.data() + dns::header::nscount);
  d.arcount = dns::read_u16(message.data() + dns::header::arcount);
  d.question = section(ldns_pkt_question(raw), true);
  d.answer = section(ldns_pkt_answer(raw));
  d.authority = section(ldns_pkt_authority(raw));
  d.additional = section(ldns_pkt_additional(raw));
  return d;
}

TestServer::TestServer(zone::Snapshot snapshot, answer::ResponderOptions options)
    : snapshot_(std::move(snapshot)), responder_(options), out_(dns::limits::max_message + guard, fill) {}

TestServer TestServer::from_files(const std::vector<std::string>& files, answer::ResponderOptions options) {
  std::vector<std::shared_ptr<const zone::Zone>> zones;
  for (const auto& f : files) zones.push_back(std::make_shared<const zone::Zone>(zone::load_zone_file(data_dir() / f)));
  return TestServer(zone::Snapshot(std::move(zones)), options);
}

std::size_t TestServer::respond(std::span<const std::uint8_t> request, answer::Transport transport) {
  std::fill(out_.begin(), out_.end(), fill);
  last_size_ = responder_.respond(snapshot_, request, transport,
                                  std::span<std::uint8_t>(out_.data(), dns::limits::max_message));
  high_water_ = 0;
  for (std::size_t i = out_.size(); i-- > 0;) {
    if (out_[i] != fill) {
      high_water_ = i + 1;
      break;
    }
  }
  CHECK(last_size_ <= dns::limits::max_message);
  CHECK(high_water_ <= dns::limits::max_message);  // the guard zone is untouched
  return last_size_;
}

Decoded TestServer::ask_raw(const Bytes& request, answer::Transport transport) {
  const std::size_t n = respond(request, transport);
  if (n == 0) return {};
  Decoded d = decode(last());
  CHECK_MESSAGE(d.ok, "ldns cannot decode the response: ", d.error);
  return d;
}

Decoded TestServer::ask(const QuerySpec& spec, answer::Transport transport) {
  return ask_raw(make_query(spec), transport);
}

void exec_sql_beside(const std::filesystem::path& path, const char* sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  char* error = nullptr;
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &error);
  const std::string why = error ? error : "";
  sqlite3_free(error);
  sqlite3_close(db);
  REQUIRE_MESSAGE(rc == SQLITE_OK, why);
}

}  // namespace beacon::test
