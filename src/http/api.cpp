#include "http/api.hpp"

#include <boost/json.hpp>
#include <ctime>
#include <string_view>
#include <vector>

#include "common/log.hpp"
#include "registry/registration_codec.hpp"

namespace beacon::http {
namespace {

namespace json = boost::json;
using bhttp::status;
using bhttp::verb;

std::vector<std::string_view> split_path(std::string_view target) {
  target = target.substr(0, target.find('?'));
  std::vector<std::string_view> parts;
  while (!target.empty()) {
    if (target.front() == '/') {
      target.remove_prefix(1);
      continue;
    }
    const auto slash = target.find('/');
    parts.push_back(target.substr(0, slash));
    target = slash == std::string_view::npos ? std::string_view{} : target.substr(slash);
  }
  return parts;
}

std::string rfc3339(TimePoint t) {
  const auto ms = t.time_since_epoch().count();
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms % 1000));
  return out;
}

json::object instance_json(const std::string& service, const std::string& id, const registry::Instance& i) {
  json::object o = registry::to_json(i.registration);
  o["id"] = id;
  o["service"] = service;
  o["health"] = registry::health_name(i.health());
  o["registered_at"] = rfc3339(i.registered_at);
  o["last_heartbeat"] = rfc3339(i.last_heartbeat);
  o["heartbeat_status"] = registry::health_name(i.ttl_expired ? registry::Health::critical : i.reported);
  if (i.check) {
    json::object check{{"status", registry::health_name(i.check->status)},
                       {"output", i.check->output},
                       {"last_change", rfc3339(i.check->last_change)}};
    check["last_check"] = i.check->last_check == TimePoint{} ? json::value(nullptr) : json::value(rfc3339(i.check->last_check));
    o["check_status"] = std::move(check);
  }
  return o;
}

status status_for(const registry::Refusal& r) {
  switch (r.kind) {
    case registry::Refusal::Kind::invalid: return status::bad_request;
    case registry::Refusal::Kind::not_found: return status::not_found;
    case registry::Refusal::Kind::conflict: return status::conflict;
    case registry::Refusal::Kind::unavailable: return status::service_unavailable;
  }
  return status::bad_request;
}

Response refusal_response(const registry::Refusal& r) { return error_response(status_for(r), r.message, r.field); }

Response method_not_allowed(const char* allow) {
  Response r = error_response(status::method_not_allowed, std::string("method not allowed; use ") + allow, "method");
  r.set(bhttp::field::allow, allow);
  return r;
}

/// The service and instance names of a path, validated as DNS labels and case-folded.
struct PathNames {
  std::string service;
  std::string id;
};

std::optional<Response> read_names(std::string_view service, std::string_view id, PathNames& out) {
  const auto s = registry::normalize_label(service);
  if (!s) return error_response(status::bad_request, "service names are DNS labels: 1-63 of a-z, 0-9 and '-', not starting or ending with '-'", "service");
  out.service = *s;
  if (id.empty()) return std::nullopt;
  const auto i = registry::normalize_label(id);
  if (!i) return error_response(status::bad_request, "instance ids are DNS labels: 1-63 of a-z, 0-9 and '-', not starting or ending with '-'", "id");
  out.id = *i;
  return std::nullopt;
}

/// The JSON body, or the response refusing it (415 for another media type, 400 for bad JSON).
std::variant<json::value, Response> read_json_body(const Request& request) {
  const auto type = request[bhttp::field::content_type];
  if (!type.empty() && type.substr(0, type.find(';')) != "application/json")
    return error_response(status::unsupported_media_type, "the body must be application/json", "Content-Type");
  // Our own words and the position, not the parser's message: that is library text whose
  // wording changes between Boost versions.
  json::error_code ec;
  json::stream_parser parser;
  const std::size_t consumed = parser.write(request.body().data(), request.body().size(), ec);
  if (!ec) parser.finish(ec);
  if (ec)
    return error_response(status::bad_request, "the body is not valid JSON (at byte " + std::to_string(consumed) + ")",
                          "body");
  return parser.release();
}

bool has_body_framing(const Request& request) { return request.has_content_length() || request.chunked(); }

/// A route's name for metrics: the path with its variable parts left out.
std::string route_name(const std::vector<std::string_view>& path) {
  if (path.size() == 1 && (path[0] == "healthz" || path[0] == "metrics")) return std::string(path[0]);
  if (path.size() < 2 || path[0] != "v1" || path[1] != "services") return "other";
  switch (path.size()) {
    case 2: return "services";
    case 3: return "service";
    case 5: return "instance";
    case 6: return "heartbeat";
    default: return "other";
  }
}

}  // namespace

void Api::handle(const Request& request, Reply reply) {
  // Counted when the response goes out, so writes count with the status they ended with.
  route(request, [this, name = route_name(split_path(request.target())), reply = std::move(reply)](Response r) {
    ++requests_[{name, r.result_int()}];
    reply(std::move(r));
  });
}

void Api::write_metrics(MetricsText& out) const {
  out.family("beacon_api_requests_total", "counter", "Registration API requests by route and status.");
  for (const auto& [key, count] : requests_) {
    const std::string status = std::to_string(key.second);
    out.sample("beacon_api_requests_total", {{"route", key.first}, {"status", status}}, count);
  }
}

void Api::route(const Request& request, Reply reply) {
  const auto path = split_path(request.target());
  const verb method = request.method();
  if (path.size() == 1 && path[0] == "healthz") {
    if (method != verb::get && method != verb::head) return reply(method_not_allowed("GET, HEAD"));
    return reply(json_response(status::ok, json::object{{"status", "ok"}}));
  }
  // Everything else needs at least a read token when tokens are configured, checked before
  // the path is looked at so a stranger learns nothing from 400s and 404s.
  if (auto refused = refuse(request, Scope::read)) return reply(std::move(*refused));
  if (path.size() == 1 && path[0] == "metrics") {
    if (method != verb::get) return reply(method_not_allowed("GET"));
    Response r{status::ok, 11};
    r.set(bhttp::field::content_type, "text/plain; version=0.0.4");
    r.body() = metrics_();
    r.prepare_payload();
    return reply(std::move(r));
  }
  if (path.size() < 2 || path[0] != "v1" || path[1] != "services")
    return reply(error_response(status::not_found, "no such endpoint", "path"));
  route_services(request, path, std::move(reply));
}

void Api::route_services(const Request& request, const std::vector<std::string_view>& path, Reply reply) {
  const verb method = request.method();
  PathNames names;
  if (path.size() == 2) {
    if (method != verb::get) return reply(method_not_allowed("GET"));
    // Reads wait for staged writes to be committed: they never show what is not yet durable.
    return writer_.after_pending([this, reply = std::move(reply),
                                  authorization = std::string(request[bhttp::field::authorization])] {
      const TokenGrant* grant = authorizer_.is_enabled() ? authorizer_.authenticate(authorization) : nullptr;
      reply(list_services(grant));
    });
  }
  if (path.size() == 3) {
    if (auto bad = read_names(path[2], "", names)) return reply(std::move(*bad));
    const Scope needed = method == verb::delete_ ? Scope::admin : Scope::read;
    if (auto refused = refuse(request, needed, names.service)) return reply(std::move(*refused));
    if (method == verb::get)
      return writer_.after_pending([this, reply = std::move(reply), name = names.service] { reply(show_service(name)); });
    if (method == verb::delete_) return delete_service(names.service, std::move(reply));
    return reply(method_not_allowed("GET, DELETE"));
  }
  if (path[3] != "instances" || path.size() < 5 || path.size() > 6 || (path.size() == 6 && path[5] != "heartbeat"))
    return reply(error_response(status::not_found, "no such endpoint", "path"));
  if (auto bad = read_names(path[2], path[4], names)) return reply(std::move(*bad));
  if (auto refused = refuse(request, Scope::write, names.service)) return reply(std::move(*refused));
  if (path.size() == 6) {
    if (method != verb::put) return reply(method_not_allowed("PUT"));
    return heartbeat(request, names.service, names.id, std::move(reply));
  }
  if (method == verb::put) return put_instance(request, names.service, names.id, std::move(reply));
  if (method == verb::delete_) return delete_instance(names.service, names.id, std::move(reply));
  return reply(method_not_allowed("PUT, DELETE"));
}

std::optional<Response> Api::refuse(const Request& request, Scope scope, std::string_view service) const {
  const auto authorization = request[bhttp::field::authorization];
  const AuthResult result = authorizer_.check({authorization.data(), authorization.size()}, scope, service);
  if (result.kind == AuthResult::Kind::allowed) return std::nullopt;
  if (result.kind == AuthResult::Kind::forbidden) return error_response(status::forbidden, result.reason, "Authorization");
  Response r = error_response(status::unauthorized, result.reason, "Authorization");
  r.set(bhttp::field::www_authenticate,
        authorization.empty() ? R"(Bearer realm="beacon")" : R"(Bearer realm="beacon", error="invalid_token")");
  return r;
}

void Api::put_instance(const Request& request, const std::string& service, const std::string& id, Reply reply) {
  if (!has_body_framing(request))
    return reply(error_response(status::length_required, "a registration needs a body with Content-Length", "body"));
  auto body = read_json_body(request);
  if (auto* refused = std::get_if<Response>(&body)) return reply(std::move(*refused));
  auto registration = registry::parse_registration(std::get<json::value>(body));
  if (!registration) return reply(refusal_response(registration.error()));
  auto outcome = writer_.registry().put_instance(service, id, std::move(registration).value());
  if (!outcome) return reply(refusal_response(outcome.error()));
  const auto& instance = writer_.registry().find(service)->instances.at(id);
  const bool created = *outcome == registry::PutOutcome::created;
  const status code = created ? status::created : status::ok;
  Response accepted = json_response(code, instance_json(service, id, instance));
  accepted.set(bhttp::field::location, "/v1/services/" + service + "/instances/" + id);
  reply_after_commit(std::move(accepted), std::move(reply), [service, id, created] {
    log::info(created ? "instance_registered" : "instance_replaced", {{"service", service}, {"instance", id}});
  });
}

void Api::heartbeat(const Request& request, const std::string& service, const std::string& id, Reply reply) {
  std::optional<registry::Health> status_update;
  if (!request.body().empty()) {
    auto body = read_json_body(request);
    if (auto* refused = std::get_if<Response>(&body)) return reply(std::move(*refused));
    const json::value& value = std::get<json::value>(body);
    if (!value.is_object()) return reply(error_response(status::bad_request, "the body must be a JSON object", "body"));
    for (const auto& [key, v] : value.get_object()) {
      if (key != "status") return reply(error_response(status::bad_request, "unknown field", std::string(key)));
      status_update = v.is_string() ? registry::parse_health(v.get_string()) : std::nullopt;
      if (!status_update)
        return reply(error_response(status::bad_request, "must be \"passing\", \"warning\" or \"critical\"", "status"));
    }
  }
  auto outcome = writer_.registry().heartbeat(service, id, status_update);
  if (!outcome) return reply(refusal_response(outcome.error()));
  const auto& instance = writer_.registry().find(service)->instances.at(id);
  reply_after_commit(json_response(status::ok, instance_json(service, id, instance)), std::move(reply));
}

void Api::delete_instance(const std::string& service, const std::string& id, Reply reply) {
  auto outcome = writer_.registry().remove_instance(service, id);
  if (!outcome) return reply(refusal_response(outcome.error()));
  reply_after_commit(empty_response(status::no_content), std::move(reply), [service, id] {
    log::info("instance_deregistered", {{"service", service}, {"instance", id}, {"reason", "api"}});
  });
}

void Api::delete_service(const std::string& service, Reply reply) {
  auto outcome = writer_.registry().remove_service(service);
  if (!outcome) return reply(refusal_response(outcome.error()));
  reply_after_commit(empty_response(status::no_content), std::move(reply),
                     [service] { log::info("service_deleted", {{"service", service}}); });
}

Response Api::list_services(const TokenGrant* grant) const {
  json::array services;
  for (const auto& [name, service] : writer_.registry().services()) {
    if (grant != nullptr && !grant->covers(name)) continue;
    std::size_t counts[3] = {0, 0, 0};
    for (const auto& [id, instance] : service.instances) ++counts[static_cast<int>(instance.health())];
    services.push_back(json::object{{"name", name},
                                    {"instances", service.instances.size()},
                                    {"passing", counts[0]},
                                    {"warning", counts[1]},
                                    {"critical", counts[2]},
                                    {"fail_open", fails_open_(name)}});
  }
  return json_response(status::ok, json::object{{"services", std::move(services)}});
}

Response Api::show_service(const std::string& name) const {
  const registry::Service* service = writer_.registry().find(name);
  if (service == nullptr) return error_response(status::not_found, "no service " + name, "service");
  json::array instances;
  for (const auto& [id, instance] : service->instances) instances.push_back(instance_json(name, id, instance));
  return json_response(status::ok, json::object{{"name", name},
                                                {"created_at", rfc3339(service->created_at)},
                                                {"fail_open", fails_open_(name)},
                                                {"instances", std::move(instances)}});
}

void Api::reply_after_commit(Response accepted, Reply reply, std::function<void()> on_durable) {
  writer_.commit_then([accepted = std::move(accepted), reply = std::move(reply),
                       on_durable = std::move(on_durable)](bool durable) mutable {
    if (durable && on_durable) on_durable();
    if (durable) reply(std::move(accepted));
    else reply(error_response(status::service_unavailable, "the registry could not store the change; nothing was changed", ""));
  });
}

}  // namespace beacon::http
