#include "app/metrics.hpp"

#include "common/metrics_text.hpp"

namespace beacon::app {
namespace {

using answer::ResponseStats;

void write_dns(MetricsText& out, const server::DnsServer& dns) {
  const auto threads = dns.thread_contexts();
  auto sum = [&](auto pick) {
    std::uint64_t total = 0;
    for (const auto* t : threads) total += pick(t->responder.stats()).value();
    return total;
  };
  out.family("beacon_dns_queries_total", "counter", "DNS queries answered, by transport and query type.");
  for (std::size_t t = 0; t < 2; ++t) {
    for (std::size_t q = 0; q < ResponseStats::qtype_names.size(); ++q) {
      out.sample("beacon_dns_queries_total",
                 {{"transport", ResponseStats::transport_names[t]}, {"qtype", ResponseStats::qtype_names[q]}},
                 sum([&](const ResponseStats& s) -> const Counter& { return s.queries[t][q]; }));
    }
  }
  out.family("beacon_dns_responses_total", "counter", "DNS responses, by transport and RCODE.");
  for (std::size_t t = 0; t < 2; ++t) {
    for (std::size_t r = 0; r < ResponseStats::rcode_names.size(); ++r) {
      out.sample("beacon_dns_responses_total",
                 {{"transport", ResponseStats::transport_names[t]}, {"rcode", ResponseStats::rcode_names[r]}},
                 sum([&](const ResponseStats& s) -> const Counter& { return s.responses[t][r]; }));
    }
  }
  out.family("beacon_dns_responses_truncated_total", "counter", "Responses sent with TC=1.");
  out.family("beacon_dns_requests_dropped_total", "counter", "Requests dropped unanswered (runts, responses).");
  for (std::size_t t = 0; t < 2; ++t) {
    const auto transport = ResponseStats::transport_names[t];
    out.sample("beacon_dns_responses_truncated_total", {{"transport", transport}},
               sum([&](const ResponseStats& s) -> const Counter& { return s.truncated[t]; }));
    out.sample("beacon_dns_requests_dropped_total", {{"transport", transport}},
               sum([&](const ResponseStats& s) -> const Counter& { return s.dropped[t]; }));
  }
  out.family("beacon_dns_response_seconds", "histogram",
             "Time from a query reaching user space to its answer being ready to send.");
  for (std::size_t t = 0; t < 2; ++t) {
    std::vector<const LatencyHistogram*> parts;
    for (const auto* thread : threads) parts.push_back(&thread->latency[t]);
    out.histogram_sum("beacon_dns_response_seconds", {{"transport", ResponseStats::transport_names[t]}}, parts);
  }
  out.family("beacon_dns_rrl_responses_total", "counter",
             "UDP responses response rate limiting withheld, by action (dropped, or slipped: sent truncated).");
  std::uint64_t dropped = 0;
  std::uint64_t slipped = 0;
  for (const auto* t : threads) {
    dropped += t->rrl_dropped.value();
    slipped += t->rrl_slipped.value();
  }
  out.sample("beacon_dns_rrl_responses_total", {{"action", "dropped"}}, dropped);
  out.sample("beacon_dns_rrl_responses_total", {{"action", "slipped"}}, slipped);
  out.family("beacon_dns_tcp_connections", "gauge", "Open DNS-over-TCP connections.");
  out.sample("beacon_dns_tcp_connections", {}, static_cast<std::uint64_t>(
                                                   threads.empty() ? 0 : threads.front()->tcp_limits.open_connections()));
}

void write_registry(MetricsText& out, const registry::Registry& registry, const registry::Writer& writer) {
  std::uint64_t by_health[3] = {0, 0, 0};
  for (const auto& [name, service] : registry.services()) {
    for (const auto& [id, instance] : service.instances) ++by_health[static_cast<int>(instance.health())];
  }
  out.family("beacon_services", "gauge", "Registered services.");
  out.sample("beacon_services", {}, static_cast<std::uint64_t>(registry.services().size()));
  out.family("beacon_instances", "gauge", "Registered instances, by health.");
  for (int h = 0; h < 3; ++h)
    out.sample("beacon_instances", {{"health", registry::health_name(static_cast<registry::Health>(h))}}, by_health[h]);

  const auto& w = writer.stats();
  out.family("beacon_store_commits_total", "counter", "Registry batches committed to the store.");
  out.sample("beacon_store_commits_total", {}, w.commits.value());
  out.family("beacon_store_commit_failures_total", "counter", "Batches the store refused (undone, answered 503).");
  out.sample("beacon_store_commit_failures_total", {}, w.commit_failures.value());
  out.family("beacon_store_commit_seconds", "histogram", "Duration of a store commit, fsync included.");
  out.histogram("beacon_store_commit_seconds", {}, w.commit_latency);
  out.family("beacon_snapshot_publishes_total", "counter", "DNS snapshots published after registry changes.");
  out.sample("beacon_snapshot_publishes_total", {}, w.publishes.value());
  out.family("beacon_snapshot_build_seconds", "histogram", "Time to rebuild changed services and publish a snapshot.");
  out.histogram("beacon_snapshot_build_seconds", {}, w.publish_latency);
}

void write_health(MetricsText& out, const health::HealthChecker& health) {
  out.family("beacon_health_check_runs_total", "counter", "Active health check probes completed.");
  out.sample("beacon_health_check_runs_total", {}, health.stats().runs.value());
  out.family("beacon_health_check_failures_total", "counter", "Probes that found their instance critical.");
  out.sample("beacon_health_check_failures_total", {}, health.stats().failures.value());
}

}  // namespace

std::string render_metrics(const MetricsSources& s) {
  MetricsText out;
  write_dns(out, s.dns);
  write_registry(out, s.registry, s.writer);
  write_health(out, s.health);
  s.api.write_metrics(out);
  return out.take();
}

}  // namespace beacon::app
