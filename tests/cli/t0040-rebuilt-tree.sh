#!/bin/sh
# Whoever holds the relay key (a party may run the relay) can sign a tree that leaves
# out a recipient's acknowledgement. A proof built on it must not blame that recipient:
# blame needs the recipient's own signature on the log past the deadline (its cosignature,
# or its own entries chained without a gap), and without it the verdict is
# missed-unconfirmed ("the relay's log shows no answer"), never missed.
. "$(dirname "$0")/lib.sh"

mkparty cert-a; mkparty cert-b; mkparty relay
start_fake_relay served
# valid from an hour ago: the log below starts a minute back, and nothing integrated before
# valid_from is admissible (docs/protocol.md 4.1.3)
FROM=$(python3 -c "import time; print(time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(time.time() - 3600)))")
"$PARLEY" charter new --title rebuilt --party keys/cert-a.pub --party keys/cert-b.pub --scope ip-theft \
	--deadline acknowledge=2 --deadline respond=3600 --valid-from "$FROM" \
	--relay "$FAKE_URL" --relay-key keys/relay.pub --out c.json || fail "charter"
for k in cert-a cert-b; do "$PARLEY" charter sign --key keys/$k.key c.json 2>/dev/null || fail "sign"; done
CHAN=$("$PARLEY" charter verify c.json)
T0=$(( ($(date +%s) + 1) * 1000 )) # at or after the charter's valid_from (its creation, to the second)

# serve MS:FILE...: the log the relay-key holder serves, each entry with its integration time, signed
serve() { serve_log served "$CHAN" keys/relay.key "$@"; }
mk() { # OUT KEY TYPE SEQ PREV-OR-- CREATED extra...
	out=$1; key=$2; type=$3; seq=$4; prev=$5; created=$6; shift 6
	to=cert-b; [ "$key" = cert-b ] && to=cert-a
	set -- --key keys/$key.key --charter c.json --to $to --type "$type" --category ip-theft --text "$out" \
		--seq "$seq" --created "$created" --out "$out" "$@"
	[ "$prev" = - ] || set -- "$@" --prev "$prev"
	"$PARLEY" entry new "$@" || fail "entry $out"
}
prove_as_a() { # the relay-key holder, cert-a, proves entry 0 from what it serves
	rm -rf a
	"$PARLEY" --home a join c.json --key keys/cert-a.key >/dev/null || fail "join a"
	p 0 --home a sync
	p 0 --home a prove 0
	cp out proof.json
	p 0 check-proof --json proof.json
	cp out proof-out.json
	p 0 check-proof proof.json
}
verdict() { python3 -c "import json; print(json.load(open('proof-out.json'))['verdict']['code'])"; }
ack_outcome() {
	python3 -c "
import json; r = json.load(open('proof-out.json'))
print([o['outcome'] for o in r['obligations'] if o['kind'] == 'acknowledge' and o['party'] == 'cert-b'][0])"
}

mk e1 cert-a notification 1 - $T0
mk r1 cert-b receipt 1 - $((T0 + 100)) --thread 0 --ref 0
mk k1 cert-b acknowledgement 2 r1 $((T0 + 200)) --thread 0 --ref 0
mk x1 cert-a notification 2 e1 $((T0 + 10000))

# the honest log: cert-b acknowledged in time
serve $T0:e1 $((T0 + 100)):r1 $((T0 + 200)):k1 $((T0 + 10000)):x1
prove_as_a
[ "$(ack_outcome)" = met ] || fail "honest log: acknowledge should be met, got $(ack_outcome)"

# the rebuilt tree, signed with the relay key, without cert-b's acknowledgement
serve $T0:e1 $((T0 + 100)):r1 $((T0 + 10000)):x1
prove_as_a
[ "$(ack_outcome)" = missed-unconfirmed ] || fail "rebuilt tree: expected missed-unconfirmed, got $(ack_outcome)"
[ "$(verdict)" = missed-unconfirmed ] || fail "rebuilt tree: verdict $(verdict)"
has_out "MISSED-UNCONFIRMED"
has_out "cert-b has not signed a view of the log past the deadline"
if grep -q "accountable" out; then fail "the proof blames cert-b on a tree it never signed"; fi

# cert-b's later response cannot be kept without its acknowledgement: a gap in its sequence
mk k2 cert-b response 3 k1 $((T0 + 11000)) --thread 0 --ref 0
# (the node itself refuses such a log: a gap in cert-b's sequence)
serve $T0:e1 $((T0 + 100)):r1 $((T0 + 10000)):x1 $((T0 + 11000)):k2
rm -rf a2
"$PARLEY" --home a2 join c.json --key keys/cert-a.key >/dev/null || fail "join a2"
p 1 --home a2 sync
has_err "sequence number 3, expected 2"

# cert-b's own entry after the deadline does not attest the log (a relay-key holder could lay
# cert-b's chain around an opener it never saw): still missed-unconfirmed
mk y1 cert-b notification 2 r1 $((T0 + 12000))
serve $T0:e1 $((T0 + 100)):r1 $((T0 + 10000)):x1 $((T0 + 12000)):y1
prove_as_a
[ "$(ack_outcome)" = missed-unconfirmed ] || fail "own entry: expected missed-unconfirmed, got $(ack_outcome)"

# cert-b's cosignature of that tree, made now (after the deadline), attests it: missed, accountable
while [ $(( $(date +%s) * 1000 )) -le $((T0 + 3000)) ]; do sleep 0.2; done # its clock past the deadline
"$PARLEY" note sign --key keys/cert-b.key --cosignature served/checkpoint.note > cosigned.note || fail "cosign"
cp cosigned.note served/checkpoint.note
prove_as_a
[ "$(ack_outcome)" = missed ] || fail "cosigned: expected missed, got $(ack_outcome)"
[ "$(verdict)" = missed ] || fail "cosigned: verdict $(verdict)"
has_out "accountable"

done_ok
