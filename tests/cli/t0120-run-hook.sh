#!/bin/sh
# parley run: the standing node rings its hook for a notification within 2 s of the
# sender's notify returning, answers a ping with no command typed on its side, sends
# the receipt at once, and stops cleanly on SIGTERM (the socket removed).
. "$(dirname "$0")/lib.sh"

setup_channel
cat > hook.sh <<'H'
#!/bin/sh
cat >> "$(dirname "$0")/events.jsonl"
H
chmod +x hook.sh
"$PARLEY" --home b run --hook "$T/hook.sh" 2>brun.log &
BPID=$!
trap 'kill $BPID $RELAY_PID 2>/dev/null; rm -rf "$T"' EXIT
for _ in $(seq 1 200); do [ -S b/node.sock ] && break; sleep 0.05; done
[ -S b/node.sock ] || fail "no node.sock: $(cat brun.log)"
[ "$(stat -c %a b/node.sock)" = 600 ] || fail "node.sock mode $(stat -c %a b/node.sock)"
grep -q 'level=info msg="node running"' brun.log || fail "no start line in the log"

# the notification's event, within 2 s of notify returning. The machine that runs the
# tests may be loaded (the node can lose the CPU for a second): up to three tries, one
# of which must ring within 2 s (times PARLEY_TIME_FACTOR); every one must ring.
ok=0 try=0 times=""
while [ $ok = 0 ] && [ $try -lt 3 ]; do
	p 0 --home a notify --to cert-b --category election-infrastructure --text "scanner at 10.0.0.7"
	idx=$(tail -n 1 out)
	start=$(date +%s%N)
	while ! grep -q "\"event\":\"notification\",\"channel\":\"[0-9a-f]*\",\"index\":$idx," events.jsonl 2>/dev/null; do
		[ $(( ($(date +%s%N) - start) / 1000000 )) -lt 20000 ] || fail "no notification event for $idx: $(cat brun.log)"
		sleep 0.02
	done
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
	times="$times $ms"
	[ $ms -lt $((2000 * ${PARLEY_TIME_FACTOR:-1})) ] && ok=1
	try=$((try + 1))
done
[ $ok = 1 ] || fail "no notification event within 2 s of notify returning (ms:$times): $(cat brun.log)"
python3 - <<'PY' || fail "event fields"
import json
ev = [json.loads(l) for l in open('events.jsonl') if l.strip()]
n = [e for e in ev if e['event'] == 'notification'][0]
assert len([e for e in ev if e['event'] == 'notification']) == len(set(e['index'] for e in ev if e['event'] == 'notification'))
assert n['index'] == 0 and n['thread'] == 0 and n['from'] == 'cert-a', n
assert n['type'] == 'notification' and n['category'] == 'election-infrastructure' and n['tlp'] == 'amber', n
assert n['summary'] == 'scanner at 10.0.0.7' and n['deadline'].endswith('Z') and n['time'].endswith('Z'), n
assert len(n['channel']) == 64, n
PY

# B's receipt is in the log without anyone typing on B's side
for _ in $(seq 1 100); do
	PARLEY_NO_NODE=1 "$PARLEY" --home a sync >/dev/null 2>&1
	"$PARLEY" --home a inbox 2>/dev/null | grep -q "cert-b .*receipt .*receipt for entry $idx$" && break
	sleep 0.1
done
"$PARLEY" --home a inbox | grep -q "cert-b .*receipt .*receipt for entry $idx$" || fail "no receipt from B's node"

# a ping is answered by B's node alone
p 0 --home a ping cert-b
PING=$(tail -n 1 out)
for _ in $(seq 1 100); do
	"$PARLEY" --home a sync >/dev/null 2>&1
	"$PARLEY" --home a inbox 2>/dev/null | grep -q "cert-b .*ping-response .*re $PING" && break
	sleep 0.1
done
p 0 --home a status
has_out "^$PING .*answered .*ping .*round trip"
for _ in $(seq 1 40); do grep -q '"event":"ping"' events.jsonl && break; sleep 0.05; done
grep -q '"event":"ping"' events.jsonl || fail "no ping event"

# a hook that fails is logged, not fatal: B still runs
kill -0 $BPID || fail "the node died"

# SIGTERM: a clean stop, the socket gone
kill -TERM $BPID
wait $BPID
rc=$?
[ $rc = 0 ] || fail "run exited $rc on SIGTERM: $(tail -n 5 brun.log)"
[ ! -e b/node.sock ] || fail "node.sock left behind"
grep -q 'msg="node stopping"' brun.log || fail "no stop line"
# logfmt: every line starts with time= and has level=
grep -v '^time=[0-9TZ:.-]* level=[a-z]* msg=' brun.log && fail "a log line that is not logfmt"
done_ok
