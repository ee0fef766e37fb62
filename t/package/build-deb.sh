#!/bin/bash
# Builds the Debian package(s) with the standard tools (dpkg-buildpackage -us -uc -b, debhelper with
# dh_apache2) in a temporary copy of the tree, so the working tree stays clean, and puts the .deb files
# in build/deb/ (or $MPMCXX_DEB_DIR). Installs missing build dependencies with apt-get when run as root.
# Prints the paths of the built .deb files; exit status 0 only on success.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
out=${MPMCXX_DEB_DIR:-$top/build/deb}

# Build-Depends of debian/control, plus the tools that read it.
need="dpkg-dev debhelper fakeroot apache2-dev libapr1-dev g++ make"
missing=""
for p in $need; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "build-deb: missing packages:$missing (run as root to install them)" >&2
        exit 1
    fi
    echo "build-deb: installing$missing" >&2
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing >&2
fi

work=$(mktemp -d /tmp/mpmcxx-deb.XXXXXX)
trap 'rm -rf "$work"' EXIT
src="$work/mpm-cxx"
mkdir -p "$src"

# The sources only: tracked and untracked-but-not-ignored files when this is a git checkout, otherwise
# the tree without build outputs.
cd "$top"
if git -C "$top" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git -C "$top" ls-files -z --cached --others --exclude-standard \
        | while IFS= read -r -d '' f; do [ -f "$f" ] && [ "${f#build/*/}" = "$f" ] && printf '%s\0' "$f"; done \
        | tar -c --null -T - -f - | tar -x -C "$src" -f -
else
    tar -c -f - --exclude=./.git --exclude='./build/*/*' --exclude=./t/tmp . | tar -x -C "$src" -f -
fi

jobs=$(nproc 2>/dev/null || echo 1)
log="$work/build.log"
if ! (cd "$src" && DEB_BUILD_OPTIONS="parallel=$jobs ${DEB_BUILD_OPTIONS:-}" dpkg-buildpackage -us -uc -b) > "$log" 2>&1; then
    tail -40 "$log" >&2
    echo "build-deb: dpkg-buildpackage failed" >&2
    exit 1
fi
grep -E '^dpkg-deb: building package' "$log" >&2 || true

mkdir -p "$out"
rm -f "$out"/*.deb "$out"/*.ddeb "$out"/*.changes "$out"/*.buildinfo
cp "$work"/*.deb "$out"/
cp "$work"/*.ddeb "$work"/*.changes "$work"/*.buildinfo "$out"/ 2>/dev/null || true
cp "$log" "$out/build.log"
ls "$out"/*.deb
