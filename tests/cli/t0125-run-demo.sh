#!/bin/sh
# The demo end to end: two parties under 'parley run' (receipts, the deadline-missed
# entry, the ping's answer and the PSI answer with nobody typing on the node's side),
# a third with plain commands interoperating with both.
. "$(dirname "$0")/lib.sh"

sh "$SRCDIR/examples/demo.sh" "$PARLEY" >out 2>err || fail "the demo failed"
has_out "both nodes running"
has_out '"event":"notification"'
has_out "demo complete"
# CERT-C's notification has a receipt from each standing node, and CERT-A's node answered CERT-C's ping
N=$(sed -n 's/^notification sent to cert-a and cert-b: log index \([0-9]*\)$/\1/p' out)
[ -n "$N" ] || fail "no index for the third party's notification"
grep -q "cert-b .*receipt .*receipt for entry $N\$" out && grep -q "cert-a .*receipt .*receipt for entry $N\$" out || fail "no receipts for the third party"
has_out "^[0-9]* .*answered .*ping .*cert-c .*round trip"
has_out "cert-a .*deadline-missed"
has_err "in common"
done_ok
