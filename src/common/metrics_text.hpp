#pragma once
// Writing the Prometheus text exposition format (version 0.0.4).

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/counter.hpp"

namespace beacon {

class MetricsText {
 public:
  using Labels = std::initializer_list<std::pair<std::string_view, std::string_view>>;

  /// Starts a metric family: # HELP and # TYPE lines.
  void family(std::string_view name, std::string_view type, std::string_view help);
  void sample(std::string_view name, Labels labels, double value);
  void sample(std::string_view name, Labels labels, std::uint64_t value);
  /// A histogram family's samples (_bucket with le, _sum in seconds, _count).
  void histogram(std::string_view name, Labels labels, const LatencyHistogram& h);
  /// Adds several histograms' buckets together under one label set.
  void histogram_sum(std::string_view name, Labels labels, const std::vector<const LatencyHistogram*>& parts);

  std::string take() { return std::move(text_); }

 private:
  void write_sample_start(std::string_view name, Labels labels, std::string_view extra_key = {},
                          std::string_view extra_value = {});
  std::string text_;
};

}  // namespace beacon
