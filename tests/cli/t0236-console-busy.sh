#!/bin/sh
# t0236: the console while the standing node waits on a relay that does not answer. The node lock
# is held through run's own syncs and the commands it runs for node.sock (a 'parley sync' against a
# stopped relay holds it up to the client's 120 s timeout). The console's API then answers within
# PARLEY_CONSOLE_BUSY_WAIT_MS (2 s) with 503 "node busy" and Retry-After, having done nothing (an
# acknowledgement sent meanwhile is not in the log afterwards), the page's files still load, and
# once the relay answers again the same requests get 200. The old console waited for the lock: its
# answers came only when the sync gave up.
. "$(dirname "$0")/lib.sh"

setup_channel
p 0 --home a notify --to cert-b --category election-infrastructure --text "the notification b will not ack"
N=$(tail -n 1 out)
p 0 --home b sync

rm -f b/console.url
"$PARLEY" --home b run --console 127.0.0.1:0 2>b.run.log </dev/null &
RUN_PID=$!
SYNC_PID=
trap 'kill -CONT $RELAY_PID 2>/dev/null; kill $RUN_PID $RELAY_PID $SYNC_PID 2>/dev/null; rm -rf "$T"' EXIT
for _ in $(seq 1 400); do
	[ -s b/console.url ] && break
	kill -0 "$RUN_PID" 2>/dev/null || fail "run --console did not start: $(cat b.run.log)"
	sleep 0.05
done
URL=$(cat b/console.url)
BASE=${URL%%/#*}

# c EXPECTED METHOD PATH [curl args...]: body in ./body, headers in ./hdr, CODE and MS (duration)
c() {
	want=$1 method=$2 path=$3; shift 3
	t0=$(date +%s%N)
	CODE=$(curl -s -m 60 -o body -D hdr -w '%{http_code}' -X "$method" "$@" "$BASE$path") || CODE=timeout
	MS=$((($(date +%s%N) - t0) / 1000000))
	NTESTS=$((NTESTS + 1))
	[ "$want" = any ] || [ "$CODE" = "$want" ] || { cat body >&2; tail -n 5 b.run.log >&2; fail "$method $path: expected HTTP $want, got $CODE after $MS ms"; }
}
c 200 POST /api/session -H 'Content-Type: application/json' -d "{\"token\":\"${URL##*#token=}\"}"
CSRF=$(jq -r .csrf body)
COOKIE=$(tr -d '\r' <hdr | sed -n 's/^[Ss]et-[Cc]ookie: \(parley_console=[0-9a-f]*\).*/\1/p')
c 200 GET /api/attention -H "Cookie: $COOKIE"

# the relay stops answering (its connections are accepted and never served), and a command makes
# the node sync against it: the node lock stays held
kill -STOP "$RELAY_PID"
"$PARLEY" --home b sync >bsync.out 2>&1 &
SYNC_PID=$!
busy=0
for _ in $(seq 1 60); do
	c any GET /api/attention -H "Cookie: $COOKIE"
	[ "$CODE" = timeout ] && fail "the console did not answer within 60 s while the node synced"
	# waited at most 2 s for the lock; 10 s leaves room for a loaded machine, the old wait was 120 s
	[ "$MS" -lt 10000 ] || fail "GET /api/attention took $MS ms while the node synced (HTTP $CODE)"
	if [ "$CODE" = 503 ]; then busy=1; break; fi
	[ "$CODE" = 200 ] || fail "GET /api/attention: HTTP $CODE"
	sleep 0.2
done
[ $busy = 1 ] || fail "the console never saw the node busy (did the sync not reach the stopped relay?)"
kill -0 "$SYNC_PID" 2>/dev/null || fail "the sync against a stopped relay ended: $(cat bsync.out)"
jq -r .error body | grep -q "^node busy: a sync or a command is under way" || fail "503 body: $(cat body)"
tr -d '\r' <hdr | grep -qi '^Retry-After: 2$' || fail "no Retry-After: $(cat hdr)"
echo "503 node busy after $MS ms"
# reads and writes alike, and nothing is done: the acknowledgement is refused, not queued
c 503 GET "/api/channels/$CHANNEL/threads/$N" -H "Cookie: $COOKIE"
c 503 POST "/api/channels/$CHANNEL/threads/$N/acknowledge" -H "Cookie: $COOKIE" -H "X-CSRF-Token: $CSRF" -d '{"text":"seen"}'
[ "$MS" -lt 10000 ] || fail "POST acknowledge took $MS ms while the node synced"
# the page itself and the session need no node
c 200 GET / 
c 200 GET /api/session -H "Cookie: $COOKIE"

# the relay answers again: the sync ends, the console answers again
kill -CONT "$RELAY_PID"
wait "$SYNC_PID" || fail "the sync failed once the relay answered: $(cat bsync.out)"
SYNC_PID=
ok=0
for _ in $(seq 1 100); do
	c any GET /api/attention -H "Cookie: $COOKIE"
	[ "$CODE" = 200 ] && { ok=1; break; }
	sleep 0.2
done
[ $ok = 1 ] || fail "the console stayed busy after the relay came back: HTTP $CODE $(cat body)"
c 200 GET "/api/channels/$CHANNEL/threads/$N" -H "Cookie: $COOKIE"
[ "$(jq '[.entries[] | select(.type == "acknowledgement")] | length' body)" = 0 ] ||
	fail "the refused acknowledgement is in the log: $(cat body)"
jq -e '.actions | index("acknowledge")' body >/dev/null || fail "acknowledge no longer offered: $(cat body)"
kill -TERM "$RUN_PID"; wait "$RUN_PID" || fail "run did not stop cleanly: $(tail -n 5 b.run.log)"
done_ok
