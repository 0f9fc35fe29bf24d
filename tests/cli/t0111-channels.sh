#!/bin/sh
# A home with several channels: 'channels' lists them (id, title, parties, relay, state,
# validity; --json) without the key; --channel takes an id prefix or the title (any case);
# a command that needs one channel and gets none or an ambiguous name lists the channels in
# its error; 'sync' without --channel syncs every channel.
. "$(dirname "$0")/lib.sh"

mkparty cert-x
setup_channel
# a second channel (with an auditor) and a third with the first one's title
"$PARLEY" charter new --title "Second Channel" --party keys/cert-a.pub --party keys/cert-b.pub \
	--auditor keys/cert-x.pub --scope ip-theft --relay "$RELAY_URL" --relay-key keys/relay.pub --out c2.json ||
	fail "charter 2"
"$PARLEY" charter new --title "test channel" --party keys/cert-a.pub --party keys/cert-b.pub \
	--scope ip-theft --relay "$RELAY_URL" --relay-key keys/relay.pub --out c3.json || fail "charter 3"
for k in cert-a cert-b cert-x; do "$PARLEY" charter sign --key keys/$k.key c2.json 2>/dev/null || fail "sign c2 $k"; done
for k in cert-a cert-b; do "$PARLEY" charter sign --key keys/$k.key c3.json 2>/dev/null || fail "sign c3 $k"; done
C2=$("$PARLEY" charter verify c2.json)
C3=$("$PARLEY" charter verify c3.json)

# one channel so far: no --channel needed, and 'channels' shows it
p 0 --home a channels
has_out "$CHANNEL  test channel"
has_out "parties:  cert-a, cert-b"
has_out "relay:    $RELAY_URL"
has_out "state:    active"
has_out "valid:    "
p 0 --home a notify --to cert-b --category ip-theft --text "one"

for h in a b; do
	"$PARLEY" --home $h join c2.json --key keys/cert-$h.key >/dev/null || fail "join c2 $h"
done
"$PARLEY" --home a join c3.json --key keys/cert-a.key >/dev/null || fail "join c3 a"

# the list, read from the files (no key: a home whose key file is gone still lists)
p 0 --home a channels
has_out "$C2  Second Channel"
has_out "parties:  cert-a, cert-b, cert-x (auditor)"
p 0 --home a channels --json
python3 - "$CHANNEL" "$C2" "$RELAY_URL" <<'PY' || fail "channels --json: $(cat out)"
import json, sys
v = json.load(open("out"))
assert [c["id"] for c in v] == [sys.argv[1], sys.argv[2], v[2]["id"]], v
assert v[1]["title"] == "Second Channel" and v[1]["relay"] == sys.argv[3]
assert v[1]["parties"] == [{"name": "cert-a", "role": "party"}, {"name": "cert-b", "role": "party"},
                           {"name": "cert-x", "role": "auditor"}], v[1]["parties"]
assert all(c["state"] == "active" and c["valid_until"].endswith("Z") and "halted" not in c for c in v)
PY

# several channels: a command that needs one lists them
p 1 --home a notify --to cert-b --category ip-theft --text "which?"
has_err "this node has joined 3 channels: name one with --channel"
has_err "$(echo "$CHANNEL" | cut -c1-16) \"test channel\""
has_err "$(echo "$C2" | cut -c1-16) \"Second Channel\""
# by title, in any case; by id prefix
p 0 --home a notify --channel "second channel" --to cert-b --category ip-theft --text "two"
p 0 --home a notify --channel "$(echo "$CHANNEL" | cut -c1-10)" --to cert-b --category ip-theft --text "three"
# a title two channels share is ambiguous, and the error names both
p 1 --home a notify --channel "Test Channel" --to cert-b --category ip-theft --text "four"
has_err "channel 'Test Channel' is ambiguous: it names 2 channels"
has_err "$(echo "$C3" | cut -c1-16) \"test channel\""
p 1 --home a inbox --channel nosuch
has_err "no joined channel has the id prefix or title 'nosuch'"
has_err "Second Channel"

# sync without --channel: every channel, each under its name
p 0 --home b sync
has_out "channel $(echo "$CHANNEL" | cut -c1-16) (test channel):"
has_out "channel $(echo "$C2" | cut -c1-16) (Second Channel):"
[ "$(grep -c '^verified log of' out)" = 2 ] || fail "expected two sync reports"
has_out "verified log of 2 entries (2 new); 2 received, 2 receipts sent"
has_out "verified log of 1 entries (1 new); 1 received, 1 receipts sent"
p 0 --home b inbox --channel "SECOND CHANNEL"
has_out "two"

# not a home
p 1 --home nowhere channels
has_err "not a parley node home"
done_ok
