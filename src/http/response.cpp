#include "http/response.hpp"

#include <boost/json/serialize.hpp>

namespace beacon::http {

Response json_response(bhttp::status status, const boost::json::value& body) {
  Response r{status, 11};
  r.set(bhttp::field::content_type, "application/json");
  r.set(bhttp::field::cache_control, "no-store");
  r.body() = boost::json::serialize(body);
  r.body() += '\n';
  r.prepare_payload();
  return r;
}

Response error_response(bhttp::status status, const std::string& message, const std::string& field) {
  boost::json::object body;
  body["error"] = message;
  body["field"] = field;
  return json_response(status, body);
}

Response empty_response(bhttp::status status) {
  Response r{status, 11};
  r.prepare_payload();
  return r;
}

}  // namespace beacon::http
