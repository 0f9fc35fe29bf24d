#!/bin/sh
# The CLI through the running node's socket: the same output and exit status as
# without it, no passphrase asked (the node holds the unlocked key), the
# passphrase file refused unless private, and one node per home.
. "$(dirname "$0")/lib.sh"

mkparty cert-a; mkparty relay
PARLEY_PASSPHRASE=sekrit "$PARLEY" keygen --name cert-b --out keys --kdf interactive >/dev/null 2>&1 || fail "keygen cert-b"
start_relay relay
"$PARLEY" charter new --title "test channel" --party keys/cert-a.pub --party keys/cert-b.pub \
	--scope election-infrastructure,ip-theft --relay "$RELAY_URL" --relay-key keys/relay.pub --out c.json || fail "charter"
"$PARLEY" charter sign --key keys/cert-a.key c.json 2>/dev/null || fail "sign a"
PARLEY_PASSPHRASE=sekrit "$PARLEY" charter sign --key keys/cert-b.key c.json 2>/dev/null || fail "sign b"
"$PARLEY" --home a join c.json --key keys/cert-a.key >/dev/null || fail "join a"
PARLEY_PASSPHRASE=sekrit "$PARLEY" --home b join c.json --key keys/cert-b.key >/dev/null || fail "join b"
p 0 --home a notify --to cert-b --category election-infrastructure --text "first"
PARLEY_PASSPHRASE=sekrit p 0 --home b sync
PARLEY_PASSPHRASE=sekrit p 0 --home b sync     # its own receipt in its replica too

# without a node, b's commands need the passphrase
p 1 --home b status
has_err "no passphrase"

# the passphrase file: refused unless this user's and private
printf 'sekrit\n' > pass
chmod 644 pass
p 1 --home b run --passphrase-file pass
has_err "mode 0600"
ln -s pass pass-link
chmod 600 pass
p 1 --home b run --passphrase-file pass-link
[ ! -e b/node.sock ] || fail "a socket after a refused start"
printf 'wrong\n' > wrong; chmod 600 wrong
p 1 --home b run --passphrase-file wrong
p 2 --home b run --bogus
has_err "unknown option"

# reference outputs without the node (PARLEY_PASSPHRASE given)
ref() { PARLEY_PASSPHRASE=sekrit "$PARLEY" --home b "$@" >"ref.$1.out" 2>"ref.$1.err" </dev/null; echo $? >"ref.$1.rc"; }
via() { "$PARLEY" --home b "$@" >"via.$1.out" 2>"via.$1.err" </dev/null; echo $? >"via.$1.rc"; }
ref status; ref inbox; ref thread 0; ref show 99; ref verify; ref ack --bogus; ref reply

"$PARLEY" --home b run --passphrase-file pass 2>brun.log </dev/null &
BPID=$!
trap 'kill $BPID $RELAY_PID 2>/dev/null; rm -rf "$T"' EXIT
for _ in $(seq 1 200); do [ -S b/node.sock ] && break; sleep 0.05; done
[ -S b/node.sock ] || fail "no node.sock: $(cat brun.log)"
# one node per home
p 1 --home b run --passphrase-file pass
has_err "in use by process"

# the same commands through the socket: no passphrase anywhere, same bytes, same status
# (status is compared after the node is idle: its own receipt is already in both views)
sleep 0.5
unset PARLEY_PASSPHRASE
via status; via inbox; via thread 0; via show 99; via verify; via ack --bogus; via reply
for c in status inbox thread show verify ack reply; do
	[ "$(cat ref.$c.rc)" = "$(cat via.$c.rc)" ] || fail "$c: exit $(cat ref.$c.rc) without the node, $(cat via.$c.rc) through it"
done
for c in inbox thread show ack reply; do
	cmp -s ref.$c.out via.$c.out || { diff ref.$c.out via.$c.out >&2; fail "$c: stdout differs"; }
	cmp -s ref.$c.err via.$c.err || { diff ref.$c.err via.$c.err >&2; fail "$c: stderr differs"; }
done
[ "$(cat via.show.rc)" = 1 ] && [ "$(cat via.ack.rc)" = 2 ] && [ "$(cat via.status.rc)" = 0 ] || fail "exit codes"
grep -q "first" via.inbox.out || fail "inbox through the socket"
grep -q 'command from the CLI' brun.log || fail "the commands did not go through the node"

# a command that writes: an ack through the node, then the node stays the only writer
p 0 --home b ack 0
p 0 --home b status
has_out "^0 .*acknowledged"
# standard input and relative paths reach the command
echo "we are looking" > reply.txt
p 0 --home b reply 0 --file reply.txt
echo "from stdin" | "$PARLEY" --home b reply 0 --text - >out 2>err || fail "reply from stdin"
p 0 --home a sync
p 0 --home a thread 0
has_out "we are looking"
has_out "from stdin"
kill -TERM $BPID; wait $BPID || fail "run did not stop cleanly"
[ ! -e b/node.sock ] || fail "node.sock left behind"
# without the node again: the passphrase is asked again
p 1 --home b status
has_err "no passphrase"
done_ok
