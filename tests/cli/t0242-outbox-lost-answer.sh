#!/bin/sh
# A post whose answer is lost (the relay committed it, the connection dropped before the
# answer): the running node keeps that very entry in its outbox, and the next sync finds it
# in the log (same bytes at its sequence number) and counts it delivered: nothing goes to
# outbox/refused/, nothing is sent twice, and the next post continues the chain.
# (Before: the outbox got a second composition of the post under the same sequence number,
# which the log contradicted, and the node moved it to refused/ with an error.)
. "$(dirname "$0")/lib.sh"

setup_channel
start_fake_relay mitm --pass "$RELAY_URL"
"$PARLEY" --home m join c.json --key keys/cert-a.key --relay "$FAKE_URL" >/dev/null || fail "join through the proxy"
"$PARLEY" --home m run --backoff-max 1 2>>mrun.log &
MPID=$!
trap 'kill $MPID $FAKE_PID $RELAY_PID 2>/dev/null; rm -rf "$T"' EXIT
for _ in $(seq 1 200); do
	"$PARLEY" --home m status >/dev/null 2>&1 && grep -q "command from the CLI" mrun.log && break
	sleep 0.05
done
p 0 --home m notify --to cert-b --category election-infrastructure --text "first"

touch mitm/drop
p 0 --home m notify --to cert-b --category election-infrastructure --text "answer lost"
[ -f mitm/dropped ] || fail "the proxy did not drop the answer"
[ "$(cat mitm/dropped)" = 201 ] || fail "the relay did not take the entry: $(cat mitm/dropped)"
[ "$(tail -n 1 out)" = queued ] || fail "a post without an answer is not queued: $(cat out)"

# the next sync recognises it; a later post continues the chain
p 0 --home m sync
for _ in $(seq 1 300); do
	[ -z "$(ls m/outbox/$CHANNEL 2>/dev/null)" ] && break
	sleep 0.05
done
[ -z "$(ls m/outbox/$CHANNEL 2>/dev/null)" ] || fail "outbox not emptied: $(ls m/outbox/$CHANNEL); $(tail -n 5 mrun.log)"
[ -z "$(ls m/outbox/refused 2>/dev/null)" ] || fail "an entry the relay took was moved to refused/: $(tail -n 5 mrun.log)"
p 0 --home m notify --to cert-b --category election-infrastructure --text "after"
[ "$(tail -n 1 out)" != queued ] || fail "the post after is queued: $(tail -n 5 mrun.log)"
grep -q 'level=error' mrun.log && fail "errors in the node's log: $(grep level=error mrun.log)"

p 0 --home b sync
p 0 --home b verify
p 0 --home b inbox
grep "cert-a .*notification" out > got
[ "$(wc -l < got)" = 3 ] || fail "b's inbox: $(cat out)"
[ "$(grep -c 'wrong-sequence\|broken-chain' relay.log)" = 0 ] || fail "the relay refused a resend: $(grep 'status=409' relay.log)"
done_ok
