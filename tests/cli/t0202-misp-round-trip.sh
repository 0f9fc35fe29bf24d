#!/bin/sh
# MISP -> STIX -> log -> MISP feed: events of realistic shape (tests/cli/misp/) sent with notify --misp and
# reply --misp come back from 'parley export --misp-feed' with every value and type, TLP tags included;
# unknown types are kept (as notes) and reported; re-running the export adds and updates, never duplicates;
# the TAXII listener serves the same feed under /misp/.
. "$(dirname "$0")/lib.sh"
M="$SRCDIR/tests/cli/misp"

setup_channel

# refused before anything is sent: not JSON, not an event, an attribute without a value, --stix with --misp
printf '{"Event": ' > broken.json
p 1 --home a notify --to cert-b --category ip-theft --misp broken.json
has_err "broken.json"
echo '{"Event": {"info": "x", "Attribute": [{"type": "ip-src"}]}}' > novalue.json
p 1 --home a notify --to cert-b --category ip-theft --misp novalue.json
has_err "attribute of type 'ip-src' without a value"
echo '{"events": []}' > notevent.json
p 1 --home a notify --to cert-b --category ip-theft --misp notevent.json
has_err "not a MISP event"
p 2 --home a notify --to cert-b --category ip-theft --misp "$M/event-ddos.json" --stix x.json
p 0 notify --help
has_out "--misp F"

# a dry run shows the STIX the event becomes: MISP's labels, indicators for to_ids, observables otherwise
p 0 --home a notify --to cert-b --category ip-theft --misp "$M/event-phishing.json" --dry-run
has_out "\"pattern\": \"\\[network-traffic:src_ref.type = 'ipv4-addr' AND network-traffic:src_ref.value = '198.51.100.23'\\]\""
has_out 'misp:type=\\"ip-src\\"'
has_out "observed-data--a1000000-0000-4000-8000-000000000002"
has_out "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"
has_out "\"name\": \"Sandworm Team\""
# unknown types are kept as notes and reported
has_err "no STIX mapping, kept as a note: btc: bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh"
grep -q "kept as a note: domain-ip" err && fail "a domain-ip object kept as a note"
has_err "1 attribute or object kept as notes"

p 0 --home a notify --to cert-b --category ip-theft --misp "$M/event-phishing.json"
T1=$(tail -n 1 out)
has_err "kept as a note: btc"
p 0 --home b sync
p 0 --home b reply "$T1" --misp "$M/event-followup.json"
p 0 --home a notify --to cert-b --category election-infrastructure --misp "$M/event-ddos.json"
T2=$(tail -n 1 out)
p 0 --home b sync

# the feed: one event per thread, uuid from channel and thread
p 0 --home b export --misp-feed feed
has_out "2 events (2 new, 0 updated, 0 unchanged)"
[ "$(jq 'keys | length' feed/manifest.json)" = 2 ] || fail "manifest: $(cat feed/manifest.json)"
E1=$(jq -r 'to_entries[] | select(.value.info == "Phishing wave against the election commission") | .key' feed/manifest.json)
E2=$(jq -r 'to_entries[] | select(.value.info == "DDoS on the results portal") | .key' feed/manifest.json)
[ -n "$E1" ] && [ -n "$E2" ] || fail "manifest infos: $(cat feed/manifest.json)"
python3 "$M/check_feed.py" feed "$E1" "$M/event-phishing.json" "$M/event-followup.json" >out 2>&1 || fail "round trip of thread $T1: $(cat out)"
python3 "$M/check_feed.py" feed "$E2" "$M/event-ddos.json" >out 2>&1 || fail "round trip of thread $T2: $(cat out)"
# to_ids, categories, TLP and galaxy tags survive
[ "$(jq -r '.Event.Attribute[] | select(.value == "198.51.100.23") | .to_ids' "feed/$E1.json")" = true ] || fail "to_ids lost"
[ "$(jq -r '.Event.Attribute[] | select(.value == "203.0.113.77") | .to_ids' "feed/$E1.json")" = false ] || fail "to_ids invented"
[ "$(jq -r '.Event.Attribute[] | select(.value == "bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh") | .category' "feed/$E1.json")" = "Financial fraud" ] ||
	fail "category of a kept attribute lost"
jq -r '.Event.Tag[].name' "feed/$E1.json" > tags
grep -qx "tlp:amber" tags || fail "TLP tag lost: $(cat tags)"
grep -qx "type:OSINT" tags || fail "tag lost: $(cat tags)"
grep -qx 'misp-galaxy:threat-actor="Sandworm Team"' tags || fail "galaxy lost: $(cat tags)"
[ "$(jq -r '.Event.Tag[].name' "feed/$E2.json" | grep '^tlp:')" = "tlp:white" ] || fail "tlp:clear is not tlp:white"
[ "$(jq -r ".\"$E1\".Tag[].name" feed/manifest.json | grep -c '^tlp:amber$')" = 1 ] || fail "manifest tags"
[ "$(jq -r '.Event.Orgc.name' "feed/$E1.json")" = cert-a ] || fail "Orgc"
# hashes.csv: md5 of each value, the event's uuid
h=$(printf '%s' 198.51.100.23 | md5sum | cut -d' ' -f1)
grep -qx "$h,$E1" feed/hashes.csv || fail "hashes.csv lacks 198.51.100.23"
h=$(printf '%s' 'C:\Users\Public\upd'"'"'ate.exe' | md5sum | cut -d' ' -f1)
grep -qx "$h,$E1" feed/hashes.csv || fail "hashes.csv lacks the filename"

# incremental: nothing changes, nothing doubles; a new entry in a thread updates its event only
cp feed/manifest.json manifest.before
p 0 --home b export --misp-feed feed
has_out "2 events (0 new, 0 updated, 2 unchanged)"
cmp -s manifest.before feed/manifest.json || fail "a re-run changed the manifest"
[ -z "$(sort feed/hashes.csv | uniq -d)" ] || fail "hashes.csv has duplicates"
n1=$(wc -l < feed/hashes.csv)
echo '{"Event": {"info": "more", "Attribute": [{"uuid": "a4000000-0000-4000-8000-000000000001", "type": "domain", "value": "late.example.org", "to_ids": true}]}}' > late.json
p 0 --home a reply "$T2" --misp late.json
p 0 --home b sync
p 0 --home b export --misp-feed feed
has_out "2 events (0 new, 1 updated, 1 unchanged)"
[ "$(jq 'keys | length' feed/manifest.json)" = 2 ] || fail "an update added an event"
jq -r '.Event.Attribute[].value' "feed/$E2.json" | grep -qx late.example.org || fail "update lost"
[ "$(wc -l < feed/hashes.csv)" = $((n1 + 1)) ] || fail "hashes.csv: $(wc -l < feed/hashes.csv) lines, expected $((n1 + 1))"
[ -z "$(sort feed/hashes.csv | uniq -d)" ] || fail "hashes.csv has duplicates"
# the event files are MISP core format: {"Event": {...}} with uuid, info, date, Attribute, Object
[ "$(jq -r '.Event | has("uuid") and has("info") and has("date") and has("Attribute") and has("Object") and has("timestamp")' "feed/$E1.json")" = true ] ||
	fail "event shape"

# /misp/ on the TAXII listener: the same feed
rm -f b.tport
"$PARLEY" --home b taxii --listen 127.0.0.1:0 --port-file b.tport --sync-interval 0 2>>taxii.log &
TX=$!
trap 'kill $TX $RELAY_PID 2>/dev/null; rm -rf "$T"' EXIT
for _ in $(seq 1 200); do [ -s b.tport ] && break; sleep 0.05; done
[ -s b.tport ] || fail "listener: $(cat taxii.log)"
U="http://127.0.0.1:$(cat b.tport)"
TOK=$("$PARLEY" --home b taxii token)
code=$(curl -s -o m.json -w '%{http_code}' -u "parley:$TOK" "$U/misp/manifest.json")
[ "$code" = 200 ] || fail "/misp/manifest.json: $code"
cmp -s m.json feed/manifest.json || fail "/misp/manifest.json differs from the exported one"
code=$(curl -s -o e.json -w '%{http_code}' -u "parley:$TOK" "$U/misp/$E1.json")
cmp -s e.json "feed/$E1.json" || fail "/misp/$E1.json differs"
code=$(curl -s -o h.csv -w '%{http_code}' -u "parley:$TOK" "$U/misp/hashes.csv")
cmp -s h.csv feed/hashes.csv || fail "/misp/hashes.csv differs"
code=$(curl -s -o /dev/null -w '%{http_code}' "$U/misp/manifest.json")
[ "$code" = 401 ] || fail "/misp/ without the token: $code"
code=$(curl -s -o /dev/null -w '%{http_code}' -u "parley:$TOK" "$U/misp/00000000-0000-4000-8000-000000000000.json")
[ "$code" = 404 ] || fail "unknown event: $code"
code=$(curl -s -o /dev/null -w '%{http_code}' -u "parley:$TOK" "$U/misp/../node.json")
[ "$code" = 404 ] || fail "path escape: $code"
kill $TX
done_ok
