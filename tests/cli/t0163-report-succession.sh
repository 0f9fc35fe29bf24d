#!/bin/sh
# A report over a period that spans a handover is one dialogue: the predecessor's figures and the
# successor's, merged by party name (cert-b's key is rotated: the same party), a party that left
# (cert-x) or joined (cert-c) counted only where it is a party, a thread still open on the old
# channel at the handover counted there. Both channels are served by a relay whose key the test
# holds (tests/cli/fake_relay.py, one directory per channel), so every figure is exact. The
# spanning bundle holds both channels' parts and check-report recomputes the merged figures; a
# fabricated successor spliced in, a dropped part, a chain pointing at the wrong predecessor, a
# missing handover all fail. status --json and channels --json show the succession.
. "$(dirname "$0")/lib.sh"
. "${SRCDIR:?}/tests/cli/report_succession.sh"
p 0 --home a status --channel "$OLD"
has_out "succession: handed over to $(echo "$NEW" | cut -c1-16)"
# status --json on the successor goes on with the threads still open on the predecessor
p 0 --home a status --channel "$NEW" --json
python3 - "$OLD" "$NEW" <<'PY' || fail "status --json across the succession"
import json, sys
old, new = sys.argv[1], sys.argv[2]
v = json.load(open('out'))
own = [t['thread'] for t in v if t['channel'] == new and 'predecessor' not in t]
prev = [t['thread'] for t in v if t['channel'] == old and t.get('predecessor') is True]
assert sorted(own) == [0, 4, 6] and sorted(prev) == [0, 3, 5], v
assert v[:len(own)] == [t for t in v if t['channel'] == new], "the channel's own threads come first"
PY
p 0 --home a status --channel "$OLD" --json
python3 - "$OLD" <<'PY' || fail "status --json of the old channel"
import json, sys
v = json.load(open('out'))
assert sorted(t['thread'] for t in v) == [0, 3, 5] and all(t['channel'] == sys.argv[1] and 'predecessor' not in t for t in v), v
PY
# channels: where each stands in the chain, from the files and the replica (no key)
p 0 --home a channels --json
python3 - "$OLD" "$NEW" <<'PY' || fail "channels --json succession"
import json, sys
old, new = sys.argv[1], sys.argv[2]
c = {x['id']: x['succession'] for x in json.load(open('out'))}
assert c[old] == {'predecessor': None, 'predecessor_joined': False, 'successor': new, 'successor_joined': True,
                  'continuing_parties': 2, 'handed_over': 2, 'handover_index': 7, 'handover_size': 8,
                  'handed_over_at': '2026-09-01T11:40:00Z', 'state': 'wound down'}, c[old]
assert c[new] == {'predecessor': old, 'predecessor_joined': True, 'successor': None, 'successor_joined': False,
                  'continuing_parties': 0, 'handed_over': 0, 'handover_index': None, 'handover_size': None,
                  'handed_over_at': None, 'state': 'active'}, c[new]
PY
p 0 --home a channels
has_out "handed over to $(echo "$NEW" | cut -c1-16)... at 2026-09-01T11:40:00Z (log size 8)"
has_out "succeeds: $(echo "$OLD" | cut -c1-16)..."
has_out "chain:    wound down"

# the whole dialogue, asked on either channel: the same report
p 0 --home a report --channel "$NEW" --json --bundle whole.json
cp out whole-new.json
p 0 --home a report --channel "$OLD" --json
cmp -s out whole-new.json || fail "the report on the old channel differs from the one on the new: $(diff out whole-new.json | head)"
p 0 check-report --json whole.json
cmp -s out whole-new.json || fail "check-report --json differs from report --json: $(diff out whole-new.json | head)"
python3 - "$OLD" "$NEW" <<'PY' || fail "figures over the handover"
import json, sys
old, new = sys.argv[1], sys.argv[2]
r = json.load(open('whole-new.json'))
b = json.load(open('whole.json'))
p = {x['party']: x for x in r['parties']}
d = {(x['from'], x['to']): x for x in r['directions']}
def st(s): return (s['n'], s['median_ms'], s['p90_ms'], s['max_ms'])
def ob(x):
    o = x['obligations']
    return (o['total'], o['met'], o['late'], o['missed'])
M = 60000
assert [x['party'] for x in r['parties']] == ['cert-a', 'cert-b', 'cert-x', 'cert-c'], r['parties']
assert r['channel'] == new and r['title'] == 'second term', r['channel']
c = r['chain']
assert [x['channel'] for x in c] == [old, new] and c[0]['predecessor'] is None and c[1]['predecessor'] == old, c
assert c[0]['handover'] == {'successor': new, 'size': 8, 'at': '2026-09-01T11:40:00Z', 'at_ms': 1788249600000 + 220 * M}, c[0]
assert c[1]['handover'] is None and c[0]['checkpoint']['size'] == 11 and c[1]['checkpoint']['size'] == 9, c
assert c[0]['checkpoint']['cosigned_by'] == ['cert-a', 'cert-b', 'cert-x'], c[0]
assert c[1]['checkpoint']['cosigned_by'] == ['cert-a', 'cert-b', 'cert-c'] == r['checkpoint']['cosigned_by'], c[1]
# cert-b: N1 and N2 on the old channel (N2 answered after the handover, late to acknowledge), S1 on the new
B = p['cert-b']
assert (B['notifications'], ob(B)) == (3, (6, 5, 1, 0)), B
assert st(B['acknowledge']) == (3, 10 * M, 90 * M, 90 * M), B['acknowledge']
assert st(B['respond']) == (3, 100 * M, 120 * M, 120 * M), B['respond']
# cert-a: X1 from cert-x (old), C1 from cert-c (new, late twice), a ping from cert-b's new key
A = p['cert-a']
assert (A['notifications'], ob(A)) == (2, (4, 2, 2, 0)), A
assert st(A['acknowledge']) == (2, 30 * M, 100 * M, 100 * M) and st(A['respond']) == (2, 230 * M, 300 * M, 300 * M), A
assert (A['pings']['received'], A['pings']['answered']) == (1, 1) and st(A['pings']['round_trip']) == (1, 4000, 4000, 4000)
# cert-x left, cert-c joined: each counted where it is a party
X, C = p['cert-x'], p['cert-c']
assert (X['notifications'], ob(X)) == (0, (0, 0, 0, 0)), X
assert (C['notifications'], ob(C)) == (1, (2, 1, 0, 1)) and st(C['acknowledge']) == (1, 30 * M, 30 * M, 30 * M), C
# directions across both channels
assert d[('cert-a', 'cert-b')]['notifications'] == 3 and d[('cert-x', 'cert-a')]['notifications'] == 1
assert d[('cert-c', 'cert-a')]['notifications'] == 1 and d[('cert-b', 'cert-a')]['pings']['answered'] == 1
assert ob(d[('cert-c', 'cert-a')]) == (2, 0, 2, 0) and ob(d[('cert-x', 'cert-a')]) == (2, 2, 0, 0)
assert d[('cert-a', 'cert-c')]['obligations']['missed'] == 1 and d[('cert-x', 'cert-b')]['notifications'] == 0
# the bundle: both parts, the old one holding both handovers and the answers after them
assert set(b) == {'parley_report', 'period', 'chain', 'figures'}, list(b)
assert [x['complete'] for x in b['chain']] == [{'from': 0, 'to': 10}, {'from': 0, 'to': 8}], b['chain']
PY
p 0 check-report whole.json
has_out "^chain:      2 channels of one succession, as one dialogue"
has_out "^part 1:     channel $(echo "$OLD" | cut -c1-16)... (first term): a checkpoint of 11 entries, cosigned by cert-a, cert-b, cert-x"
has_out "handed over to $(echo "$NEW" | cut -c1-16)... at 2026-09-01T11:40:00Z (log size 8); its open threads count here"
has_out "^notifications received  *2  *3  *0  *1$"

# a period that spans the handover (the first of September), as above
p 0 --home a report --from 2026-09-01 --to 2026-09-01 --json --bundle day.json
cp out day-report.json
p 0 check-report --json day.json
cmp -s out day-report.json || fail "the day's bundle does not give the day's report"
python3 - <<'PY' || fail "the day"
import json
r = json.load(open('day-report.json'))
assert len(r['chain']) == 2 and {x['party']: x['notifications'] for x in r['parties']} == \
    {'cert-a': 2, 'cert-b': 3, 'cert-x': 0, 'cert-c': 1}, r
PY
# before the handover: the old channel alone, as a report over one channel
p 0 --home a report --channel "$NEW" --to 2026-09-01T11:00:00Z --json --bundle before.json
cp out before-report.json
p 0 check-report --json before.json
cmp -s out before-report.json || fail "before: check-report differs"
python3 - "$OLD" <<'PY' || fail "before the handover"
import json, sys
r = json.load(open('before-report.json'))
assert r['channel'] == sys.argv[1] and 'chain' not in r, r.get('chain')
assert [x['party'] for x in r['parties']] == ['cert-a', 'cert-b', 'cert-x']
assert {x['party']: x['notifications'] for x in r['parties']} == {'cert-a': 1, 'cert-b': 1, 'cert-x': 0}
assert 'chain' not in json.load(open('before.json'))
PY
# after it: the successor alone, which says that its predecessor is not part of the report
p 0 --home a report --channel "$OLD" --from 2026-09-01T12:00:00Z --json --bundle after.json
cp out after-report.json
p 0 check-report --json after.json
cmp -s out after-report.json || fail "after: check-report differs"
python3 - "$OLD" "$NEW" <<'PY' || fail "after the handover"
import json, sys
r = json.load(open('after-report.json'))
assert r['channel'] == sys.argv[2] and [x['channel'] for x in r['chain']] == [sys.argv[2]], r['chain']
assert r['chain'][0]['predecessor'] == sys.argv[1]
assert {x['party']: x['notifications'] for x in r['parties']} == {'cert-a': 1, 'cert-b': 1, 'cert-c': 1}
PY
p 0 check-report after.json
has_out "this charter succeeds $(echo "$OLD" | cut -c1-16)..., whose log is not part of this report"

# the fabricated successor's own (valid) part, from a home that follows it
"$PARLEY" --home f join f.json --key keys/cert-c.key >/dev/null || fail "join f"
p 0 --home f sync
p 0 --home f report --bundle fab.json

python3 - <<'PY' || fail "tamper"
import copy, json
w = json.load(open('whole.json'))
fab = json.load(open('fab.json'))
part = lambda b: {k: b[k] for k in ('charter', 'checkpoint', 'entries', 'complete', 'cosigned') if k in b}
def out(name, b):
    json.dump(b, open(name + '.json', 'w'), indent=1)
b = copy.deepcopy(w); b['chain'][1] = part(fab); out('spliced', b)
b = copy.deepcopy(w); b['chain'] = [part(fab), w['chain'][1]]; out('wrong-pred', b)
b = copy.deepcopy(w); b['chain'] = [w['chain'][1], w['chain'][0]]; out('reversed', b)
b = copy.deepcopy(w); del b['chain']; b.update(w['chain'][1]); out('dropped-old', b)
b = copy.deepcopy(w); del b['chain']; b.update(w['chain'][0]); out('dropped-new', b)
b = copy.deepcopy(w); b['chain'] = b['chain'][:1]; out('chain-of-one', b)
b = copy.deepcopy(w); b['chain'].append(copy.deepcopy(w['chain'][1])); out('twice', b)
# the old part cut before cert-b's handover (the period is cut there too, so the range covers it)
b = copy.deepcopy(w); b['chain'][0]['entries'] = b['chain'][0]['entries'][:7]
b['chain'][0]['complete']['to'] = 6; b['period']['to_ms'] = 1788249600000 + 205 * 60000; out('no-handover', b)
b = copy.deepcopy(w); b['chain'][1]['charter']['charter']['title'] = 'forged'; out('charter', b)
b = copy.deepcopy(w); b['figures']['parties'][1]['notifications'] = 2; out('figure', b)
b = copy.deepcopy(w); b['chain'][0]['verdict'] = 'guilty'; out('unknown', b)
b = copy.deepcopy(w); b['chain'][1] = 'x'; out('not-object', b)
b = copy.deepcopy(w); b['charter'] = w['chain'][0]['charter']; out('both-forms', b)
PY
refused() {
	p 1 check-report "$1.json"
	has_err "$2"
}
refused spliced "report: chain part 1: entry 6 hands the channel over to $(echo "$NEW" | cut -c1-16), not to the next part of the chain ($(echo "$FAB" | cut -c1-16))"
refused wrong-pred "report: chain part 2: charter $(echo "$NEW" | cut -c1-16) does not name part 1's charter ($(echo "$FAB" | cut -c1-16)) as its predecessor"
refused reversed "report: chain part 2: charter $(echo "$OLD" | cut -c1-16) does not name part 1's charter"
refused dropped-old "report: the bundle states"
refused dropped-new "report: the bundle states"
refused chain-of-one "report: 'chain' must be a list of 2 to 16"
refused twice "report: chain part 3: charter"
refused no-handover "report: chain part 1: its entries do not hand the channel over to the next part ($(echo "$NEW" | cut -c1-16)): 1 of 2 continuing parties hand over in the range"
refused charter "report: chain part 2: charter"
refused figure "report: the bundle states 2 for parties\[1\].notifications, but its entries give 3"
refused unknown "report: chain part 1: unknown field 'verdict'"
refused not-object "report: chain part 2 is not an object"
refused both-forms "report: unknown field 'charter'"
done_ok
