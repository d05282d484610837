#!/bin/sh
# Fails if a module includes a header of a module it may not depend on (src/README.md), or
# if a module that must stay free of I/O includes Asio or Beast.
set -eu
src="${1:-$(dirname "$0")/../src}"

allowed() {
  case "$1" in
    common) echo "common" ;;
    dns) echo "dns common" ;;
    zone) echo "zone dns common" ;;
    answer) echo "answer zone dns common" ;;
    config) echo "config common" ;;
    server) echo "server answer zone dns common" ;;
    registry) echo "registry zone dns common" ;;
    http) echo "http registry common" ;;
    health) echo "health registry common" ;;
    app) echo "app http health registry server config answer zone dns common" ;;
    *) echo "" ;;
  esac
}

status=0
for dir in "$src"/*/; do
  module=$(basename "$dir")
  ok=$(allowed "$module")
  if [ -z "$ok" ]; then
    echo "src/$module: not in the dependency table of tests/check_module_deps.sh"; status=1; continue
  fi
  for file in "$dir"*.hpp "$dir"*.cpp; do
    [ -e "$file" ] || continue
    case "$file" in *_test.cpp) continue ;; esac
    for used in $(sed -n 's/^#include "\([a-z_]*\)\/.*/\1/p' "$file" | sort -u); do
      case " $ok " in *" $used "*) ;; *) echo "$file includes $used/, which $module may not use"; status=1 ;; esac
    done
    case "$module" in dns|zone|answer|registry)
      if grep -q '#include <boost/\(asio\|beast\)' "$file"; then echo "$file includes Asio/Beast"; status=1; fi ;;
    esac
  done
done
[ $status -eq 0 ] && echo "module dependencies ok"
exit $status
