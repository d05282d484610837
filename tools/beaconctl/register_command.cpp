// beaconctl register: flags -> the registration JSON body -> PUT.

#include <boost/json.hpp>
#include <boost/program_options/value_semantic.hpp>

#include "api_client.hpp"
#include "command.hpp"
#include "command_support.hpp"
#include "exit_status.hpp"

namespace beacon::ctl {
namespace {

namespace json = boost::json;
namespace po = boost::program_options;
using strings = std::vector<std::string>;

void add_register_options(po::options_description& options) {
  options.add_options()
      ("address", po::value<strings>()->value_name("ADDR")->composing(), "IPv4 or IPv6 address; repeatable (required)")
      ("port", po::value<long>()->value_name("PORT"), "port, 1-65535 (required)")
      ("tag", po::value<strings>()->value_name("TAG")->composing(), "a tag (a DNS label); repeatable")
      ("meta", po::value<strings>()->value_name("KEY=VALUE")->composing(), "metadata, served as TXT; repeatable")
      ("ttl", po::value<std::string>()->value_name("DURATION"), "heartbeat TTL: critical without a heartbeat this long")
      ("http-check", po::value<std::string>()->value_name("URL"), "active HTTP check, http://IP[:PORT]/PATH")
      ("tcp-check", po::value<std::string>()->value_name("IP:PORT"), "active TCP connect check")
      ("check-interval", po::value<std::string>()->value_name("DURATION"), "time between checks (API default 10s)")
      ("check-timeout", po::value<std::string>()->value_name("DURATION"), "time a check may take (API default 2s)")
      ("weight", po::value<long>()->value_name("N"), "SRV weight, 0-65535")
      ("priority", po::value<long>()->value_name("N"), "SRV priority, 0-65535")
      ("protocol", po::value<std::string>()->value_name("tcp|udp"), "transport, for _SERVICE._PROTO SRV names")
      ("deregister-after", po::value<std::string>()->value_name("DURATION"), "remove after being critical this long")
      ("dns-ttl", po::value<std::string>()->value_name("SECONDS"), "TTL of this instance's DNS records");
}

/// "--meta k=v" values as a JSON object; a value without '=' is a usage error.
json::object meta_object(const strings& entries) {
  json::object meta;
  for (const auto& entry : entries) {
    const auto eq = entry.find('=');
    if (eq == std::string::npos || eq == 0) throw usage_error("--meta: '" + entry + "' is not KEY=VALUE");
    meta[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  return meta;
}

/// A duration flag as the API takes it: integer seconds if all digits, else the string.
json::value duration_value(const std::string& text) {
  if (!text.empty() && text.find_first_not_of("0123456789") == std::string::npos && text.size() < 10)
    return std::stoll(text);
  return json::value(text);
}

std::optional<json::object> check_object(const Invocation& call) {
  json::object check;
  if (call.has("http-check")) check["http"] = call.get<std::string>("http-check");
  if (call.has("tcp-check")) check["tcp"] = call.get<std::string>("tcp-check");
  if (call.has("check-interval")) check["interval"] = duration_value(call.get<std::string>("check-interval"));
  if (call.has("check-timeout")) check["timeout"] = duration_value(call.get<std::string>("check-timeout"));
  if (check.empty()) return std::nullopt;
  return check;
}

json::object registration_body(const Invocation& call) {
  if (!call.has("address")) throw usage_error("register: --address is required");
  if (!call.has("port")) throw usage_error("register: --port is required");
  json::object body;
  const auto& addresses = call.get<strings>("address");
  if (addresses.size() == 1) body["address"] = addresses.front();
  else body["addresses"] = json::value_from(addresses);
  body["port"] = call.get<long>("port");
  if (call.has("protocol")) body["protocol"] = call.get<std::string>("protocol");
  if (call.has("tag")) body["tags"] = json::value_from(call.get<strings>("tag"));
  if (call.has("meta")) body["meta"] = meta_object(call.get<strings>("meta"));
  if (call.has("weight")) body["weight"] = call.get<long>("weight");
  if (call.has("priority")) body["priority"] = call.get<long>("priority");
  if (call.has("ttl")) body["ttl"] = duration_value(call.get<std::string>("ttl"));
  if (call.has("deregister-after")) body["deregister_after"] = duration_value(call.get<std::string>("deregister-after"));
  if (call.has("dns-ttl")) body["dns_ttl"] = duration_value(call.get<std::string>("dns-ttl"));
  if (auto check = check_object(call)) body["check"] = std::move(*check);
  return body;
}

int run_register(const Invocation& call) {
  const auto& service = call.get<std::string>("service");
  const auto& id = call.get<std::string>("id");
  const std::string body = json::serialize(registration_body(call));
  const ApiReply reply = api_request(call, boost::beast::http::verb::put, instance_path(service, id), body);
  if (call.global.json) return print_json_body(call.out, reply);
  const json::value instance = parse_json_body(reply);
  call.out << "registered " << service << "/" << id << (reply.status == 201 ? " (new)" : " (replaced)")
           << ": " << addresses_text(instance) << " port " << json_text(instance, "port") << ", "
           << json_text(instance, "health") << '\n';
  return exit_status::ok;
}

}  // namespace

Command register_command() {
  return Command{
      .name = "register",
      .arguments = "SERVICE ID --address ADDR [--address ADDR]... --port PORT [options]",
      .summary = "register an instance, or replace its registration",
      .details = "PUT /v1/services/SERVICE/instances/ID with a body built from the flags. The API validates\n"
                 "every value and its refusal is shown as given. --json prints the registered instance.",
      .positionals = {"service", "id"},
      .add_options = add_register_options,
      .run = run_register,
  };
}

}  // namespace beacon::ctl
