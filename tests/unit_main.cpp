#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include "common/log.hpp"

int main(int argc, char** argv) {
  // The code under test logs its events; the test report is what matters here.
  beacon::log::set_level(beacon::log::Level::error);
  doctest::Context context(argc, argv);
  return context.run();
}
