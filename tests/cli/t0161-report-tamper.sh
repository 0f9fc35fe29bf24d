#!/bin/sh
# A report bundle proves its figures or fails: any change to an entry, its time or its proof,
# a dropped entry, a range that starts inside the period, a changed checkpoint, charter,
# period or figure makes check-report fail, naming what. And the figures count only what the
# bundle proves: without cert-b's cosignature made after the deadlines, nothing blames it.
. "$(dirname "$0")/lib.sh"
. "${SRCDIR:?}/tests/cli/report_history.sh"
report_history cert-b

p 0 --home a report --bundle whole.json
p 0 --home a report --from 2026-10-01 --to 2026-10-31 --bundle oct.json
p 0 check-report whole.json
p 0 check-report oct.json

# every variant at once (python starts slowly on a loaded machine): NAME.json from SRC.json
python3 - <<'PY' || fail "tamper"
import base64, json
def variant(name, src, change):
    b = json.load(open(src + '.json'))
    def entry(i):
        return [e for e in b['entries'] if e['index'] == i][0]
    def flip(i, pos):
        e = entry(i)
        raw = bytearray(base64.b64decode(e['entry']))
        raw[pos] ^= 1
        e['entry'] = base64.b64encode(bytes(raw)).decode()
    change(b, entry, flip)
    json.dump(b, open(name + '.json', 'w'), indent=1)
def setl(b, line, f):
    l = b['checkpoint'].split('\n'); l[line] = f(l[line]); b['checkpoint'] = '\n'.join(l)
def other(h):
    return ('1' if h[0] == '0' else '0') + h[1:]
def fig(b, party):
    return [p for p in b['figures']['parties'] if p['party'] == party][0]
variant('entry-byte', 'whole', lambda b, e, f: f(8, len(base64.b64decode(e(8)['entry'])) - 70))
variant('entry-header', 'whole', lambda b, e, f: f(7, 60))
variant('entry-time', 'whole', lambda b, e, f: e(7).update(integrated_ms=e(7)['integrated_ms'] - 30 * 60 * 1000))
variant('entry-proof', 'whole', lambda b, e, f: e(3)['inclusion'].__setitem__(0, other(e(3)['inclusion'][0])))
variant('dropped', 'whole', lambda b, e, f: b.update(entries=[x for x in b['entries'] if x['index'] != 7]))
variant('dropped-end', 'whole', lambda b, e, f: (b.update(entries=b['entries'][:-1]), b['complete'].update(to=24)))
variant('dropped-start', 'oct', lambda b, e, f: (b.update(entries=b['entries'][1:]), b['complete'].update({'from': 11})))
variant('extra-entry', 'oct', lambda b, e, f: b['complete'].update({'from': 11}))
variant('twice', 'whole', lambda b, e, f: b['entries'].append(dict(e(4))))
variant('checkpoint-size', 'whole', lambda b, e, f: setl(b, 1, lambda x: '27'))
variant('checkpoint-root', 'whole', lambda b, e, f: setl(b, 2, lambda x: ('B' if x[0] == 'A' else 'A') + x[1:]))
variant('charter', 'whole', lambda b, e, f: b['charter']['charter'].update(title='another'))
variant('figure', 'whole', lambda b, e, f: fig(b, 'cert-b')['obligations'].update(missed=2))
variant('median', 'whole', lambda b, e, f: fig(b, 'cert-b')['acknowledge'].update(median_ms=300000))
variant('no-figures', 'whole', lambda b, e, f: b.pop('figures'))
variant('period', 'whole', lambda b, e, f: b['period'].update(from_ms=1790000000000))
variant('unknown', 'whole', lambda b, e, f: b.update(verdict='cert-b is guilty'))
variant('version', 'whole', lambda b, e, f: b.update(parley_report=2))
# cert-b's cosignature taken off the checkpoint: the stated figures (missed 3, late 1) no longer follow
variant('uncosigned', 'whole', lambda b, e, f: b.update(checkpoint='\n'.join(
    l for l in b['checkpoint'].split('\n') if not l.startswith('\u2014 cert-b '))))
open('truncated.json', 'w').write(open('whole.json').read()[:300])
PY
# refused NAME MESSAGE: check-report refuses NAME.json naming MESSAGE
refused() {
	p 1 check-report "$1.json"
	has_err "$2"
}
refused entry-byte "report: entry 8: signature does not verify for party cert-a"
refused entry-header "report: entry 7"
refused entry-time "report: entry 7 (with its integration time) is not in the tree the checkpoint signs"
refused entry-proof "report: entry 3 (with its integration time) is not in the tree the checkpoint signs"
refused dropped "report: the range 0..25 claimed complete lacks entry 7"
refused dropped-end "report: the range ends at entry 24, before the period's end and before the checkpoint's last entry (25)"
refused dropped-start "report: the range starts at entry 11, inside the period"
refused extra-entry "report: entries outside the complete range 11..25"
refused twice "report: entry 4 appears twice"
refused checkpoint-size "report: checkpoint"
refused checkpoint-root "a signature on the relay's checkpoint is invalid"
refused charter "report: charter"
refused figure "report: the bundle states 2 for parties\[1\].obligations.missed, but its entries give 3"
refused median "report: the bundle states 300000 for parties\[1\].acknowledge.median_ms, but its entries give 600000"
refused no-figures "report: no figures"
refused period "report: the bundle states"
refused unknown "report: unknown field 'verdict'"
refused version "not a parley report bundle"
refused truncated "report"
refused uncosigned 'report: the bundle states \["cert-a","cert-b"\] for checkpoint.cosigned_by, but its entries give \["cert-a"\]'
p 1 check-report --json figure.json
has_out '"valid": false'
# a proof bundle is not a report bundle, and the reverse
p 1 check-proof whole.json
has_err "not a parley proof bundle"

# a node whose relay holds no cosignature of cert-b: no blame, what the relay's log shows
cp cp1.note served/checkpoint.note
rm -rf a2
"$PARLEY" --home a2 join c.json --key keys/cert-a.key >/dev/null || fail "join a2"
p 0 --home a2 sync
p 0 --home a2 report --json --bundle unattested.json
cp out unattested-report.json
python3 - <<'PY' || fail "figures without cert-b's cosignature"
import json
r = json.load(open('unattested-report.json'))
b = {x['party']: x for x in r['parties']}['cert-b']
o = b['obligations']
# missed becomes missed-unconfirmed; a late answer is not established
assert (o['met'], o['late'], o['missed'], o['missed_unconfirmed'], o['not_established'], o['withdrawn']) == (4, 0, 0, 3, 3, 2), o
assert r['checkpoint']['cosigned_by'] == ['cert-a'], r['checkpoint']
PY
p 0 check-report --json unattested.json
cmp -s out unattested-report.json || fail "check-report differs from report without cert-b's cosignature"
done_ok
