// Any bytes as a master file: a Zone or a ZoneError naming file and line, nothing else.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "zone/master_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string path = "/tmp/beacon-fuzz-" + std::to_string(::getpid()) + "/example.test.zone";
  static const bool made = [] {
    std::system(("mkdir -p /tmp/beacon-fuzz-" + std::to_string(::getpid())).c_str());
    return true;
  }();
  (void)made;
  if (std::FILE* f = std::fopen(path.c_str(), "wb")) {
    std::fwrite(data, 1, size, f);
    std::fclose(f);
  }
  try {
    const beacon::zone::Zone zone = beacon::zone::load_zone_file(path);
    if (zone.node_count() == 0) std::abort();  // a loaded zone has at least its apex
  } catch (const beacon::zone::ZoneError&) {
  }
  return 0;
}
