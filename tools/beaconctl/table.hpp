#pragma once
// Plain-text tables for the human output of ls and show: left-aligned columns, two spaces
// apart, the last one unpadded.

#include <ostream>
#include <string>
#include <vector>

namespace beacon::ctl {

class Table {
 public:
  explicit Table(std::vector<std::string> header) : rows_{std::move(header)} {}
  void add_row(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  void print(std::ostream& out) const;

 private:
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace beacon::ctl
