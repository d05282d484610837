#!/bin/sh
# Builds the Debian package: packaging/build-deb.sh [BUILD_DIR]  (default: build-deb)
# A Release build of beacond and beaconctl, then CPack's DEB generator (dependencies computed
# with dpkg-shlibdeps). Prints the path of the .deb. Needs tools/deps.sh and dpkg-dev.
# Warnings are not errors here: a distribution build must not fail on a new compiler warning
# (GCC 12 -O3 reports a false -Wrestrict in std::string code).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build-deb}
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DBEACON_WERROR=OFF \
  -DCMAKE_SKIP_INSTALL_ALL_DEPENDENCY=ON >/dev/null
cmake --build "$build" -j"${JOBS:-2}" --target beacond beaconctl beacon_man_pages
(cd "$build" && cpack -G DEB -B "$build/package" >/dev/null)
deb=$(ls "$build"/package/beacon_*.deb)
echo "$deb"
