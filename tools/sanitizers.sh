#!/bin/sh
# The whole test suite again, built with AddressSanitizer + UndefinedBehaviorSanitizer
# (the asan-ubsan preset, in build-asan/), then the tests that exercise threads (the unit tests
# and the integration suites where DNS, control and health threads run at once, reloads and
# registrations under query load) built with ThreadSanitizer (the tsan preset, in build-tsan/).
# Part of the README's test command: it runs when CI=true (or with --force) and is skipped
# otherwise, since it triples the build time.
#
# Every sanitizer report fails the run, whether or not the test that triggered it noticed:
# reports are written to files (ASAN_OPTIONS/UBSAN_OPTIONS log_path) and any file left there
# afterwards is printed and fails this script. UBSan is built with -fno-sanitize-recover, so
# undefined behaviour also aborts the process. ldns's own leaks are suppressed (tests/lsan.supp).
# The .deb test is left to the normal build: it packages that build, not this one.
set -eu
cd "$(dirname "$0")/.."
if [ "${CI:-}" != true ] && [ "${1:-}" != --force ]; then
  echo "sanitizers: skipped (runs when CI=true, or with --force)"
  exit 0
fi
reports=$(mktemp -d /tmp/beacon-sanitizer-reports.XXXXXX)
cmake --preset asan-ubsan >/dev/null
cmake --build --preset asan-ubsan
status=0
ASAN_OPTIONS="log_path=$reports/asan:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1" \
UBSAN_OPTIONS="log_path=$reports/ubsan:print_stacktrace=1:halt_on_error=1" \
  ctest --test-dir build-asan -j2 --output-on-failure -E '^packaging' || status=$?

cmake --preset tsan >/dev/null
cmake --build --preset tsan
# TSan cannot start under a kernel with more ASLR entropy than it supports (vm.mmap_rnd_bits
# above 28 gives "unexpected memory mapping"); then run the tests with ASLR off for them.
tsan_run=""
build-tsan/tests/unit_tests --version >/dev/null 2>&1 || tsan_run="setarch $(uname -m) -R"
TSAN_OPTIONS="log_path=$reports/tsan:second_deadlock_stack=1" \
  $tsan_run ctest --test-dir build-tsan -j2 --output-on-failure \
  -R '^(unit|integration\.(registry|registry_api|health|tcp|rrl|observability|reload_config))$' || status=$?

# A log file holding only LSan's "Suppressions used" table (ldns's known leak) is no finding.
for f in "$reports"/*; do
  [ -e "$f" ] || continue
  if grep -qE 'ERROR: |WARNING: ThreadSanitizer|runtime error|SUMMARY: ' "$f"; then
    echo "== sanitizer report $f"
    cat "$f"
    status=1
  fi
done
rm -rf "$reports"
[ "$status" -eq 0 ] && echo "sanitizers: the suite passed under ASan+UBSan, the threading tests under TSan, with no report" ||
  echo "sanitizers: FAILED (status $status)"
exit "$status"
