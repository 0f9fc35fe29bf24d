#!/bin/sh
# The hotline workflow end to end: threads, acks, replies, escalation, close, ping,
# deadlines missed and recorded, status, and proofs any third party can check.
. "$(dirname "$0")/lib.sh"

CHARTER_ARGS="--deadline acknowledge=5 --deadline respond=6" setup_channel

# thread 0: answered in time
p 0 --home a notify --to cert-b --category election-infrastructure --text "scan of voter rolls" \
	--stix "$SRCDIR/examples/notification-bundle.json"
[ "$(tail -n 1 out)" = 0 ] || fail "thread 0"
p 0 --home b sync
p 1 --home a ack 0
has_err "only its recipients acknowledge it"
p 0 --home b ack 0
p 0 --home b reply 0 --text "we see the same scanner"
p 2 --home b reply 0
p 1 --home b ack 7
has_err "does not open a thread"

# thread T: nobody answers
p 0 --home a notify --to cert-b --category election-infrastructure --text "second incident"
T=$(tail -n 1 out)
p 0 --home b sync                                    # B's node receipts it: delivered
sleep 6.5
p 0 --home a sync
has_out "recorded 1 missed deadline(s)"
p 0 --home a status
has_out "^$T .*overdue .*notification .*cert-a .*overdue by"
has_out "^0 .*answered"
p 0 --home a status --json
python3 - "$T" <<'PY' || fail "status --json"
import json, sys
rows = {r['thread']: r for r in json.loads(open('out').read())}
t = rows[int(sys.argv[1])]
assert t['state'] == 'overdue' and t['seconds_to_deadline'] < 0 and t['to'] == ['cert-b'], t
assert rows[0]['state'] == 'answered' and rows[0]['acknowledged_at'] and rows[0]['answered_at'], rows[0]
PY
p 0 --home a sync                                    # fetch the deadline-missed entry it appended
p 0 --home a thread "$T"
has_out "deadline-missed .*deadline to acknowledge and respond within 6 s missed"

# the proof of the missed deadline, checked with nothing but the file
p 0 --home a prove "$T"
cp out missed.json
p 0 check-proof missed.json
has_out "^proof valid"
has_out "delivered:    to cert-b at .* (its receipt, entry"
# cert-b's node has not signed the log past the deadline yet: the relay's word alone blames no one
has_out "acknowledge   cert-b by .*: MISSED-UNCONFIRMED"
has_out "verdict:      missed-unconfirmed: the relay's log shows no answer to entry $T from cert-b"
p 0 check-proof --json missed.json
python3 -c "
import json; r=json.load(open('out'))
o = {x['kind']: x for x in r['obligations']}
assert r['valid'] and o['acknowledge']['outcome']=='missed-unconfirmed' and o['respond']['outcome']=='missed-unconfirmed', o
assert o['acknowledge']['party']=='cert-b' and o['acknowledge']['at'] is None and o['acknowledge']['late_by_ms'] is None
assert r['verdict']['code']=='missed-unconfirmed' and r['verdict']['parties']==['cert-b'], r['verdict']
assert r['delivery'][0]['delivered'] and r['subject']['sender']=='cert-a'" || fail "check-proof --json"
# once its node has synced past the deadline, cert-b's own entries attest the log: missed, accountable
p 0 --home b sync
p 0 --home a prove "$T"
cp out missed.json
p 0 check-proof missed.json
has_out "acknowledge   cert-b by .*: MISSED: the log shows every entry up to"
has_out "verdict:      missed: cert-b did not acknowledge or respond to entry $T by the deadline"

# thread 0 proven met, content revealed
p 0 --home a prove 0 --reveal
cp out met.json
p 0 check-proof met.json
has_out "acknowledge   cert-b by .*: MET, at"
has_out "respond       cert-b by .*: MET"
has_out "verdict:      met: cert-b met every deadline of entry 0"
has_out "scan of voter rolls"
has_out "198.51.100.23"

# escalation and close
p 0 --home b escalate "$T" --text "handing over"
p 0 --home a sync
p 0 --home a thread "$T"
has_out "escalated to the diplomatic level: handing over"
p 0 --home a close "$T" --text "resolved by phone"
p 1 --home b reply "$T" --text "too late"
p 0 --home b sync
p 1 --home b reply "$T" --text "too late"
has_err "is closed"
# status shows open threads (from the node's tables); --all the closed ones too
p 0 --home b status
grep -q "^$T " out && fail "status lists closed thread $T"
has_out "^1 closed thread not shown (parley status --all)"
p 0 --home b status --all
has_out "^$T .*closed"

# ping: answered automatically on the other node's sync, round trip on the record
p 0 --home a ping cert-b
P=$(tail -n 1 out)
p 0 --home b sync
has_out "answered 1 ping(s)"
p 0 --home a sync
p 0 --home a thread "$P"
has_out "round trip:"
has_out "ping-response"

# invalid STIX is refused before anything is sent, naming the object
sed 's/"pattern_type": "stix",/"pattern_type": "stix", "pattern_type2": 1,/; s/198.51.100.23\x27\]/198.51.100.23\x27/' \
	"$SRCDIR/examples/notification-bundle.json" > bad.json
p 1 --home a notify --to cert-b --category election-infrastructure --stix bad.json
has_err "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f: pattern"

p 0 --home a verify
p 0 --home b verify
done_ok
