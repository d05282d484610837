#!/bin/sh
# Installs the Debian 12 packages beacon needs. Idempotent and quiet when everything is there.
#   tools/deps.sh          build + run dependencies
#   tools/deps.sh --test   plus the DNS clients and tools the test suite drives
set -eu

build="cmake g++ make ccache pkg-config \
  libboost1.81-dev libboost-json1.81-dev libboost-program-options1.81-dev \
  libldns-dev libc-ares-dev libyaml-cpp-dev doctest-dev libsqlite3-dev"
test_tools="bind9-dnsutils knot-dnsutils ldnsutils curl python3 iproute2"

wanted="$build"
[ "${1:-}" = "--test" ] && wanted="$build $test_tools"

missing=""
for p in $wanted; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "deps.sh: missing packages:$missing (run as root to install them)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
