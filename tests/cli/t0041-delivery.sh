#!/bin/sh
# Delivery means held and readable, shown by the recipient's own signature:
# - a recipient that only reads (signed requests) and never receipts nor cosigns is shown
#   to have held the entry by its signed read, which the relay keeps; the relay is not blamed;
# - a sender that seals a recipient's key wrongly cannot blame it: with the content key
#   revealed, the checker re-creates every seal and the verdict is unreadable-by-sender-fault;
# - a recipient that falsely reports an entry unreadable is shown false by the same check.
. "$(dirname "$0")/lib.sh"

mkparty cert-c; mkparty cert-d; mkparty wrong
EXTRA_SIGNERS="cert-c cert-d" CHARTER_ARGS="--party keys/cert-c.pub --party keys/cert-d.pub \
	--deadline acknowledge=2 --deadline respond=3" setup_channel
json() { python3 -c "import json,sys; r=json.load(open('out')); print(eval(sys.argv[1]))" "$1"; }

# 1. a reader that never receipts: its own signed read shows it held the entry
p 0 --home a notify --to cert-b --category ip-theft --text "first"
N=$(tail -n 1 out)
p 0 api --relay "$RELAY_URL" --key keys/cert-b.key GET "/v1/channels/$CHANNEL/entries?from=0"
p 0 api --relay "$RELAY_URL" --key keys/cert-b.key GET "/v1/channels/$CHANNEL/entries?from=$((N + 1))"
sleep 3.5
p 0 --home a sync
p 0 --home a prove "$N"
cp out read.json
p 0 check-proof read.json
has_out "delivered:    held by cert-b by .* (its signed request for entries from $((N + 1)))"
has_out "MISSED-UNCONFIRMED"
if grep -q "NOT SHOWN" out; then fail "a reader's signed request must count as delivery"; fi
p 0 check-proof --json read.json
[ "$(json "r['delivery'][0]['evidence']")" = "signed read" ] || fail "delivery evidence"
[ "$(json "r['verdict']['code']")" = missed-unconfirmed ] || fail "verdict $(json "r['verdict']['code']")"
# the read is cert-b's signature: a changed byte is refused
python3 - <<'PY' || fail "tamper read"
import json
d = json.load(open('read.json'))
r = d['reads'][0]
r['time_ms'] += 1
json.dump(d, open('bad.json', 'w'))
PY
p 1 check-proof bad.json
has_err "read 0 by cert-b"

# 2. a seal to a key cert-b does not hold (cert-c's first entry): cert-b's node reports it unreadable
"$PARLEY" entry new --key keys/cert-c.key --charter c.json --to cert-b,cert-c --type notification --category ip-theft \
	--text "sealed wrong" --seq 1 --unchecked --seal-to cert-b=keys/wrong.pub --out bad.bin || fail "bad seal"
p 0 api --relay "$RELAY_URL" --key keys/cert-c.key --data bad.bin POST "/v1/channels/$CHANNEL/entries"
S=$(python3 -c "import json,sys; print(json.loads(open('out').read().split(chr(10),1)[1])['index'])")
p 0 --home b sync
has_out "unreadable"
sleep 3.5
"$PARLEY" --home c join c.json --key keys/cert-c.key >/dev/null || fail "join c"
p 0 --home c sync
p 0 --home c prove "$S"
cp out sealed.json
p 0 check-proof --json sealed.json
[ "$(json "r['verdict']['code']")" = not-established ] || fail "unrevealed: verdict $(json "r['verdict']['code']")"
p 0 check-proof sealed.json
has_out "without the content key nobody can check it"
p 0 --home c prove "$S" --reveal
cp out sealed.json
p 0 check-proof --json sealed.json
[ "$(json "r['verdict']['code']")" = unreadable-by-sender-fault ] || fail "revealed: verdict $(json "r['verdict']['code']")"
[ "$(json "r['verdict']['parties']")" = "['cert-b']" ] || fail "revealed: parties"
[ "$(json "[o['outcome'] for o in r['obligations']]")" = "['not-applicable', 'not-applicable']" ] || fail "outcomes"
p 0 check-proof sealed.json
has_out "verdict:      unreadable-by-sender-fault: cert-c sealed entry $S so that cert-b could not read it"

# 3. a false unreadable report (cert-d's first entry) is refuted by the seal check
p 0 --home a notify --to cert-d --category ip-theft --text "readable"
R=$(tail -n 1 out)
"$PARLEY" entry new --key keys/cert-d.key --charter c.json --to cert-a --type unreadable --category ip-theft \
	--text "cannot open" --seq 1 --thread "$R" --ref "$R" --out claim.bin || fail "claim"
p 0 api --relay "$RELAY_URL" --key keys/cert-d.key --data claim.bin POST "/v1/channels/$CHANNEL/entries"
sleep 3.5
p 0 --home a sync
p 0 --home a prove "$R"
cp out claim0.json
p 0 check-proof --json claim0.json
cp out claim-out.json
python3 - <<'PY' || fail "unrevealed claim"
import json
r = json.load(open('claim-out.json'))
assert r['verdict']['code'] == 'not-established', r['verdict']
PY
p 0 --home a prove "$R" --reveal
cp out claim.json
p 0 check-proof claim.json
has_out "the seal check shows its sealed key was right"
has_out "held by cert-d by .* (its own unreadable report"
p 0 check-proof --json claim.json
[ "$(json "r['verdict']['code']")" = missed-unconfirmed ] || fail "refuted claim: verdict $(json "r['verdict']['code']")"

done_ok
