#include "server/query_log.hpp"

#include "common/log.hpp"
#include "dns/name.hpp"

namespace beacon::server {

void log_query(const answer::Responder& responder, const std::string& client, const char* transport,
               std::size_t response_length) {
  const dns::Query& q = responder.last_query();
  if (!q.has_question || response_length == 0) {
    log::info("query", {{"client", client}, {"transport", transport}, {"answered", response_length > 0 ? "yes" : "no"}});
    return;
  }
  log::info("query", {{"client", client},
                      {"transport", transport},
                      {"qname", dns::name_to_text(q.qname.wire())},
                      {"qtype", q.qtype},
                      {"size", response_length}});
}

}  // namespace beacon::server
