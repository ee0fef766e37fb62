#!/bin/bash
# Runs the upstream httpd test suite (apache/httpd-tests, the "perl framework") against one MPM.
# The suite is not part of this project and is never committed: point UPSTREAM_TESTS at a checkout.
#   UPSTREAM_TESTS=/path/to/httpd-tests build/upstream-tests.sh MPM [t/TEST args...]
# MPM: prefork_cxx, worker_cxx, event_cxx, or stock prefork, worker, event. The configuration loads
# every module Debian ships except the MPMs (and mod_perl, which the suite would drive itself), plus
# exactly one MPM. Runs in build/upstream-run/<MPM>/ as the unprivileged user mpmtest when root.
# Output: the suite's own summary; the list of failed files is in build/upstream-run/<MPM>/failed.txt.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
mpm=${1:?usage: UPSTREAM_TESTS=dir $0 MPM [t/TEST args]}
shift
src=${UPSTREAM_TESTS:?set UPSTREAM_TESTS to an apache/httpd-tests checkout}
case "$mpm" in
    *_cxx) so="$top/build/modules/mod_mpm_$mpm.so" ;;
    *)     so="/usr/lib/apache2/modules/mod_mpm_$mpm.so" ;;
esac
[ -f "$so" ] || { echo "no $so" >&2; exit 1; }
run="$top/build/upstream-run/$mpm"
rm -rf "$run"; mkdir -p "$run"
# A copy of the module: a rebuild during the run must not swap it under the server.
cp "$so" "$run/"; so="$run/$(basename "$so")"
cp -a "$src/." "$run/suite"
conf="$run/modules.conf"
{
    echo "LoadModule mpm_${mpm}_module $so"
    for m in /usr/lib/apache2/modules/mod_*.so; do
        b=$(basename "$m" .so); n=${b#mod_}
        case "$n" in mpm_*|perl) continue ;; esac
        echo "LoadModule ${n}_module $m"
    done
} > "$conf"
user=""
if [ "$(id -u)" = 0 ]; then
    id mpmtest >/dev/null 2>&1 || useradd --system --home-dir /nonexistent --shell /usr/sbin/nologin mpmtest
    chown -R mpmtest: "$run"
    user="runuser -u mpmtest --"
fi
cd "$run/suite"
$user env HOME="$run" APACHE_TEST_NO_STICKY_PREFERENCES=1 perl Makefile.PL -apxs /usr/bin/apxs -httpd /usr/sbin/apache2 > "$run/configure.log" 2>&1
$user env HOME="$run" APACHE_TEST_NO_STICKY_PREFERENCES=1 APACHE_TEST_NO_COLOR=1 \
    timeout 3600 t/TEST -httpd_conf "$conf" "$@" 2>&1 | tee "$run/suite.log" | grep -E '^(t/|Files=|Result|Failed|Tests=)'
grep -E '^t/.* (Failed|Dubious)' "$run/suite.log" | sed 's/ .*//' | sort -u > "$run/failed.txt"
grep -A200 '^Test Summary Report' "$run/suite.log" | grep -E '^t/' | sed 's/ .*//' | sort -u >> "$run/failed.txt"
sort -u -o "$run/failed.txt" "$run/failed.txt"
echo "failed files ($mpm): $(tr '\n' ' ' < "$run/failed.txt")"
# With LogLevel trace8 the suite's error log passes 1 GB: keep its tail only.
log="$run/suite/t/logs/error_log"
if [ -f "$log" ]; then tail -5000 "$log" > "$log.tail"; rm -f "$log"; fi
