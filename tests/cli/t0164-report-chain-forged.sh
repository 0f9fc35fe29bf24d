#!/bin/sh
# A chain bundle whose old part holds a thread opened after the handover is refused: a relay that
# holds its key can sign a log with such an entry, but no honest relay or node admits it (the old
# channel winds down at its end, docs/protocol.md 4.1.4), so check-report must not count it either.
# The entries before the end are judged as the relay judged them (without the end). The HTML page of a
# chain report names its channels and the handover.
. "$(dirname "$0")/lib.sh"
. "${SRCDIR:?}/tests/cli/report_succession.sh"

p 0 --home a report --bundle whole.json --html chain.html
p 0 check-report --html check.html whole.json
cmp -s chain.html check.html || fail "check-report --html differs from report --html"
grep -q "One dialogue over 2 channels of a succession" chain.html || fail "the HTML does not show the chain"
grep -q "first term: a checkpoint of 11 entries; handed over to <code>$(echo "$NEW" | cut -c1-16)&hellip;</code> on 2026-09-01 at log size 8" chain.html ||
	fail "the HTML does not show the handover"
# the forged old log: cert-x opens a thread after the handover, the relay's key signs it all
cp "log-c.json.txt" honest.txt
add c.json $X cert-a notification $((T0 + 350 * M))            # 11 after the end (11:40)
mkdir -p forged
# shellcheck disable=SC2046
serve_log forged "$OLD" keys/relay.key $(cat log-c.json.txt)
python3 - <<'PY' || fail "forged bundle"
import base64, hashlib, json, struct
def h(b): return hashlib.sha256(b).digest()
log = json.load(open('forged/log.json'))
leaves = [h(b'\x00' + struct.pack('>Q', e['integrated_ms']) + base64.b64decode(e['entry'])) for e in log]
def mth(d):
    if len(d) == 1: return d[0]
    k = 1
    while k * 2 < len(d): k *= 2
    return h(b'\x01' + mth(d[:k]) + mth(d[k:]))
def path(m, d):
    if len(d) == 1: return []
    k = 1
    while k * 2 < len(d): k *= 2
    return path(m, d[:k]) + [mth(d[k:])] if m < k else path(m - k, d[k:]) + [mth(d[:k])]
note = open('forged/checkpoint.note').read()
assert base64.b64encode(mth(leaves)).decode() == note.split('\n')[2], "root"
w = json.load(open('whole.json'))
part = w['chain'][0]
part.pop('cosigned', None)
part['checkpoint'] = note
part['entries'] = [{'index': i, 'integrated_ms': e['integrated_ms'], 'entry': e['entry'],
                    'inclusion': [x.hex() for x in path(i, leaves)]} for i, e in enumerate(log)]
part['complete'] = {'from': 0, 'to': len(log) - 1}
json.dump(w, open('forged.json', 'w'), indent=1)
# the same log without the forged entry passes the chain checks (only the figures differ)
PY
p 1 check-report forged.json
has_err "report: chain part 1: entry 11 is not admissible after the handover: "
has_err "handed over to its successor"
done_ok
