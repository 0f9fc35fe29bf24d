#!/bin/sh
# A TAXII status resource outlives the server: a status id answered 202 is still answered after the
# listener restarts (HOME/taxii-status/ID.json, 0600); one still pending when the server stopped is
# a failure saying so; a damaged status file is left out (and removed), never served; at most 1024
# are kept, the oldest forgotten.
. "$(dirname "$0")/lib.sh"

setup_channel
PIDS=""
# start_taxii HOME: sets PORT_<HOME>, TOK_<HOME>, TAXII_PID
start_taxii() {
	h=$1; shift
	rm -f "$h.tport"
	"$PARLEY" --home "$h" taxii --listen 127.0.0.1:0 --port-file "$h.tport" --sync-interval 1 "$@" 2>>"$h.taxii.log" &
	TAXII_PID=$!
	PIDS="$PIDS $TAXII_PID"
	trap 'kill $PIDS $RELAY_PID 2>/dev/null; rm -rf "$T"' EXIT
	for _ in $(seq 1 200); do
		[ -s "$h.tport" ] && break
		kill -0 "$TAXII_PID" 2>/dev/null || fail "taxii listener of $h did not start: $(tail -n 3 "$h.taxii.log")"
		sleep 0.05
	done
	[ -s "$h.tport" ] || fail "taxii listener of $h did not write its port"
	eval "PORT_$h=$(cat "$h.tport")"
	eval "TOK_$h=$("$PARLEY" --home "$h" taxii token)"
}
stop_taxii() {
	kill -TERM "$TAXII_PID" 2>/dev/null
	wait "$TAXII_PID" 2>/dev/null
}
TAXII='application/taxii+json;version=2.1'
get() {
	h=$1 path=$2; shift 2
	eval "port=\$PORT_$h tok=\$TOK_$h"
	code=$(curl -s -o body -w '%{http_code}' -u "parley:$tok" -H "Accept: $TAXII" "$@" "http://127.0.0.1:$port$path") ||
		fail "curl $path"
	NTESTS=$((NTESTS + 1))
	echo "$code"
}

start_taxii a
COL=/taxii2/parley/collections/$CHANNEL
cat > env.json <<'EOF'
{"objects": [
 {"type":"indicator","spec_version":"2.1","id":"indicator--0a0b0c0d-1111-4222-8333-444455556666","created":"2026-03-01T10:00:00.000Z","modified":"2026-03-01T10:00:00.000Z","name":"C2 server","pattern":"[domain-name:value = 'c2.example.org']","pattern_type":"stix","valid_from":"2026-03-01T10:00:00Z","labels":["parley:category=ip-theft"]},
 {"type":"domain-name","spec_version":"2.1","id":"domain-name--bedb4899-d24b-5401-bc86-8f6b4cc18ec7","value":"c2.example.org"}
]}
EOF
code=$(get a "$COL/objects/" -X POST -H "Content-Type: $TAXII" --data-binary @env.json)
[ "$code" = 202 ] || fail "POST: $code $(cat body)"
SID=$(jq -r .id body)
for _ in $(seq 1 300); do
	code=$(get a "/taxii2/parley/status/$SID/")
	[ "$(jq -r .status body)" = complete ] && break
	sleep 0.1
done
[ "$(jq -r .success_count body)" = 2 ] || fail "status before the restart: $(cat body)"
cp body before.json
stop_taxii
[ -f "a/taxii-status/$SID.json" ] || fail "no saved status"
[ "$(stat -c %a "a/taxii-status/$SID.json")" = 600 ] || fail "the saved status is not 0600"
[ "$(stat -c %a a/taxii-status)" = 700 ] || fail "taxii-status/ is not 0700"

# what a previous run left: one pending (never posted), one damaged, and 1030 old ones
PENDING=11111111-2222-4333-8444-555555555555
BROKEN=22222222-3333-4444-8555-666666666666
python3 - "$PENDING" "$BROKEN" <<'PY' || fail "status files"
import json, sys, uuid
d = 'a/taxii-status/'
json.dump({'id': sys.argv[1], 'request_ms': 1790000000000, 'objects': [['indicator--0a0b0c0d-1111-4222-8333-444455556699', '2026-03-01T10:00:00.000Z']],
           'state': 0, 'reason': '', 'index': 0}, open(d + sys.argv[1] + '.json', 'w'))
open(d + sys.argv[2] + '.json', 'w').write('{"id": "' + sys.argv[2] + '", "request_ms": -1, "objects": 7')
for i in range(1030):
    u = str(uuid.UUID(int=i + 1, version=4))
    json.dump({'id': u, 'request_ms': 1000 + i, 'objects': [], 'state': 1, 'reason': '', 'index': i}, open(d + u + '.json', 'w'))
PY

start_taxii a
code=$(get a "/taxii2/parley/status/$SID/")
[ "$code" = 200 ] || fail "status after the restart: $code $(cat body)"
jq -S . body > after.json
jq -S . before.json > before-sorted.json
cmp -s after.json before-sorted.json || fail "the status changed across the restart: $(diff before-sorted.json after.json)"
code=$(get a "/taxii2/parley/status/$PENDING/")
[ "$code" = 200 ] || fail "the pending status: $code"
[ "$(jq -r '.status, .failure_count, .pending_count' body | tr '\n' ' ')" = "complete 1 0 " ] || fail "pending: $(cat body)"
jq -r '.failures[0].message' body | grep -q "stopped before it sent these objects: POST them again" || fail "pending reason: $(cat body)"
code=$(get a "/taxii2/parley/status/$BROKEN/")
[ "$code" = 404 ] || fail "a damaged status served: $code"
[ -f "a/taxii-status/$BROKEN.json" ] && fail "the damaged status file is kept"
# the bound: 1024 kept, the oldest (request_ms 1000..1007) forgotten
n=$(ls a/taxii-status | wc -l)
[ "$n" = 1024 ] || fail "$n statuses kept, not 1024"
code=$(get a "/taxii2/parley/status/00000000-0000-4000-8000-000000000001/")
[ "$code" = 404 ] || fail "the oldest status was kept"
code=$(get a "/taxii2/parley/status/00000000-0000-4000-8000-000000000009/")
[ "$code" = 200 ] || fail "a recent old status was not kept: $code"
grep -q "across restarts" body && fail "404 text in a 200"
# a new POST takes the oldest slot: still 1024 files
code=$(get a "$COL/objects/" -X POST -H "Content-Type: $TAXII" --data-binary @env.json)
[ "$code" = 202 ] || fail "POST after the restart: $code"
SID2=$(jq -r .id body)
[ -f "a/taxii-status/$SID2.json" ] || fail "the new status is not saved"
n=$(ls a/taxii-status | wc -l)
[ "$n" = 1024 ] || fail "$n statuses after a new one, not 1024"
stop_taxii
done_ok
