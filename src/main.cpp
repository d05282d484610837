// beacond: authoritative DNS for service discovery. Everything lives in app/; see src/README.md.
#include "app/beacond.hpp"

int main(int argc, char** argv) { return beacon::app::beacond_main(argc, argv); }
