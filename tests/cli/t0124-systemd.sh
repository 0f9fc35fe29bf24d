#!/bin/sh
# contrib/systemd: the relay's unit and the node's template unit are hardened as
# README.md says, and `systemd-analyze verify` accepts them (when it exists).
. "$(dirname "$0")/lib.sh"

for u in parley-relay.service parley-node@.service; do
	f="$SRCDIR/contrib/systemd/$u"
	[ -f "$f" ] || fail "no $u"
	for d in NoNewPrivileges=yes ProtectSystem=strict ReadWritePaths= PrivateTmp=yes ProtectHome=yes \
		CapabilityBoundingSet= SystemCallFilter=@system-service UMask=0077; do
		grep -q "^$d" "$f" || fail "$u lacks $d"
	done
done
grep -q '^LoadCredentialEncrypted=passphrase:' "$SRCDIR/contrib/systemd/parley-node@.service" ||
	fail "the node's unit does not load its passphrase as a credential"
grep -q '^ExecStart=.* --home /var/lib/parley/%i run$' "$SRCDIR/contrib/systemd/parley-node@.service" ||
	fail "the node's unit does not run 'parley run' on its instance's home"
grep -q '^ExecReload=.*-HUP' "$SRCDIR/contrib/systemd/parley-node@.service" || fail "no reload by SIGHUP"
if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "systemd-analyze not found: the units were not verified"
	done_ok
fi
# the units name the installed binary; verify them against the one built here
sed "s|/usr/local/bin/parley|$PARLEY|" "$SRCDIR/contrib/systemd/parley-relay.service" > parley-relay.service
sed "s|/usr/local/bin/parley|$PARLEY|" "$SRCDIR/contrib/systemd/parley-node@.service" > parley-node@test.service
run 0 systemd-analyze verify --man=no ./parley-relay.service ./parley-node@test.service
grep -v "^$" err | grep -iv "Failed to connect\|bus\|/run/systemd\|Operation not permitted\|unmerged-usr" && fail "systemd-analyze complains"
done_ok
