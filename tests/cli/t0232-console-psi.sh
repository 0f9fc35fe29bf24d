#!/bin/sh
# The console's API for the rest of a thread's life and for PSI, against a real standing node:
# escalate (the text names the next rung) and close through the API, the actions offered as the
# thread moves on, the channel view (charter, size, checkpoint), a PSI request made through the
# console answered with the CLI, its result in the console, and one addressed to the console's
# party listed as needing an answer, then answered through the API.
. "$(dirname "$0")/lib.sh"

CHARTER_ARGS="--psi-min 1" setup_channel
p 0 --home a notify --to cert-b --category election-infrastructure --text "look at this"
N=$(tail -n 1 out)

"$PARLEY" --home b run --console 127.0.0.1:0 2>b.run.log </dev/null &
RUN_PID=$!
trap 'kill $RUN_PID $RELAY_PID 2>/dev/null; rm -rf "$T"' EXIT
for _ in $(seq 1 400); do
	[ -s b/console.url ] && break
	kill -0 "$RUN_PID" 2>/dev/null || fail "run --console did not start: $(cat b.run.log)"
	sleep 0.05
done
URL=$(cat b/console.url)
BASE=${URL%%/#*}
c() {
	want=$1 method=$2 path=$3; shift 3
	got=$(curl -s -o body -D hdr -w '%{http_code}' -X "$method" -b cookies -c cookies "$@" "$BASE$path") ||
		fail "curl $method $path"
	NTESTS=$((NTESTS + 1))
	[ "$got" = "$want" ] || { cat body >&2; tail -n 5 b.run.log >&2; fail "$method $path: expected HTTP $want, got $got"; }
}
j() {
	v=$(jq -r "$1" body) || fail "jq $1 on $(cat body)"
	[ "$v" = "$2" ] || fail "jq '$1': expected '$2', got '$v' in $(cat body)"
}
: >cookies
c 200 POST /api/session -d "{\"token\":\"${URL##*#token=}\"}"
H="X-CSRF-Token: $(jq -r .csrf body)"

# the thread reaches b's node by long-poll
for _ in $(seq 1 200); do
	c 200 GET /api/attention
	[ "$(jq '.threads | length' body)" = 1 ] && break
	sleep 0.1
done
j ".threads[0].opener" "$N"
j ".threads[0].deadline_kind" ack
c 200 POST "/api/channels/$CHANNEL/threads/$N/escalate" -H "$H" -d '{"text":"needs the diplomats"}'
E=$(jq -r .index body)
c 200 GET "/api/channels/$CHANNEL/threads/$N"
j '.escalations' 1
j "[.entries[] | select(.index == $E)][0].type" escalation
j "[.entries[] | select(.index == $E)][0].sender" cert-b
jq -r "[.entries[] | select(.index == $E)][0].text" body | grep -q "escalated to the .* level: needs the diplomats" ||
	fail "escalation text: $(cat body)"
c 200 POST "/api/channels/$CHANNEL/threads/$N/close" -H "$H" -d '{}'
c 200 GET "/api/channels/$CHANNEL/threads/$N"
j .state closed
j '.actions | length' 0
c 409 POST "/api/channels/$CHANNEL/threads/$N/close" -H "$H" -d '{}'
c 200 GET /api/attention
j '.threads | length' 0
p 0 --home a sync
p 0 --home a thread "$N"
has_out "needs the diplomats"
has_out "closed"

# the channel view
c 200 GET "/api/channels/$CHANNEL"
j .charter.title "test channel"
j '.parties | join(",")' "cert-a,cert-b"
[ "$(jq -r .size body)" -ge 4 ] || fail "channel size: $(cat body)"
[ "$(jq -r .checkpoint.size body)" -ge 1 ] || fail "no checkpoint: $(cat body)"

# PSI: b asks a through the console; a answers with the CLI; b's console shows the result
printf 'evil.example\n198.51.100.7\nonly-b.example\n' >b.txt
printf 'evil.example\n198.51.100.7\nonly-a.example\n' >a.txt
c 422 POST "/api/channels/$CHANNEL/psi/request" -H "$H" -d '{"to":"cert-a","indicators":"evil.example\nnot an indicator!"}'
jq -n --rawfile s b.txt '{to:"cert-a",indicators:$s,mode:"intersection"}' >req.json
c 200 POST "/api/channels/$CHANNEL/psi/request" -H "$H" --data-binary @req.json
R=$(jq -r .index body)
for _ in $(seq 1 100); do
	c 200 GET /api/attention
	[ "$(jq -r '[.psi_pending[] | select(.request == '"$R"')][0].state' body)" = pending ] && break
	sleep 0.1
done
c 200 GET "/api/channels/$CHANNEL/psi"
cp body psi.json
c 200 GET /api/attention
[ "$(jq -r '[.psi_pending[] | select(.request == '"$R"')][0].state' body)" = pending ] || fail "psi: $(cat psi.json)"
p 0 --home a sync
p 0 --home a psi respond "$R" --set a.txt
for _ in $(seq 1 200); do
	c 200 GET "/api/channels/$CHANNEL/psi"
	[ "$(jq -r '[.requests[] | select(.request == '"$R"')][0].state' body)" = answered ] && break
	sleep 0.1
done
j '[.requests[] | select(.request == '"$R"')][0].result.count' 2
j '[.requests[] | select(.request == '"$R"')][0].result.common | sort | join(",")' \
	"domain-name:evil.example,ipv4-addr:198.51.100.7"
# a asks b: listed as needing b's answer, answered through the console
p 0 --home a psi request --to cert-b --set a.txt --cardinality
R2=$(tail -n 1 out)
for _ in $(seq 1 200); do
	c 200 GET /api/attention
	[ "$(jq -r '[.psi_pending[] | select(.request == '"$R2"')][0].state' body)" = received ] && break
	sleep 0.1
done
j '[.psi_pending[] | select(.request == '"$R2"')][0].from' cert-a
jq -n --rawfile s b.txt '{indicators:$s}' >resp.json
c 200 POST "/api/channels/$CHANNEL/psi/$R2/respond" -H "$H" --data-binary @resp.json
j .refused false
p 0 --home a sync
p 0 --home a psi result "$R2"
has_err "2 in common"
c 200 GET /api/attention
j '[.psi_pending[] | select(.request == '"$R2"')] | length' 0

kill -TERM "$RUN_PID"; wait "$RUN_PID" || fail "run did not stop cleanly: $(tail -n 5 b.run.log)"
done_ok
