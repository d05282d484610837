#pragma once
// beaconctl's command line: finds the command, parses its flags with the global ones, prints
// help, runs it, and turns every failure into a message and an exit status.

namespace beacon::ctl {

/// The whole program; returns the exit status (exit_status.hpp).
int run(int argc, const char* const* argv);

}  // namespace beacon::ctl
