#!/bin/sh
# A channel is its charter's id: any serialisation of the same signed charter opens the same
# channel (no squatting with a re-formatted copy), and the relay stores one canonical form.
. "$(dirname "$0")/lib.sh"

mkparty cert-a; mkparty cert-b; mkparty relay
start_relay relay
"$PARLEY" charter new --title "canonical" --party keys/cert-a.pub --party keys/cert-b.pub \
	--scope ip-theft --relay "$RELAY_URL" --relay-key keys/relay.pub --out c.json || fail "charter"
for k in cert-a cert-b; do "$PARLEY" charter sign --key keys/$k.key c.json 2>/dev/null || fail "sign $k"; done
CHANNEL=$("$PARLEY" charter verify c.json)
# cert-a re-serialises the signed charter (keys sorted, other spacing, signatures reversed) and opens it first
python3 - <<'PY'
import json
d = json.load(open('c.json'))
d['signatures'].reverse()
open('squat.json', 'w').write(json.dumps(d, sort_keys=True, indent=7, ensure_ascii=True) + '\n\n')
PY
cmp -s c.json squat.json && fail "the copy is not a re-serialisation"
p 0 api --relay "$RELAY_URL" --key keys/cert-a.key --data squat.json --content-type application/json POST /v1/channels
has_out "^201"
has_out "$CHANNEL"
# cert-b joins with the original file: the same channel, not 409 "registered with another charter file"
p 0 --home b join c.json --key keys/cert-b.key
p 0 --home a join squat.json --key keys/cert-a.key
# the original and the copy both re-open idempotently
p 0 api --relay "$RELAY_URL" --key keys/cert-b.key --data c.json --content-type application/json POST /v1/channels
has_out "^201"
p 0 api --relay "$RELAY_URL" --key keys/cert-b.key --data squat.json --content-type application/json POST /v1/channels
has_out "^201"
# the relay stored the canonical form: RFC 8785 JSON, signatures ordered by name, whatever was sent first
p 0 api --relay "$RELAY_URL" --key keys/cert-b.key GET "/v1/channels/$CHANNEL/charter"
sed 1d out > stored.json
python3 - <<'PY' || fail "the stored charter is not canonical"
import json, sys
raw = open('stored.json', 'rb').read().rstrip(b'\n')
d = json.loads(raw)
canon = json.dumps(d, sort_keys=True, separators=(',', ':'), ensure_ascii=False).encode()
names = [s['name'] for s in d['signatures']]
sys.exit(0 if raw == canon and names == sorted(names) else 1)
PY
# and the channel works for both
p 0 --home a notify --to cert-b --category ip-theft --text "one"
p 0 --home b sync
has_out "1 received"
stop_relay
done_ok
