#!/bin/sh
# A hostile member re-covering the whole log in every batched receipt costs the other nodes
# nothing more than its new indexes: a node's incremental state keeps what each writer's
# batched receipts covered as merged intervals (lib/node_state.c cover_range) and visits an
# index once per writer, as the obligation engine does. Forty receipts by cert-b each
# covering entries 0..29, across two syncs of cert-a's node: the state still equals the
# engine's (verify), status agrees with status --all, and cert-b's covers are one interval.
. "$(dirname "$0")/lib.sh"

setup_channel
i=0
while [ $i -lt 30 ]; do
	"$PARLEY" --home a notify --to cert-b --category ip-theft --text "incident $i" >/dev/null 2>&1 || fail "notify $i"
	i=$((i + 1))
done
"$PARLEY" api --relay "$RELAY_URL" --key keys/cert-b.key GET "/v1/channels/$CHANNEL/entries?from=0" >page 2>&1 ||
	fail "entries"
W=$(python3 - <<'PY'
import base64, hashlib, json, struct
body = open('page').read()
log = json.loads(body[body.index('{'):])['entries'][:30]
leaves = [hashlib.sha256(b'\0' + struct.pack('>Q', e['integrated_ms']) + base64.b64decode(e['entry'])).digest()
          for e in log]
def mth(v):
    if len(v) == 1:
        return v[0]
    k = 1
    while k * 2 < len(v):
        k *= 2
    return hashlib.sha256(b'\1' + mth(v[:k]) + mth(v[k:])).digest()
print(' '.join(str(w) for w in struct.unpack('>4Q', mth(leaves))))
PY
)
[ -n "$W" ] || fail "no root"
TAG=18446744073709551615
# cert-b's receipts seq FROM..TO, each covering 0..29 of the tree of size 30
post_receipts() {
	s=$1
	while [ "$s" -le "$2" ]; do
		prev=""
		[ "$s" -gt 1 ] && prev="--prev r$((s - 1)).bin"
		refs="--ref $TAG --ref 30"
		for w in $W; do refs="$refs --ref $w"; done
		# shellcheck disable=SC2086
		"$PARLEY" entry new --key keys/cert-b.key --charter c.json --to cert-a --type receipt --thread 0 $refs \
			--ref 0 --ref 29 --seq "$s" $prev --category ip-theft --text '{}' --out "r$s.bin" --unchecked \
			>/dev/null 2>&1 || fail "entry new r$s"
		p 0 api --relay "$RELAY_URL" --key keys/cert-b.key --data "r$s.bin" POST "/v1/channels/$CHANNEL/entries"
		has_out "^201"
		s=$((s + 1))
	done
}
post_receipts 1 20
p 0 --home a sync
post_receipts 21 40
p 0 --home a sync
p 0 --home a verify
p 0 --home a status --json
cp out open.json
p 0 --home a status --all --json
python3 - <<'PY' || fail "status and status --all disagree on the open threads"
import json
op = json.load(open('open.json'))
al = [t for t in json.load(open('out')) if t['state'] != 'closed']
def strip(t):  # what moves with the clock between the two runs
    t.pop('seconds_to_deadline', None)
    for o in t.get('obligations', []):
        o.pop('overdue_by_ms', None)
    return t
key = lambda t: t['thread']
assert len(op) == 30, len(op)
assert sorted(map(strip, op), key=key) == sorted(map(strip, al), key=key), (op, al)
PY
# the delivery the receipts show, once per thread
p 0 --home a thread 0
has_out "cert-b"
# cert-b's covers in cert-a's replica: one interval, 0..29
python3 - <<'PY' || fail "covered ranges"
import glob, sqlite3, struct
rows = []
for db in glob.glob('a/**/*.db', recursive=True) + glob.glob('a/**/*.sqlite', recursive=True):
    c = sqlite3.connect(db)
    try:
        rows += [(bytes(k), bytes(v)) for k, v in c.execute("SELECT k, v FROM node_state WHERE substr(k,1,1) = x'76'")]
    except sqlite3.OperationalError:
        pass
assert len(rows) == 1, rows
k, v = rows[0]
assert len(k) == 13 and struct.unpack('>Q', k[5:])[0] == 29 and struct.unpack('>Q', v)[0] == 0, rows
PY
done_ok
