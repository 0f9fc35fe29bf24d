#!/bin/sh
# Mistakes that would stay in the permanent log are refused before anything is sent: posts to oneself or to an
# auditor, empty text, a second acknowledgement, closing twice, escalating past the top of the ladder. Each exits 1
# with a clear message and the relay's log does not grow.
. "$(dirname "$0")/lib.sh"

mkparty auditor
CHARTER_ARGS="--auditor keys/auditor.pub --escalation technical,political" EXTRA_SIGNERS=auditor setup_channel

# the relay's log size, from its latest signed checkpoint (the note's second line)
logsize() {
	"$PARLEY" api --relay "$RELAY_URL" --key keys/auditor.key GET "/v1/channels/$CHANNEL/checkpoint" 2>/dev/null |
		sed -n 2p
}
# refused EXPECTED-STDERR parley-args...: exit 1, the message, no stdout, the log unchanged
refused() {
	msg=$1; shift
	before=$(logsize)
	p 1 "$@"
	has_err "$msg"
	[ -s out ] && fail "refused command printed on stdout: $*"
	[ "$(logsize)" = "$before" ] || fail "the log grew from $before to $(logsize): $*"
}

p 0 --home a sync
p 0 --home b sync
[ -n "$(logsize)" ] || fail "no checkpoint size"

refused "a notification addressed to nobody but cert-a itself" \
	--home a notify --to cert-a --category ip-theft --text "note to self"
refused "a ping addressed to nobody but cert-a itself" --home a ping cert-a
refused "'auditor' is an auditor of this charter: auditors read the log and are never recipients" \
	--home a notify --to cert-b,auditor --category ip-theft --text "hello"
refused "'auditor' is an auditor of this charter" --home a ping auditor
refused "'auditor' is an auditor of this charter" --home a notify --type request-for-information --to auditor \
	--category ip-theft --text "anything?"
refused "--text: the text is empty" --home a notify --to cert-b --category ip-theft --text ""
refused "--text: the text is empty" --home a notify --to cert-b --category ip-theft --text "  "

# a thread to answer
p 0 --home a notify --to cert-b --category ip-theft --text "exfiltration seen"
N=$(tail -n 1 out)
p 0 --home b sync
p 0 --home b ack "$N"
refused "cert-b acknowledged thread $N already" --home b ack "$N"
refused "--text: the text is empty" --home b ack "$N" --text ""
refused "thread $N was opened by cert-a: only its recipients acknowledge it" --home a ack "$N"
refused "--text: the text is empty" --home b reply "$N" --text ""

# the ladder has two rungs: technical (where a thread starts) and political
p 0 --home a escalate "$N" --text "no answer yet"
has_out "escalation of thread $N recorded"
refused "thread $N is at the top of the escalation ladder (political) already" --home a escalate "$N"
refused "thread $N is at the top of the escalation ladder" --home b escalate "$N" --text "more"

p 0 --home a close "$N" --text "resolved"
refused "thread $N is closed already: it cannot be closed twice" --home a close "$N"
refused "thread $N is closed already: it cannot be closed twice" --home b close "$N"
refused "thread $N is closed already" --home b reply "$N" --text "late"

# the replicas hold what was sent, and nothing else
p 0 --home a sync
p 0 --home a verify
p 0 --home a inbox
[ "$(grep -c " ack" out)" = 1 ] || fail "one acknowledgement expected"
[ "$(grep -c " close" out)" = 1 ] || fail "one close expected"
[ "$(grep -c " escalation" out)" = 1 ] || fail "one escalation expected"
done_ok
