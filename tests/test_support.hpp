#pragma once
// Helpers shared by the unit tests: wire names from text, queries built with ldns, responses
// decoded with ldns (an independent decoder for our hand-written encoder), fixture paths and
// scratch directories. ldns types stay inside test_support.cpp.

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "answer/responder.hpp"
#include "dns/constants.hpp"
#include "zone/snapshot.hpp"

namespace beacon::test {

using Bytes = std::vector<std::uint8_t>;

/// Wire form of a presentation-format name; fails the current test if it is invalid.
Bytes wire_name(std::string_view text);
inline std::span<const std::uint8_t> as_span(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

/// Runs `sql` on a second SQLite connection to the database at `path` (to make a Store's
/// next write fail, or inspect what it wrote); fails the test on an SQL error.
void exec_sql_beside(const std::filesystem::path& path, const char* sql);

/// A socket address for an IPv4 or IPv6 address in text (port 0); fails the test if invalid.
sockaddr_storage socket_address(const char* text);

/// tests/data/unit in the source tree.
std::filesystem::path data_dir();

/// A fresh directory under the system temp directory, removed on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  /// Writes `content` to `name` inside the directory; returns the file's path.
  std::filesystem::path write(const std::string& name, std::string_view content) const;

 private:
  std::filesystem::path path_;
};

struct QuerySpec {
  std::string qname;
  std::uint16_t qtype = dns::type::A;
  std::uint16_t qclass = dns::qclass::IN;
  std::uint16_t id = 0x4242;
  std::uint8_t opcode = 0;
  bool rd = false;
  bool cd = false;
  bool edns = false;
  std::uint16_t udp_size = 1232;
  bool dnssec_ok = false;
  std::uint8_t edns_version = 0;
};

/// Encodes a query with ldns (ldns_pkt_query_new + ldns_pkt2wire).
Bytes make_query(const QuerySpec& spec);

/// Hand-made query bytes: header with the given counts, then `body` verbatim.
Bytes raw_message(std::uint16_t id, std::uint16_t flags, std::uint16_t qd, std::uint16_t an, std::uint16_t ns,
                  std::uint16_t ar, const Bytes& body);
/// A question (name from text, type, class) in wire form.
Bytes raw_question(std::string_view name, std::uint16_t qtype = dns::type::A,
                   std::uint16_t qclass = dns::qclass::IN);
/// An OPT record: root owner unless `owner` is given, udp size, extended rcode, version, DO.
Bytes raw_opt(std::uint16_t udp_size, std::uint8_t version = 0, bool dnssec_ok = false, std::string_view owner = ".");

struct DecodedRR {
  std::string owner;  // presentation format, case as on the wire
  std::uint16_t type = 0;
  std::uint16_t rclass = 0;
  std::uint32_t ttl = 0;
  std::string rdata;  // presentation format, fields separated by one space
  /// "owner ttl TYPE rdata" (the question: "owner CLASS TYPE").
  std::string text() const;
};

/// A response as ldns_wire2pkt sees it.
struct Decoded {
  bool ok = false;
  std::string error;
  std::size_t size = 0;
  std::uint16_t id = 0;
  std::uint8_t opcode = 0;
  bool qr = false, aa = false, tc = false, rd = false, ra = false, ad = false, cd = false;
  std::uint16_t header_rcode = 0;  // the four bits in the header
  std::uint16_t rcode = 0;         // with the OPT's extended RCODE bits
  bool has_edns = false;
  std::uint16_t edns_udp_size = 0;
  std::uint8_t edns_version = 0;
  bool edns_do = false;
  std::uint16_t qdcount = 0, ancount = 0, nscount = 0, arcount = 0;  // raw header counts
  std::vector<DecodedRR> question, answer, authority, additional;     // additional without OPT
};

Decoded decode(std::span<const std::uint8_t> message);

/// "owner ttl TYPE rdata" of every record, in message order.
std::vector<std::string> texts(const std::vector<DecodedRR>& rrs);

/// A snapshot plus a responder and a response buffer with a guard zone behind
/// limits::max_message that must never be touched.
class TestServer {
 public:
  explicit TestServer(zone::Snapshot snapshot, answer::ResponderOptions options = {});
  /// Loads zone files from tests/data/unit.
  static TestServer from_files(const std::vector<std::string>& files, answer::ResponderOptions options = {});

  /// Responds to raw bytes; returns the response length (0 = dropped). Checks that nothing
  /// was written past `max_written` (the transport's limit) nor into the guard zone.
  std::size_t respond(std::span<const std::uint8_t> request, answer::Transport transport = answer::Transport::udp);
  std::span<const std::uint8_t> last() const { return {out_.data(), last_size_}; }
  /// respond() + decode().
  Decoded ask(const QuerySpec& spec, answer::Transport transport = answer::Transport::udp);
  Decoded ask_raw(const Bytes& request, answer::Transport transport = answer::Transport::udp);
  /// Highest offset written by the last respond() + 1 (0 if nothing).
  std::size_t high_water() const { return high_water_; }

  static constexpr std::size_t guard = 256;
  static constexpr std::uint8_t fill = 0xA5;

 private:
  zone::Snapshot snapshot_;
  answer::Responder responder_;
  std::vector<std::uint8_t> out_;
  std::size_t last_size_ = 0;
  std::size_t high_water_ = 0;
};

}  // namespace beacon::test
