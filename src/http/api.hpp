#pragma once
// The registration API's routes (design.md, "Registration API"): request in, response out.
// Reads and refusals answer at once; accepted writes answer after the registry writer has
// made them durable and visible in DNS (issue 3 §7), through `Reply`.

#include <functional>

#include "http/response.hpp"
#include "registry/writer.hpp"

namespace beacon::http {

class Api {
 public:
  using Reply = std::function<void(Response)>;
  /// `fails_open(service)`: whether DNS currently serves the service's critical instances.
  Api(registry::Writer& writer, std::function<bool(const std::string&)> fails_open)
      : writer_(writer), fails_open_(std::move(fails_open)) {}

  void handle(const Request& request, Reply reply);

 private:
  void put_instance(const Request& request, const std::string& service, const std::string& id, Reply reply);
  void heartbeat(const Request& request, const std::string& service, const std::string& id, Reply reply);
  void delete_instance(const std::string& service, const std::string& id, Reply reply);
  void delete_service(const std::string& service, Reply reply);
  Response list_services() const;
  Response show_service(const std::string& service) const;
  /// Replies `accepted` once the staged write is durable, or 503 if the store refused it.
  void reply_after_commit(Response accepted, Reply reply);

  registry::Writer& writer_;
  std::function<bool(const std::string&)> fails_open_;
};

}  // namespace beacon::http
