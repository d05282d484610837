#include "common/metrics_text.hpp"

#include <cstdio>
#include <vector>

namespace beacon {
namespace {

void append_escaped(std::string& out, std::string_view value) {
  for (char c : value) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
}

}  // namespace

void MetricsText::family(std::string_view name, std::string_view type, std::string_view help) {
  text_ += "# HELP ";
  text_ += name;
  text_ += ' ';
  text_ += help;
  text_ += "\n# TYPE ";
  text_ += name;
  text_ += ' ';
  text_ += type;
  text_ += '\n';
}

void MetricsText::write_sample_start(std::string_view name, Labels labels, std::string_view extra_key,
                                     std::string_view extra_value) {
  text_ += name;
  if (labels.size() == 0 && extra_key.empty()) return;
  text_ += '{';
  bool first = true;
  auto label = [&](std::string_view k, std::string_view v) {
    if (!first) text_ += ',';
    first = false;
    text_ += k;
    text_ += "=\"";
    append_escaped(text_, v);
    text_ += '"';
  };
  for (const auto& [k, v] : labels) label(k, v);
  if (!extra_key.empty()) label(extra_key, extra_value);
  text_ += '}';
}

void MetricsText::sample(std::string_view name, Labels labels, double value) {
  write_sample_start(name, labels);
  char buf[64];
  std::snprintf(buf, sizeof buf, " %.9g\n", value);
  text_ += buf;
}

void MetricsText::sample(std::string_view name, Labels labels, std::uint64_t value) {
  write_sample_start(name, labels);
  text_ += ' ';
  text_ += std::to_string(value);
  text_ += '\n';
}

void MetricsText::histogram(std::string_view name, Labels labels, const LatencyHistogram& h) {
  histogram_sum(name, labels, std::vector<const LatencyHistogram*>{&h});
}

void MetricsText::histogram_sum(std::string_view name, Labels labels, const std::vector<const LatencyHistogram*>& parts) {
  const std::string bucket = std::string(name) + "_bucket";
  std::uint64_t cumulative = 0;
  std::uint64_t sum_us = 0;
  for (const auto* part : parts) sum_us += part->sum_us();
  for (std::size_t i = 0; i <= LatencyHistogram::bounds_us.size(); ++i) {
    for (const auto* part : parts) cumulative += part->bucket(i);
    char le[32];
    if (i < LatencyHistogram::bounds_us.size())
      std::snprintf(le, sizeof le, "%g", static_cast<double>(LatencyHistogram::bounds_us[i]) / 1e6);
    else
      std::snprintf(le, sizeof le, "+Inf");
    write_sample_start(bucket, labels, "le", le);
    text_ += ' ';
    text_ += std::to_string(cumulative);
    text_ += '\n';
  }
  sample(std::string(name) + "_sum", labels, static_cast<double>(sum_us) / 1e6);
  sample(std::string(name) + "_count", labels, cumulative);
}

}  // namespace beacon
