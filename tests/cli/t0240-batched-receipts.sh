#!/bin/sh
# Batched receipts (docs/protocol.md §4.1.5): a node acknowledges everything a sync brought
# in one receipt entry that lists ranges and names the tree it verified; the relay refuses
# every hostile shape of one (overlapping, unsorted, backwards, past its verified tree or
# itself, a huge count, a root that is not the log's); a node reads its own batched receipts
# when it works out what it still owes; a proof bundle shows delivery by a batched receipt
# and is refused when the proof that binds the receipt's tree to the bundle's is changed.
. "$(dirname "$0")/lib.sh"

setup_channel
i=0
while [ $i -lt 4 ]; do
	"$PARLEY" --home a notify --to cert-b --category ip-theft --text "incident $i" >/dev/null 2>&1 || fail "notify $i"
	i=$((i + 1))
done

# the log's root at size S (RFC 9162 over the leaves u64 integrated_ms || entry, protocol.md §6.1),
# computed here from the entries the relay serves, as the four decimal words of a batched receipt
root_words() {
	"$PARLEY" api --relay "$RELAY_URL" --key keys/cert-b.key GET "/v1/channels/$CHANNEL/entries?from=0" >page 2>&1 ||
		fail "entries"
	python3 - "$1" <<'PY'
import base64, hashlib, json, struct, sys
body = open('page').read()
log = json.loads(body[body.index('{'):])['entries']
n = int(sys.argv[1])
leaves = [hashlib.sha256(b'\0' + struct.pack('>Q', e['integrated_ms']) + base64.b64decode(e['entry'])).digest()
          for e in log[:n]]
def mth(v):
    if len(v) == 1:
        return v[0]
    k = 1
    while k * 2 < len(v):
        k *= 2
    return hashlib.sha256(b'\1' + mth(v[:k]) + mth(v[k:])).digest()
print(' '.join(str(w) for w in struct.unpack('>4Q', mth(leaves))))
PY
}
TAG=18446744073709551615
# post_receipt NAME SIZE "R0 R1 R2 R3" FIRST LAST [FIRST LAST ...]: cert-b's receipt, seq 1, through the API
post_receipt() {
	name=$1 size=$2 words=$3
	shift 3
	refs="--ref $TAG --ref $size"
	for w in $words "$@"; do refs="$refs --ref $w"; done
	# shellcheck disable=SC2086
	"$PARLEY" entry new --key keys/cert-b.key --charter c.json --to cert-a --type receipt --thread 0 $refs \
		--category ip-theft --text '{}' --out "$name.bin" --unchecked >/dev/null 2>&1 || fail "entry new $name"
	p 1 api --relay "$RELAY_URL" --key keys/cert-b.key --data "$name.bin" POST "/v1/channels/$CHANNEL/entries"
}
W=$(root_words 4)
[ -n "$W" ] || fail "no root"

post_receipt overlap 4 "$W" 0 2 1 3
has_out "^400"; has_out "bad-receipt"; has_out "overlaps or precedes"
post_receipt unsorted 4 "$W" 2 3 0 0
has_out "^400"; has_out "bad-receipt"
post_receipt adjacent 4 "$W" 0 1 2 3
has_out "^400"; has_out "adjacent"
post_receipt backwards 4 "$W" 3 1
has_out "^400"; has_out "runs backwards"
post_receipt past-tree 2 "$(root_words 2)" 0 3
has_out "^400"; has_out "beyond the tree of size 2"
post_receipt huge 4 "$W" 0 18446744073709551614
has_out "^400"; has_out "beyond the tree of size 4"
post_receipt past-itself 9 "$W" 0 3
has_out "^400"; has_out "up to its own index 4"
post_receipt other-root 4 "1 2 3 4" 0 3
has_out "^403"; has_out "receipt-not-this-log"; has_out "not this log's"
# a thread, or half a pair
"$PARLEY" entry new --key keys/cert-b.key --charter c.json --to cert-a --type receipt --thread 1 \
	--ref $TAG --ref 4 $(for w in $W; do printf -- '--ref %s ' "$w"; done) --ref 0 --ref 3 \
	--category ip-theft --text '{}' --out thread.bin --unchecked >/dev/null 2>&1 || fail "entry new thread"
p 1 api --relay "$RELAY_URL" --key keys/cert-b.key --data thread.bin POST "/v1/channels/$CHANNEL/entries"
has_out "^400"; has_out "names thread 1"
"$PARLEY" entry new --key keys/cert-b.key --charter c.json --to cert-a --type receipt --thread 0 \
	--ref $TAG --ref 4 $(for w in $W; do printf -- '--ref %s ' "$w"; done) --ref 0 \
	--category ip-theft --text '{}' --out half.bin --unchecked >/dev/null 2>&1 || fail "entry new half"
p 1 api --relay "$RELAY_URL" --key keys/cert-b.key --data half.bin POST "/v1/channels/$CHANNEL/entries"
has_out "^400"; has_out "pairs of first and last"

# none of them took cert-b's sequence number: a node's sync sends ONE receipt for all four
p 0 --home b sync
has_out "verified log of 4 entries (4 new); 4 received, 4 receipts sent"
p 0 --home a sync
p 0 --home a inbox
has_out "^4 .* cert-b .* receipt .* receipt for entries 0\.\.3$"
[ "$(awk '$4 == "receipt"' out | wc -l)" = 1 ] || fail "not one receipt entry"
p 0 --home a show 4
has_out "^covers:     entries 0\.\.3$"
has_out "^verified:   the tree of size 4$"
p 0 --home b sync
has_out "0 receipts sent"

# more entries, and a ping between them: one more receipt covers the notifications and the ping
p 0 --home a notify --to cert-b --category ip-theft --text "incident 4"
p 0 --home a ping cert-b
p 0 --home a notify --to cert-b --category ip-theft --text "incident 5"
p 0 --home b sync
has_out "3 received, 3 receipts sent"
p 0 --home a sync
p 0 --home a inbox
has_out "receipt for entries 5\.\.7$"
[ "$(awk '$4 == "receipt"' out | wc -l)" = 2 ] || fail "not two receipt entries"
p 0 --home b verify
p 0 --home a sync
p 0 --home a verify

# the proof of entry 0: delivered by the batched receipt at 4
p 0 --home a prove 0
cp out proof.json
p 0 check-proof proof.json
has_out "delivered:    to cert-b at .* (its receipt, entry 4)"
python3 - <<'PY' || fail "no tree proof with the batched receipt"
import json
d = json.load(open('proof.json'))
e = [x for x in d['entries'] if x['index'] == 4]
assert e and 'tree' in e[0] and len(e[0]['tree']) >= 1, e
PY
# a changed hash of that proof, or none: the bundle is refused
python3 - <<'PY'
import json
d = json.load(open('proof.json'))
for x in d['entries']:
    if x['index'] == 4:
        h = x['tree'][0]
        x['tree'][0] = h[:-1] + ('0' if h[-1] != '0' else '1')
json.dump(d, open('bad-tree.json', 'w'))
for x in d['entries']:
    if x['index'] == 4:
        del x['tree']
json.dump(d, open('no-tree.json', 'w'))
PY
p 1 check-proof bad-tree.json
has_err "a batched receipt, names a tree of size 4 that is not a prefix"
p 1 check-proof no-tree.json
has_err "tree must be a list"

# a relay that admits what an honest relay refuses: a batched receipt naming another history's
# root at size 1. cert-a's node, which checks every batched receipt against its replica, stops
# trusting it (the relay signed a log holding a receipt whose tree is not that log's)
start_fake_relay liar
"$PARLEY" charter new --title liar --party keys/cert-a.pub --party keys/cert-b.pub --scope ip-theft \
	--relay "$FAKE_URL" --relay-key keys/relay.pub --out l.json || fail "charter l"
for k in cert-a cert-b; do "$PARLEY" charter sign --key keys/$k.key l.json 2>/dev/null || fail "sign l"; done
LCHAN=$("$PARLEY" charter verify l.json)
NOW=$(( $(date +%s) * 1000 ))
"$PARLEY" entry new --key keys/cert-a.key --charter l.json --to cert-b --type notification --category ip-theft \
	--text x --out l0.bin || fail "l0"
"$PARLEY" entry new --key keys/cert-b.key --charter l.json --to cert-a --type receipt --thread 0 --ref $TAG --ref 1 \
	--ref 1 --ref 2 --ref 3 --ref 4 --ref 0 --ref 0 --category ip-theft --text '{}' --out l1.bin || fail "l1"
# shellcheck disable=SC2046
serve_log liar "$LCHAN" keys/relay.key $(timed "$NOW" l0.bin l1.bin)
"$PARLEY" --home la join l.json --key keys/cert-a.key >/dev/null || fail "join la"
p 1 --home la sync
has_err "batched receipt at 1: the root it names for the tree of size 1 is not this log's"
has_err "an honest relay refuses"
has_err "this node now refuses the relay for this channel"
p 1 --home la sync
has_err "stopped trusting the relay"
done_ok
