#!/bin/sh
# Private set intersection between two nodes over a real relay: intersection and cardinality-only,
# normalisation, STIX input, the charter's limits enforced and the refusal logged.
. "$(dirname "$0")/lib.sh"

CHARTER_ARGS="--psi-min 3 --psi-max 2000 --psi-per-day 3" setup_channel

# A's indicators: mixed types, duplicates in other spellings, a bad line
cat > a.txt <<'SET'
# CERT-A sightings
198.51.100.7
Evil.Example.
https://EVIL.example/login
AEC070645FE53EE3B3763059376134F058CC337247C978ADD178B6CCDFB0019F
ipv4-addr:198.51.100.7
2001:DB8:0:0:1:0:0:1
phish@Mail.Example
only-a.example
not an indicator!
SET
python3 -c "
for i in range(300): print('10.1.%d.%d' % (i // 256, i % 256))" >> a.txt
# B's: some in common (other spellings), many not
cat > b.txt <<'SET'
evil.example
file:sha256:aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f
2001:db8::1:0:0:1
phish@mail.example
only-b.example
https://evil.example/other
SET
python3 -c "
for i in range(150, 600): print('10.1.%d.%d' % (i // 256, i % 256))" >> b.txt

p 1 --home a psi request --to cert-b --set a.txt     # a line parley cannot read: refused, nothing sent
has_err "a.txt: unreadable line 10 (1 in all); line 10: .not an indicator!. is not a domain name"
p 0 --home a psi request --to cert-b --set a.txt --skip-invalid
has_err "line 10: .not an indicator!. is not a domain name"
R=$(tail -n 1 out)
p 3 --home a psi result "$R"          # no answer yet
has_err "no complete answer"
p 1 --home a psi result 1            # not a PSI request: a wrong index is a failure, not "not yet"
has_err "is not a PSI request"
p 1 --home a psi result 999999       # beyond the log
p 0 --home b psi respond "$R" --set b.txt
has_out "answered request $R: 307 blinded indicators evaluated, 456 of ours sent as tags"
p 1 --home b psi respond "$R" --set b.txt
has_err "already answered"
p 0 --home a psi result "$R"
sort out > got
python3 - <<'PY' > want || fail "expected set"
common = {'domain-name:evil.example', 'file:sha256:aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f',
          'ipv6-addr:2001:db8::1:0:0:1', 'email-addr:phish@mail.example'}
common |= {'ipv4-addr:10.1.%d.%d' % (i // 256, i % 256) for i in range(150, 300)}
print('\n'.join(sorted(common)))
PY
cmp -s got want || { diff got want >&2; fail "wrong intersection"; }
has_err "154 in common (they have 456 indicators)"

# cardinality only: the count, no element
p 0 --home a psi request --to cert-b --set a.txt --cardinality-only --skip-invalid
C=$(tail -n 1 out)
p 0 --home b psi respond "$C" --set b.txt
has_out "(cardinality only)"
p 0 --home a psi result "$C"
[ "$(cat out)" = "count: 154" ] || fail "cardinality result: $(cat out)"

# a STIX bundle as a set: indicators with simple equality patterns
python3 - <<'PY'
import json
def ind(n, pattern):
    return {"type": "indicator", "spec_version": "2.1", "id": "indicator--%08d-0000-4000-8000-000000000000" % n,
            "created": "2026-11-27T06:00:00Z", "modified": "2026-11-27T06:00:00Z", "pattern": pattern,
            "pattern_type": "stix", "valid_from": "2026-11-27T06:00:00Z"}
objs = [ind(1, "[ipv4-addr:value = '10.1.0.200']"), ind(2, "[domain-name:value = 'Evil.Example']"),
        ind(3, "[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']"),
        ind(4, "[ipv4-addr:value = '1.1.1.1'] FOLLOWEDBY [ipv4-addr:value = '2.2.2.2']")]
json.dump({"type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000000", "objects": objs}, open('set.json', 'w'))
PY
p 1 --home a psi request --to cert-b --set set.json
has_err "set.json: indicators parley cannot compare: indicator--00000004-0000-4000-8000-000000000000 (1 in all)"
p 0 --home a psi request --to cert-b --set set.json --skip-invalid
has_err "indicator--00000004-0000-4000-8000-000000000000: not a simple equality pattern"
has_out "PSI request for 3 indicators"
S=$(tail -n 1 out)

# limits: too small a set is refused locally; a request beyond the day's quota is refused by B, on the record
printf '1.2.3.4\n' > tiny.txt
p 1 --home a psi request --to cert-b --set tiny.txt
has_err "the charter allows 3 to 2000"
p 0 --home a psi request --to cert-b --set a.txt --skip-invalid   # two answered so far: A may ask
F=$(tail -n 1 out)
p 0 --home b psi respond "$S" --set b.txt
p 0 --home a psi result "$S"
[ "$(sort out | tr '\n' ' ')" = "domain-name:evil.example file:sha256:aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f ipv4-addr:10.1.0.200 " ] ||
	fail "STIX set result: $(cat out)"

# a standing policy answers on B's sync, within the charter's limits (here: a refusal of F, logged)
p 0 --home b psi policy --set b.txt
has_out "answered on every sync"
p 0 --home b sync
has_out "answered 1 PSI request(s) by the standing policy"
p 0 --home b sync
has_out "verified log"
grep -q "standing policy" out && fail "the policy answered the same request twice"
p 1 --home a psi result "$F"
has_err "was refused: cert-a has had 3 requests answered within 24 hours of this one; the charter allows 3 a day"
p 0 --home a sync
p 0 --home a inbox
has_out "cert-b .* psi-refusal"
# now A's own node knows B would refuse: nothing is sent
p 1 --home a psi request --to cert-b --set a.txt --skip-invalid
has_err "3 of your PSI requests were answered in the last 24 hours and the charter allows 3 a day"
p 0 --home b psi policy --off
p 2 --home b psi policy
p 0 --home a verify
p 0 --home b verify
done_ok
