#!/bin/sh
# parley run --taxii: the standing node serves TAXII 2.1 (the same server as 'parley taxii
# --listen', over the node's own handle under its lock): discovery with the token, 401 without,
# what the other party sends shows in the collection, a POST becomes this party's signed entry,
# and the CLI keeps working through the node meanwhile.
. "$(dirname "$0")/lib.sh"

setup_channel
p 0 --home a notify --to cert-b --category election-infrastructure --text "first"

"$PARLEY" --home b run --taxii 127.0.0.1:0 --console 127.0.0.1:0 2>b.run.log </dev/null &
RUN_PID=$!
trap 'kill $RUN_PID $RELAY_PID 2>/dev/null; rm -rf "$T"' EXIT
for _ in $(seq 1 400); do
	grep -q 'TAXII 2.1 at' b.run.log && [ -s b/console.url ] && break
	kill -0 "$RUN_PID" 2>/dev/null || fail "run --taxii did not start: $(cat b.run.log)"
	sleep 0.05
done
PORT=$(sed -n 's|.*TAXII 2.1 at http://127.0.0.1:\([0-9]*\)/taxii2/.*|\1|p' b.run.log | head -n 1)
[ -n "$PORT" ] || fail "no TAXII line in the log: $(cat b.run.log)"
TX_URL="http://127.0.0.1:$PORT"
TOK=$(cat b/taxii.token) || fail "no taxii.token"
[ "$(stat -c %a b/taxii.token)" = 600 ] || fail "taxii.token is not 0600"
TAXII='application/taxii+json;version=2.1'
tx() {
	want=$1 method=$2 path=$3; shift 3
	got=$(curl -s -o body -D hdr -w '%{http_code}' -X "$method" -H "Accept: $TAXII" "$@" "$TX_URL$path") ||
		fail "curl $method $path"
	NTESTS=$((NTESTS + 1))
	[ "$got" = "$want" ] || { cat body >&2; tail -n 5 b.run.log >&2; fail "$method $path: expected HTTP $want, got $got"; }
}
j() {
	v=$(jq -r "$1" body) || fail "jq $1 on $(cat body)"
	[ "$v" = "$2" ] || fail "jq '$1': expected '$2', got '$v' in $(cat body)"
}

tx 401 GET /taxii2/
tx 401 GET /taxii2/ -u "parley:0000000000000000000000000000000000000000000000000000000000000000"
tx 200 GET /taxii2/ -u "parley:$TOK"
j .api_roots[0] "$TX_URL/taxii2/parley/"
tx 200 GET /taxii2/parley/collections/ -u "parley:$TOK"
CID=$(jq -r '.collections[0].id' body)
j '.collections[0].can_write' true

# a STIX notification from cert-a reaches b's collection once b's node has it (by long-poll)
cat >ind.json <<'JSON'
{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[
 {"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
  "created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z",
  "pattern":"[ipv4-addr:value = '198.51.100.1']","pattern_type":"stix","valid_from":"2024-01-01T00:00:00Z"}]}
JSON
p 0 --home a notify --to cert-b --category ip-theft --stix ind.json
for _ in $(seq 1 200); do
	tx 200 GET "/taxii2/parley/collections/$CID/objects/" -u "parley:$TOK"
	grep -q indicator--8e2e2d2b body && break
	sleep 0.1
done
grep -q indicator--8e2e2d2b body || fail "the indicator did not reach b's collection: $(cat body)"

# a POST to b's collection becomes b's signed entry, sent to cert-a
cat >env.json <<'JSON'
{"objects":[{"type":"indicator","spec_version":"2.1","id":"indicator--1f2e3d4c-5b6a-4789-8abc-def012345678",
  "created":"2024-02-01T00:00:00.000Z","modified":"2024-02-01T00:00:00.000Z",
  "pattern":"[domain-name:value = 'bad.example']","pattern_type":"stix","valid_from":"2024-02-01T00:00:00Z",
  "labels":["election-infrastructure"]}]}
JSON
tx 202 POST "/taxii2/parley/collections/$CID/objects/" -u "parley:$TOK" -H "Content-Type: $TAXII" --data-binary @env.json
SID=$(jq -r .id body)
for _ in $(seq 1 200); do
	tx 200 GET "/taxii2/parley/status/$SID/" -u "parley:$TOK"
	[ "$(jq -r .status body)" = complete ] && break
	sleep 0.1
done
j .status complete
# the CLI through the node, while the servers run
p 0 --home b inbox
has_out "cert-b"
p 0 --home a sync
p 0 --home a inbox
has_out "cert-b"
p 0 --home a verify
# the console and TAXII together: the console's API answers too
URL=$(cat b/console.url)
curl -s -o body -w '%{http_code}' "${URL%%/#*}/api/attention" >code || fail "curl console"
[ "$(cat code)" = 401 ] || fail "console without a cookie: $(cat code)"

p 2 --home b run --taxii nowhere
has_err "no port"
p 2 --home b run --taxii '::1:8443'
has_err "an IPv6 address goes in brackets"
p 2 --home b run --console 'bad host:1'
has_err "not a host name"
kill -TERM "$RUN_PID"; wait "$RUN_PID" || fail "run did not stop cleanly: $(tail -n 5 b.run.log)"
done_ok
