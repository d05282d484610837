#!/bin/sh
# ctest packaging.deb: builds the .deb from BUILD_DIR with CPack and inspects it without
# installing it on this machine: the file list, control fields, conffiles, maintainer scripts,
# the unpacked binaries and man pages, and (where available) systemd-analyze verify.
#   packaging/check_deb.sh BUILD_DIR
set -eu
build=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "check_deb: $*" >&2; exit 1; }

(cd "$build" && cpack -G DEB -B "$tmp/out" >"$tmp/cpack.log" 2>&1) || { cat "$tmp/cpack.log" >&2; fail "cpack failed"; }
deb=$(ls "$tmp"/out/beacon_*.deb)

dpkg-deb -c "$deb" | awk '{print $6}' >"$tmp/files"
for f in ./usr/bin/beacond ./usr/bin/beaconctl ./etc/beacon/beacon.yaml ./etc/beacon/zones/ \
         ./lib/systemd/system/beacond.service ./usr/share/man/man1/beaconctl.1.gz \
         ./usr/share/man/man5/beacon.yaml.5.gz ./usr/share/man/man8/beacond.8.gz; do
  grep -qx "$f" "$tmp/files" || fail "$f is not in the package"
done

dpkg-deb -f "$deb" Depends | grep -q 'adduser' || fail "Depends lacks adduser"
for lib in libc-ares2 libldns3 libsqlite3-0 libyaml-cpp libssl3; do
  dpkg-deb -f "$deb" Depends | grep -q "$lib" || fail "Depends lacks $lib (dpkg-shlibdeps)"
done
dpkg-deb --ctrl-tarfile "$deb" | tar -x -C "$tmp" ./conffiles ./postinst ./prerm ./postrm
grep -qx /etc/beacon/beacon.yaml "$tmp/conffiles" || fail "beacon.yaml is not a conffile"
for s in postinst prerm postrm; do sh -n "$tmp/$s" || fail "$s is not valid sh"; done
grep -q 'adduser --system --group' "$tmp/postinst" || fail "postinst does not create the beacon user"

root="$tmp/root"
dpkg -x "$deb" "$root"
"$root/usr/bin/beacond" --version >/dev/null || fail "beacond does not run"
"$root/usr/bin/beaconctl" --version >/dev/null || fail "beaconctl does not run"
"$root/usr/bin/beacond" --check-config "$root/etc/beacon/beacon.yaml" >/dev/null 2>"$tmp/check" || {
  # The packaged config names /etc/beacon/zones; check it against the unpacked tree instead.
  sed "s#/etc/beacon/zones#$root/etc/beacon/zones#" "$root/etc/beacon/beacon.yaml" >"$tmp/beacon.yaml"
  "$root/usr/bin/beacond" --check-config "$tmp/beacon.yaml" >/dev/null || fail "the packaged beacon.yaml is refused"
}
for page in "$root"/usr/share/man/man*/*.gz; do
  gzip -dc "$page" | groff -ww -mdoc -Tutf8 -z 2>"$tmp/groff" || fail "$page does not render"
  [ ! -s "$tmp/groff" ] || { cat "$tmp/groff" >&2; fail "$page renders with warnings"; }
done

unit="$root/lib/systemd/system/beacond.service"
grep -q '^AmbientCapabilities=CAP_NET_BIND_SERVICE$' "$unit" || fail "the unit lacks CAP_NET_BIND_SERVICE"
grep -q '^User=beacon$' "$unit" || fail "the unit does not run as beacon"
if command -v systemd-analyze >/dev/null 2>&1; then
  # Verified with the binary paths pointing into the unpacked tree (nothing is installed).
  sed "s#/usr/bin/beacond#$root/usr/bin/beacond#g" "$unit" >"$tmp/beacond.service"
  systemd-analyze verify --man=no "$tmp/beacond.service" >"$tmp/verify" 2>&1 || { cat "$tmp/verify" >&2; fail "systemd-analyze verify failed"; }
  [ ! -s "$tmp/verify" ] || { cat "$tmp/verify" >&2; fail "systemd-analyze verify warns"; }
fi
# In CI (a throwaway machine, as root) the package is also installed for real with dpkg -i,
# checked, and purged. policy-rc.d keeps the service from starting meanwhile (it would take
# port 53); a developer's machine is never touched.
if [ "${CI:-}" = "true" ] && [ "$(id -u)" -eq 0 ]; then
  if dpkg-query -W -f='${Status}' beacon 2>/dev/null | grep -q "install ok installed"; then
    fail "a beacon package is already installed here; not replacing it"
  fi
  policy=/usr/sbin/policy-rc.d
  made_policy=""
  if [ -e "$policy" ]; then
    rc=0; "$policy" beacond start >/dev/null 2>&1 || rc=$?
    [ "$rc" -eq 101 ] || fail "$policy allows services to start; not installing beside it"
  else
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && made_policy=yes
  fi
  cleanup_install() {
    dpkg --purge beacon >/dev/null 2>&1 || true
    [ -z "$made_policy" ] || rm -f "$policy"
    rm -rf "$tmp"
  }
  trap cleanup_install EXIT
  DEBIAN_FRONTEND=noninteractive dpkg -i "$deb" >"$tmp/dpkg.log" 2>&1 || { cat "$tmp/dpkg.log" >&2; fail "dpkg -i failed"; }
  getent passwd beacon >/dev/null || fail "dpkg -i did not create the beacon user"
  [ "$(stat -c %U /var/lib/beacon)" = beacon ] || fail "/var/lib/beacon is not owned by beacon"
  /usr/bin/beacond --version >/dev/null || fail "the installed beacond does not run"
  man -w beaconctl >/dev/null 2>&1 || [ -f /usr/share/man/man1/beaconctl.1.gz ] || fail "beaconctl(1) is not installed"
  dpkg --purge beacon >"$tmp/dpkg.log" 2>&1 || { cat "$tmp/dpkg.log" >&2; fail "dpkg --purge failed"; }
  [ ! -e /usr/bin/beacond ] || fail "dpkg --purge left /usr/bin/beacond"
  echo "check_deb: dpkg -i installed it, dpkg --purge removed it"
fi
echo "check_deb: ok: $(basename "$deb")"
