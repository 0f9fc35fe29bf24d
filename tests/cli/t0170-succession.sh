#!/bin/sh
# A charter succeeded by another: a party removed (cert-x), one added (cert-c), one key
# rotated (cert-b's). The successor takes over once every continuing party (cert-a,
# cert-b) handed over on the old channel; then the old channel takes no new thread
# (the CLI does not send, the relay refuses), its open thread is still answered there,
# and new threads open on the successor. Hostile handovers are refused by the relay:
# one naming a charter that succeeds another channel, one by a party the successor
# drops, one naming a successor not signed by all; and the old key cannot write to
# the successor. Nodes verify the handovers (fetching the successor from the relay),
# status shows the succession, and proofs work on both channels.
. "$(dirname "$0")/lib.sh"

mkparty cert-x
EXTRA_SIGNERS=cert-x CHARTER_ARGS="--party keys/cert-x.pub" setup_channel
OLD=$CHANNEL
"$PARLEY" --home x join c.json --key keys/cert-x.key >/dev/null || fail "join x"

# a thread opened before the handover
p 0 --home a notify --to cert-b --category ip-theft --text "before the handover"
[ "$(tail -n 1 out)" = 0 ] || fail "thread 0"

# the successor: cert-x removed, cert-c added, cert-b's key rotated, a narrower scope
mkparty cert-c
mkdir -p newkeys
"$PARLEY" keygen --name cert-b --out newkeys --no-passphrase >/dev/null 2>&1 || fail "keygen new cert-b"
run 0 "$PARLEY" charter new --succeeds c.json --title "test channel, second term" --party keys/cert-a.pub \
	--party newkeys/cert-b.pub --party keys/cert-c.pub --scope ip-theft --relay "$RELAY_URL" \
	--relay-key keys/relay.pub --out s.json
p 0 charter show s.json
has_out "succeeds:   $OLD"

# not signed by all yet: no handover (locally), and the relay does not take it
p 0 charter sign --key keys/cert-a.key s.json
p 1 --home a handover s.json
has_err "every party of the successor signs it"
p 1 api --relay "$RELAY_URL" --key keys/cert-a.key --content-type application/json --data s.json POST /v1/channels
has_out "charter-not-signed"
for k in newkeys/cert-b keys/cert-c; do
	p 0 charter sign --key $k.key s.json
done
NEW=$(cat s.json | "$PARLEY" charter verify /dev/stdin) || fail "successor verify"

# a charter that succeeds another channel (c2), signed by all and held by the relay
run 0 "$PARLEY" charter new --title "another channel" --party keys/cert-a.pub --party keys/cert-b.pub \
	--party keys/cert-x.pub --scope ip-theft --relay "$RELAY_URL" --relay-key keys/relay.pub --out c2.json
for k in cert-a cert-b cert-x; do "$PARLEY" charter sign --key keys/$k.key c2.json 2>/dev/null || fail "sign c2"; done
run 0 "$PARLEY" charter new --succeeds c2.json --title "successor of another" --party keys/cert-a.pub \
	--party keys/cert-x.pub --scope ip-theft --relay "$RELAY_URL" --relay-key keys/relay.pub --out w.json
for k in cert-a cert-x; do "$PARLEY" charter sign --key keys/$k.key w.json 2>/dev/null || fail "sign w"; done
p 0 api --relay "$RELAY_URL" --key keys/cert-a.key --content-type application/json --data c2.json POST /v1/channels
p 0 api --relay "$RELAY_URL" --key keys/cert-a.key --content-type application/json --data w.json POST /v1/channels
W=$("$PARLEY" charter verify w.json)
p 1 --home a handover w.json
has_err "does not succeed channel"
# crafted by cert-x (its first entry): the relay refuses it
"$PARLEY" entry new --unchecked --key keys/cert-x.key --charter c.json --to cert-a --type handover \
	--category "$W" --text "to the wrong successor" --out h-wrong.bin || fail "entry new"
p 1 api --relay "$RELAY_URL" --key keys/cert-x.key --data h-wrong.bin POST "/v1/channels/$OLD/entries"
has_out "^403"
has_out "handover-refused"
has_out "another channel"

# a handover naming a charter the relay does not hold
"$PARLEY" entry new --unchecked --key keys/cert-x.key --charter c.json --to cert-a --type handover \
	--category "$(printf '%064d' 7)" --text "nowhere" --out h-none.bin || fail "entry new"
p 1 api --relay "$RELAY_URL" --key keys/cert-x.key --data h-none.bin POST "/v1/channels/$OLD/entries"
has_out "not held here"

# the continuing parties hand over (cert-b with its old key, from its old home)
p 0 --home a handover s.json
has_out "handover appended at index 1"
has_out "1 of 2 continuing parties have handed over"
# cert-x is not in the successor: its handover is refused (locally, and by the relay)
p 1 --home x handover s.json
has_err "not a party of the successor"
"$PARLEY" entry new --unchecked --key keys/cert-x.key --charter c.json --to cert-a --type handover \
	--category "$NEW" --text "me too" --out h-x.bin || fail "entry new"
p 1 api --relay "$RELAY_URL" --key keys/cert-x.key --data h-x.bin POST "/v1/channels/$OLD/entries"
has_out "^403"
has_out "not a party of successor"

# before cert-b hands over, the old channel still takes new threads
p 0 --home x notify --to cert-a --category ip-theft --text "still open"
[ "$(tail -n 1 out)" = 2 ] || fail "thread 2"
# the successor is not active before every continuing party handed over: the relay
# (which hosts both) refuses a new thread on it, and a node that follows both does not send one
p 0 --home c join s.json --key keys/cert-c.key
p 1 --home c notify --to cert-a --category ip-theft --text "too early"
has_err "403.*this charter is not active yet: 1 of 2 continuing parties have handed over its predecessor"
p 0 --home a join s.json --key keys/cert-a.key
p 1 --home a notify --channel "$NEW" --to cert-c --category ip-theft --text "too early"
has_err "not sent: this charter is not active yet: 1 of 2"
p 0 --home a status
has_out "succession: this channel succeeds $(echo "$OLD" | cut -c1-16)... (followed here too"
has_out "succession: threads still open on the predecessor: 0"
has_out "succession: this charter is not active yet: 1 of 2 continuing parties have handed its predecessor over"
p 0 --home a channels --json
python3 - "$OLD" "$NEW" <<'PY' || fail "channels --json while handing over"
import json, sys
c = {x['id']: x['succession'] for x in json.load(open('out'))}
o, n = c[sys.argv[1]], c[sys.argv[2]]
assert (o['state'], o['successor'], o['handed_over'], o['continuing_parties'], o['handover_index']) == \
    ('handing over', sys.argv[2], 1, 2, None), o
assert (n['state'], n['predecessor'], n['predecessor_joined']) == ('not active yet', sys.argv[1], True), n
PY

p 0 --home b sync
p 0 --home b handover s.json
has_out "handover appended at index"
has_out "the channel has ended: every continuing party handed over (log size 5)"

# after the handover: no new thread on the old channel (CLI, then relay), open threads go on
p 1 --home a notify --channel "$OLD" --to cert-b --category ip-theft --text "after the handover"
has_err "not sent: the channel was handed over to its successor at .*no new threads"
# cert-x's entry 2 (its first) from the relay, to continue its chain
p 0 api --relay "$RELAY_URL" --key keys/cert-x.key GET "/v1/channels/$OLD/entries?from=2&limit=1"
tail -n +2 out | python3 -c "import sys,json,base64; sys.stdout.buffer.write(base64.b64decode(json.load(sys.stdin)['entries'][0]['entry']))" >x1.bin ||
	fail "entry 2"
"$PARLEY" entry new --key keys/cert-x.key --charter c.json --to cert-a --type notification \
	--category ip-theft --text late --seq 2 --prev x1.bin --out late.bin || fail "entry new"
p 1 api --relay "$RELAY_URL" --key keys/cert-x.key --data late.bin POST "/v1/channels/$OLD/entries"
has_out "^403"
has_out "handed over to its successor"
p 1 --home x ping cert-a
has_err "not sent"
p 0 --home b ack 0
p 0 --home b reply 0 --text "answered on the old channel"
p 0 --home a sync --channel "$OLD"
p 0 --home a thread 0 --channel "$OLD"
has_out "answered on the old channel"

# every node verifies the old log, handovers included (x fetched the successor from the relay)
for h in b x; do
	p 0 --home $h sync
	p 0 --home $h verify
done
p 0 --home a sync --channel "$OLD"
p 0 --home a verify --channel "$OLD"
p 0 --home x status
has_out "succession: handed over to $(echo "$NEW" | cut -c1-16)... at .* (log size 5): new threads open there (join it"
# cert-x does not follow the successor: its report stops at the handover and says so
p 0 --home x report --json
has_err "warning: the channel was handed over to $(echo "$NEW" | cut -c1-16)... at .*; this home does not follow it"

# the successor: cert-b from a new home with its new key; the old key cannot write there
p 1 --home b join s.json --key keys/cert-b.key
has_err "not a member"
p 0 --home b2 join s.json --key newkeys/cert-b.key
"$PARLEY" entry new --unchecked --key keys/cert-b.key --charter c.json --to cert-a --type notification \
	--category ip-theft --text "old key" --out oldkey.bin || fail "entry new"
p 1 api --relay "$RELAY_URL" --key keys/cert-b.key --data oldkey.bin POST "/v1/channels/$NEW/entries"
has_out "^40[13]"
# the latest charter is the default channel of a home that follows the chain
p 0 --home a notify --to cert-b,cert-c --category ip-theft --text "on the successor"
[ "$(tail -n 1 out)" = 0 ] || fail "successor thread 0"
p 0 --home b2 sync
has_out "1 received"
p 0 --home a status --channel "$NEW"
has_out "succession: this channel succeeds $(echo "$OLD" | cut -c1-16)... (followed here too"
p 0 --home a status --channel "$OLD"
has_out "succession: handed over to"

# proofs on either channel
p 0 --home a prove --channel "$OLD" 0
cp out old.proof
p 0 check-proof old.proof
p 0 --home a prove --channel "$NEW" 0
cp out new.proof
p 0 check-proof new.proof

done_ok
