#!/bin/sh
# What a sync owes (ping answers, receipts, unreadable reports) goes to the relay in one
# batched append (docs/api.md "Appending in batches"), not one request per entry: the relay
# logs one "entries appended" line for them, and the log reads as before (every ping
# answered once, the receipt there, the replicas verify).
. "$(dirname "$0")/lib.sh"

setup_channel
for i in 1 2 3; do p 0 --home a ping cert-b; done
p 0 --home a notify --to cert-b --category election-infrastructure --text "one"
p 0 --home a notify --to cert-b --category election-infrastructure --text "two"
p 0 --home b sync
# b's duties: three ping answers and one batched receipt, in one request
grep 'msg="entries appended".*sender=cert-b' relay.log > batches || fail "no batch from b: $(grep sender=cert-b relay.log)"
[ "$(wc -l < batches)" = 1 ] || fail "b's duties in more than one batch: $(cat batches)"
grep -q 'count=4 sender=cert-b seq=1..4' batches || fail "b's batch: $(cat batches)"
grep -q 'msg="entry appended".*sender=cert-b' relay.log && fail "b sent an entry on its own: $(grep sender=cert-b relay.log)"
p 0 --home b sync # nothing owed any more: nothing sent
[ "$(grep -c 'sender=cert-b' relay.log)" = 1 ] || fail "b sent again: $(grep sender=cert-b relay.log)"
p 0 --home a sync
p 0 --home a verify
p 0 --home b verify
p 0 --home a inbox
[ "$(grep -c 'cert-b .*ping-response' out)" = 3 ] || fail "ping answers in a's inbox: $(cat out)"
[ "$(grep -c 'cert-b .*receipt' out)" = 1 ] || fail "receipt in a's inbox: $(cat out)"
done_ok
