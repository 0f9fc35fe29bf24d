#!/bin/sh
# One member's volume cannot stop another node: a sync fetches, verifies and stores in
# bounded pages (PARLEY_SYNC_PAGE_BYTES / PARLEY_SYNC_PAGE_ENTRIES lower the bounds here so
# the test stays small; the defaults are 16 MiB and 1,000 entries), each page checked against
# the relay's signed root (a consistency proof from the page's end to the checkpoint) before
# it is stored; every entry is still checked, and a relay that alters an entry of a middle
# page is caught before that page is stored.
. "$(dirname "$0")/lib.sh"

mkparty cert-c
CHARTER_ARGS="--party keys/cert-c.pub" EXTRA_SIGNERS=cert-c setup_channel
"$PARLEY" --home c join c.json --key keys/cert-c.key >/dev/null || fail "join c"
python3 -c "print('y' * 60000)" > big.txt
N=12
i=0
while [ $i -lt $N ]; do
	"$PARLEY" --home a notify --to cert-b --category ip-theft --file big.txt >/dev/null 2>&1 || fail "notify $i"
	i=$((i + 1))
done

# bytes: about two 60 kB entries a page, so at least 6 pages; every entry verified
PARLEY_SYNC_PAGE_BYTES=130000 p 0 --home b sync
has_out "verified log of $N entries ($N new); $N received"
has_out "fetched $N entries in [6-9] pages"
p 0 --home b verify
has_out "$N"

# entries: 5 a page (12 notifications and cert-b's one batched receipt: 3 pages)
PARLEY_SYNC_PAGE_ENTRIES=5 p 0 --home c sync
has_out "verified log of 13 entries (13 new)"
has_out "fetched 13 entries in 3 pages"
p 0 --home c verify

# the same replica as a node that fetched in one page
p 0 --home a sync
for h in a b c; do "$PARLEY" --home $h sync >/dev/null 2>&1 || fail "sync $h"; done
for h in a b c; do
	python3 -c "import sqlite3,sys; [print(r[0].hex()) for r in sqlite3.connect(sys.argv[1]).execute('SELECT data FROM entries ORDER BY idx')]" \
		"$h/replica.db" > "$h.dump" || fail "dump $h"
done
[ -s a.dump ] || fail "empty dump"
cmp -s a.dump b.dump && cmp -s a.dump c.dump || fail "the paged replicas differ from the one fetched at once"

# a page whose entries are not a prefix of the signed tree is refused before it is stored:
# here a man in the middle alters the consistency proofs
start_fake_relay mitm --proxy "$RELAY_URL"
"$PARLEY" --home d join c.json --key keys/cert-c.key --relay "$FAKE_URL" >/dev/null || fail "join d"
PARLEY_SYNC_PAGE_ENTRIES=5 p 1 --home d sync
has_err "entries 0..4 from the relay do not match the root its checkpoint signs"
python3 -c "import sqlite3,sys; n = sqlite3.connect(sys.argv[1]).execute('SELECT count(*) FROM entries').fetchone()[0]; sys.exit(n != 0)" \
	d/replica.db || fail "a page that did not verify was stored"

# bad values are refused
PARLEY_SYNC_PAGE_BYTES=0 p 2 --home c sync
has_err "PARLEY_SYNC_PAGE_BYTES"
done_ok
