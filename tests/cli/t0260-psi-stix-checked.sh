#!/bin/sh
# A STIX bundle given as a PSI set is checked by the project's STIX validator first (as 'parley stix
# validate'): an invalid one is refused with the validator's own lines, even with --skip-invalid, and
# nothing is sent; a valid one whose patterns are not all simple equalities still has those reported
# as not compared. The old loader read indicators from bundles the validator refuses.
. "$(dirname "$0")/lib.sh"

CHARTER_ARGS="--psi-min 2 --psi-max 2000 --psi-per-day 5" setup_channel
p 0 --home a sync

python3 - <<'PY'
import json
def ind(n, pattern, **kw):
    o = {"type": "indicator", "spec_version": "2.1", "id": "indicator--%08d-0000-4000-8000-000000000000" % n,
         "created": "2026-11-27T06:00:00Z", "modified": "2026-11-27T06:00:00Z", "pattern": pattern,
         "pattern_type": "stix", "valid_from": "2026-11-27T06:00:00Z"}
    o.update(kw)
    return {k: v for k, v in o.items() if v is not None}
def bundle(name, objs):
    json.dump({"type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000000", "objects": objs},
              open(name, 'w'))
good = [ind(1, "[ipv4-addr:value = '198.51.100.7']"), ind(2, "[domain-name:value = 'evil.example']")]
# simple equality patterns, but objects the validator refuses: no "created", a modified before created,
# and an indicator whose id is not a UUID
bundle('bad.json', good + [ind(3, "[ipv4-addr:value = '203.0.113.9']", created=None),
                           ind(4, "[ipv4-addr:value = '203.0.113.10']", modified="2020-01-01T00:00:00Z"),
                           ind(5, "[domain-name:value = 'x.example']", id="indicator--not-a-uuid")])
# a pattern that is not STIX patterning at all (unbalanced bracket)
bundle('badpat.json', good + [ind(6, "[ipv4-addr:value = '203.0.113.11'")])
# valid STIX, one pattern not a simple equality: not compared, listed
bundle('mixed.json', good + [ind(7, "[ipv4-addr:value = '1.1.1.1'] FOLLOWEDBY [ipv4-addr:value = '2.2.2.2']")])
json.dump({"type": "indicator", "id": "indicator--00000001-0000-4000-8000-000000000000"}, open('notbundle.json', 'w'))
open('broken.json', 'w').write('{"type": "bundle", "objects": [\n')
PY


# the validator's lines, as 'parley stix validate' prints them
"$PARLEY" stix validate bad.json > want.txt 2>&1 && fail "stix validate accepted bad.json"
grep -v '^bad.json: invalid' want.txt > want-lines.txt
[ "$(wc -l < want-lines.txt)" -ge 3 ] || fail "expected 3 or more validator lines: $(cat want.txt)"
for skip in "" --skip-invalid; do
	p 1 --home a psi request --to cert-b --set bad.json $skip
	while IFS= read -r line; do
		grep -qxF -- "$line" err || fail "psi request $skip lacks the validator's line '$line'"
	done < want-lines.txt
	has_err "bad.json: invalid STIX bundle ([0-9]* errors): indicator--00000003-0000-4000-8000-000000000000"
	has_err "nothing sent"
	grep -q "PSI request for" out && fail "an invalid bundle was sent"
done
p 1 --home a psi request --to cert-b --set bad.json --dry-run
has_err "invalid STIX bundle"
p 1 --home b psi policy --set bad.json --skip-invalid
has_err "invalid STIX bundle"
p 1 --home a psi request --to cert-b --set badpat.json --skip-invalid
has_err "indicator--00000006-0000-4000-8000-000000000000: pattern: "
has_err "invalid STIX bundle (1 error)"
p 1 --home a psi request --to cert-b --set notbundle.json
has_err "notbundle.json: a set in JSON must be a STIX bundle"
p 1 --home a psi request --to cert-b --set broken.json --skip-invalid
has_err "broken.json: not a STIX bundle: "
# none of the refusals reached the log
p 0 --home a sync
p 0 --home a inbox
grep -q "psi-request" out && fail "a refused set was sent: $(cat out)"

# valid STIX: the equality patterns compared, the other listed as not compared (unchanged)
p 1 --home a psi request --to cert-b --set mixed.json
has_err "mixed.json: indicators parley cannot compare: indicator--00000007-0000-4000-8000-000000000000 (1 in all)"
p 0 --home a psi request --to cert-b --set mixed.json --skip-invalid
has_err "indicator--00000007-0000-4000-8000-000000000000: not a simple equality pattern"
has_out "PSI request for 2 indicators"
done_ok
