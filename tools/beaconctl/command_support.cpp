#include "command_support.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "exit_status.hpp"

namespace beacon::ctl {

namespace json = boost::json;

ApiReply api_request(const Invocation& call, boost::beast::http::verb method, std::string_view path, const std::string& body) {
  const ApiClient client(parse_server_url(call.global.server), call.global.token, call.global.cacert);
  ApiReply reply = client.request(method, path, body);
  if (reply.is_success()) return reply;
  if (call.global.json && !reply.body.empty()) print_json_body(call.out, reply);
  throw Failure(exit_status::refused, describe_api_error(reply));
}

int print_json_body(std::ostream& out, const ApiReply& reply) {
  out << reply.body;
  if (!reply.body.empty() && reply.body.back() != '\n') out << '\n';
  out.flush();
  return exit_status::ok;
}

json::value parse_json_body(const ApiReply& reply) {
  boost::system::error_code ec;
  json::value value = json::parse(reply.body, ec);
  if (ec) throw Failure(exit_status::refused, "the API answered HTTP " + std::to_string(reply.status) + " with a body that is not JSON");
  return value;
}

std::string json_text(const json::value& object, std::string_view key) {
  const json::value* v = object.is_object() ? object.get_object().if_contains(key) : nullptr;
  if (v == nullptr || v->is_null()) return "-";
  if (v->is_string()) return std::string(v->get_string());
  return json::serialize(*v);
}

std::string addresses_text(const json::value& instance) {
  if (!instance.is_object()) return "-";
  const auto& o = instance.get_object();
  if (const auto* list = o.if_contains("addresses"); list != nullptr && list->is_array()) {
    std::string text;
    for (const auto& a : list->get_array()) text += (text.empty() ? "" : ",") + std::string(a.is_string() ? a.get_string() : "?");
    return text;
  }
  return json_text(instance, "address");
}

}  // namespace beacon::ctl
