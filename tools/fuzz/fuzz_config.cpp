// Any bytes as beacon.yaml: a Config or a ConfigError naming the file, nothing else.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "config/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string path = "/tmp/beacon-fuzz-config-" + std::to_string(::getpid()) + ".yaml";
  if (std::FILE* f = std::fopen(path.c_str(), "wb")) {
    std::fwrite(data, 1, size, f);
    std::fclose(f);
  }
  try {
    beacon::config::load_file(path);
  } catch (const beacon::config::ConfigError& e) {
    if (std::string(e.what()).rfind(path, 0) != 0) std::abort();  // errors name the file
  }
  return 0;
}
