#pragma once
// GET /metrics: everything beacond counts, in the Prometheus text format. Runs on the
// control thread; DNS and health counters are per-thread and summed here (common/counter.hpp).

#include <string>

#include "health/health_checker.hpp"
#include "http/api.hpp"
#include "registry/registry.hpp"
#include "registry/writer.hpp"
#include "server/dns_server.hpp"

namespace beacon::app {

struct MetricsSources {
  const server::DnsServer& dns;
  const registry::Registry& registry;
  const registry::Writer& writer;
  const health::HealthChecker& health;
  const http::Api& api;
};

std::string render_metrics(const MetricsSources& sources);

}  // namespace beacon::app
