#!/bin/sh
# Checks each built module: it exports exactly its module struct, and has no STB_GNU_UNIQUE symbols
# (which would make dlclose() a no-op and let the .so survive httpd's unload/reload on restart).
# Prints one TAP line per check, so build/run-tests.sh can count them.
set -u
n=0; fail=0
for so in "$@"; do
    base=$(basename "$so" .so)          # mod_mpm_prefork_cxx
    want="${base#mod_}_module"          # mpm_prefork_cxx_module
    exported=$(nm -D --defined-only "$so" | awk '$2 ~ /^[A-Za-z]$/ && $2 != "U" {print $3}' | sort | tr '\n' ' ')
    n=$((n+1))
    if [ "$exported" = "$want " ]; then echo "ok $n - $base exports only $want"
    else echo "not ok $n - $base exports: $exported"; fail=$((fail+1)); fi
    n=$((n+1))
    if readelf -Ws --dyn-syms "$so" | grep -q UNIQUE; then
        echo "not ok $n - $base has STB_GNU_UNIQUE symbols"; fail=$((fail+1))
    else echo "ok $n - $base has no STB_GNU_UNIQUE symbols"; fi
done
echo "1..$n"
exit $fail
