#!/bin/sh
# The outbox: entries composed through the running node while the relay is down are
# kept in the home (shown by status), sent in order when it is back, and a node
# killed with SIGKILL during the burst loses none and sends none twice; an entry
# the relay already integrated (a node killed before it deleted the file) is
# recognised by its sequence number and hash and not sent again.
. "$(dirname "$0")/lib.sh"

setup_channel
PORT=$(cat relay.port)
start_node() {
	"$PARLEY" --home a run --backoff-max 1 2>>arun.log &
	APID=$!
	trap 'kill -9 $APID 2>/dev/null; kill $RELAY_PID 2>/dev/null; rm -rf "$T"' EXIT
	for _ in $(seq 1 200); do
		"$PARLEY" --home a status >/dev/null 2>&1 && grep -q "command from the CLI" arun.log && break
		sleep 0.05
	done
}
start_node
p 0 --home a notify --to cert-b --category election-infrastructure --text "before the outage"
stop_relay

N=15
for i in $(seq 1 $N); do
	p 0 --home a notify --to cert-b --category election-infrastructure --text "burst $i"
	[ "$(tail -n 1 out)" = queued ] || fail "notify $i while the relay is down: $(cat out)"
	has_out "queued in the outbox"
done
p 0 --home a ping cert-b
[ "$(tail -n 1 out)" = queued ] || fail "ping while the relay is down"
p 0 --home a status
has_out "^outbox: $((N + 1)) entries waiting for the relay"
[ "$(ls a/outbox/$CHANNEL | wc -l)" = $((N + 1)) ] || fail "outbox files"
cp -r a/outbox saved-outbox

# the relay returns; the node is killed with SIGKILL while it sends the burst
start_relay relay "$PORT"
for _ in $(seq 1 400); do
	[ "$(grep -c 'entry appended.*sender=cert-a' relay.log)" -ge 4 ] && break
	sleep 0.01
done
kill -9 $APID
wait $APID 2>/dev/null
start_node
for _ in $(seq 1 300); do
	[ -z "$(ls a/outbox/$CHANNEL 2>/dev/null)" ] && break
	sleep 0.05
done
[ -z "$(ls a/outbox/$CHANNEL)" ] || fail "outbox not empty: $(ls a/outbox/$CHANNEL); $(tail -n 5 arun.log)"

# a node killed between the relay's answer and the delete: the files come back
kill -TERM $APID; wait $APID
cp saved-outbox/$CHANNEL/* a/outbox/$CHANNEL/
start_node
for _ in $(seq 1 300); do
	[ -z "$(ls a/outbox/$CHANNEL 2>/dev/null)" ] && break
	sleep 0.05
done
[ -z "$(ls a/outbox/$CHANNEL)" ] || fail "resent outbox not recognised: $(tail -n 5 arun.log)"
p 0 --home a sync
p 0 --home a status
grep -q "^outbox" out && fail "status still shows an outbox"
# each entry of the burst exactly once, in order, and cert-a's chain unbroken
p 0 --home a inbox
grep "cert-a .*notification" out | sed 's/.*election-infrastructure  //' > texts
printf 'before the outage\n' > want
for i in $(seq 1 $N); do echo "burst $i"; done >> want
cmp -s texts want || { diff want texts >&2; fail "the burst in the log is not each entry once, in order"; }
[ "$(grep -c 'cert-a .*ping ' out)" = 1 ] || fail "the ping not exactly once"
[ "$(grep -c 'wrong-sequence\|broken-chain' relay.log)" = 0 ] || true
p 0 --home a verify
grep -q 'level=error' arun.log && fail "errors in the node's log: $(grep level=error arun.log)"
done_ok
