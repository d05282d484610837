#pragma once

namespace beacon::app {

/// beacond's entry point: flags, --check-config, --version, or serve. Returns the exit code.
int beacond_main(int argc, const char* const* argv);

}  // namespace beacon::app
