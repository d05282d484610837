// beaconctl: drives beacond from a shell. See cli.cpp and beaconctl(1).
#include "cli.hpp"

int main(int argc, char** argv) { return beacon::ctl::run(argc, argv); }
