#pragma once
// One probe of one instance, asynchronous on the health thread's io_context. A probe that
// hangs costs a timer, not a thread: the stream's deadline covers connect, write and read.

#include <boost/asio/io_context.hpp>
#include <functional>

#include "health/check_status.hpp"
#include "registry/check_spec.hpp"

namespace beacon::health {

using ProbeDone = std::function<void(Observation)>;

/// TCP: passing if a connection is established within the timeout, else critical.
/// HTTP: sends the request and maps the response's status (health_for_http_status);
/// a timeout, a refused connection or a malformed response is critical.
void start_probe(boost::asio::io_context& io, const registry::CheckSpec& spec, ProbeDone done);

}  // namespace beacon::health
