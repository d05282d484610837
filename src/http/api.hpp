#pragma once
// The registration API's routes (design.md, "Registration API"): request in, response out.
// Reads and refusals answer at once; accepted writes answer after the registry writer has
// made them durable and visible in DNS (issue 3 §7), through `Reply`.

#include <functional>
#include <map>
#include <optional>
#include <string_view>
#include <vector>
#include <string>

#include "common/metrics_text.hpp"

#include "http/auth.hpp"
#include "http/response.hpp"
#include "registry/writer.hpp"

namespace beacon::http {

class Api {
 public:
  using Reply = std::function<void(Response)>;
  /// `fails_open(service)`: whether DNS currently serves the service's critical instances.
  /// `metrics()`: the Prometheus text for GET /metrics.
  Api(registry::Writer& writer, std::function<bool(const std::string&)> fails_open, std::function<std::string()> metrics)
      : writer_(writer), fails_open_(std::move(fails_open)), metrics_(std::move(metrics)) {}

  /// Appends the API's own metrics (requests by route and status).
  void write_metrics(MetricsText& out) const;

  void handle(const Request& request, Reply reply);

  /// The bearer tokens (http.tokens); none: the API is open. Replaced on reload.
  void set_tokens(std::vector<TokenGrant> tokens) { authorizer_.replace(std::move(tokens)); }

 private:
  void put_instance(const Request& request, const std::string& service, const std::string& id, Reply reply);
  void heartbeat(const Request& request, const std::string& service, const std::string& id, Reply reply);
  void delete_instance(const std::string& service, const std::string& id, Reply reply);
  void delete_service(const std::string& service, Reply reply);
  /// `grant`: the caller's token when tokens are configured; only services it covers are listed.
  Response list_services(const TokenGrant* grant) const;
  Response show_service(const std::string& service) const;
  /// Replies `accepted` once the staged write is durable (after `on_durable`, which logs
  /// it), or 503 if the store refused it.
  void reply_after_commit(Response accepted, Reply reply, std::function<void()> on_durable = {});

  void route(const Request& request, Reply reply);
  void route_services(const Request& request, const std::vector<std::string_view>& path, Reply reply);
  /// The 401 or 403 refusing a call that needs `scope` (on `service`, if not empty), if it does not have it.
  std::optional<Response> refuse(const Request& request, Scope scope, std::string_view service = {}) const;

  registry::Writer& writer_;
  Authorizer authorizer_;
  std::function<bool(const std::string&)> fails_open_;
  std::function<std::string()> metrics_;
  std::map<std::pair<std::string, unsigned>, std::uint64_t> requests_;  // (route, status); control thread only
};

}  // namespace beacon::http
