#pragma once
// What the API commands share: the request with error reporting, and reading the API's JSON.

#include <boost/beast/http/verb.hpp>
#include <boost/json/value.hpp>
#include <ostream>
#include <string>
#include <string_view>

#include "api_client.hpp"
#include "command.hpp"

namespace beacon::ctl {

/// Sends a request to the --server API. A non-2xx reply throws Failure(refused) with the
/// API's message; with --json its body is printed to `call.out` first, as the API gave it.
ApiReply api_request(const Invocation& call, boost::beast::http::verb method, std::string_view path,
                     const std::string& body = {});

/// Prints the reply body as is (newline-terminated); returns exit_status::ok.
int print_json_body(std::ostream& out, const ApiReply& reply);

/// The reply body as JSON; Failure(refused) if it is not JSON.
boost::json::value parse_json_body(const ApiReply& reply);

/// A member of an object as display text: strings unquoted, numbers as numbers, "-" if absent.
std::string json_text(const boost::json::value& object, std::string_view key);

/// An instance's "address" or "addresses", comma-separated.
std::string addresses_text(const boost::json::value& instance);

}  // namespace beacon::ctl
