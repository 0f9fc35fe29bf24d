#!/bin/sh
# POST /v1/channels/{id}/entries with Content-Type application/vnd.parley.entries: several
# entries in one signed request, admitted all or none (docs/api.md "Appending in batches").
# A hostile member's batches: empty, malformed, over the count and byte limits, a duplicate,
# one bad entry in the middle, another sender's entry, a batch past the daily byte quota;
# none of them leaves anything in the log, the good batch lands in order, the single-entry
# form answers as before, and a node's replica of it all verifies.
. "$(dirname "$0")/lib.sh"

CHARTER_ARGS="--max-bytes-per-day 20000" setup_channel
CT=application/vnd.parley.entries

# frame OUT FILE...: the batch body of the entry files
frame() {
	fr_out=$1; shift
	python3 - "$fr_out" "$@" <<'PY' || fail "frame"
import struct, sys
with open(sys.argv[1], 'wb') as o:
    for f in sys.argv[2:]:
        b = open(f, 'rb').read()
        o.write(struct.pack('>I', len(b)) + b)
PY
}
# entry KEY SEQ OUT [TEXT]: cert-a's (or KEY's) entry SEQ, chained on OUT of SEQ-1 (named e$KEY-$SEQ.bin)
entry() {
	en_prev=""
	[ "$2" -gt 1 ] && en_prev="--prev e$1-$(($2 - 1)).bin"
	"$PARLEY" entry new --key "keys/$1.key" --charter c.json --to "$([ "$1" = cert-a ] && echo cert-b || echo cert-a)" \
		--type notification --category election-infrastructure --text "${3:-entry $2 of $1}" --seq "$2" $en_prev \
		--out "e$1-$2.bin" >/dev/null 2>&1 || fail "entry $1 $2"
}
post() { # post BODYFILE [CONTENT-TYPE] [KEY]
	p "${POST_WANT:-0}" api --relay "$RELAY_URL" --key "keys/${3:-cert-a}.key" --data "$1" --content-type "${2:-$CT}" \
		POST "/v1/channels/$CHANNEL/entries"
}
size() { # the log's size, from a page of entries
	p 0 api --relay "$RELAY_URL" --key keys/cert-b.key GET "/v1/channels/$CHANNEL/entries?from=0&limit=500"
	sed -n 2p out | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["entries"]))'
}
for i in 1 2 3 4 5 6; do entry cert-a $i; done
entry cert-b 1

# empty and malformed batches
: > empty.bin
POST_WANT=1 post empty.bin; has_out "^400"; has_out "empty-batch"
printf '\000\000\001' > short.bin
POST_WANT=1 post short.bin; has_out "^400"; has_out "malformed-batch"; has_out '"index":0'
frame trunc.bin ecert-a-1.bin; head -c 100 trunc.bin > trunc2.bin
POST_WANT=1 post trunc2.bin; has_out "^400"; has_out '"index":0'
printf '\000\000\000\000' > zero.bin
POST_WANT=1 post zero.bin; has_out "^400"; has_out "malformed-batch"

# over the count limit (257 frames of one byte: refused before any entry is parsed)
python3 -c 'import sys; sys.stdout.buffer.write(b"\x00\x00\x00\x01x" * 257)' > many.bin
POST_WANT=1 post many.bin; has_out "^413"; has_out "batch-too-large"; has_out "at most 256 entries"; has_out '"index":256'
# over the byte limit: refused from the Content-Length (before the signature is looked at), naming the limit
head -c $((8 * 1024 * 1024 + 1)) /dev/zero > huge.bin
run 0 curl -s -o body -w '%{http_code}' -H "Content-Type: $CT" --data-binary @huge.bin "$RELAY_URL/v1/channels/$CHANNEL/entries"
has_out "^413"; grep -q "batch-too-large" body && grep -q "limited to 8388608 bytes" body || fail "413 body: $(cat body)"
# a batch's body is taken only from a party of the channel (its Parley-Key looked at before the body)
frame one.bin ecert-a-1.bin
run 0 curl -s -o body -w '%{http_code}' -H "Content-Type: $CT" -H "Parley-Key: 00000000" --data-binary @one.bin \
	"$RELAY_URL/v1/channels/$CHANNEL/entries"
has_out "^403"; grep -q "not-a-party" body || fail "403 body: $(cat body)"
# the single-entry form keeps its own limit
head -c $((2 * 1024 * 1024)) /dev/zero > big1.bin
POST_WANT=1 post big1.bin application/octet-stream; has_out "^413"; has_out '"too-large"'
[ "$(size)" = 0 ] || fail "a refused batch left entries"

# a good batch: in order, consecutive indexes, one integration time
frame b123.bin ecert-a-1.bin ecert-a-2.bin ecert-a-3.bin
post b123.bin; has_out "^201"
sed -n 2p out > ans.json
python3 - <<'PY' || fail "batch answer: $(cat ans.json)"
import json
a = json.load(open('ans.json'))
assert list(a) == ['entries'], a
e = a['entries']
assert [x['index'] for x in e] == [0, 1, 2], e
assert len({x['integrated_ms'] for x in e}) == 1, e
PY
# the same batch again: the first entry is a replay (409 wrong-sequence at index 0)
POST_WANT=1 post b123.bin; has_out "^409"; has_out "wrong-sequence"; has_out '"index":0'
# a duplicate inside a batch: refused at its position, and the entry before it does not land either
frame dup.bin ecert-a-4.bin ecert-a-4.bin
POST_WANT=1 post dup.bin; has_out "^409"; has_out "wrong-sequence"; has_out '"index":1'
[ "$(size)" = 3 ] || fail "a refused batch left entries (duplicate)"
# one bad entry in the middle (its signature broken): nothing of the batch lands
cp ecert-a-5.bin bad5.bin
python3 -c 'import sys; b = bytearray(open("bad5.bin","rb").read()); b[-1] ^= 1; open("bad5.bin","wb").write(b)'
frame mid.bin ecert-a-4.bin bad5.bin ecert-a-6.bin
POST_WANT=1 post mid.bin; has_out "^422"; has_out "bad-signature"; has_out '"index":1'
# an entry out of order in the middle (seq 6 before 5): refused in the committer, at its position
frame order.bin ecert-a-4.bin ecert-a-6.bin ecert-a-5.bin
POST_WANT=1 post order.bin; has_out "^409"; has_out '"index":1'
# another sender's entry in cert-a's batch
frame other.bin ecert-a-4.bin ecert-b-1.bin
POST_WANT=1 post other.bin; has_out "^403"; has_out "not-the-sender"; has_out '"index":1'
[ "$(size)" = 3 ] || fail "a refused batch left entries"

# the single-entry form answers as it always did
post ecert-a-4.bin application/octet-stream; has_out "^201"
sed -n 2p out | grep -q '^{"index":3,"integrated_ms":[0-9]*}$' || fail "single append answer: $(cat out)"
frame b56.bin ecert-a-5.bin ecert-a-6.bin
post b56.bin; has_out "^201"; has_out '"index":4'; has_out '"index":5'

# the daily byte quota (20,000) counts every entry of a batch: the third one is past it, so none lands
for s in 2 3 4; do entry cert-b $s "$(python3 -c 'import os; print(os.urandom(3500).hex())')"; done
frame quota.bin ecert-b-2.bin ecert-b-3.bin ecert-b-4.bin
post ecert-b-1.bin application/octet-stream cert-b; has_out "^201"
POST_WANT=1 post quota.bin "$CT" cert-b; has_out "^413"; has_out "daily-byte-quota"; has_out '"index":2'
[ "$(size)" = 7 ] || fail "a batch past the quota left entries"
frame quota2.bin ecert-b-2.bin ecert-b-3.bin
post quota2.bin "$CT" cert-b; has_out "^201"; has_out '"index":7'; has_out '"index":8'

# the relay logs one line per batch; a node's replica verifies and reads every entry once
grep -q 'msg="entries appended".*count=3 sender=cert-a seq=1..3' relay.log || fail "relay log line of the batch"
p 0 --home b sync
p 0 --home b verify
p 0 --home b inbox
[ "$(grep -c 'cert-a .*notification' out)" = 6 ] || fail "b's inbox: $(cat out)"
done_ok
