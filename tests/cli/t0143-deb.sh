#!/bin/sh
# t0143: the Debian package made by 'make deb' installs with dpkg -i (a parley system user, the command,
# its manual, completion, the relay's unit), runs, and purges without leaving the user or its state.
# Needs root, dpkg and a .deb in PARLEY_DEB_DIR (default SRCDIR/build-deb): 'make test-deb' does all.
SRCDIR=${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
PARLEY=${PARLEY:-/usr/bin/parley}
. "$SRCDIR/tests/cli/lib.sh"

dir=${PARLEY_DEB_DIR:-$SRCDIR/build-deb}
[ "$(id -u)" = 0 ] || { echo "skip: installing a package needs root (run 'make test-deb' as root)"; exit 77; }
command -v dpkg >/dev/null 2>&1 || { echo "skip: no dpkg on this machine"; exit 77; }
deb=$(ls "$dir"/parley_*.deb 2>/dev/null | head -n 1)
[ -n "$deb" ] || { echo "skip: no package in $dir (run 'make deb' first)"; exit 77; }
if dpkg-query -W -f='${Status}' parley 2>/dev/null | grep -q "install ok installed"; then
	echo "skip: a parley package is already installed on this machine; not touching it"
	exit 77
fi
trap 'dpkg --purge parley >/dev/null 2>&1; rm -rf "$T"' EXIT

run 0 dpkg -i "$deb"
run 0 /usr/bin/parley --version
has_out "^parley [0-9]"
run 0 man -w parley
has_out "parley.1"
run 0 man -w parley-serve
run 0 getent passwd parley
[ -f /usr/share/bash-completion/completions/parley ] || fail "no bash completion installed"
[ -f /lib/systemd/system/parley-relay.service ] || [ -f /usr/lib/systemd/system/parley-relay.service ] ||
	fail "no parley-relay.service installed"
[ "$(stat -c %a:%U /var/lib/parley)" = "700:parley" ] || fail "/var/lib/parley is not 0700 parley"
run 0 dpkg --purge parley
[ ! -e /usr/bin/parley ] || fail "purge leaves /usr/bin/parley"
getent passwd parley >/dev/null && fail "purge leaves the parley user"
[ ! -e /var/lib/parley ] || fail "purge leaves /var/lib/parley"
trap 'rm -rf "$T"' EXIT
done_ok
