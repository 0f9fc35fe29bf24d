#!/bin/sh
# One writer per home: while a sync holds the home (its fetch stalled in the relay), a second
# sync and a notify are refused with "home ... is in use by process PID" and exit 1,
# before they reach the relay; reading commands still work; once the first ends, the home is free.
. "$(dirname "$0")/lib.sh"

mkparty cert-c
CHARTER_ARGS="--party keys/cert-c.pub" EXTRA_SIGNERS=cert-c setup_channel
start_fake_relay mid --pass "$RELAY_URL"
"$PARLEY" --home c join c.json --key keys/cert-c.key --relay "$FAKE_URL" >/dev/null || fail "join c"
"$PARLEY" --home a notify --to cert-b,cert-c --category ip-theft --text "first" >/dev/null 2>&1 || fail "notify"

echo 0 > mid/hang
"$PARLEY" --home c sync >sync1.out 2>sync1.err &
pid=$!
for _ in $(seq 1 400); do
	[ -e mid/hung ] && break
	sleep 0.05
done
[ -e mid/hung ] || fail "the first sync never reached the relay"
[ "$(cat c/lock 2>/dev/null)" = "$pid" ] || fail "c/lock does not hold the first sync's PID $pid"

p 1 --home c sync
has_err "home c is in use by process $pid"
p 1 --home c notify --to cert-a --category ip-theft --text "second"
has_err "home c is in use by process $pid"
# reading the replica needs no lock
p 0 --home c verify
p 0 --home c inbox

rm -f mid/hang
wait "$pid" || fail "the first sync failed: $(cat sync1.err)"
grep -q "verified log of 1 entries" sync1.out || fail "the first sync: $(cat sync1.out)"
p 0 --home c sync
has_out "verified log of"
p 0 --home c notify --to cert-a --category ip-theft --text "now it goes"
done_ok
