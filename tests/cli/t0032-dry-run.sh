#!/bin/sh
# --dry-run on every command that appends prints the entry it would send (header and content) and sends nothing:
# no entry, no sync, no receipt; the log and the replica are unchanged, exit 0.
. "$(dirname "$0")/lib.sh"

CHARTER_ARGS="--psi-min 3 --psi-per-day 5" setup_channel
logsize() {
	"$PARLEY" api --relay "$RELAY_URL" --key keys/cert-a.key GET "/v1/channels/$CHANNEL/checkpoint" 2>/dev/null |
		sed -n 2p
}
# dry HOME parley-args...: exit 0, "nothing sent", the relay's log and HOME's replica unchanged
dry() {
	home=$2
	before=$(logsize)
	"$PARLEY" --home "$home" inbox > inbox.before 2>/dev/null
	p 0 "$@" --dry-run
	has_out "dry run: nothing sent"
	[ "$(logsize)" = "$before" ] || fail "the log grew from $before to $(logsize) on a dry run: $*"
	"$PARLEY" --home "$home" inbox > inbox.after 2>/dev/null
	cmp -s inbox.before inbox.after || fail "the replica of $home changed on a dry run: $*"
}

p 0 --home a sync
dry --home a notify --to cert-b --category ip-theft --tlp red --text "what we would say"
has_out "^type:       notification$"
has_out "^sender:     cert-a (seq 1 "
has_out "^category:   ip-theft$"
has_out "^tlp:        red$"
has_out "^recipients: cert-b cert-a$"
has_out "^what we would say$"
dry --home a notify --type request-for-assistance --to cert-b --category election-infrastructure --text "help?"
has_out "^type:       request-for-assistance$"
dry --home a ping cert-b
has_out "^type:       ping$"
has_out "^content:    (none)$"
# a dry run still refuses what would be refused
p 1 --home a notify --to cert-a --category ip-theft --text "self" --dry-run
has_err "addressed to nobody but cert-a itself"

p 0 --home a notify --to cert-b --category ip-theft --text "real one"
N=$(tail -n 1 out)
# B has not synced: a dry run works on B's local replica, which does not hold the thread yet (and sends no receipt)
dry_before=$(logsize)
p 1 --home b ack "$N" --dry-run
has_err "does not open a thread in the local replica"
[ "$(logsize)" = "$dry_before" ] || fail "a dry run synced"
p 0 --home b sync
dry --home b ack "$N" --text "seen"
has_out "^type:       acknowledgement$"
has_out "^thread:     $N$"
has_out "^refs:       $N$"
has_out "^recipients: cert-a cert-b$"
has_out "^seen$"
dry --home b reply "$N" --text "our answer"
has_out "^type:       response$"
p 0 --home a sync
dry --home a escalate "$N"
has_out "^type:       escalation$"
has_out "^escalated to the diplomatic level$"
dry --home a close "$N" --text "done"
has_out "^type:       close$"
has_out "^sender:     cert-a (seq 2 "

# PSI request and respond
python3 -c "
for i in range(40): print('10.2.0.%d' % i)" > a.txt
python3 -c "
for i in range(20, 60): print('10.2.0.%d' % i)" > b.txt
dry --home a psi request --to cert-b --set a.txt
has_out "^type:       psi-request$"
has_out "^content:    40 blinded indicators in 1 psi-request entries$"
p 0 --home a psi request --to cert-b --set a.txt
R=$(tail -n 1 out)
p 0 --home b sync
dry --home b psi respond "$R" --set b.txt
has_out "^type:       psi-response$"
has_out "^thread:     $R$"
has_out "^content:    40 evaluated elements and 40 tags in 2 psi-response entries$"
p 0 --home b psi respond "$R" --set b.txt
has_out "answered request $R"
p 0 --home a psi result "$R"
[ "$(wc -l < out)" = 20 ] || fail "20 in common expected"
done_ok
