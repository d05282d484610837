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
for lib in libc-ares2 libldns3 libsqlite3-0 libyaml-cpp; do
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
echo "check_deb: ok: $(basename "$deb")"
