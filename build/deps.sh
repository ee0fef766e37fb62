#!/bin/sh
# Installs the Debian packages listed in build/deps.txt (and t/deps.txt, the test suite's own list)
# that are not installed yet. Needs root to install; without root it only reports what is missing.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
want=$(cat "$top/build/deps.txt" "$top/t/deps.txt" 2>/dev/null | sed -e 's/#.*//' -e '/^[[:space:]]*$/d' | sort -u)
missing=""
for p in $want; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
    echo "deps: missing packages:$missing (run as root, or: sudo apt-get install$missing)" >&2
    exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
# Debian starts the packaged apache2 on install where it can; our tests need its port-free state.
if command -v apache2ctl >/dev/null 2>&1 && pgrep -x apache2 >/dev/null 2>&1; then
    apache2ctl -k stop >/dev/null 2>&1 || true
fi
