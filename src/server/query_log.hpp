#pragma once
// One log line per answered query, when log.queries is on. Never on by default: it costs
// a formatted line (and an allocation) per query.

#include <cstddef>
#include <string>

#include "answer/responder.hpp"

namespace beacon::server {

/// Logs the responder's last query; `response_length` 0 means it was dropped.
void log_query(const answer::Responder& responder, const std::string& client, const char* transport,
               std::size_t response_length);

}  // namespace beacon::server
