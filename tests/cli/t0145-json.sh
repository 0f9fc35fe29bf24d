#!/bin/sh
# t0145: --json on inbox, show and thread: one JSON document each, with the member names of
# docs/cli-json.md and the values the human output shows (times ISO 8601 UTC with milliseconds,
# durations in exact milliseconds); the human output stays as it was.
. "$SRCDIR/tests/cli/lib.sh"

CHARTER_ARGS="--deadline acknowledge=3600 --deadline respond=7200" setup_channel

p 0 --home a notify --to cert-b --category ip-theft --text "hello b" \
	--stix "$SRCDIR/examples/notification-bundle.json"
N=$(tail -n 1 out)
p 0 --home b sync
p 0 --home b ack "$N" --text "seen"
A=$(tail -n 1 out)
p 0 --home a ping cert-b
P=$(tail -n 1 out)
p 0 --home b sync
p 0 --home a sync

# inbox --json: an array, one object per entry, in log order
p 0 --home a inbox --json
no_err
python3 - "$N" "$A" "$P" <<'PY' || fail "inbox --json"
import json, re, sys
n, a, pi = map(int, sys.argv[1:])
d = json.load(open('out'))
assert isinstance(d, list), d
assert [e['index'] for e in d] == list(range(len(d))), 'indexes in order'
iso = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$')
for e in d:
    for m in ('index', 'integrated_at', 'sender', 'seq', 'type', 'thread', 'opens_thread', 'category', 'tlp',
              'refs', 'to', 'hash', 'addressed', 'decrypted', 'summary', 'payload_bytes', 'text', 'stix',
              'with_checkpoint'):
        assert m in e, (m, e)
    assert iso.match(e['integrated_at']), e['integrated_at']
    assert re.match(r'^[0-9a-f]{64}$', e['hash'])
e = d[n]
assert e['type'] == 'notification' and e['sender'] == 'cert-a' and 'cert-b' in e['to'], e
assert e['thread'] == n and e['opens_thread'] is True and e['refs'] == [], e
assert e['text'] == 'hello b' and e['stix']['type'] == 'bundle' and e['summary'] == 'hello b', e
assert e['category'] == 'ip-theft' and e['addressed'] and e['decrypted'], e
e = d[a]
assert e['type'] == 'acknowledgement' and e['sender'] == 'cert-b' and e['thread'] == n and e['opens_thread'] is False, e
assert e['text'] == 'seen' and e['stix'] is None, e
rc = [x for x in d if x['type'] == 'receipt' and x['sender'] == 'cert-b' and x['covers'] == [[n, n]]]
assert rc and rc[0]['summary'] == 'receipt for entry %d' % n and rc[0]['with_checkpoint'] is True, rc
assert rc[0]['refs'] == [] and rc[0]['verified_size'] == n + 1, rc  # batched: one range, the tree it verified
assert d[pi]['type'] == 'ping' and d[pi]['summary'] == 'ping' and d[pi]['thread'] == pi and d[pi]['opens_thread'], d[pi]
pr = [x for x in d if x['type'] == 'ping-response']
assert pr and pr[0]['thread'] == pi and pr[0]['summary'] == 'answers ping %d' % pi, pr
PY

# show --json: the same object as inbox's, for one entry; the same wherever --json stands
p 0 --home a show "$N" --json
no_err
cp out show.json
p 0 --json --home a show "$N"
cmp -s out show.json || fail "show --json differs with --json before the command"
python3 - "$N" <<'PY' || fail "show --json"
import json, sys
n = int(sys.argv[1])
s = json.load(open('show.json'))
assert s['index'] == n and s['text'] == 'hello b' and s['stix']['objects'], s
PY
# the human output is unchanged
p 0 --home a show "$N"
has_out "^thread:     $N (this entry opens it)$"
python3 -c 'import json,sys; json.load(open("out"))' 2>/dev/null && fail "show without --json prints JSON"
p 0 --home b show "$N" --json
python3 -c 'import json; s=json.load(open("out")); assert s["text"] == "hello b" and s["sender"] == "cert-a"' ||
	fail "b reads its entry"

# thread --json: the thread, its obligations (exact milliseconds), its verdict and its entries
p 0 --home a thread "$N" --json
no_err
python3 - "$N" "$A" <<'PY' || fail "thread --json"
import json, sys
n, a = map(int, sys.argv[1:])
t = json.load(open('out'))
assert t['thread'] == n and t['type'] == 'notification' and t['from'] == 'cert-a' and t['to'] == ['cert-b'], t
assert t['state'] in ('acknowledged', 'open'), t['state']
assert t['acknowledged_at'] and t['closed_at'] is None and t['round_trip_ms'] is None, t
ack = [o for o in t['obligations'] if o['kind'] == 'acknowledge']
assert ack and ack[0]['party'] == 'cert-b' and ack[0]['entry'] == a and ack[0]['outcome'] == 'met', ack
assert isinstance(ack[0]['after_ms'], int) and ack[0]['after_ms'] >= 0 and ack[0]['overdue_by_ms'] is None, ack
assert set(t['verdict']) >= {'code', 'text', 'parties'}, t['verdict']
idx = [e['index'] for e in t['entries']]
assert idx[0] == n and a in idx, idx
assert all(e['thread'] == n for e in t['entries']), t['entries']
PY
p 0 --home a thread "$P" --json
python3 - "$P" <<'PY' || fail "thread --json of a ping"
import json, sys
t = json.load(open('out'))
assert t['type'] == 'ping' and isinstance(t['round_trip_ms'], int) and t['round_trip_ms'] >= 0, t
PY

# status --json keeps its members
p 0 --home a status --json
python3 -c '
import json; d = json.load(open("out"))
assert all("seconds_to_deadline" in t and "obligations" in t and "thread" in t for t in d), d' || fail "status --json"

# mistakes: a wrong index is exit 1 with a reason, no JSON; an empty replica is an empty array
p 1 --home a show 9999 --json
has_err "no entry 9999"
[ -s out ] && fail "show of a missing entry prints something on stdout"
p 1 --home a thread 9999 --json
[ -s out ] && fail "thread of a missing entry prints something on stdout"
p 2 --home a inbox --json extra
done_ok
