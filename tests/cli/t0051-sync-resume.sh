#!/bin/sh
# A sync killed (SIGKILL) between pages keeps the pages it stored, each verified against the
# relay's signed root, and the replica still verifies; the next sync fetches only the rest,
# looks at the stored pages it had not yet looked at (entries received, receipts owed) and
# ends with the same replica as a node that was never interrupted.
. "$(dirname "$0")/lib.sh"

mkparty cert-c
CHARTER_ARGS="--party keys/cert-c.pub" EXTRA_SIGNERS=cert-c setup_channel
start_fake_relay mid --pass "$RELAY_URL"
"$PARLEY" --home c join c.json --key keys/cert-c.key --relay "$FAKE_URL" >/dev/null || fail "join c"
i=0
while [ $i -lt 12 ]; do
	"$PARLEY" --home a notify --to cert-b,cert-c --category ip-theft --text "incident $i" >/dev/null 2>&1 ||
		fail "notify $i"
	i=$((i + 1))
done
count() {
	python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('SELECT count(*) FROM entries').fetchone()[0])" \
		"$1/replica.db"
}

# pages of 4: the third page's fetch stalls in the relay, and the node is killed there
echo 8 > mid/hang
PARLEY_SYNC_PAGE_ENTRIES=4 "$PARLEY" --home c sync >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 200); do
	[ -e mid/hung ] && break
	sleep 0.05
done
[ -e mid/hung ] || fail "the sync never reached its third page"
# the node reads pages ahead while it stores (a pager thread): the stall may come before the
# second page is stored, which the node then does while the third page's read hangs
for _ in $(seq 1 200); do
	[ "$(count c)" = 8 ] && break
	sleep 0.05
done
kill -KILL "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
rm -f mid/hang
[ "$(count c)" = 8 ] || fail "expected the two verified pages (8 entries) stored, found $(count c)"
[ -s "c/charters/$CHANNEL.paging" ] || fail "no record of the checkpoint the pages were stored against"
p 0 --home c verify

# resumed: only the 4 missing entries are fetched; all 12 received entries are looked at
PARLEY_SYNC_PAGE_ENTRIES=2 p 0 --home c sync
has_out "verified log of 12 entries (4 new); 12 received, 12 receipts sent"
has_out "fetched 4 entries in 2 pages"
[ ! -e "c/charters/$CHANNEL.paging" ] || fail "the paging record outlived the sync"
p 0 --home c verify

# the same replica as nodes that were never interrupted
for h in a b c; do "$PARLEY" --home $h sync >/dev/null 2>&1 || fail "sync $h"; done
"$PARLEY" --home c sync >/dev/null 2>&1 || fail "sync c"
"$PARLEY" --home a sync >/dev/null 2>&1 || fail "sync a"
for h in a b c; do
	python3 -c "import sqlite3,sys; [print(r[0].hex()) for r in sqlite3.connect(sys.argv[1]).execute('SELECT data FROM entries ORDER BY idx')]" \
		"$h/replica.db" > "$h.dump" || fail "dump $h"
done
[ "$(wc -l < a.dump)" = 14 ] || fail "expected 14 entries (12 and one batched receipt each from cert-b and cert-c), found $(wc -l < a.dump)"
cmp -s a.dump c.dump || fail "the resumed replica differs"
head -n "$(wc -l < b.dump)" a.dump | cmp -s - b.dump || fail "b's replica is not a prefix"
done_ok
