// beaconctl deregister and heartbeat: the calls on one instance.

#include <boost/json.hpp>
#include <boost/program_options/value_semantic.hpp>
#include <iostream>

#include "api_client.hpp"
#include "command.hpp"
#include "command_support.hpp"
#include "exit_status.hpp"
#include "stop_signals.hpp"

namespace beacon::ctl {
namespace {

namespace json = boost::json;
namespace po = boost::program_options;
using boost::beast::http::verb;

int run_deregister(const Invocation& call) {
  const auto& service = call.get<std::string>("service");
  const auto& id = call.get<std::string>("id");
  api_request(call, verb::delete_, instance_path(service, id));
  if (!call.global.json) call.out << "deregistered " << service << "/" << id << '\n';
  return exit_status::ok;
}

void add_heartbeat_options(po::options_description& options) {
  options.add_options()
      ("status", po::value<std::string>()->value_name("STATUS"), "report passing, warning or critical (default: keep the status last reported)")
      ("every", po::value<std::string>()->value_name("DURATION"),
       "repeat at this interval until SIGINT or SIGTERM (then exit 0)");
}

/// One heartbeat; prints the outcome. Throws as api_request does.
void beat(const Invocation& call, const std::string& path, const std::string& body) {
  const ApiReply reply = api_request(call, verb::put, path, body);
  if (call.global.json) {
    print_json_body(call.out, reply);
    return;
  }
  const json::value instance = parse_json_body(reply);
  call.out << "heartbeat " << call.get<std::string>("service") << "/" << call.get<std::string>("id")
           << ": " << json_text(instance, "health") << '\n' << std::flush;
}

int run_heartbeat(const Invocation& call) {
  const std::string path = instance_path(call.get<std::string>("service"), call.get<std::string>("id")) + "/heartbeat";
  const std::string body = call.has("status") ? json::serialize(json::object{{"status", call.get<std::string>("status")}}) : "";
  if (!call.has("every")) {
    beat(call, path, body);
    return exit_status::ok;
  }
  const auto every = parse_duration_flag(call.get<std::string>("every"), "--every");
  StopSignals stop;
  do {
    try {
      beat(call, path, body);
    } catch (const Failure& f) {
      // The API refusing (the instance is gone) ends the loop; an unreachable API is retried.
      if (f.status() != exit_status::unreachable) throw;
      std::cerr << "beaconctl: " << f.what() << " (retrying in " << call.get<std::string>("every") << ")\n";
    }
  } while (stop.sleep_unless_stopped(every));
  return exit_status::ok;
}

}  // namespace

Command deregister_command() {
  return Command{
      .name = "deregister",
      .arguments = "SERVICE ID",
      .summary = "remove an instance",
      .details = "DELETE /v1/services/SERVICE/instances/ID. An unknown instance is an error (exit 1).",
      .positionals = {"service", "id"},
      .add_options = [](po::options_description&) {},
      .run = run_deregister,
  };
}

Command heartbeat_command() {
  return Command{
      .name = "heartbeat",
      .arguments = "SERVICE ID [--status STATUS] [--every DURATION]",
      .summary = "renew an instance's heartbeat TTL, once or repeatedly",
      .details = "PUT /v1/services/SERVICE/instances/ID/heartbeat. With --every, repeats until interrupted\n"
                 "(SIGINT or SIGTERM: exit 0); an unreachable API is reported and retried at the next\n"
                 "interval, a refusal (e.g. the instance was deregistered) ends with exit 1.\n"
                 "--json prints the instance after each heartbeat, one JSON object per line.",
      .positionals = {"service", "id"},
      .add_options = add_heartbeat_options,
      .run = run_heartbeat,
  };
}

}  // namespace beacon::ctl
