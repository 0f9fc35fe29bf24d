#!/bin/sh
# A node killed (SIGKILL) part-way through syncs that owe many receipts resumes on
# its next sync: its replica verifies, and every entry addressed to it is covered by
# exactly one of its receipts in the log (batched: a few receipt entries), none lost, none twice. Then: a rate-limited relay answers 429, and
# a node backs off and completes its sync.
. "$(dirname "$0")/lib.sh"

setup_channel
N=300
i=0
while [ $i -lt $N ]; do
	"$PARLEY" --home a notify --to cert-b --category ip-theft --text "incident $i" >/dev/null 2>&1 ||
		fail "notify $i"
	i=$((i + 1))
done

# the relay's log size, from its checkpoint (signed at once on request when the log grew)
logsize() {
	"$PARLEY" api --relay "$RELAY_URL" --key keys/cert-a.key GET "/v1/channels/$CHANNEL/checkpoint" 2>/dev/null |
		sed -n 3p
}
# Kill syncs at growing delays until three were killed while sending receipts (the log grew
# during the sync) or one completes; the delay adapts to the machine's speed (or ASan's).
kills=0 midway=0 delay=0.02 rounds=0
while [ "$midway" -lt 3 ] && [ "$rounds" -lt 40 ]; do
	rounds=$((rounds + 1))
	before=$(logsize)
	"$PARLEY" --home b sync >/dev/null 2>&1 &
	pid=$!
	sleep "$delay"
	killed=0
	kill -KILL "$pid" 2>/dev/null && killed=1
	wait "$pid" 2>/dev/null
	p 0 --home b verify      # the replica holds only verified entries at every moment
	[ "$killed" = 1 ] || break
	kills=$((kills + 1))
	if [ "$(logsize)" -gt "$before" ]; then
		midway=$((midway + 1))
	else
		delay=$(python3 -c "print(round($delay * 1.5, 3))")
	fi
done
# one batched receipt per sync: a kill lands before or after it, rarely while it is sent
[ "$kills" -ge 1 ] || fail "no sync was killed ($rounds rounds, last delay $delay s)"
echo "killed $kills syncs, $midway of them while sending receipts" >&2
p 0 --home b sync
p 0 --home b verify
p 0 --home b sync        # nothing is owed any more
has_out "0 receipts sent"

# count cert-b's receipts in the relay's log (entry layout: docs/protocol.md §5)
p 0 api --relay "$RELAY_URL" --key keys/cert-b.key GET "/v1/channels/$CHANNEL/entries?from=0&limit=500"
mv out page1
p 0 api --relay "$RELAY_URL" --key keys/cert-b.key GET "/v1/channels/$CHANNEL/entries?from=500&limit=500"
mv out page2
python3 - "$N" <<'PY' || fail "receipts"
import base64, json, struct, sys
n = int(sys.argv[1])
log = []
for page in ('page1', 'page2'):
    body = open(page).read()
    log += json.loads(body[body.index('{'):])['entries']
assert [e['index'] for e in log] == list(range(len(log))), 'a gap in the log'

notes, covered, nrec = set(), [], 0
for e in log:
    b = base64.b64decode(e['entry'])
    typ = b[89]
    if typ == 1:
        notes.add(e['index'])
    elif typ == 5:
        nrec += 1
        nrefs = b[98]
        refs = [struct.unpack('>Q', b[99 + 8 * k:107 + 8 * k])[0] for k in range(nrefs)]
        if refs[0] == 2**64 - 1:  # batched: tag, size, root (4 words), then (first, last) pairs
            assert nrefs >= 8 and nrefs % 2 == 0, refs
            for k in range(6, nrefs, 2):
                covered += [i for i in range(refs[k], refs[k + 1] + 1) if i in notes]
        else:
            assert nrefs == 1
            covered.append(refs[0])
assert len(notes) == n, len(notes)
assert len(log) == n + nrec, 'entries other than notifications and receipts'
assert nrec <= 10, 'not batched: %d receipts for %d entries' % (nrec, n)
assert len(covered) == len(set(covered)), 'an entry receipted twice'
assert set(covered) == notes, 'missing receipts: %s' % sorted(notes - set(covered))[:5]
PY

# the relay's rate limit (1 request per second per key, burst 2): the api command shows the
# 429; a node's requests back off and retry until they pass
port=$(cat relay.port)
stop_relay
RELAY_ARGS="--rate 1" start_relay relay "$port"
limited=0
for _ in 1 2 3 4 5; do
	"$PARLEY" api --relay "$RELAY_URL" --key keys/cert-a.key GET "/v1/channels/$CHANNEL/checkpoint" >out 2>&1
	grep -q '^429' out && grep -q rate-limited out && limited=$((limited + 1))
done
[ "$limited" -ge 1 ] || fail "five requests at once were not rate limited"
p 0 --home a notify --to cert-b --category ip-theft --text "after the limit"
p 0 --home b sync
has_out "1 receipts sent"
done_ok
