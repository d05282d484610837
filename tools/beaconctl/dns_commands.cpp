// beaconctl resolve and wait: what applications see, asked of the DNS server with c-ares.

#include <boost/json.hpp>
#include <boost/program_options/value_semantic.hpp>
#include <thread>

#include "command.hpp"
#include "dns_resolver.hpp"
#include "exit_status.hpp"

namespace beacon::ctl {
namespace {

namespace json = boost::json;
namespace po = boost::program_options;
using namespace std::chrono_literals;

json::object record_json(const std::string& name, const DnsRecord& r) {
  json::object o{{"name", name}, {"type", record_type_name(r.type)}};
  if (r.ttl) o["ttl"] = *r.ttl;
  switch (r.type) {
    case RecordType::A:
    case RecordType::AAAA: o["address"] = r.address; break;
    case RecordType::SRV:
      o["priority"] = r.priority;
      o["weight"] = r.weight;
      o["port"] = r.port;
      o["target"] = r.target;
      break;
    case RecordType::TXT: o["strings"] = json::value_from(r.strings); break;
  }
  return o;
}

std::string record_text(const DnsRecord& r) {
  switch (r.type) {
    case RecordType::SRV:
      return std::to_string(r.priority) + " " + std::to_string(r.weight) + " " + std::to_string(r.port) + " " + r.target;
    case RecordType::TXT: {
      std::string text;
      for (const auto& s : r.strings) text += (text.empty() ? "\"" : " \"") + s + "\"";
      return text;
    }
    default: return r.address;
  }
}

/// The exit status and message for an answer without records.
Failure no_records(const std::string& dns, const std::string& name, RecordType type, const DnsAnswer& answer) {
  if (answer.outcome == DnsOutcome::unreachable)
    return Failure(exit_status::unreachable, "no answer from the DNS server " + dns + ": " + answer.detail);
  return Failure(exit_status::refused, name + " " + record_type_name(type) + ": " + outcome_name(answer.outcome) + " (" +
                                           answer.detail + ")");
}

void add_resolve_options(po::options_description& options) {
  options.add_options()("type", po::value<std::string>()->value_name("TYPE")->default_value("A"), "A, AAAA, SRV or TXT");
}

int run_resolve(const Invocation& call) {
  const auto type = parse_record_type(call.get<std::string>("type"));
  if (!type) throw usage_error("--type: must be A, AAAA, SRV or TXT, not '" + call.get<std::string>("type") + "'");
  const std::string name = qualify(call.get<std::string>("name"), absolute_zone(call.global.zone));
  DnsResolver resolver(call.global.dns, 2s, 2);
  const DnsAnswer answer = resolver.query(name, *type);
  if (call.global.json && answer.outcome != DnsOutcome::unreachable) {
    json::array records;
    for (const auto& r : answer.records) records.push_back(record_json(name, r));
    call.out << json::serialize(records) << '\n';
  }
  if (answer.outcome != DnsOutcome::answered) throw no_records(call.global.dns, name, *type, answer);
  if (!call.global.json)
    for (const auto& r : answer.records) call.out << record_text(r) << '\n';
  return exit_status::ok;
}

void add_wait_options(po::options_description& options) {
  options.add_options()
      ("healthy", po::value<long>()->value_name("N"), "instances to wait for, at least 1 (required)")
      ("timeout", po::value<std::string>()->value_name("DURATION")->default_value("30s"), "give up after this long (exit 3)");
}

int run_wait(const Invocation& call) {
  if (!call.has("healthy") || call.get<long>("healthy") < 1) throw usage_error("wait: --healthy N (N >= 1) is required");
  const auto wanted = static_cast<std::size_t>(call.get<long>("healthy"));
  const auto timeout = parse_duration_flag(call.get<std::string>("timeout"), "--timeout");
  const std::string name = qualify(call.get<std::string>("service"), absolute_zone(call.global.zone));
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  DnsResolver resolver(call.global.dns, 500ms, 1);
  std::size_t healthy = 0;
  DnsAnswer answer;
  for (;;) {
    answer = resolver.query(name, RecordType::SRV);
    healthy = answer.outcome == DnsOutcome::answered ? answer.records.size() : 0;
    if (healthy >= wanted || std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(250ms, deadline - std::chrono::steady_clock::now()));
  }
  if (call.global.json)
    call.out << json::serialize(json::object{{"name", name}, {"healthy", healthy}, {"wanted", wanted}}) << '\n';
  if (healthy < wanted) {
    const std::string last = answer.outcome == DnsOutcome::answered ? "" : std::string(", last answer ") + outcome_name(answer.outcome);
    throw Failure(exit_status::unreachable, "wait: " + name + " has " + std::to_string(healthy) + " healthy of " +
                                                std::to_string(wanted) + " wanted after " + call.get<std::string>("timeout") + last);
  }
  if (!call.global.json) call.out << name << ": " << healthy << " healthy\n";
  return exit_status::ok;
}

}  // namespace

Command resolve_command() {
  return Command{
      .name = "resolve",
      .arguments = "NAME [--type A|AAAA|SRV|TXT]",
      .summary = "query the DNS server as an application would (c-ares)",
      .details = "NAME without a final dot that is not inside --zone is made NAME.ZONE (\"web\" asks for\n"
                 "web.svc.internal.). Prints one record per line: an address; PRIORITY WEIGHT PORT TARGET\n"
                 "for SRV; the quoted strings of a TXT record. --json prints a JSON array of records.\n"
                 "NXDOMAIN, NODATA, REFUSED and SERVFAIL exit 1 (with --json, after printing []).",
      .positionals = {"name"},
      .add_options = add_resolve_options,
      .run = run_resolve,
  };
}

Command wait_command() {
  return Command{
      .name = "wait",
      .arguments = "SERVICE --healthy N [--timeout DURATION]",
      .summary = "wait until DNS serves at least N healthy instances of SERVICE",
      .details = "Polls the DNS server (every 250ms) for the SRV records of SERVICE.ZONE, one per instance\n"
                 "DNS hands out, until there are at least N: exit 0. At --timeout: exit 3. SERVICE may\n"
                 "be TAG.SERVICE to wait for tagged instances. --json prints {\"name\",\"healthy\",\"wanted\"}.",
      .positionals = {"service"},
      .add_options = add_wait_options,
      .run = run_wait,
  };
}

}  // namespace beacon::ctl
