#!/bin/sh
# Red team: whoever holds the relay key (here the sender, cert-a) "fast-forwards" the log:
# right after its notification (acknowledge deadline 2 h) it appends one of its own entries
# with an integration time past the deadline (its creation time within an hour of that,
# so every check passes). cert-b's node verifies that tree and cosigns it at once, 2 h
# before the deadline by its own clock (the cosignature's signed timestamp), and could
# still acknowledge for 2 h, but any acknowledgement is now integrated after the witness,
# or dropped. check-proof counts that early cosignature as cert-b's attestation of the log
# "past the deadline" and states MISSED ("cert-b signed the log past the deadline").
# What should refuse it: an attestation counts only when the party signed it after the
# deadline by its own signed clock (the cosignature's timestamp; an attesting chain
# entry's creation time), and nodes should refuse integration times in their future.
. "$(dirname "$0")/lib.sh"

mkparty cert-a; mkparty cert-b; mkparty relay
start_fake_relay served
"$PARLEY" charter new --title ff --party keys/cert-a.pub --party keys/cert-b.pub --scope ip-theft \
	--deadline acknowledge=7200 --deadline respond=172800 \
	--relay "$FAKE_URL" --relay-key keys/relay.pub --out c.json || fail "charter"
for k in cert-a cert-b; do "$PARLEY" charter sign --key keys/$k.key c.json 2>/dev/null || fail "sign"; done
CHAN=$("$PARLEY" charter verify c.json)
T0=$(( ($(date +%s) + 1) * 1000 )) # at or after the charter's valid_from (its creation, to the second)

serve() { serve_log served "$CHAN" keys/relay.key "$@"; }
mk() { # OUT KEY TYPE SEQ PREV-OR-- CREATED extra...
	out=$1; key=$2; type=$3; seq=$4; prev=$5; created=$6; shift 6
	set -- --key keys/$key.key --charter c.json --to cert-b --type "$type" --category ip-theft --text "$out" \
		--seq "$seq" --created "$created" --out "$out" "$@"
	[ "$prev" = - ] || set -- "$@" --prev "$prev"
	"$PARLEY" entry new "$@" || fail "entry $out"
}

mk e1 cert-a notification 1 - $T0
# integrated 1 s past the acknowledge deadline; created 59 min 59 s before that
mk x1 cert-a notification 2 e1 $((T0 + 3602000))
serve $T0:e1 $((T0 + 7201000)):x1

# cert-b's node syncs now (T0 + 1 min), verifies the tree and cosigns it
"$PARLEY" --home b join c.json --key keys/cert-b.key >/dev/null || fail "join b"
p 0 --home b sync
p 0 --home b prove 0
cp out proof.json
p 0 check-proof --json proof.json
cp out proof-out.json
python3 - "$T0" <<'PY' || fail "cert-b's cosignature is not in the bundle, or was made after the deadline"
import base64, json, struct, sys
d = json.load(open('proof.json'))
t0 = int(sys.argv[1])
times = [struct.unpack('>Q', base64.b64decode(l.split()[-1])[4:12])[0]
         for l in d['checkpoint'].split('\n') if l.startswith('\u2014 cert-b ')]
assert times and all(t * 1000 < t0 + 7200000 for t in times), times
PY
outcome=$(python3 -c "
import json; r = json.load(open('proof-out.json'))
print([o['outcome'] for o in r['obligations'] if o['kind'] == 'acknowledge' and o['party'] == 'cert-b'][0])")
[ "$outcome" != missed ] || fail "check-proof says cert-b missed the acknowledge deadline on the strength of a cosignature cert-b made about 2 h before that deadline (by its signed timestamp), on a tree whose last entry the relay-key holder dated into the future"
done_ok
