#!/bin/sh
# Two relay processes on one PostgreSQL database (scripts/with-pg.sh, PARLEY_TEST_PG=1), one log
# identity: nodes reach the channel through either; each relay admits after the entries the
# other appended (chains, indexes), serves them, their proofs and the same signed checkpoints;
# appends through both at once never share an index; a relay killed with -9 loses nothing and,
# restarted, carries on where the other one got to.
. "$(dirname "$0")/lib.sh"
[ "${PARLEY_TEST_PG:-}" = 1 ] || fail "run me under scripts/with-pg.sh with PARLEY_TEST_PG=1"

mkparty cert-c
EXTRA_SIGNERS=cert-c CHARTER_ARGS="--party keys/cert-c.pub" setup_channel
A_URL=$RELAY_URL
A_PORT=$(cat relay.port)

# relay B: the same key and database; a second relay on one SQLite file would refuse to start
"$PARLEY" serve --key keys/relay.key --db "$RELAY_DB" --listen 127.0.0.1:0 --port-file relay2.port \
	2>>relay2.log &
B_PID=$!
trap 'kill $RELAY_PID $B_PID 2>/dev/null; rm -rf "$T"' EXIT
for _ in $(seq 1 200); do [ -s relay2.port ] && break; sleep 0.05; done
[ -s relay2.port ] || fail "relay B did not start: $(tail -n 3 relay2.log)"
B_URL="http://127.0.0.1:$(cat relay2.port)"
"$PARLEY" --home c join c.json --key keys/cert-c.key --relay "$B_URL" >/dev/null || fail "join c through B"

# a (through A) notifies c; c (through B) receives it and receipts; a sees the receipt B appended
p 0 --home a notify --to cert-c --category ip-theft --text "through A"
[ "$(tail -n 1 out)" = 0 ] || fail "first entry is not index 0"
p 0 --home c sync
has_out "1 received, 1 receipts sent"
p 0 --home c inbox
has_out "^0 .* cert-a .* notification .* through A"
p 0 --home a sync
p 0 --home a inbox
has_out "^1 .* cert-c .* receipt"
# A appends after B's entry (it read the log's size under the lock), and B after A's
p 0 --home a notify --to cert-c --category ip-theft --text "A again"
[ "$(tail -n 1 out)" = 2 ] || fail "A assigned $(tail -n 1 out), not 2, after B's append"
p 0 --home c notify --to cert-a --category ip-theft --text "through B"
[ "$(tail -n 1 out)" -gt 2 ] || fail "B assigned $(tail -n 1 out) after A's 2"
# B serves the entries A appended
p 0 --home a sync
p 0 api --relay "$B_URL" --key keys/cert-a.key GET "/v1/channels/$CHANNEL/entries?from=0"
has_out '"index":0,'
has_out '"index":2,'
p 0 --home b sync

# both at once: 12 notifications through each relay, every index once
( for i in $(seq 1 12); do "$PARLEY" --home a notify --to cert-c --category ip-theft --text "a$i" | tail -n 1; done ) \
	>a.idx 2>a.err &
PA=$!
( for i in $(seq 1 12); do "$PARLEY" --home c notify --to cert-a --category ip-theft --text "c$i" | tail -n 1; done ) \
	>c.idx 2>c.err &
PC=$!
wait $PA || fail "a's notifications through A: $(cat a.err)"
wait $PC || fail "c's notifications through B: $(cat c.err)"
[ "$(cat a.idx c.idx | grep -c '^[0-9][0-9]*$')" = 24 ] || fail "not 24 indexes: $(cat a.idx c.idx a.err c.err)"
[ "$(cat a.idx c.idx | sort -n | uniq | wc -l)" = 24 ] || fail "an index was assigned twice: $(cat a.idx c.idx | sort -n | tr '\n' ' ')"

for h in a b c; do p 0 --home $h sync; p 0 --home $h verify; done
SIZE=$("$PARLEY" --home a inbox | wc -l)
[ "$SIZE" -ge 28 ] || fail "a's replica holds $SIZE entries"

# the same proof and the same signed checkpoint (one key, deterministic signatures) from either relay
for r in A B; do
	eval url=\$${r}_URL
	p 0 api --relay "$url" --key keys/cert-b.key GET "/v1/channels/$CHANNEL/proof/inclusion?index=1&size=20"
	sed 1d out >proof.$r
	p 0 api --relay "$url" --key keys/cert-b.key GET "/v1/channels/$CHANNEL/checkpoint"
	sed 1d out | sed '/^— cert-/d' >cp.$r
done
cmp -s proof.A proof.B || fail "the relays' inclusion proofs differ"
[ -s cp.A ] && cmp -s cp.A cp.B || fail "the relays' latest checkpoints differ: $(cat cp.A cp.B)"

# kill -9 relay A; c carries on through B; A restarted reads what B appended and appends after it
kill -9 "$RELAY_PID"
wait "$RELAY_PID" 2>/dev/null
p 0 --home c notify --to cert-a --category ip-theft --text "while A is down"
N=$(tail -n 1 out)
p 0 --home c sync
start_relay relay "$A_PORT"
trap 'kill $RELAY_PID $B_PID 2>/dev/null; rm -rf "$T"' EXIT
p 0 --home a sync
p 0 --home a inbox
has_out "^$N .* cert-c .* while A is down"
p 0 --home a notify --to cert-c --category ip-theft --text "A is back"
[ "$(tail -n 1 out)" -gt "$N" ] || fail "A assigned $(tail -n 1 out) after $N"
for h in a b c; do p 0 --home $h sync; p 0 --home $h verify; done
p 0 --home c inbox
has_out "cert-a .* A is back"
grep -q "level=error" relay2.log && fail "relay B logged errors: $(grep level=error relay2.log | head -n 3)"
done_ok
