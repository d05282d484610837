#pragma once
// Resolving through DNS as applications do, with c-ares against one server: the records of
// one name and type, or why there are none. c-ares types stay in dns_resolver.cpp.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace beacon::ctl {

enum class RecordType { A, AAAA, SRV, TXT };

/// "A", "AAAA", "SRV" or "TXT" (any case); nullopt otherwise.
std::optional<RecordType> parse_record_type(const std::string& text);
const char* record_type_name(RecordType type);

/// One answer record; the fields of its type are set.
struct DnsRecord {
  RecordType type = RecordType::A;
  std::string address;                // A, AAAA
  std::optional<std::uint32_t> ttl;   // A, AAAA (c-ares reports no TTL for SRV and TXT)
  std::uint16_t priority = 0, weight = 0, port = 0;  // SRV
  std::string target;                 // SRV, absolute
  std::vector<std::string> strings;   // TXT: the record's character-strings
};

enum class DnsOutcome {
  answered,     // NOERROR with records
  nodata,       // NOERROR, no record of the type
  nxdomain,     // no such name
  refused,      // REFUSED: not a zone the server serves
  failed,       // SERVFAIL, FORMERR, NOTIMP, a malformed answer
  unreachable,  // no answer: timeout, connection refused
};

struct DnsAnswer {
  DnsOutcome outcome = DnsOutcome::failed;
  std::string detail;  // c-ares' description when not answered
  std::vector<DnsRecord> records;
};

class DnsResolver {
 public:
  /// `server` is "ADDR:PORT" or "[V6ADDR]:PORT". Each query waits `timeout` per try, and
  /// tries `tries` times over UDP (TCP when an answer is truncated, as c-ares does).
  DnsResolver(const std::string& server, std::chrono::milliseconds timeout, int tries);
  ~DnsResolver();
  DnsResolver(const DnsResolver&) = delete;
  DnsResolver& operator=(const DnsResolver&) = delete;

  DnsAnswer query(const std::string& name, RecordType type);

 private:
  struct Channel;
  std::unique_ptr<Channel> channel_;
};

/// "NXDOMAIN", "NODATA", "REFUSED", ... for messages.
const char* outcome_name(DnsOutcome outcome);

}  // namespace beacon::ctl
