#!/bin/sh
# An entry whose content key is sealed to a key its recipient does not hold: the
# recipient's node reports it unreadable, once, on the record, instead of a receipt;
# the seals are deterministic, so the revealed content key shows whose fault it is.
. "$(dirname "$0")/lib.sh"

mkparty cert-x                                       # a key cert-b does not hold
setup_channel

# an ordinary notification: index 0, cert-a's seq 1
p 0 --home a notify --to cert-b --category ip-theft --text "an ordinary notification"
[ "$(tail -n 1 out)" = 0 ] || fail "first notification is not index 0"
p 0 api --relay "$RELAY_URL" --key keys/cert-a.key GET "/v1/channels/$CHANNEL/entries?from=0&limit=1"
python3 -c "
import json, base64
e = json.loads(open('out').read().split('\n', 1)[1])['entries'][0]['entry']
open('prev.bin', 'wb').write(base64.b64decode(e))" || fail "entry 0"

# cert-a's next entry, with cert-b's slot sealed to cert-x's key (only with --unchecked)
p 2 entry new --key keys/cert-a.key --charter c.json --to cert-b --type notification --category ip-theft \
	--text "you will not read this" --seq 2 --prev prev.bin --seal-to cert-b=keys/cert-x.pub --out bad.bin
has_err "only with --unchecked"
p 1 entry new --key keys/cert-a.key --charter c.json --to cert-b --type notification --category ip-theft \
	--text "x" --seq 2 --prev prev.bin --unchecked --seal-to cert-a=keys/cert-x.pub --out bad.bin
has_err "'cert-a' is not a recipient"
p 0 entry new --key keys/cert-a.key --charter c.json --to cert-b --type notification --category ip-theft \
	--text "you will not read this" --seq 2 --prev prev.bin --unchecked --seal-to cert-b=keys/cert-x.pub --out bad.bin
p 1 entry inspect bad.bin --charter c.json --key keys/cert-b.key
has_err "the content key sealed to 'cert-b' does not open"
p 0 api --relay "$RELAY_URL" --key keys/cert-a.key --data bad.bin POST "/v1/channels/$CHANNEL/entries"
has_out '"index":1'
# and a ping sealed the same way: index 2
cp bad.bin prev.bin
p 0 entry new --key keys/cert-a.key --charter c.json --to cert-b --type ping --category ip-theft \
	--text "" --seq 3 --prev prev.bin --unchecked --seal-to cert-b=keys/cert-x.pub --out badping.bin
p 0 api --relay "$RELAY_URL" --key keys/cert-a.key --data badping.bin POST "/v1/channels/$CHANNEL/entries"
has_out '"index":2'

# cert-b's sync: a receipt for 0, one unreadable report each for 1 and 2, no ping answer
p 0 --home b sync
has_out "verified log of 3 entries (3 new); 1 received, 1 receipts sent"
has_out "WARNING: some entries addressed here do not decrypt"
has_out "reported 2 entries unreadable to their senders"
grep -q "ping" out && fail "an unreadable ping was answered"
# again, and again after losing the answered mark (a sync killed before it moved the mark): nothing more
p 0 --home b sync
has_out "verified log of 6 entries (3 new); 0 received, 0 receipts sent"
grep -q "unreadable" out && fail "a second sync reported again"
rm -f "b/charters/$CHANNEL.answered"
p 0 --home b sync
has_out "verified log of 6 entries (0 new); 0 received, 0 receipts sent"
grep -q "unreadable" out && fail "a sync without the answered mark reported again"

p 0 --home b inbox
cp out b.inbox
[ "$(awk '$3 == "cert-b" && $4 == "unreadable"' b.inbox | wc -l)" = 2 ] || fail "not exactly two unreadable reports"
[ "$(awk '$3 == "cert-b" && $4 == "receipt"' b.inbox | wc -l)" = 1 ] || fail "not exactly one receipt"
[ "$(awk '$3 == "cert-b" && $4 == "ping-response"' b.inbox | wc -l)" = 0 ] || fail "an unreadable ping was answered"
has_out "^1 .* cert-a .* notification .* (DOES NOT DECRYPT)"
R=$(awk '$3 == "cert-b" && $4 == "receipt" {print $1}' b.inbox)
has_out "^$R .* cert-b .* receipt .* receipt for entry 0$"
p 0 --home b show "$R"
has_out "^covers:     entry 0$"
U=$(awk '$3 == "cert-b" && $4 == "unreadable" && /entry 1 does/ {print $1}' b.inbox)
[ -n "$U" ] || fail "no report for entry 1"
p 0 --home b show "$U"
has_out "^type:       unreadable$"
has_out "^thread:     1$"
has_out "^refs:       1$"
has_out "^recipients: cert-a cert-b$"
has_out "entry 1 from cert-a could not be opened by cert-b's node"
UP=$(awk '$3 == "cert-b" && $4 == "unreadable" && /entry 2 does/ {print $1}' b.inbox)
p 0 --home b show "$UP"
has_out "^thread:     0$"
has_out "^refs:       2$"

# cert-a sees the reports; its own entries still verify everywhere
p 0 --home a sync
p 0 --home a inbox
has_out "^$U .* cert-b .* unreadable .* entry 1 does not open for cert-b"
has_out "^$UP .* cert-b .* unreadable .* entry 2 does not open for cert-b"
p 0 --home a show "$U"
has_out "could not be opened by cert-b's node (entry: the content key sealed to 'cert-b' does not open)"

# an ordinary entry afterwards still gets its receipt, and only that
p 0 --home a notify --to cert-b --category ip-theft --text "readable again"
N=$(tail -n 1 out)
p 0 --home b sync
has_out "1 received, 1 receipts sent"
grep -q "unreadable" out && fail "a readable entry was reported unreadable"
p 0 --home b sync
p 0 --home b inbox
[ "$(awk '$3 == "cert-b" && $4 == "unreadable"' out | wc -l)" = 2 ] || fail "the reports changed"
[ "$(awk '$3 == "cert-b" && $4 == "receipt"' out | wc -l)" = 2 ] || fail "no receipt for entry $N"

p 0 --home a verify
p 0 --home b verify
done_ok
