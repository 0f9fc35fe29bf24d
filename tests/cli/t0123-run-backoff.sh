#!/bin/sh
# A lost relay: the running node logs one line when it goes down and one when it is
# back (with how long), rings relay-down and relay-up, retries with capped back-off
# (no busy loop: little CPU while the relay is away), and catches up when it returns.
. "$(dirname "$0")/lib.sh"

setup_channel
PORT=$(cat relay.port)
cat > hook.sh <<'H'
#!/bin/sh
cat >> "$(dirname "$0")/events.jsonl"
H
chmod +x hook.sh
"$PARLEY" --home b run --backoff-max 1 --hook "$T/hook.sh" 2>brun.log &
BPID=$!
trap 'kill $BPID $RELAY_PID 2>/dev/null; rm -rf "$T"' EXIT
for _ in $(seq 1 200); do grep -q "node running" brun.log && break; sleep 0.05; done
grep -q "node running" brun.log || fail "the node did not start: $(cat brun.log)"
sleep 0.5

stop_relay
for _ in $(seq 1 200); do grep -q 'msg="relay down"' brun.log && break; sleep 0.05; done
grep -q 'level=warn msg="relay down" channel=[0-9a-f]* relay=http://127.0.0.1:[0-9]* since=20[0-9T:.-]*Z error=' brun.log ||
	fail "no relay-down line: $(cat brun.log)"
# CPU while the relay is away: a busy loop would burn seconds
cpu() { awk '{print $14 + $15}' /proc/$BPID/stat; }
c0=$(cpu)
sleep 4
c1=$(cpu)
[ $((c1 - c0)) -lt 100 ] || fail "the node used $((c1 - c0)) ticks of CPU in 4 s with the relay down (busy loop?)"
[ "$(grep -c 'msg="relay down"' brun.log)" = 1 ] || fail "more than one relay-down line: $(cat brun.log)"

# composed elsewhere while B's relay is away
start_relay relay "$PORT"
trap 'kill $BPID $RELAY_PID 2>/dev/null; rm -rf "$T"' EXIT
for _ in $(seq 1 200); do grep -q 'msg="relay back"' brun.log && break; sleep 0.05; done
grep -q 'level=info msg="relay back" channel=[0-9a-f]* relay=http://127.0.0.1:[0-9]* down_since=20[0-9T:.-]*Z down_for=[0-9]*\.[0-9]*s' brun.log ||
	fail "no relay-back line: $(cat brun.log)"
[ "$(grep -c 'msg="relay back"' brun.log)" = 1 ] || fail "more than one relay-back line"
p 0 --home a notify --to cert-b --category election-infrastructure --text "after the outage"
for _ in $(seq 1 100); do grep -q '"event":"notification"' events.jsonl 2>/dev/null && break; sleep 0.05; done
grep -q '"event":"notification"' events.jsonl || fail "no notification after the relay came back"
grep -q '"event":"relay-down"' events.jsonl || fail "no relay-down event"
grep -q '"event":"relay-up"' events.jsonl || fail "no relay-up event"
# a webhook that cannot be reached, and a hook that fails: logged, not fatal
kill -TERM $BPID; wait $BPID
"$PARLEY" --home b run --hook false --webhook http://127.0.0.1:1/none 2>brun2.log &
BPID=$!
for _ in $(seq 1 200); do grep -q "node running" brun2.log && break; sleep 0.05; done
p 0 --home a notify --to cert-b --category election-infrastructure --text "ring"
for _ in $(seq 1 200); do grep -q 'msg="webhook failed' brun2.log && grep -q 'msg="hook failed"' brun2.log && break; sleep 0.05; done
grep -q 'msg="hook failed"' brun2.log || fail "a failed hook is not logged: $(cat brun2.log)"
grep -q 'msg="webhook failed: will retry"' brun2.log || fail "a failed webhook is not logged"
kill -0 $BPID || fail "the node died of a failing hook"
p 0 --home b inbox
has_out "ring"
kill -TERM $BPID; wait $BPID || fail "run did not stop cleanly"
done_ok
