#!/bin/sh
# Installs the Debian 12 packages beacon needs. Idempotent and quiet when everything is there.
#   tools/deps.sh          build + run dependencies
#   tools/deps.sh --test   plus the DNS clients and tools the test suite drives
set -eu

build="cmake g++ make ccache pkg-config \
  libboost1.81-dev libboost-json1.81-dev libboost-program-options1.81-dev \
  libldns-dev libc-ares-dev libyaml-cpp-dev doctest-dev libsqlite3-dev libssl-dev"
test_tools="bind9-dnsutils knot-dnsutils ldnsutils dnsperf curl python3 iproute2 util-linux unbound dnsmasq-base mandoc groff-base dpkg-dev openssl"

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
# The tests run unbound in the foreground on their own ports: its package's system service
# (port 53, and resolv.conf where resolvconf is installed) must not run on the host.
# (dnsmasq-base is the binary alone, without the dnsmasq service.)
case " $missing " in *" unbound "*)
  if [ -d /run/systemd/system ]; then systemctl disable --now unbound.service unbound-resolvconf.service >/dev/null 2>&1 || true
  else invoke-rc.d unbound stop >/dev/null 2>&1 || true; fi
  update-rc.d unbound disable >/dev/null 2>&1 || true ;;
esac
