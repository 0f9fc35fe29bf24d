#!/bin/sh
# --json on sync, verify and check-evidence (docs/cli-json.md): one JSON document on
# standard output, failures too (with the reason; the exit status is still 1), and the
# global --json works before the command's name as after it.
. "$(dirname "$0")/lib.sh"

setup_channel
"$PARLEY" --home a notify --to cert-b --category ip-theft --text "one" >/dev/null 2>&1 || fail "notify"
"$PARLEY" --home a notify --to cert-b --category ip-theft --text "two" >/dev/null 2>&1 || fail "notify"
p 0 --home b sync --json
python3 - "$CHANNEL" <<'PY' || fail "sync --json"
import json, sys
v = json.load(open('out'))
assert isinstance(v, list) and len(v) == 1, v
o = v[0]
assert o['channel'] == sys.argv[1] and o['ok'] is True, o
assert o['size'] == 2 and o['new'] == 2 and o['received'] == 2 and o['receipts_sent'] == 2, o
assert o['cosigned'] is True and o['undecryptable'] is False, o
PY
p 0 --json --home b verify
python3 - "$CHANNEL" <<'PY' || fail "verify --json"
import json, sys
o = json.load(open('out'))
assert o == {'channel': sys.argv[1], 'ok': True, 'entries': 2}, o
PY
# a failure is a JSON document too: the relay is gone
kill "$RELAY_PID" 2>/dev/null; wait "$RELAY_PID" 2>/dev/null
p 1 --home b sync --json --channel "$CHANNEL"
python3 - <<'PY' || fail "sync --json, relay down"
import json
v = json.load(open('out'))
assert len(v) == 1 and v[0]['ok'] is False and v[0]['error'], v
PY
has_err "^parley: "
# check-evidence: not a proof, with the reason
printf '{"parley_evidence": 1}' > bad.json
p 1 check-evidence --json bad.json
python3 - <<'PY' || fail "check-evidence --json"
import json
o = json.load(open('out'))
assert o['file'] == 'bad.json' and o['proof'] is False and o['reason'], o
PY
p 2 check-evidence --json
p 2 check-evidence --jsn bad.json
done_ok
