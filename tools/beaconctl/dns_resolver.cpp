#include "dns_resolver.hpp"

#include <ares.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <sys/select.h>

#include <algorithm>
#include <cctype>

#include "exit_status.hpp"

namespace beacon::ctl {
namespace {

struct RawReply {
  int status = ARES_ENOTINITIALIZED;
  std::vector<unsigned char> bytes;
};

void on_reply(void* arg, int status, int /*timeouts*/, unsigned char* abuf, int alen) {
  auto* reply = static_cast<RawReply*>(arg);
  reply->status = status;
  if (abuf != nullptr && alen > 0) reply->bytes.assign(abuf, abuf + alen);
}

/// Runs the channel until every query in flight has completed (c-ares bounds each by its timeouts).
void wait_all(ares_channel channel) {
  for (;;) {
    fd_set readers;
    fd_set writers;
    FD_ZERO(&readers);
    FD_ZERO(&writers);
    const int nfds = ares_fds(channel, &readers, &writers);
    if (nfds == 0) return;
    timeval tv{};
    timeval* tvp = ares_timeout(channel, nullptr, &tv);
    select(nfds, &readers, &writers, nullptr, tvp);
    ares_process(channel, &readers, &writers);
  }
}

DnsOutcome outcome_of(int status) {
  switch (status) {
    case ARES_SUCCESS: return DnsOutcome::answered;
    case ARES_ENODATA: return DnsOutcome::nodata;
    case ARES_ENOTFOUND: return DnsOutcome::nxdomain;
    case ARES_EREFUSED: return DnsOutcome::refused;
    case ARES_ETIMEOUT:
    case ARES_ECONNREFUSED: return DnsOutcome::unreachable;
    default: return DnsOutcome::failed;
  }
}

template <typename AddrTtl, int Family>
std::vector<DnsRecord> address_records(const AddrTtl* ttls, int count, RecordType type) {
  std::vector<DnsRecord> out;
  for (int i = 0; i < count; ++i) {
    char text[INET6_ADDRSTRLEN];
    if constexpr (Family == AF_INET) inet_ntop(AF_INET, &ttls[i].ipaddr, text, sizeof text);
    else inet_ntop(AF_INET6, &ttls[i].ip6addr, text, sizeof text);
    DnsRecord r;
    r.type = type;
    r.address = text;
    r.ttl = static_cast<std::uint32_t>(std::max(ttls[i].ttl, 0));
    out.push_back(std::move(r));
  }
  return out;
}

int parse_addresses(const RawReply& raw, RecordType type, std::vector<DnsRecord>& out) {
  constexpr int max_records = 256;
  int count = max_records;
  const int len = static_cast<int>(raw.bytes.size());
  if (type == RecordType::A) {
    ares_addrttl ttls[max_records];
    const int status = ares_parse_a_reply(raw.bytes.data(), len, nullptr, ttls, &count);
    if (status == ARES_SUCCESS) out = address_records<ares_addrttl, AF_INET>(ttls, count, type);
    return status;
  }
  ares_addr6ttl ttls[max_records];
  const int status = ares_parse_aaaa_reply(raw.bytes.data(), len, nullptr, ttls, &count);
  if (status == ARES_SUCCESS) out = address_records<ares_addr6ttl, AF_INET6>(ttls, count, type);
  return status;
}

int parse_srv(const RawReply& raw, std::vector<DnsRecord>& out) {
  ares_srv_reply* head = nullptr;
  const int status = ares_parse_srv_reply(raw.bytes.data(), static_cast<int>(raw.bytes.size()), &head);
  for (const ares_srv_reply* srv = head; srv != nullptr; srv = srv->next) {
    DnsRecord r;
    r.type = RecordType::SRV;
    r.priority = srv->priority;
    r.weight = srv->weight;
    r.port = srv->port;
    r.target = std::string(srv->host) + '.';
    out.push_back(std::move(r));
  }
  if (head != nullptr) ares_free_data(head);
  return status;
}

int parse_txt(const RawReply& raw, std::vector<DnsRecord>& out) {
  ares_txt_ext* head = nullptr;
  const int status = ares_parse_txt_reply_ext(raw.bytes.data(), static_cast<int>(raw.bytes.size()), &head);
  for (const ares_txt_ext* txt = head; txt != nullptr; txt = txt->next) {
    if (txt->record_start || out.empty()) {
      out.emplace_back();
      out.back().type = RecordType::TXT;
    }
    out.back().strings.emplace_back(reinterpret_cast<const char*>(txt->txt), txt->length);
  }
  if (head != nullptr) ares_free_data(head);
  return status;
}

}  // namespace

struct DnsResolver::Channel {
  ares_channel handle = nullptr;
  ~Channel() {
    if (handle != nullptr) ares_destroy(handle);
    ares_library_cleanup();
  }
};

std::optional<RecordType> parse_record_type(const std::string& text) {
  std::string upper = text;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (upper == "A") return RecordType::A;
  if (upper == "AAAA") return RecordType::AAAA;
  if (upper == "SRV") return RecordType::SRV;
  if (upper == "TXT") return RecordType::TXT;
  return std::nullopt;
}

const char* record_type_name(RecordType type) {
  switch (type) {
    case RecordType::A: return "A";
    case RecordType::AAAA: return "AAAA";
    case RecordType::SRV: return "SRV";
    case RecordType::TXT: return "TXT";
  }
  return "?";
}

const char* outcome_name(DnsOutcome outcome) {
  switch (outcome) {
    case DnsOutcome::answered: return "NOERROR";
    case DnsOutcome::nodata: return "NODATA";
    case DnsOutcome::nxdomain: return "NXDOMAIN";
    case DnsOutcome::refused: return "REFUSED";
    case DnsOutcome::failed: return "FAILED";
    case DnsOutcome::unreachable: return "NO ANSWER";
  }
  return "?";
}

DnsResolver::DnsResolver(const std::string& server, std::chrono::milliseconds timeout, int tries) {
  if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS) throw Failure(exit_status::unreachable, "c-ares: cannot initialize");
  channel_ = std::make_unique<Channel>();
  ares_options options{};
  options.timeout = static_cast<int>(timeout.count());
  options.tries = tries;
  // Report REFUSED and SERVFAIL as they are rather than as "no server answered".
  options.flags = ARES_FLAG_NOCHECKRESP;
  const int mask = ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_FLAGS;
  if (int status = ares_init_options(&channel_->handle, &options, mask); status != ARES_SUCCESS)
    throw Failure(exit_status::unreachable, std::string("c-ares: ") + ares_strerror(status));
  if (ares_set_servers_ports_csv(channel_->handle, server.c_str()) != ARES_SUCCESS || server.find(':') == std::string::npos)
    throw usage_error("--dns: '" + server + "' is not ADDR:PORT (IPv6 as [ADDR]:PORT)");
}

DnsResolver::~DnsResolver() = default;

DnsAnswer DnsResolver::query(const std::string& name, RecordType type) {
  static constexpr int wire_types[] = {ns_t_a, ns_t_aaaa, ns_t_srv, ns_t_txt};
  RawReply raw;
  ares_query(channel_->handle, name.c_str(), ns_c_in, wire_types[static_cast<int>(type)], on_reply, &raw);
  wait_all(channel_->handle);
  DnsAnswer answer;
  int status = raw.status;
  if (status == ARES_SUCCESS) {
    if (type == RecordType::A || type == RecordType::AAAA) status = parse_addresses(raw, type, answer.records);
    else if (type == RecordType::SRV) status = parse_srv(raw, answer.records);
    else status = parse_txt(raw, answer.records);
    if (status == ARES_SUCCESS && answer.records.empty()) status = ARES_ENODATA;
  }
  answer.outcome = outcome_of(status);
  if (status == ARES_EBADNAME) throw usage_error("'" + name + "' is not a valid domain name");
  if (status != ARES_SUCCESS) answer.detail = ares_strerror(status);
  return answer;
}

}  // namespace beacon::ctl
