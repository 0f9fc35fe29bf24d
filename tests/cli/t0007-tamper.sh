#!/bin/sh
# The relay's database altered behind its back: each change is refused by 'parley sync', precisely,
# and nothing forged reaches the replica.
. "$(dirname "$0")/lib.sh"

setup_channel
PORT=$(cat relay.port)
for i in 1 2 3; do
	"$PARLEY" --home a notify --to cert-b --category ip-theft --text "report $i" >/dev/null || fail "notify $i"
done
p 0 --home b sync     # B verifies 3 entries, then appends one batched receipt
V=3
"$PARLEY" --home a notify --to cert-b --category ip-theft --text "report 4" >/dev/null || fail "notify 4"
"$PARLEY" --home a notify --to cert-b --category ip-theft --text "report 5" >/dev/null || fail "notify 5"
stop_relay
cp relay.db pristine.db
cp -r b b.pristine
SIZE=$(python3 -c "import sqlite3; print(sqlite3.connect('relay.db').execute('select size from channels').fetchone()[0])")
[ "$SIZE" = 6 ] || fail "expected 6 entries in the relay, found $SIZE"

sql() { python3 -c "import sqlite3,sys; c=sqlite3.connect('relay.db'); $1; c.commit()" || fail "sql: $1"; }
truncate_to() { # K: cut the log back to K entries, as a relay restored from an old backup would
	sql "k=$1
c.execute('delete from entries where idx >= ?', (k,))
c.execute('delete from nodes where ((idx + 1) << level) > ?', (k,))
c.execute('delete from checkpoints where size > ?', (k,))
c.execute('delete from cosignatures where size > ?', (k,))
c.execute('update channels set size = ?', (k,))"
}
scenario() { # NAME EXPECTED-MESSAGE PYTHON
	rm -rf b relay.db-wal relay.db-shm
	cp pristine.db relay.db
	cp -r b.pristine b
	[ -n "$3" ] && sql "$3"
	start_relay relay "$PORT"
	p 1 --home b sync
	grep -q -- "$2" err || fail "$1: stderr lacks '$2'"
	p 0 --home b verify          # the replica is as it was: nothing forged was stored
	has_out "replica verified: $V entries"
	stop_relay
}

scenario "changed byte" "entry 5: signature does not verify for party cert-a" \
	"d=bytearray(c.execute('select data from entries where idx=5').fetchone()[0]); d[60]^=1; c.execute('update entries set data=? where idx=5', (bytes(d),))"
scenario "deleted entry" "the relay returned entry 5 where 4 was due" \
	"c.execute('delete from entries where idx=4')"
scenario "swapped entries" "entry 4 from cert-a: sequence number 5, expected 4" \
	"a=c.execute('select data from entries where idx=4').fetchone()[0]; b=c.execute('select data from entries where idx=5').fetchone()[0]; c.execute('update entries set data=? where idx=4', (b,)); c.execute('update entries set data=? where idx=5', (a,))"
scenario "changed integration time" "do not match the root its checkpoint signs" \
	"c.execute('update entries set integrated_ms = integrated_ms + 60000 where idx=5')"
scenario "integration time going back" "entry 4: integrated at .* before entry 3 .*: integration times go backwards" \
	"c.execute('update entries set integrated_ms = integrated_ms - 60000 where idx=4')"
scenario "integration time far from creation" "entry 3 from cert-b: created -7200 s away from its integration time" \
	"c.execute('update entries set integrated_ms = integrated_ms + 7200000 where idx=3')"

# rolled back to an old backup: detected, and the node stops trusting the relay
rm -rf b relay.db-wal relay.db-shm; cp pristine.db relay.db; cp -r b.pristine b
truncate_to 2
start_relay relay "$PORT"
p 1 --home b sync
has_err "fewer than the 3 this node verified: the relay rolled its log back"
has_err "SUSPECTED RELAY MISBEHAVIOUR (a suspicion, not a proof); this node now refuses the relay for this channel (observation: b/evidence-"
grep -q '"standing": "suspicion"' b/evidence-*.json || fail "a rollback is kept as a suspicion"
p 1 --home b sync
has_err "WARNING: .* relay of channel .* (rollback, suspected but not proven"
has_err "stopped trusting the relay"
p 1 check-evidence b/evidence-*.json  # the older checkpoint of an honest prefix proves nothing
has_err "not a proof: a rollback"
p 0 --home b resume
has_out "will talk to the relay again"

# ... and regrown differently to the same size: a fork, proven by two signed checkpoints
p 0 --home a2 join c.json --key keys/cert-a.key
p 0 --home a2 notify --to cert-b --category ip-theft --text "rewritten 1"
[ "$(tail -n 1 out)" = 2 ] || fail "the regrown log should have 3 entries"
rm -f b/evidence-*.json
p 1 --home b sync
has_err "two different roots for size 3"
grep -q '"standing": "proof"' b/evidence-*.json || fail "a fork is kept as a proof"
has_err "RELAY MISBEHAVIOUR, PROVEN"
p 0 check-evidence b/evidence-*.json
has_out "PROVEN: relay relay signed two different trees of size 3"
python3 -c "
import json, glob; d = json.load(open(glob.glob('b/evidence-*.json')[0])); d['checkpoints'][1] = d['checkpoints'][0]
json.dump(d, open('same.json', 'w'))"
p 1 check-evidence same.json
has_err "the same tree"
python3 -c "
import json, glob; d = json.load(open(glob.glob('b/evidence-*.json')[0])); d['checkpoints'][1] = d['checkpoints'][1].replace('\n3\n', '\n4\n')
json.dump(d, open('forged.json', 'w'))"
p 1 check-evidence forged.json
has_err "does not verify"

# ... and past it: history rewritten
p 0 --home b resume
p 0 --home a2 notify --to cert-b --category ip-theft --text "rewritten 2"
p 1 --home b sync
has_err "not a consistent extension of the verified size 3: its own consistency proof gives another root at that size"
has_err "RELAY MISBEHAVIOUR, PROVEN"
# the relay's proof carries its root at size 3 (not a power of two), which is not the verified one
p 0 check-evidence "$(ls -t b/evidence-*.json | head -n 1)"
has_out "PROVEN: relay relay signed a tree of size 3"
p 0 --home b verify
stop_relay

done_ok
