// beaconctl ls and show: the catalog as tables (or the API's JSON as is).

#include <boost/json.hpp>

#include "api_client.hpp"
#include "command.hpp"
#include "command_support.hpp"
#include "exit_status.hpp"
#include "table.hpp"

namespace beacon::ctl {
namespace {

namespace json = boost::json;
namespace po = boost::program_options;
using boost::beast::http::verb;

const json::array& array_member(const json::value& v, std::string_view key) {
  static const json::array empty;
  const json::value* member = v.is_object() ? v.get_object().if_contains(key) : nullptr;
  return member != nullptr && member->is_array() ? member->get_array() : empty;
}

int run_ls(const Invocation& call) {
  const ApiReply reply = api_request(call, verb::get, "/v1/services");
  if (call.global.json) return print_json_body(call.out, reply);
  const json::value body = parse_json_body(reply);
  const json::array& services = array_member(body, "services");
  if (services.empty()) {
    call.out << "no services registered\n";
    return exit_status::ok;
  }
  Table table({"SERVICE", "INSTANCES", "PASSING", "WARNING", "CRITICAL", "FAIL-OPEN"});
  for (const auto& s : services) {
    table.add_row({json_text(s, "name"), json_text(s, "instances"), json_text(s, "passing"), json_text(s, "warning"),
                   json_text(s, "critical"), json_text(s, "fail_open") == "true" ? "yes" : "no"});
  }
  table.print(call.out);
  return exit_status::ok;
}

/// "passing: HTTP 200" from an instance's check_status, "-" without a check.
std::string check_text(const json::value& instance) {
  const json::value* check = instance.is_object() ? instance.get_object().if_contains("check_status") : nullptr;
  if (check == nullptr || !check->is_object()) return "-";
  const std::string output = json_text(*check, "output");
  return json_text(*check, "status") + (output == "-" || output.empty() ? "" : ": " + output);
}

int run_show(const Invocation& call) {
  const auto& service = call.get<std::string>("service");
  const ApiReply reply = api_request(call, verb::get, "/v1/services/" + path_segment(service));
  if (call.global.json) return print_json_body(call.out, reply);
  const json::value body = parse_json_body(reply);
  const json::array& instances = array_member(body, "instances");
  call.out << json_text(body, "name") << ": " << instances.size() << (instances.size() == 1 ? " instance" : " instances");
  if (json_text(body, "fail_open") == "true") call.out << " (fail open: every instance is critical, all are served)";
  call.out << '\n';
  if (instances.empty()) return exit_status::ok;
  Table table({"ID", "ADDRESSES", "PORT", "HEALTH", "CHECK", "LAST HEARTBEAT"});
  for (const auto& i : instances)
    table.add_row({json_text(i, "id"), addresses_text(i), json_text(i, "port"), json_text(i, "health"), check_text(i),
                   json_text(i, "last_heartbeat")});
  table.print(call.out);
  return exit_status::ok;
}

}  // namespace

Command ls_command() {
  return Command{
      .name = "ls",
      .arguments = "",
      .summary = "list the services: instance counts by health",
      .details = "GET /v1/services. --json prints the API's answer as is.",
      .positionals = {},
      .add_options = [](po::options_description&) {},
      .run = run_ls,
  };
}

Command show_command() {
  return Command{
      .name = "show",
      .arguments = "SERVICE",
      .summary = "list the instances of a service: addresses, port, health, check, last heartbeat",
      .details = "GET /v1/services/SERVICE. An unknown service is an error (exit 1). --json prints the\n"
                 "API's answer as is (every field of every instance).",
      .positionals = {"service"},
      .add_options = [](po::options_description&) {},
      .run = run_show,
  };
}

}  // namespace beacon::ctl
