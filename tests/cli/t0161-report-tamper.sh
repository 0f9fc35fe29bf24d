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

# tamper NAME SRC 'python statements on the bundle b': write NAME.json
tamper() {
	python3 - "$1" "$2" "$3" <<'PY' || fail "tamper $1"
import base64, json, sys
name, src, code = sys.argv[1:4]
b = json.load(open(src))
def entry(i):
    return [e for e in b['entries'] if e['index'] == i][0]
def flip(i, pos):
    e = entry(i)
    raw = bytearray(base64.b64decode(e['entry']))
    raw[pos] ^= 1
    e['entry'] = base64.b64encode(bytes(raw)).decode()
exec(code)
json.dump(b, open(name + '.json', 'w'), indent=1)
PY
}
# refused NAME MESSAGE: check-report refuses NAME.json naming MESSAGE
refused() {
	p 1 check-report "$1.json"
	has_err "$2"
	p 1 check-report --json "$1.json"
	has_out '"valid": false'
}

tamper entry-byte whole.json 'flip(8, len(base64.b64decode(entry(8)["entry"])) - 70)'
refused entry-byte "report: entry 8: signature does not verify for party cert-a"
tamper entry-header whole.json 'flip(7, 60)'
refused entry-header "report: entry 7"
tamper entry-time whole.json 'entry(7)["integrated_ms"] -= 30 * 60 * 1000'
refused entry-time "report: entry 7 (with its integration time) is not in the tree the checkpoint signs"
tamper entry-proof whole.json 'h = entry(3)["inclusion"]; h[0] = ("1" if h[0][0] == "0" else "0") + h[0][1:]'
refused entry-proof "report: entry 3 (with its integration time) is not in the tree the checkpoint signs"
tamper dropped whole.json 'b["entries"] = [e for e in b["entries"] if e["index"] != 7]'
refused dropped "report: the range 0..25 claimed complete lacks entry 7"
tamper dropped-end whole.json 'b["entries"] = b["entries"][:-1]; b["complete"]["to"] = 24'
refused dropped-end "report: the range ends at entry 24, before the period's end and before the checkpoint's last entry (25)"
tamper dropped-start oct.json 'b["entries"] = b["entries"][1:]; b["complete"]["from"] = 11'
refused dropped-start "report: the range starts at entry 11, inside the period"
tamper extra-entry oct.json 'b["complete"]["from"] = 11'
refused extra-entry "report: entries outside the complete range 11..25"
tamper twice whole.json 'b["entries"].append(dict(entry(4)))'
refused twice "report: entry 4 appears twice"
tamper checkpoint-size whole.json 'l = b["checkpoint"].split("\n"); l[1] = "27"; b["checkpoint"] = "\n".join(l)'
refused checkpoint-size "report: checkpoint"
tamper checkpoint-root whole.json 'l = b["checkpoint"].split("\n"); l[2] = ("B" if l[2][0] == "A" else "A") + l[2][1:]; b["checkpoint"] = "\n".join(l)'
refused checkpoint-root "a signature on the relay's checkpoint is invalid"
tamper charter whole.json 'b["charter"]["charter"]["title"] = "another"'
refused charter "report: charter"
tamper figure whole.json 'x = [p for p in b["figures"]["parties"] if p["party"] == "cert-b"][0]; x["obligations"]["missed"] = 2'
refused figure "report: the bundle states 2 for parties\[1\].obligations.missed, but its entries give 3"
tamper median whole.json 'b["figures"]["parties"][1]["acknowledge"]["median_ms"] = 300000'
refused median "report: the bundle states 300000 for parties\[1\].acknowledge.median_ms, but its entries give 600000"
tamper no-figures whole.json 'del b["figures"]'
refused no-figures "report: no figures"
tamper period whole.json 'b["period"]["from_ms"] = 1790000000000'
refused period "report: the bundle states"
tamper unknown whole.json 'b["verdict"] = "cert-b is guilty"'
refused unknown "report: unknown field 'verdict'"
tamper version whole.json 'b["parley_report"] = 2'
refused version "not a parley report bundle"
printf '{"parley_report": 1' > truncated.json
refused truncated "report"
# a proof bundle is not a report bundle, and the reverse
p 1 check-proof whole.json
has_err "not a parley proof bundle"

# the figures count only what the bundle proves: cert-b's cosignature taken off the checkpoint,
# the stated figures (missed 3, late 1) no longer follow from it
tamper uncosigned whole.json 'b["checkpoint"] = "\n".join(l for l in b["checkpoint"].split("\n") if not l.startswith("\u2014 cert-b "))'
grep -q "cert-b" uncosigned.json || fail "tamper"
refused uncosigned "report: the bundle states 3 for checkpoint.cosigned_by\|report: the bundle states"

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
