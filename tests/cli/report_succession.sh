# report_succession.sh - sourced by the succession report tests (after lib.sh): a channel (c.json: cert-a,
# cert-b, cert-x) handed over to a successor (s.json: cert-a, cert-b with a rotated key, cert-c), both
# served by a relay whose key the test holds (tests/cli/fake_relay.py, one directory per channel), every
# integration time exact; a fabricated successor f.json (no handover names it) with a log of its own;
# home a joined to both channels and synced. Sets OLD, NEW, FAB, T0, M and the add() helper.
mkparty cert-a; mkparty cert-b; mkparty cert-x; mkparty cert-c; mkparty relay
mkdir -p newkeys
"$PARLEY" keygen --name cert-b --out newkeys --no-passphrase >/dev/null 2>&1 || fail "keygen new cert-b"
start_fake_relay served
VALID="--valid-from 2026-09-01T00:00:00Z --valid-days 365"
# shellcheck disable=SC2086
"$PARLEY" charter new --title "first term" --party keys/cert-a.pub --party keys/cert-b.pub --party keys/cert-x.pub \
	--scope ip-theft --deadline acknowledge=3600 --deadline respond=14400 $VALID \
	--relay "$FAKE_URL" --relay-key keys/relay.pub --out c.json || fail "charter"
for k in cert-a cert-b cert-x; do "$PARLEY" charter sign --key keys/$k.key c.json 2>/dev/null || fail "sign"; done
OLD=$("$PARLEY" charter verify c.json) || fail "verify c"
# shellcheck disable=SC2086
"$PARLEY" charter new --succeeds c.json --title "second term" --party keys/cert-a.pub --party newkeys/cert-b.pub \
	--party keys/cert-c.pub --scope ip-theft --deadline acknowledge=3600 --deadline respond=14400 $VALID \
	--relay "$FAKE_URL" --relay-key keys/relay.pub --out s.json || fail "successor"
for k in keys/cert-a newkeys/cert-b keys/cert-c; do "$PARLEY" charter sign --key $k.key s.json 2>/dev/null || fail "sign s"; done
NEW=$("$PARLEY" charter verify s.json) || fail "verify s"
# a fabricated successor: it names the old channel too, signed by all its parties, but no handover names it
# shellcheck disable=SC2086
"$PARLEY" charter new --succeeds c.json --title "fabricated term" --party keys/cert-a.pub --party keys/cert-c.pub \
	--scope ip-theft --deadline acknowledge=3600 --deadline respond=14400 $VALID \
	--relay "$FAKE_URL" --relay-key keys/relay.pub --out f.json || fail "fabricated"
for k in cert-a cert-c; do "$PARLEY" charter sign --key keys/$k.key f.json 2>/dev/null || fail "sign f"; done
FAB=$("$PARLEY" charter verify f.json) || fail "verify f"
mkdir -p "served/$OLD" "served/$NEW" "served/$FAB"
cp s.json "served/$NEW/charter.json"

T0=1788249600000 # 2026-09-01T08:00:00Z
M=60000
mkdir -p st
# add CHARTER KEY TO TYPE MS [args]: the next entry of KEY on CHARTER's channel, integrated at MS
add() {
	ch=$1; key=$2; to=$3; type=$4; ms=$5; shift 5
	tag=$(echo "$ch-$key" | tr '/.' '__')
	seq=$(($(cat "st/$tag.seq" 2>/dev/null || echo 0) + 1))
	out=e-$tag-$seq
	cat=ip-theft
	[ "$type" = handover ] && cat=$NEW
	set -- --key "$key.key" --charter "$ch" --to "$to" --type "$type" --category "$cat" --text "$out" \
		--seq "$seq" --created "$ms" --out "$out" "$@"
	[ -f "st/$tag.prev" ] && set -- "$@" --prev "$(cat "st/$tag.prev")"
	"$PARLEY" entry new --unchecked "$@" || fail "entry $out"
	echo "$seq" > "st/$tag.seq"
	echo "$out" > "st/$tag.prev"
	echo "$ms:$out" >> "log-$ch.txt"
}
re() { echo --thread "$1" --ref "$1"; }
A=keys/cert-a; B=keys/cert-b; X=keys/cert-x; B2=newkeys/cert-b; C=keys/cert-c
# the first term
add c.json $A cert-b notification $T0                          # 0  N1
add c.json $B cert-a acknowledgement $((T0 + 10 * M)) $(re 0)  # 1  10 min: met
add c.json $B cert-a response $((T0 + 60 * M)) $(re 0)         # 2  1 h: met
add c.json $X cert-a notification $((T0 + 100 * M))            # 3  X1 (cert-x leaves)
add c.json $A cert-x acknowledgement $((T0 + 130 * M)) $(re 3) # 4  30 min: met
add c.json $A cert-b notification $((T0 + 200 * M))            # 5  N2: open at the handover
add c.json $A cert-b,cert-x handover $((T0 + 210 * M))         # 6
add c.json $B cert-a,cert-x handover $((T0 + 220 * M))         # 7  the end: 11:40, size 8
add c.json $B cert-a acknowledgement $((T0 + 290 * M)) $(re 5) # 8  90 min: late (on the old channel)
add c.json $B cert-a response $((T0 + 300 * M)) $(re 5)        # 9  100 min: met
add c.json $A cert-x response $((T0 + 330 * M)) $(re 3)        # 10 230 min: met
# the second term
add s.json $A cert-b,cert-c notification $((T0 + 400 * M))     # 0  S1
add s.json $B2 cert-a acknowledgement $((T0 + 405 * M)) $(re 0) # 1 5 min: met (the rotated key)
add s.json $C cert-a acknowledgement $((T0 + 430 * M)) $(re 0) # 2  30 min: met
add s.json $B2 cert-a response $((T0 + 520 * M)) $(re 0)       # 3  2 h: met; cert-c never responds: missed
add s.json $C cert-a notification $((T0 + 600 * M))            # 4  C1 (cert-c joined)
add s.json $A cert-c acknowledgement $((T0 + 700 * M)) $(re 4) # 5  100 min: late
add s.json $B2 cert-a ping $((T0 + 800 * M))                   # 6
add s.json $A cert-b ping-response $((T0 + 800 * M + 4000)) $(re 6) # 7 4 s
add s.json $A cert-c response $((T0 + 900 * M)) $(re 4)        # 8  5 h: late
# the fabricated successor's log
add f.json $C cert-a notification $((T0 + 400 * M))            # 0

# shellcheck disable=SC2046
serve_log "served/$OLD" "$OLD" keys/relay.key $(cat log-c.json.txt)
# shellcheck disable=SC2046
serve_log "served/$NEW" "$NEW" keys/relay.key $(cat log-s.json.txt)
# shellcheck disable=SC2046
serve_log "served/$FAB" "$FAB" keys/relay.key $(cat log-f.json.txt)
# every other party cosigns now, after every deadline
cosign() {
	for k in "$@"; do
		"$PARLEY" note sign --key $k.key --cosignature "served/$D/checkpoint.note" > cp2.note || fail "cosign $k"
		mv cp2.note "served/$D/checkpoint.note"
	done
}
D=$OLD cosign $B $X
D=$NEW cosign $B2 $C
D=$FAB cosign $C

"$PARLEY" --home a join c.json --key keys/cert-a.key >/dev/null || fail "join a"
"$PARLEY" --home a join s.json --key keys/cert-a.key >/dev/null || fail "join a to the successor"
p 0 --home a sync --channel "$OLD"
p 0 --home a sync --channel "$NEW"
