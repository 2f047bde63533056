#!/bin/sh
# Install the Debian packages named on the command line, if any are missing.
# As root it uses apt-get; otherwise sudo when it needs no password; otherwise it says what to run.
set -eu
missing=""
for pkg in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $pkg"
    fi
done
[ -z "$missing" ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
    echo "sysdeps: not a Debian system; please install:$missing" >&2
    exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
else
    echo "sysdeps: these system packages are missing and I am not root:$missing" >&2
    echo "sysdeps: run: sudo apt-get install -y$missing   (tests that need them will be skipped)" >&2
    exit 0
fi
echo "sysdeps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086
$SUDO apt-get update -qq || echo "sysdeps: apt-get update failed; trying the cached lists" >&2
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
