#!/bin/sh
# Red team: whoever holds the relay key (here the sender, cert-a) re-signs a tree in which
# cert-b's in-time acknowledgement (and its receipt) of thread N sit at indexes *before*
# the opener N. An entry cannot name a thread or reference an entry that does not exist
# yet, so no honest log looks like this; but check-proof ignores such an entry as an
# answer and then takes it as the start of cert-b's "gap-free" sequence chain, so cert-b's
# own later entry "attests" the log and the obligation becomes MISSED ("cert-b signed
# the log past the deadline") while the bundle itself carries cert-b's signed
# acknowledgement of thread N. A proof must refuse an entry whose thread or references
# are not earlier than its own index (docs/protocol.md §4.1.1: "a thread is always opened
# earlier in the log"), and never state missed here.
. "$(dirname "$0")/lib.sh"

mkparty cert-a; mkparty cert-b; mkparty relay
start_fake_relay served
"$PARLEY" charter new --title reorder --party keys/cert-a.pub --party keys/cert-b.pub --scope ip-theft \
	--deadline acknowledge=2 --deadline respond=3600 \
	--relay "$FAKE_URL" --relay-key keys/relay.pub --out c.json || fail "charter"
for k in cert-a cert-b; do "$PARLEY" charter sign --key keys/$k.key c.json 2>/dev/null || fail "sign"; done
CHAN=$("$PARLEY" charter verify c.json)
T0=$(( ($(date +%s) + 1) * 1000 )) # at or after the charter's valid_from (its creation, to the second)

serve() { serve_log served "$CHAN" keys/relay.key "$@"; }
mk() { # OUT KEY TYPE SEQ PREV-OR-- CREATED extra...
	out=$1; key=$2; type=$3; seq=$4; prev=$5; created=$6; shift 6
	to=cert-b; [ "$key" = cert-b ] && to=cert-a
	set -- --key keys/$key.key --charter c.json --to $to --type "$type" --category ip-theft --text "$out" \
		--seq "$seq" --created "$created" --out "$out" "$@"
	[ "$prev" = - ] || set -- "$@" --prev "$prev"
	"$PARLEY" entry new "$@" || fail "entry $out"
}

# cert-b's real entries: its receipt and its acknowledgement of thread 2, 100 and 200 ms after it opened
mk r1 cert-b receipt 1 - $((T0 + 100)) --thread 2 --ref 2
mk k1 cert-b acknowledgement 2 r1 $((T0 + 200)) --thread 2 --ref 2
# cert-a's entries in the re-signed tree: the opener (index 2) and one long after the deadline
mk e1 cert-a notification 1 - $T0
mk x1 cert-a notification 2 e1 $((T0 + 10000))
# cert-b's next entry, after the deadline, chained from its acknowledgement
mk y1 cert-b notification 3 k1 $((T0 + 12000))

# the tree the relay-key holder signs: cert-b's receipt and acknowledgement moved before the opener
serve $((T0 - 2)):r1 $((T0 - 1)):k1 $T0:e1 $((T0 + 10000)):x1 $((T0 + 12000)):y1
"$PARLEY" --home a join c.json --key keys/cert-a.key >/dev/null || fail "join a"
p 0 --home a sync
p 0 --home a prove 2
cp out proof.json
# cert-b acknowledged thread 2 (the tree holds it, placed before its opener) and never signed this tree,
# so the proof must not blame cert-b: refused, or at most missed-unconfirmed ("the relay's log shows no answer")
outcome() {
	python3 -c "
import json; r = json.load(open('out'))
print([o['outcome'] for o in r['obligations'] if o['kind'] == 'acknowledge' and o['party'] == 'cert-b'][0])"
}
"$PARLEY" check-proof --json proof.json > out 2> err
if [ $? = 0 ] && [ "$(outcome)" = missed ]; then
	fail "check-proof blames cert-b (missed) although the bundle holds cert-b's acknowledgement of thread 2 (placed before its opener)"
fi

# The same, with one more of cert-b's entries (written after its acknowledgement, naming
# nothing) placed between the acknowledgement and the opener: prove leaves the moved
# receipt and acknowledgement out (they lie before the opener and before cert-b's
# "last entry before the opener"), and cert-b's chain z1 -> y1 has no gap.
mk r3 cert-b receipt 1 - $((T0 + 100)) --thread 3 --ref 3
mk k3 cert-b acknowledgement 2 r3 $((T0 + 200)) --thread 3 --ref 3
mk z1 cert-b notification 3 k3 $((T0 + 300))
mk y2 cert-b notification 4 z1 $((T0 + 12000))
serve $((T0 - 3)):r3 $((T0 - 2)):k3 $((T0 - 1)):z1 $T0:e1 $((T0 + 10000)):x1 $((T0 + 12000)):y2
rm -rf a; "$PARLEY" --home a join c.json --key keys/cert-a.key >/dev/null || fail "join a"
p 0 --home a sync
p 0 --home a prove 3
cp out proof2.json
"$PARLEY" check-proof --json proof2.json > out 2> err
if [ $? = 0 ] && [ "$(outcome)" = missed ]; then
	fail "check-proof blames cert-b (missed) on a tree the relay-key holder re-ordered: cert-b acknowledged thread 3 in time (its acknowledgement is in the signed tree at index 1, before the opener) and never signed this tree; its gap-free chain z1 -> y2 only shows it wrote nothing else, not where the relay put what it wrote"
fi
done_ok
