#pragma once
// Loading RFC 1035 master files with ldns. The only place in beacon that includes ldns for
// parsing; ldns types never leave master_file.cpp.

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "zone/zone.hpp"
#include "zone/zone_builder.hpp"

namespace beacon::zone {

/// A zone file that failed to load: which file, which line (0 if not tied to one), and why.
class ZoneFileError : public ZoneError {
 public:
  ZoneFileError(std::filesystem::path file, int line, const std::string& reason);
  const std::filesystem::path& file() const { return file_; }
  int line() const { return line_; }

 private:
  std::filesystem::path file_;
  int line_;
};

/// Parses one master file. The origin defaults to the file name without ".zone"
/// (`svc.internal.zone` is `svc.internal.`); a $ORIGIN in the file takes precedence.
Zone load_zone_file(const std::filesystem::path& file);

/// Loads every `*.zone` file of `dir`, in name order. Two files with the same origin are an
/// error. Throws ZoneFileError on the first bad file; nothing partial is returned.
std::vector<std::shared_ptr<const Zone>> load_zone_dir(const std::filesystem::path& dir);

}  // namespace beacon::zone
