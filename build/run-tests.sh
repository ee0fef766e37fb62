#!/bin/bash
# Runs every test and ends with one plain line "N passed, N failed" (what CI reads).
#   unit tests (CppUTest, pure logic in common/), the symbol checks of each built module, and the
#   Apache::Test integration suite once per MPM in $TEST_MPMS (ours and their stock twins).
# Logs of each part go to build/test-logs/. Exit status: 0 only if nothing failed.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
logs="$top/build/test-logs"
mkdir -p "$logs"
SAN=${SAN:-}
TEST_MPMS=${TEST_MPMS-prefork_cxx prefork worker_cxx worker event_cxx event}
# TEST_DIRS: only these parts of t/ (e.g. "t/reliability t/root"); default everything.
TEST_DIRS=${TEST_DIRS-}
# The Debian package test changes the system's /etc/apache2 for its duration (root only, restored after).
PACKAGE_TEST=${TEST_PACKAGE-auto}  # TEST_PACKAGE=0 skips it, 1 forces it
passed=0
failed=0

san_subdir() {
    case "$SAN" in 1) echo san/ ;; thread) echo tsan/ ;; esac
}

count() {  # count PART PASSED FAILED
    echo "== $1: $2 passed, $3 failed"
    passed=$((passed + $2))
    failed=$((failed + $3))
}

count_summary() {  # count_summary PART LOG WHAT: from the "N passed, N failed" line that ends LOG
    local last
    last=$(tail -1 "$2")
    if [[ "$last" =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
        count "$1" "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}"
    else
        echo "   (no summary line; $3 did not finish)"; count "$1" 0 1
    fi
}

# --- unit tests -------------------------------------------------------------------------------------
unit_bin="$top/build/unit/unit-tests${SAN:+-$SAN}"
if [ -x "$unit_bin" ]; then
    "$unit_bin" -v > "$logs/unit.log" 2>&1
    rc=$?
    # CppUTest: "OK (31 tests, 31 ran, ...)" or "Errors (2 failures, 31 tests, 31 ran, ...)".
    ran=$(grep -Eo '[0-9]+ ran' "$logs/unit.log" | tail -1 | grep -Eo '[0-9]+')
    bad=$(grep -Eo 'Errors \([0-9]+ failures' "$logs/unit.log" | grep -Eo '[0-9]+' | tail -1)
    ran=${ran:-0}; bad=${bad:-0}
    if [ "$rc" != 0 ] && [ "$bad" = 0 ]; then bad=1; fi
    grep -E '^(TEST|.*Failure|.*error)' "$logs/unit.log" | grep -v ' - [0-9]* ms$' | head -20
    count "unit tests" $((ran - bad)) "$bad"
else
    echo "== unit tests: $unit_bin missing"; count "unit tests" 0 1
fi

# --- module symbols ---------------------------------------------------------------------------------
mods=$(ls "$top"/build/$(san_subdir)modules/mod_mpm_*.so 2>/dev/null)
if [ -n "$mods" ]; then
    # shellcheck disable=SC2086
    build/check-symbols.sh $mods > "$logs/symbols.log" 2>&1
    cat "$logs/symbols.log" | grep -v '^1\.\.'
    count "module symbols" "$(grep -c '^ok' "$logs/symbols.log")" "$(grep -c '^not ok' "$logs/symbols.log")"
else
    echo "== module symbols: no module built"; count "module symbols" 0 1
fi

# --- integration (Apache::Test, once per MPM) -------------------------------------------------------
# Sanitizer runs load our instrumented modules into apache2 through a wrapper that preloads the runtime;
# every report file the runtime writes counts as a failure.
san_dir=/tmp/mpmcxx-san
if [ -n "$SAN" ]; then
    rm -rf "$san_dir"; mkdir -p "$san_dir"; chmod 1777 "$san_dir"
    export MPMCXX_HTTPD="$top/build/sanitized-apache2.sh" MPMCXX_SAN="$SAN" MPMCXX_SAN_DIR="$san_dir"
fi
for mpm in $TEST_MPMS; do
    if [ ! -x "$top/t/run-integration" ]; then
        echo "== integration $mpm: t/run-integration missing"; count "integration $mpm" 0 1
        continue
    fi
    echo "== integration $mpm (log: $logs/integration-$mpm.log)"
    MPMCXX_MODULES="$top/build/$(san_subdir)modules" "$top/t/run-integration" "$mpm" $TEST_DIRS 2>&1 | tee "$logs/integration-$mpm.log" \
        | grep -E '^(t/.*(ok|FAILED|skipped|Failed)|Failed|Files=|Result:|not ok)' 
    count_summary "integration $mpm" "$logs/integration-$mpm.log" "the suite"
done

# --- the Debian package on Debian's own apache2 setup -----------------------------------------------
case "$PACKAGE_TEST" in 0) PACKAGE_TEST=no ;; 1) PACKAGE_TEST=yes ;; esac
if [ "$PACKAGE_TEST" = auto ]; then
    PACKAGE_TEST=no
    [ "$(id -u)" = 0 ] && [ -z "$SAN" ] && [ -z "$TEST_DIRS" ] && [ -x "$top/t/package/run" ] && PACKAGE_TEST=yes
fi
if [ "$PACKAGE_TEST" = yes ]; then
    echo "== package (log: $logs/package.log)"
    timeout 1200 "$top/t/package/run" > "$logs/package.log" 2>&1
    grep -E '^(not ok|#   )' "$logs/package.log" | head -40
    tail -1 "$logs/package.log" | grep -Eq '^[0-9]+ passed, [0-9]+ failed$' || tail -20 "$logs/package.log"
    count_summary "package" "$logs/package.log" "the package test"
fi

if [ -n "$SAN" ]; then
    reports=$(ls "$san_dir" 2>/dev/null | wc -l)
    if [ "$reports" != 0 ]; then
        head -50 "$san_dir"/* | tee "$logs/sanitizer-reports.log"
        count "sanitizer reports ($san_dir)" 0 "$reports"
    else
        count "sanitizer reports" 1 0
    fi
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
