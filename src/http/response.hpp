#pragma once
// HTTP responses of the registration API: JSON bodies, and errors shaped
// {"error": "...", "field": "..."}.

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/json/value.hpp>
#include <string>

namespace beacon::http {

namespace bhttp = boost::beast::http;
using Request = bhttp::request<bhttp::string_body>;
using Response = bhttp::response<bhttp::string_body>;

Response json_response(bhttp::status status, const boost::json::value& body);
Response error_response(bhttp::status status, const std::string& message, const std::string& field = "");
Response empty_response(bhttp::status status);

}  // namespace beacon::http
