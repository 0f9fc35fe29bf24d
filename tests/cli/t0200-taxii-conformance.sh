#!/bin/sh
# TAXII 2.1 conformance of 'parley taxii --listen', driven with raw HTTP (curl) on 127.0.0.1: every
# endpoint, filter, pagination edge, error code and header; Basic authentication with the home's token.
. "$(dirname "$0")/lib.sh"

setup_channel

# start_taxii HOME: the listener of HOME on a free port; sets TX_URL, TX_PID, TOK
start_taxii() {
	rm -f "$1.tport"
	"$PARLEY" --home "$1" taxii --listen 127.0.0.1:0 --port-file "$1.tport" --sync-interval 1 2>>"$1.taxii.log" &
	TX_PID=$!
	for _ in $(seq 1 200); do
		[ -s "$1.tport" ] && break
		kill -0 "$TX_PID" 2>/dev/null || fail "taxii listener of $1 did not start: $(tail -n 3 "$1.taxii.log")"
		sleep 0.05
	done
	[ -s "$1.tport" ] || fail "taxii listener of $1 did not write its port"
	TX_URL="http://127.0.0.1:$(cat "$1.tport")"
	TOK=$("$PARLEY" --home "$1" taxii token) || fail "taxii token"
	trap 'kill $TX_PID $RELAY_PID 2>/dev/null; rm -rf "$T"' EXIT
}

TAXII='application/taxii+json;version=2.1'
# tx EXPECTED_STATUS METHOD PATH [curl args...]: body in ./body, headers in ./hdr
tx() {
	want=$1 method=$2 path=$3; shift 3
	got=$(curl -s -o body -D hdr -w '%{http_code}' -X "$method" -u "parley:$TOK" -H "Accept: ${ACCEPT:-$TAXII}" "$@" \
		"$TX_URL$path") || fail "curl $method $path"
	NTESTS=$((NTESTS + 1))
	[ "$got" = "$want" ] || { cat body >&2; cat "$T/a.taxii.log" >&2 2>/dev/null; fail "$method $path: expected HTTP $want, got $got"; }
}
# j FILTER EXPECTED: a jq filter on ./body
j() {
	v=$(jq -r "$1" body) || fail "jq $1 on $(cat body)"
	[ "$v" = "$2" ] || fail "jq '$1': expected '$2', got '$v' in $(cat body)"
}
hdr_is() { tr -d '\r' <hdr | grep -qiF -x "$1: $2" || fail "header $1 is not '$2': $(cat hdr)"; }
hdr_val() { grep -i "^$1:" hdr | sed 's/^[^:]*: *//; s/\r$//'; }

# the token: created 0600 on first use, 64 hex digits
"$PARLEY" --home a taxii token >tok1 || fail "taxii token"
[ "$(stat -c %a a/taxii.token)" = 600 ] || fail "taxii.token is not 0600"
grep -qE '^[0-9a-f]{64}$' tok1 || fail "token is not 64 hex digits"
p 0 --home a taxii token
[ "$(cat out)" = "$(cat tok1)" ] || fail "the token changed without --rotate"
p 0 taxii --help
has_out "taxii --listen HOST:PORT"
p 2 --home a taxii --listen nowhere

start_taxii a
CID=$(python3 -c "import uuid,sys; print(uuid.uuid5(uuid.UUID('8c1e5d3a-470b-4f9e-a261-0d7c9355e12f'), sys.argv[1]))" "$CHANNEL")
COL=/taxii2/parley/collections/$CID

# authentication: none, wrong user, wrong token -> 401 with the error object and nothing else
code=$(curl -s -o body -D hdr -w '%{http_code}' -H "Accept: $TAXII" "$TX_URL/taxii2/parley/collections/")
[ "$code" = 401 ] || fail "no credentials: $code"
grep -qi '^WWW-Authenticate: Basic' hdr || fail "401 without WWW-Authenticate"
grep -q "$CID" body && fail "401 leaks the collection"
j .http_status 401
code=$(curl -s -o body -w '%{http_code}' -u "parley:0000$TOK" -H "Accept: $TAXII" "$TX_URL/taxii2/")
[ "$code" = 401 ] || fail "wrong token: $code"
code=$(curl -s -o body -w '%{http_code}' -u "admin:$TOK" -H "Accept: $TAXII" "$TX_URL/taxii2/")
[ "$code" = 401 ] || fail "wrong user: $code"
code=$(curl -s -o body -w '%{http_code}' -u "parley:$TOK" -H "Accept: $TAXII" "$TX_URL/taxii2/parley/collections/nope/objects/")
[ "$code" = 404 ] || fail "good token, unknown collection: $code"

# discovery, API root, collections
tx 200 GET /taxii2/
hdr_is Content-Type "$TAXII"
j '.api_roots | length' 1
j '.api_roots[0]' "$TX_URL/taxii2/parley/"
j .default "$TX_URL/taxii2/parley/"
tx 200 GET /taxii2/parley/
j '.versions[0]' "$TAXII"
j .max_content_length 1048576
tx 200 GET /taxii2/parley/collections/
j '.collections | length' 1
j '.collections[0].id' "$CID"
j '.collections[0].title' "test channel"
j '.collections[0].can_read' true
j '.collections[0].can_write' true
j '.collections[0].media_types[0]' 'application/stix+json;version=2.1'
tx 200 GET "$COL/"
j .id "$CID"
j .alias "$CHANNEL"
tx 200 GET "/taxii2/parley/collections/$CHANNEL/"
j .id "$CID"

# paths end with '/'; unknown resources; methods
tx 404 GET /taxii2
j .http_status 404
tx 404 GET "$COL"
tx 404 GET "$COL/objects"
tx 404 GET /taxii2/parley/collections/00000000-0000-5000-8000-000000000000/objects/
tx 404 GET /taxii2/other/
tx 404 GET /taxii2/parley/status/00000000-0000-4000-8000-000000000000/
tx 405 DELETE "$COL/objects/indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f/"
tx 405 POST /taxii2/parley/collections/

# content negotiation: a bare application/taxii+json is 2.1; other types and versions are refused
ACCEPT="application/taxii+json" tx 200 GET /taxii2/
ACCEPT="application/taxii+json; version=2.1" tx 200 GET /taxii2/
ACCEPT="text/html, application/taxii+json;version=2.1;q=0.9" tx 200 GET /taxii2/
ACCEPT="application/json" tx 406 GET /taxii2/
j .http_status 406
ACCEPT="application/taxii+json;version=2.0" tx 406 GET /taxii2/
ACCEPT="application/taxii+json;version=2.1;q=0" tx 406 GET /taxii2/
ACCEPT="application/stix+json;version=2.1" tx 406 GET "$COL/objects/"

# an empty collection: an empty envelope, no date headers
tx 200 GET "$COL/objects/"
j '. | length' 0
grep -qi '^X-TAXII-Date-Added' hdr && fail "date headers on an empty envelope"

# writing: media type, size, JSON, STIX validity
IND1='{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","name":"bad ip","pattern":"[ipv4-addr:value = '"'"'198.51.100.7'"'"']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z","labels":["ip-theft"]}'
MAL='{"type":"malware","spec_version":"2.1","id":"malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","name":"x","is_family":false}'
IDN='{"type":"identity","spec_version":"2.1","id":"identity--311b2d2d-f010-4473-83ec-1edf84858f4c","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","name":"cert-a"}'
printf '{"objects":[%s,%s,%s]}' "$IND1" "$MAL" "$IDN" > env1.json
tx 415 POST "$COL/objects/" -H "Content-Type: application/json" --data-binary @env1.json
j .http_status 415
tx 415 POST "$COL/objects/" -H "Content-Type: application/taxii+json;version=2.0" --data-binary @env1.json
python3 -c "import sys; sys.stdout.write('{\"objects\":[' + ' ' * 1048600 + ']}')" > huge.json
tx 413 POST "$COL/objects/" -H "Content-Type: $TAXII" --data-binary @huge.json
j .http_status 413
tx 400 POST "$COL/objects/" -H "Content-Type: $TAXII" --data-binary '{"objects": [}'
tx 400 POST "$COL/objects/" -H "Content-Type: $TAXII" --data-binary '[]'
tx 400 POST "$COL/objects/" -H "Content-Type: $TAXII" --data-binary '{"objects": []}'
tx 422 POST "$COL/objects/" -H "Content-Type: $TAXII" \
	--data-binary '{"objects":[{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2026-01-01T00:00:00Z","modified":"2026-01-01T00:00:00Z","pattern":"[ipv4-addr:value = ","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}]}'
j .http_status 422
grep -q "indicator--8e2e2d2b" body || fail "422 does not name the object"
j '.details.problems[0].id' indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f
j '.details.problems[0].property' pattern
tx 422 POST "$COL/objects/" -H "Content-Type: $TAXII" \
	--data-binary "{\"objects\":[$(echo "$MAL" | sed 's/"name":"x"/"name":"x","x_parley_category":"not-in-scope"/')]}"
grep -q "not-in-scope" body || fail "an unknown category is not named: $(cat body)"

# one accepted envelope: 202, a status that completes once the relay integrated the entry
tx 202 POST "$COL/objects/" -H "Content-Type: $TAXII" --data-binary @env1.json
hdr_is Content-Type "$TAXII"
j .total_count 3
SID=$(jq -r .id body)
wait_status() {
	for _ in $(seq 1 300); do
		tx 200 GET "/taxii2/parley/status/$1/"
		[ "$(jq -r .status body)" = complete ] && return 0
		sleep 0.1
	done
	fail "status $1 did not complete"
}
wait_status "$SID"
j .success_count 3
j .failure_count 0
j .pending_count 0
j '.successes[0].id' indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f
E1=$(jq -r '.successes[0].message' body | sed 's/.* //')
# the log has it as cert-a's signed entry, a notification to cert-b in the category of the label
p 0 --home b sync
p 0 --home b show "$E1"
has_out "cert-a"
has_out "notification"
has_out "ip-theft"
has_out "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
has_out "^tlp: *amber$"

# a second envelope: a newer version of the indicator and a new object (category by default)
p 0 --home a taxii set-default --category election-infrastructure
IND2=$(echo "$IND1" | sed 's/"modified":"2026-01-01T00:00:00.000Z"/"modified":"2026-02-01T00:00:00.000Z"/; s/"labels":\["ip-theft"\]/"labels":["other"]/')
MAL2=$(echo "$MAL" | sed 's/31b940d4/41b940d4/')
printf '{"objects":[%s,%s]}' "$IND2" "$MAL2" > env2.json
tx 202 POST "$COL/objects/" -H "Content-Type: $TAXII" --data-binary @env2.json
wait_status "$(jq -r .id body)"
E2=$(jq -r '.successes[0].message' body | sed 's/.* //')
p 0 --home b sync
p 0 --home b show "$E2"
has_out "election-infrastructure"

# reading: latest versions, log order, date headers
waitobjs() { # wait until the collection shows N objects with match[version]=all
	for _ in $(seq 1 300); do
		tx 200 GET "$COL/objects/?match%5Bversion%5D=all"
		[ "$(jq -r '.objects | length' body)" = "$1" ] && return 0
		sleep 0.1
	done
	fail "the collection does not show $1 objects"
}
waitobjs 5
tx 200 GET "$COL/objects/"
j '.objects | length' 4
j '[.objects[].id] | join(" ")' "malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b identity--311b2d2d-f010-4473-83ec-1edf84858f4c indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f malware--41b940d4-6f7f-459a-80ea-9c1f17b5891b"
j '.objects[2].modified' 2026-02-01T00:00:00.000Z
j .more false
j 'has("next")' false
FIRST=$(hdr_val X-TAXII-Date-Added-First)
LAST=$(hdr_val X-TAXII-Date-Added-Last)
echo "$FIRST" | grep -qE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z$' || fail "date header '$FIRST'"
[ "$FIRST" \< "$LAST" ] || fail "first $FIRST not before last $LAST"

# manifest: date_added of each entry, version, media type
tx 200 GET "$COL/manifest/"
j '.objects | length' 4
j '.objects[0].date_added' "$FIRST"
j '.objects[3].date_added' "$LAST"
j '.objects[2].version' 2026-02-01T00:00:00.000Z
j '.objects[0].media_type' 'application/stix+json;version=2.1'
hdr_is X-TAXII-Date-Added-First "$FIRST"

# filters
tx 200 GET "$COL/objects/?match%5Btype%5D=malware"
j '[.objects[].type] | unique | join(",")' malware
j '.objects | length' 2
tx 200 GET "$COL/objects/?match%5Btype%5D=malware,identity"
j '.objects | length' 3
tx 200 GET "$COL/objects/?match%5Bid%5D=identity--311b2d2d-f010-4473-83ec-1edf84858f4c"
j '.objects | length' 1
j '.objects[0].name' cert-a
tx 200 GET "$COL/objects/?match%5Bversion%5D=all"
j '.objects | length' 5
tx 200 GET "$COL/objects/?match%5Bversion%5D=first&match%5Bid%5D=indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
j '.objects[0].modified' 2026-01-01T00:00:00.000Z
tx 200 GET "$COL/objects/?match%5Bversion%5D=2026-01-01T00:00:00Z"
j '.objects | length' 4
tx 200 GET "$COL/objects/?match%5Bversion%5D=2026-02-01T00:00:00.000Z"
j '.objects | length' 1
tx 200 GET "$COL/objects/?match%5Bspec_version%5D=2.1"
j '.objects | length' 4
tx 200 GET "$COL/objects/?match%5Bspec_version%5D=2.0"
j '. | length' 0
tx 200 GET "$COL/objects/?match%5Btype%5D=sighting"
j '. | length' 0
# added_after equal to an entry's date_added excludes that entry's objects
tx 200 GET "$COL/objects/?added_after=$FIRST"
j '.objects | length' 2
j '.objects[0].modified' 2026-02-01T00:00:00.000Z
tx 200 GET "$COL/objects/?added_after=$LAST"
j '. | length' 0
tx 200 GET "$COL/objects/?added_after=2000-01-01T00:00:00Z"
j '.objects | length' 4

# pagination: limit 1, next across a page boundary, stable while entries arrive
tx 200 GET "$COL/objects/?limit=1"
j '.objects | length' 1
j .more true
hdr_is X-TAXII-Date-Added-First "$FIRST"
hdr_is X-TAXII-Date-Added-Last "$FIRST"
ids=$(jq -r '.objects[0].id' body)
NEXT=$(jq -r .next body)
tx 200 GET "$COL/objects/?limit=2&next=$NEXT"
j '.objects | length' 2
ids="$ids $(jq -r '[.objects[].id] | join(" ")' body)"
NEXT=$(jq -r .next body)
j .more true
# a third entry arrives between pages: the walk neither repeats nor skips
IDN2=$(echo "$IDN" | sed 's/311b2d2d/411b2d2d/')
tx 202 POST "$COL/objects/" -H "Content-Type: $TAXII" --data-binary "{\"objects\":[$IDN2]}"
wait_status "$(jq -r .id body)"
waitobjs 6
tx 200 GET "$COL/objects/?limit=2&next=$NEXT"
ids="$ids $(jq -r '[.objects[].id] | join(" ")' body)"
j .more false
[ "$ids" = "malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b identity--311b2d2d-f010-4473-83ec-1edf84858f4c indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f malware--41b940d4-6f7f-459a-80ea-9c1f17b5891b identity--411b2d2d-f010-4473-83ec-1edf84858f4c" ] ||
	fail "paged walk: $ids"
# limit larger than the server's page is lowered, not refused
tx 200 GET "$COL/objects/?limit=999999999"
j '.objects | length' 5
# hostile query values
tx 400 GET "$COL/objects/?limit=0"
j .http_status 400
tx 400 GET "$COL/objects/?limit=-1"
tx 400 GET "$COL/objects/?limit=abc"
tx 400 GET "$COL/objects/?limit=99999999999999999999999"
tx 400 GET "$COL/objects/?next=garbage"
tx 400 GET "$COL/objects/?next=1-99999999999"
tx 400 GET "$COL/objects/?added_after=yesterday"
tx 400 GET "$COL/objects/?match%5Bversion%5D=newest"
tx 400 GET "$COL/objects/?match%5Bcolor%5D=red"
tx 400 GET "$COL/objects/?match%5Bid%5D=a,,b"

# one object, its versions
tx 200 GET "$COL/objects/indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f/"
j '.objects | length' 1
j '.objects[0].modified' 2026-02-01T00:00:00.000Z
tx 200 GET "$COL/objects/indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f/?match%5Bversion%5D=all"
j '.objects | length' 2
tx 404 GET "$COL/objects/indicator--00000000-0000-4000-8000-000000000000/"
tx 200 GET "$COL/objects/indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f/versions/"
j '.versions | join(" ")' "2026-01-01T00:00:00.000Z 2026-02-01T00:00:00.000Z"
j .more false
tx 200 GET "$COL/objects/indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f/versions/?limit=1"
j '.versions | join(" ")' "2026-01-01T00:00:00.000Z"
j .more true
tx 200 GET "$COL/objects/indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f/versions/?limit=1&next=$(jq -r .next body)"
j '.versions | join(" ")' "2026-02-01T00:00:00.000Z"
tx 404 GET "$COL/objects/indicator--00000000-0000-4000-8000-000000000000/versions/"

# a response to an open thread, by request header: cert-b's thread, answered over TAXII
p 0 --home b notify --to cert-a --category ip-theft --text "please look"
TH=$(tail -n 1 out)
IDN3=$(echo "$IDN" | sed 's/311b2d2d/511b2d2d/')
tx 202 POST "$COL/objects/" -H "Content-Type: $TAXII" -H "X-Parley-Thread: $TH" --data-binary "{\"objects\":[$IDN3]}"
wait_status "$(jq -r .id body)"
E3=$(jq -r '.successes[0].message' body | sed 's/.* //')
p 0 --home b sync
p 0 --home b show "$E3"
has_out "response"
p 0 --home b thread "$TH"
has_out "$E3"
tx 400 POST "$COL/objects/" -H "Content-Type: $TAXII" -H "X-Parley-Thread: x" --data-binary "{\"objects\":[$IDN3]}"
# a thread that does not exist: a failed status with the reason
tx 202 POST "$COL/objects/" -H "Content-Type: $TAXII" -H "X-Parley-Thread: 999999" --data-binary "{\"objects\":[$IDN3]}"
SID=$(jq -r .id body)
wait_status "$SID"
j .failure_count 1
j .success_count 0
jq -r '.failures[0].message' body | grep -q "999999" || fail "the failure does not say why: $(cat body)"

# rotating the token locks the old one out at once
OLD=$TOK
"$PARLEY" --home a taxii token --rotate >tok2 || fail "rotate"
[ "$(cat tok2)" != "$OLD" ] || fail "rotate kept the token"
tx 401 GET /taxii2/
TOK=$(cat tok2)
tx 200 GET /taxii2/

kill "$TX_PID"
wait "$TX_PID" 2>/dev/null
done_ok
