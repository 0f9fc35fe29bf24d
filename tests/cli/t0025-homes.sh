#!/bin/sh
# Homes and key files other users could tamper with are refused, naming the fix;
# a key "file" that is a FIFO, a device or a symbolic link fails at once, never blocks.
. "$(dirname "$0")/lib.sh"

setup_channel

# join creates the home 0700
[ "$(stat -c %a a)" = 700 ] || fail "join made home a mode $(stat -c %a a), not 700"
[ "$(stat -c %a a/charters)" = 700 ] || fail "join made a/charters mode $(stat -c %a a/charters)"

# a home others can write: every command that uses it refuses, naming chmod 700
chmod 0777 a
for cmd in sync inbox status verify; do
	p 1 --home a $cmd
	has_err "writable by other users (mode 0777)"
	has_err "chmod 700 a"
done
p 1 --home a notify --to cert-b --category election-infrastructure --text "must not go out"
has_err "chmod 700 a"
p 1 --home a psi policy --off
has_err "chmod 700 a"
p 1 --home a join c.json --key keys/cert-a.key
has_err "chmod 700 a"
chmod 0770 a
p 1 --home a sync
has_err "mode 0770"
chmod 0700 a
p 0 --home a sync

# a subdirectory it uses, likewise
chmod 0757 a/charters
p 1 --home a status
has_err "a/charters: .*writable by other users (mode 0757).*run: chmod 700 a/charters"
chmod 0700 a/charters
p 0 --home a status

# a home owned by another user (the tests may run as root: give it to nobody)
mkdir c && chmod 0700 c
if [ "$(id -u)" = 0 ] && chown nobody c 2>/dev/null; then
	p 1 --home c join c.json --key keys/cert-a.key
	has_err "owned by another user"
	cp -r a d && chown -R nobody d
	p 1 --home d status
	has_err "d: the node's home is owned by another user"
elif [ "$(id -u)" != 0 ]; then
	# not root: a directory root owns is another user's
	p 1 --home / status
	has_err "owned by another user"
else
	echo "skip: cannot chown a directory to nobody here"
fi

# a FIFO given as --key fails at once (the old code blocked in open(2) for a writer)
mkfifo fifo.key
chmod 600 fifo.key
start=$(date +%s)
timeout 10 "$PARLEY" charter sign --key fifo.key c.json >out 2>err </dev/null
st=$?
[ "$st" = 124 ] && fail "charter sign --key FIFO blocked"
[ "$st" = 1 ] || fail "charter sign --key FIFO: exit $st"
has_err "fifo.key: not a regular file"
timeout 10 "$PARLEY" --home e join c.json --key fifo.key >out 2>err </dev/null
st=$?
[ "$st" = 124 ] && fail "join --key FIFO blocked"
[ "$st" = 1 ] || fail "join --key FIFO: exit $st"
has_err "fifo.key: not a regular file"
[ $(($(date +%s) - start)) -lt 5 ] || fail "a FIFO key took seconds to refuse"

# a device, and a symbolic link to a good key
p 1 charter sign --key /dev/null c.json
has_err "not a regular file"
ln -s keys/cert-a.key link.key
p 1 charter sign --key link.key c.json
has_err "link.key: is a symbolic link"

# the key file check itself is unchanged
cp keys/cert-a.key open.key && chmod 644 open.key
p 1 charter sign --key open.key c.json
has_err "run: chmod 600 open.key"

done_ok
