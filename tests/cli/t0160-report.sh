#!/bin/sh
# parley report and check-report on a scripted channel history with known answers: answers in
# time, late, missed, a withdrawn thread, a thread whose deadlines the log does not reach, pings,
# an escalation and PSI requests answered and refused, over two months. The log is served by a
# relay whose key the test holds (tests/cli/fake_relay.py), so every integration time, and so
# every figure, is exact. cert-b cosigned the checkpoint now, after every deadline: it is blamed.
. "$(dirname "$0")/lib.sh"

. "${SRCDIR:?}/tests/cli/report_history.sh"
report_history cert-b

# the whole log
p 0 --home a report --json
cp out whole.json
p 0 --home a report --bundle whole-bundle.json --html whole.html
has_out "per party, as recipient"
has_out "cert-a->cert-b"
p 0 check-report --json whole-bundle.json
cmp -s out whole.json || fail "check-report --json differs from report --json: $(diff out whole.json | head)"
check_whole() {
	python3 - "$1" <<'PY' || fail "figures of the whole log ($1)"
import json, sys
r = json.load(open(sys.argv[1]))
p = {x['party']: x for x in r['parties']}
d = {(x['from'], x['to']): x for x in r['directions']}
b, a = p['cert-b'], p['cert-a']
def st(s): return (s['n'], s['median_ms'], s['p90_ms'], s['max_ms'])
assert r['checkpoint']['size'] == 26 and r['checkpoint']['cosigned_by'] == ['cert-a', 'cert-b'], r['checkpoint']
assert (b['notifications'], b['requests']) == (5, 1), b
o = b['obligations']
assert (o['total'], o['met'], o['late'], o['missed'], o['missed_unconfirmed'], o['not_established'],
        o['not_applicable'], o['withdrawn']) == (12, 4, 1, 3, 0, 2, 2, 2), o
assert st(b['acknowledge']) == (3, 600000, 1800000, 1800000), b['acknowledge']
assert st(b['respond']) == (2, 7200000, 21600000, 21600000), b['respond']
assert (b['pings']['received'], b['pings']['answered']) == (2, 2) and st(b['pings']['round_trip']) == (2, 2000, 3000, 3000), b['pings']
assert b['escalations'] == 1 and b['psi'] == {'requests': 1, 'answered': 1, 'refused': 0}, b
assert (a['notifications'], a['requests']) == (1, 0), a
o = a['obligations']
assert (o['total'], o['met'], o['late'], o['missed'], o['not_established'], o['not_applicable']) == (2, 1, 1, 0, 0, 0), o
assert st(a['acknowledge']) == (1, 5400000, 5400000, 5400000) and st(a['respond']) == (1, 10800000, 10800000, 10800000), a
assert st(a['pings']['round_trip']) == (1, 5000, 5000, 5000) and a['psi'] == {'requests': 1, 'answered': 0, 'refused': 1}, a
assert a['escalations'] == 0
# two parties: each direction is the other party's figures
assert d[('cert-a', 'cert-b')] == dict(b, **{'from': 'cert-a', 'to': 'cert-b'}) or \
    {k: v for k, v in d[('cert-a', 'cert-b')].items() if k not in ('from', 'to')} == {k: v for k, v in b.items() if k != 'party'}
assert {k: v for k, v in d[('cert-b', 'cert-a')].items() if k not in ('from', 'to')} == {k: v for k, v in a.items() if k != 'party'}
assert r['period']['from_ms'] == 0 and r['period']['to_ms'] is None
PY
}
check_whole whole.json
check_whole out

# the text report shows the same figures as the JSON
p 0 check-report whole-bundle.json
has_out "^  late  *1  *1$"
has_out "^  missed  *0  *3$"
has_out "^    of which withdrawn  *0  *2$"
has_out "^time to acknowledge: median  *1h 30m (1)  *10m 00s (3)$"
has_out "^pings answered  *1 of 1  *2 of 2$"

# October only: the bundle starts just before the period and ends with it
p 0 --home a report --from 2026-10-01 --to 2026-10-31 --json --bundle oct.json
cp out oct-report.json
p 0 check-report --json oct.json
cmp -s out oct-report.json || fail "October: check-report differs from report"
python3 - <<'PY' || fail "October figures"
import json
r = json.load(open('out'))
bundle = json.load(open('oct.json'))
p = {x['party']: x for x in r['parties']}
b, a = p['cert-b'], p['cert-a']
o = b['obligations']
assert (b['notifications'], b['requests'], o['total'], o['met'], o['late'], o['missed'], o['not_established'],
        o['withdrawn']) == (2, 0, 4, 1, 0, 1, 2, 0), b
assert b['acknowledge']['n'] == 1 and b['acknowledge']['median_ms'] == 300000 and b['respond']['n'] == 0
assert b['respond']['median_ms'] is None and b['pings']['answered'] == 1 and b['escalations'] == 1, b
assert a['obligations']['late'] == 1 and a['obligations']['met'] == 1 and a['psi']['refused'] == 1, a
assert r['period']['from'] == '2026-10-01T00:00:00Z' and r['period']['to'] == '2026-11-01T00:00:00Z', r['period']
# every entry of the period, and the one before it; nothing the figures do not need
assert bundle['complete'] == {'from': 10, 'to': 25}, bundle['complete']
assert [e['index'] for e in bundle['entries']] == list(range(10, 26))
PY

# September: the bundle stops at the first entry after the period
p 0 --home a report --from 2026-09-01 --to 2026-09-30 --bundle sep.json --json
cp out sep-report.json
python3 - <<'PY' || fail "September figures"
import json
r = json.load(open('sep-report.json'))
b = {x['party']: x for x in r['parties']}['cert-b']
o = b['obligations']
assert (b['notifications'], b['requests'], o['total'], o['met'], o['late'], o['missed'], o['withdrawn']) == (3, 1, 8, 3, 1, 2, 2), o
assert json.load(open('sep.json'))['complete'] == {'from': 0, 'to': 11}
PY
p 0 check-report --json sep.json
cmp -s out sep-report.json || fail "September: check-report differs from report"

# HTML: self-contained, the charter's title escaped, the charts drawn
grep -q "<svg" whole.html || fail "no SVG chart"
grep -q "report &lt;test&gt; &amp; &quot;co&quot;" whole.html || fail "the title is not escaped"
grep -q "<test>" whole.html && fail "an unescaped title in the HTML"
grep -Eq "<script|src=|href=|@import|url\(" whole.html && fail "the HTML loads or runs something"
grep -q "2026-09" whole.html || fail "no month in the chart"
p 0 check-report --html check.html whole-bundle.json
cmp -s check.html whole.html || fail "check-report --html differs from report --html"
done_ok
