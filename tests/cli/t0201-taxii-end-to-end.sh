#!/bin/sh
# End to end over TAXII: objects POSTed to A's collection appear, after B's node syncs, in B's collection
# with the same ids and content, and in the log as A's signed entry; an auditor's node reads and cannot write;
# HTTPS with --tls-cert/--tls-key.
. "$(dirname "$0")/lib.sh"

mkparty auditor
CHARTER_ARGS="--auditor keys/auditor.pub" EXTRA_SIGNERS=auditor setup_channel
"$PARLEY" --home aud join c.json --key keys/auditor.key >/dev/null || fail "join aud"

PIDS=""
# start_taxii HOME [ARGS...]: sets URL_<HOME>, TOK_<HOME>
start_taxii() {
	h=$1; shift
	rm -f "$h.tport"
	"$PARLEY" --home "$h" taxii --listen 127.0.0.1:0 --port-file "$h.tport" --sync-interval 1 "$@" 2>>"$h.taxii.log" &
	pid=$!
	PIDS="$PIDS $pid"
	trap 'kill $PIDS $RELAY_PID 2>/dev/null; rm -rf "$T"' EXIT
	for _ in $(seq 1 200); do
		[ -s "$h.tport" ] && break
		kill -0 "$pid" 2>/dev/null || fail "taxii listener of $h did not start: $(tail -n 3 "$h.taxii.log")"
		sleep 0.05
	done
	[ -s "$h.tport" ] || fail "taxii listener of $h did not write its port"
	eval "PORT_$h=$(cat "$h.tport")"
	eval "TOK_$h=$("$PARLEY" --home "$h" taxii token)"
}
TAXII='application/taxii+json;version=2.1'
# get HOME PATH [curl args]: body in ./body
get() {
	h=$1 path=$2; shift 2
	eval "port=\$PORT_$h tok=\$TOK_$h"
	code=$(curl -s -o body -w '%{http_code}' -u "parley:$tok" -H "Accept: $TAXII" "$@" "${SCHEME:-http}://127.0.0.1:$port$path") ||
		fail "curl $path"
	NTESTS=$((NTESTS + 1))
	echo "$code"
}

start_taxii a
start_taxii b
start_taxii aud
COL=/taxii2/parley/collections/$CHANNEL

cat > env.json <<'EOF'
{"objects": [
 {"type":"indicator","spec_version":"2.1","id":"indicator--0a0b0c0d-1111-4222-8333-444455556666","created":"2026-03-01T10:00:00.000Z","modified":"2026-03-01T10:00:00.000Z","name":"C2 server","pattern":"[domain-name:value = 'c2.example.org']","pattern_type":"stix","valid_from":"2026-03-01T10:00:00Z","labels":["parley:category=ip-theft"],"object_marking_refs":["marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"]},
 {"type":"domain-name","spec_version":"2.1","id":"domain-name--bedb4899-d24b-5401-bc86-8f6b4cc18ec7","value":"c2.example.org"},
 {"type":"note","spec_version":"2.1","id":"note--0a0b0c0d-1111-4222-8333-444455556677","created":"2026-03-01T10:00:00.000Z","modified":"2026-03-01T10:00:00.000Z","content":"seen on 3 hosts \u00e9t\u00e9","object_refs":["indicator--0a0b0c0d-1111-4222-8333-444455556666"]}
]}
EOF
code=$(get a "$COL/objects/" -X POST -H "Content-Type: $TAXII" --data-binary @env.json)
[ "$code" = 202 ] || fail "POST to A: $code $(cat body)"
SID=$(jq -r .id body)
for _ in $(seq 1 300); do
	code=$(get a "/taxii2/parley/status/$SID/")
	[ "$(jq -r .status body)" = complete ] && break
	sleep 0.1
done
[ "$(jq -r .success_count body)" = 3 ] || fail "status: $(cat body)"
N=$(jq -r '.successes[0].message' body | sed 's/.* //')

# B's listener syncs on its own: wait until B's collection shows the objects
for _ in $(seq 1 300); do
	code=$(get b "$COL/objects/")
	[ "$(jq -r '.objects | length' body 2>/dev/null)" = 3 ] && break
	sleep 0.1
done
[ "$(jq -r '.objects | length' body)" = 3 ] || fail "B's collection: $(cat body)"
jq -S '.objects' body > b.objects
jq -S '.objects' env.json > sent.objects
cmp -s b.objects sent.objects || { diff sent.objects b.objects >&2; fail "B's objects differ from what A posted"; }
# the same in A's collection (A's own entry) and the same date_added on both sides
code=$(get a "$COL/manifest/")
jq -r '.objects[] | .id + " " + .date_added' body > a.manifest
code=$(get b "$COL/manifest/")
jq -r '.objects[] | .id + " " + .date_added' body > b.manifest
cmp -s a.manifest b.manifest || fail "manifests differ: $(cat a.manifest) / $(cat b.manifest)"

# in the log: A's signed notification to B; B's replica verifies
p 0 --home b show "$N"
has_out "cert-a"
has_out "notification"
has_out "c2.example.org"
has_out "^tlp: *red$"
p 0 --home b verify

# the auditor reads the entry's header only (it is sealed to the parties), and cannot write
code=$(get aud "$COL/")
[ "$code" = 200 ] || fail "auditor collection: $code"
[ "$(jq -r .can_write body)" = false ] || fail "the auditor's collection says can_write: $(cat body)"
code=$(get a "$COL/")
[ "$(jq -r .can_write body)" = true ] || fail "A's collection says it cannot write"
code=$(get aud "$COL/objects/" -X POST -H "Content-Type: $TAXII" --data-binary @env.json)
[ "$code" = 403 ] || fail "an auditor's POST: $code"
[ "$(jq -r .http_status body)" = 403 ] || fail "403 without the error object"

# B answers A's notification over TAXII: a response in the thread, seen by A
cat > reply.json <<'EOF'
{"objects": [{"type":"sighting","spec_version":"2.1","id":"sighting--0a0b0c0d-1111-4222-8333-444455559999","created":"2026-03-01T11:00:00.000Z","modified":"2026-03-01T11:00:00.000Z","sighting_of_ref":"indicator--0a0b0c0d-1111-4222-8333-444455556666","count":2}]}
EOF
code=$(get b "$COL/objects/" -X POST -H "Content-Type: $TAXII" -H "X-Parley-Thread: $N" --data-binary @reply.json)
[ "$code" = 202 ] || fail "B's reply: $code $(cat body)"
for _ in $(seq 1 300); do
	code=$(get a "$COL/objects/?match%5Btype%5D=sighting")
	[ "$(jq -r '.objects | length' body 2>/dev/null)" = 1 ] && break
	sleep 0.1
done
[ "$(jq -r '.objects[0].count' body)" = 2 ] || fail "A does not see B's sighting: $(cat body)"
p 0 --home a thread "$N"
has_out "response"

# HTTPS: the same listener with --tls-cert/--tls-key
openssl req -x509 -newkey rsa:2048 -nodes -keyout tls.key -out tls.crt -days 2 -subj /CN=127.0.0.1 \
	-addext "subjectAltName=IP:127.0.0.1" >/dev/null 2>&1 || fail "openssl"
rm -f tls.tport
"$PARLEY" --home b taxii --listen 127.0.0.1:0 --port-file tls.tport --tls-cert tls.crt --tls-key tls.key \
	--sync-interval 0 2>>tls.log &
PIDS="$PIDS $!"
trap 'kill $PIDS $RELAY_PID 2>/dev/null; rm -rf "$T"' EXIT
for _ in $(seq 1 200); do [ -s tls.tport ] && break; sleep 0.05; done
[ -s tls.tport ] || fail "the TLS listener did not start: $(cat tls.log)"
PORT_tls=$(cat tls.tport)
TOK_tls=$TOK_b
code=$(SCHEME=https get tls /taxii2/ --cacert tls.crt)
[ "$code" = 200 ] || fail "HTTPS discovery: $code"
[ "$(jq -r '.api_roots[0]' body)" = "https://127.0.0.1:$PORT_tls/taxii2/parley/" ] || fail "HTTPS api root: $(cat body)"
code=$(SCHEME=https get tls "$COL/objects/?match%5Btype%5D=note" --cacert tls.crt)
[ "$(jq -r '.objects[0].content' body)" = "seen on 3 hosts été" ] || fail "HTTPS objects: $(cat body)"
code=$(curl -s -o body -w '%{http_code}' -u "parley:$TOK_b" "http://127.0.0.1:$PORT_tls/taxii2/") && [ "$code" = 200 ] &&
	fail "plain HTTP answered on the TLS port"
done_ok
