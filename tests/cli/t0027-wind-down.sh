#!/bin/sh
# When the charter expires mid-thread the channel winds down instead of falling off a
# cliff: no new threads (refused by the relay, and by the CLI before sending), but the
# recipient still syncs and its receipt, acknowledgement and response for a thread opened
# before the end are admitted and verified by the other node, until that thread's last
# deadline; a thread whose deadline has passed takes nothing more but the record of it.
. "$(dirname "$0")/lib.sh"

CHARTER_ARGS="--valid-seconds 30 --deadline request-for-information:acknowledge=2 --deadline request-for-information:respond=3" \
	setup_channel
UNTIL=$(python3 -c "import json,calendar,time; print(calendar.timegm(time.strptime(json.load(open('c.json'))['charter']['valid_until'], '%Y-%m-%dT%H:%M:%SZ')))")

# before the end: thread 0 (2 h to acknowledge), thread 1 (3 s to respond)
p 0 --home a notify --to cert-b --category ip-theft --text "before the end"
[ "$(tail -n 1 out)" = 0 ] || fail "thread 0"
p 0 --home a notify --type request-for-information --to cert-b --category ip-theft --text "quick question"
[ "$(tail -n 1 out)" = 1 ] || fail "thread 1"
[ "$(date +%s)" -lt $((UNTIL - 2)) ] || fail "setup took too long for a 30-second charter"
while [ "$(date +%s)" -le "$UNTIL" ]; do sleep 0.2; done

# the recipient syncs after the end: its receipt for thread 0 is admitted (thread 1 wound down)
p 0 --home b sync
has_out "verified log of 2 entries (2 new); 2 received, 1 receipts sent"
has_err "WARNING: the charter of channel .* expired at .*winding down"
p 0 --home b ack 0
p 0 --home b reply 0 --text "after the end"

# thread 1's last deadline passed: the CLI does not send, the relay does not admit
p 1 --home b reply 1 --text "too late"
has_err "not sent: the charter expired at .* and thread 1 wound down at "
"$PARLEY" entry new --key keys/cert-b.key --charter c.json --to cert-a --type response --thread 1 --ref 1 \
	--category ip-theft --text late --out late-reply.bin || fail "entry new"
p 1 api --relay "$RELAY_URL" --key keys/cert-b.key --data late-reply.bin POST "/v1/channels/$CHANNEL/entries"
has_out "^403"
has_out "charter-not-valid"
has_out "thread 1 wound down"

# the opener's node verifies what came after the end, answers it, records the missed deadline
p 0 --home a sync
has_out "verified log of 5 entries (4 new); 2 received, 2 receipts sent"
has_out "recorded 1 missed deadline(s)"
p 0 --home a thread 0
has_out "acknowledgement"
has_out "after the end"
# no new thread: refused before sending, and by the relay
p 1 --home a notify --to cert-b --category ip-theft --text "too late"
has_err "not sent: the charter expired at .*no new threads"
p 1 --home a ping cert-b
has_err "not sent"
"$PARLEY" entry new --key keys/cert-a.key --charter c.json --to cert-b --type notification \
	--category ip-theft --text late --out late.bin || fail "entry new"
p 1 api --relay "$RELAY_URL" --key keys/cert-a.key --data late.bin POST "/v1/channels/$CHANNEL/entries"
has_out "^403"
has_out "winding down and takes no new notification"

p 0 --home b sync
has_out "verified log of 8 entries"
for h in a b; do
	p 0 --home $h verify
done
p 0 --home a status
has_err "expired at"
has_out "^0 .*answered"
has_out "^1 .*overdue"

done_ok
