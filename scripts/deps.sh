#!/bin/sh
# Install the Debian packages parley needs to build and test, when missing.
# Usage: scripts/deps.sh [--check] [--browser]   (--check only reports, exit 1 if any is missing;
# --browser: what the console's browser tests need instead (make check): Debian's chromium,
# and Node.js with npm when no 'node' or 'npm' command is there yet, whatever package gave them)
set -eu

if [ "${1:-}" = "--browser" ] || [ "${2:-}" = "--browser" ]; then
	missing=""
	command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
	command -v node >/dev/null 2>&1 || missing="$missing nodejs"
	command -v npm >/dev/null 2>&1 || missing="$missing npm"
	[ -z "$missing" ] && exit 0
	if [ "${1:-}" = "--check" ] || [ "$(id -u)" != 0 ]; then
		echo "parley: missing for the console's browser tests (t0220):$missing" >&2
		echo "install them as root with: apt-get update && apt-get install -y$missing" >&2
		exit 1
	fi
	echo "parley: installing:$missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -q $missing >/dev/null 2>&1 || {
		apt-get update -q >/dev/null
		apt-get install -y -q $missing >/dev/null
	}
	exit 0
fi

PKGS="meson ninja-build pkg-config gcc clang libclang-rt-14-dev \
libsodium-dev libjansson-dev libcmocka-dev libsqlite3-dev sqlite3 libssl-dev \
libmicrohttpd-dev libcurl4-openssl-dev libpcre2-dev openssl python3 \
libpq-dev postgresql \
scdoc man-db debhelper lintian fakeroot dpkg-dev"

missing=""
for p in $PKGS; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$st" in
	*"install ok installed"*) ;;
	*) missing="$missing $p" ;;
	esac
done

[ -z "$missing" ] && exit 0

if [ "${1:-}" = "--check" ]; then
	echo "missing packages:$missing" >&2
	exit 1
fi

if [ "$(id -u)" != 0 ]; then
	echo "parley: missing Debian packages:$missing" >&2
	echo "install them as root with:" >&2
	echo "  apt-get update && apt-get install -y$missing" >&2
	exit 1
fi

echo "parley: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q $missing >/dev/null 2>&1 || {
	apt-get update -q >/dev/null
	apt-get install -y -q $missing >/dev/null
}
