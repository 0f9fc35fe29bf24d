#!/bin/sh
# A relay and two nodes over HTTP on 127.0.0.1: the happy path and each refusal.
. "$(dirname "$0")/lib.sh"

mkparty cert-c; mkparty auditor
CHARTER_ARGS="--auditor keys/auditor.pub" EXTRA_SIGNERS=auditor setup_channel

p 0 api --relay "$RELAY_URL" GET /v1/health
has_out '"status":"ok"'

# A notifies B; B syncs, reads, answers with a receipt; both verify
cat > bundle.json <<'JSON'
{"type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d", "objects": [
 {"type": "indicator", "spec_version": "2.1", "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
  "created": "2026-11-27T08:00:00.000Z", "modified": "2026-11-27T08:00:00.000Z",
  "pattern": "[ipv4-addr:value = '198.51.100.7']", "pattern_type": "stix", "valid_from": "2026-11-27T08:00:00Z"}]}
JSON
p 0 --home a notify --to cert-b --category election-infrastructure --text "scan of voter rolls" --stix bundle.json
[ "$(tail -n 1 out)" = 0 ] || fail "first notification is not index 0"
p 0 --home b sync
has_out "1 new); 1 received, 1 receipts sent; checkpoint cosigned"
p 0 --home b inbox
has_out "^0 .* cert-a .* notification .* election-infrastructure .* scan of voter rolls"
p 0 --home b show 0
has_out "198.51.100.7"
p 0 --home a sync
has_out "verified log of 2 entries"
p 0 --home a inbox
has_out "^1 .* cert-b .* receipt"
p 0 --home a verify
p 0 --home b verify
# the latest checkpoint carries the cosignature of the node that verified it
p 0 api --relay "$RELAY_URL" --key keys/cert-a.key GET "/v1/channels/$CHANNEL/checkpoint"
has_out "^parley/$CHANNEL"
a_cos=$(python3 -c "
import base64,hashlib,sys
name,kid,key=open('keys/cert-a.pub').read().split('sign ')[1].split()[0].split('+',2)
raw=base64.b64decode(key); raw=bytes([4])+raw[1:]
print('%s+%s+%s' % (name, hashlib.sha256(name.encode()+b'\n'+raw).hexdigest()[:8], base64.b64encode(raw).decode()))")
sed 1d out > cp.note
p 0 note verify --key "$a_cos" cp.note

p 0 --home a notify --to cert-b --category ip-theft --tlp red --text "second"
[ "$(tail -n 1 out)" = 2 ] || fail "second notification is not index 2"

# proofs and pages
p 0 api --relay "$RELAY_URL" --key keys/cert-b.key GET "/v1/channels/$CHANNEL/proof/inclusion?index=0&size=2"
has_out '"hashes":\["'
p 1 api --relay "$RELAY_URL" --key keys/cert-b.key GET "/v1/channels/$CHANNEL/proof/inclusion?index=5&size=2"
p 0 api --relay "$RELAY_URL" --key keys/cert-b.key GET "/v1/channels/$CHANNEL/entries?from=1&limit=1"
has_out '"index":1'
p 0 api --relay "$RELAY_URL" --key keys/auditor.key GET "/v1/channels/$CHANNEL/entries"

# --- refusals ---
"$PARLEY" --home a sync >/dev/null || fail "sync a"
# the entry A would send next, built by hand
next_seq=$(( $("$PARLEY" --home a inbox | awk '$3 == "cert-a"' | wc -l) + 1 ))
p 0 api --relay "$RELAY_URL" --key keys/cert-a.key GET "/v1/channels/$CHANNEL/entries?from=2&limit=1"
python3 -c "
import json,base64,sys
e=json.loads(open('out').read().split('\n',1)[1])['entries'][0]['entry']
open('prev.bin','wb').write(base64.b64decode(e))"
mk() { # OUT
	"$PARLEY" entry new --key keys/cert-a.key --charter c.json --to cert-b --type notification \
		--category election-infrastructure --text "x" --seq "$next_seq" --prev prev.bin --out "$1" ||
		fail "entry new"
}
post() { # FILE [KEY]
	p "$3" api --relay "$RELAY_URL" --key "keys/${2:-cert-a}.key" --data "$1" POST "/v1/channels/$CHANNEL/entries"
}
mk good.bin
# forged signature: one bit of the signature flipped
python3 -c "
b = bytearray(open('good.bin', 'rb').read()); b[-1] ^= 1; open('forged.bin', 'wb').write(bytes(b))"
post forged.bin cert-a 1; has_out "^422"; has_out "bad-signature"
# wrong sequence
"$PARLEY" entry new --key keys/cert-a.key --charter c.json --to cert-b --type notification \
	--category election-infrastructure --text x --seq $((next_seq + 5)) --prev prev.bin --out skip.bin
post skip.bin cert-a 1; has_out "^409"; has_out "wrong-sequence"
# out of scope (built without the local check)
"$PARLEY" entry new --key keys/cert-a.key --charter c.json --to cert-b --type notification \
	--category espionage --unchecked --text x --seq "$next_seq" --prev prev.bin --out oos.bin || fail "entry new"
post oos.bin cert-a 1; has_out "^422"; has_out "category-out-of-scope"
# to an outsider (the key of cert-c, who is not in this charter)
"$PARLEY" entry new --key keys/cert-a.key --charter c.json --to cert-b,keys/cert-c.pub --type notification \
	--category election-infrastructure --unchecked --text x --seq "$next_seq" --prev prev.bin --out outsider.bin || fail "entry new"
post outsider.bin cert-a 1; has_out "^422"; has_out "unknown-recipient"
# dated two days ago
"$PARLEY" entry new --key keys/cert-a.key --charter c.json --to cert-b --type notification \
	--category election-infrastructure --text x --seq "$next_seq" --prev prev.bin \
	--created $(( ($(date +%s) - 172800) * 1000 )) --out old.bin || fail "entry new"
post old.bin cert-a 1; has_out "^422"; has_out "bad-creation-time"
# the good one goes in; sent again, it is a replay
post good.bin cert-a 0; has_out "^201"
post good.bin cert-a 1; has_out "^409"; has_out "wrong-sequence"
# a party may not post another's entry
post good.bin cert-b 1; has_out "^403"; has_out "not-the-sender"
# non-parties can neither read nor write; auditors cannot write
p 1 api --relay "$RELAY_URL" --key keys/cert-c.key GET "/v1/channels/$CHANNEL/entries"
has_out "^403"; has_out "not-a-party"
post good.bin cert-c 1; has_out "^403"
post good.bin auditor 1; has_out "^403"; has_out "read-only"
p 1 api --relay "$RELAY_URL" GET "/v1/channels/$CHANNEL/entries"
has_out "^401"
# malformed and oversized bodies
printf 'not an entry' > junk.bin
post junk.bin cert-a 1; has_out "^400"; has_out "malformed-entry"
head -c 1200000 /dev/zero > big.bin
post big.bin cert-a 1
# 413 when the client reads the answer before the relay closes; a slow client (TSan) may instead see the
# connection closed under it while still sending: refused either way, and nothing appended
grep -q "^413" out || grep -q "Failed sending data to the peer\|Connection reset\|Send failure" err ||
	fail "an oversized body: neither 413 nor a closed connection"
# stale timestamps and reused nonces
old=$(( $(date +%s) * 1000 - 600000 ))
p 1 api --relay "$RELAY_URL" --key keys/cert-a.key --time "$old" GET "/v1/channels/$CHANNEL/checkpoint"
has_out "^401"; has_out "away from the relay's clock"
nonce=00112233445566778899aabbccddeeff
p 0 api --relay "$RELAY_URL" --key keys/cert-a.key --nonce $nonce GET "/v1/channels/$CHANNEL/checkpoint"
p 1 api --relay "$RELAY_URL" --key keys/cert-a.key --nonce $nonce GET "/v1/channels/$CHANNEL/checkpoint"
has_out "^401"; has_out "replayed-request"
# a charter that names another relay
mkparty relay2
"$PARLEY" charter new --title other --party keys/cert-a.pub --party keys/cert-b.pub --scope ip-theft \
	--relay "$RELAY_URL" --relay-key keys/relay2.pub --out other.json
for k in cert-a cert-b; do "$PARLEY" charter sign --key keys/$k.key other.json 2>/dev/null; done
p 1 --home a2 join other.json --key keys/cert-a.key
has_err "another relay"

# nodes still agree after all that
p 0 --home b sync
p 0 --home b verify
p 0 --home a sync
p 0 --home a verify

p 0 api --relay "$RELAY_URL" GET /v1/metrics
has_out "parley_entries_appended_total"
has_out 'parley_requests_total{code="201"}'

stop_relay
[ "$RELAY_STATUS" = 0 ] || fail "relay did not stop cleanly ($RELAY_STATUS)"
grep -q 'msg="relay stopped"' relay.log || fail "no shutdown line in the relay log"

done_ok
