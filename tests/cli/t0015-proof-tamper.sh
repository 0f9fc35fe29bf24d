#!/bin/sh
# A consistency proof changed on its way from the relay (one byte): the node refuses the new
# checkpoint, keeps what it verified, halts the channel and keeps the observation as a suspicion,
# which check-evidence refuses as a proof (an honest relay refutes it by serving a valid proof).
. "$(dirname "$0")/lib.sh"

setup_channel
start_fake_relay mitm --proxy "$RELAY_URL"
"$PARLEY" --home m join c.json --key keys/cert-b.key --relay "$FAKE_URL" >/dev/null ||
	fail "join through the proxy"

p 0 --home a notify --to cert-b --category ip-theft --text "one"
p 0 --home m sync                     # the first checkpoint needs no consistency proof
has_out "verified log of 1 entries"
p 0 --home a notify --to cert-b --category ip-theft --text "two"
p 1 --home m sync
has_err "is not a consistent extension of the verified size 1: the consistency proof it served does not verify"
has_err "SUSPECTED RELAY MISBEHAVIOUR (a suspicion, not a proof)"
has_err "this node now refuses the relay for this channel"
p 0 --home m verify                   # nothing unverified was stored
has_out "replica verified: 1 entries"
p 0 --home m inbox                    # local reads go on, with the warning on every command
has_err "stopped trusting the relay of channel .* (inconsistent, suspected but not proven at"
p 1 --home m sync
has_err "stopped trusting the relay"
grep -q '"standing": "suspicion"' m/evidence-*.json || fail "the evidence file claims more than a suspicion"
p 1 check-evidence m/evidence-*.json
has_err "not a proof: inconsistent: the consistency proof from size 1 to [0-9]* does not verify"
[ ! -s out ] || fail "check-evidence printed a report for a suspicion"
# the same relay reached directly serves proofs that verify: the accusation was the network's
p 0 --home b sync
has_out "verified log of 3 entries"
done_ok
