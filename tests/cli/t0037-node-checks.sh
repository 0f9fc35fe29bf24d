#!/bin/sh
# Nodes check what the relay checks, even when the relay signs whatever it likes: integration
# times never go back, an auditor is never a recipient; and an auditor's node never writes.
. "$(dirname "$0")/lib.sh"

mkparty cert-a; mkparty cert-b; mkparty auditor; mkparty relay
start_fake_relay served
"$PARLEY" charter new --title liar --party keys/cert-a.pub --party keys/cert-b.pub --auditor keys/auditor.pub \
	--scope ip-theft --types notification,receipt,ping,ping-response \
	--relay "$FAKE_URL" --relay-key keys/relay.pub --out c.json || fail "charter"
for k in cert-a cert-b auditor; do "$PARLEY" charter sign --key keys/$k.key c.json 2>/dev/null || fail "sign $k"; done
CHAN=$("$PARLEY" charter verify c.json)
NOW=$(( $(date +%s) * 1000 ))

# serve ENTRY@OFFSET-MS...: a log with these integration times, signed with the relay's key
serve() {
	python3 - "$NOW" "$@" <<'PY' || fail "serve"
import base64, json, struct, sys
now = int(sys.argv[1])
log = []
for a in sys.argv[2:]:
    f, off = a.split('@')
    log.append({'integrated_ms': now + int(off), 'entry': base64.b64encode(open(f, 'rb').read()).decode()})
json.dump(log, open('served/log.json', 'w'))
with open('leaves.txt', 'w') as out:
    for e in log:
        out.write((struct.pack('>Q', e['integrated_ms']) + base64.b64decode(e['entry'])).hex() + '\n')
PY
	root=$("$PARLEY" tree root < leaves.txt) || fail "tree root"
	b64=$(python3 -c "import base64,sys; print(base64.b64encode(bytes.fromhex(sys.argv[1])).decode())" "$root")
	printf 'parley/%s\n%s\n%s\n' "$CHAN" "$#" "$b64" > cp.txt
	"$PARLEY" note sign --key keys/relay.key cp.txt > served/checkpoint.note || fail "sign checkpoint"
	rm -f served/posted-*.bin
}
entry() { # OUT SEQ PREV-OR-- TO TYPE [args...]
	out=$1; seq=$2; prev=$3; to=$4; type=$5; shift 5
	if [ "$prev" != - ]; then set -- --prev "$prev" "$@"; fi
	"$PARLEY" entry new --key keys/cert-a.key --charter c.json --to "$to" --type "$type" \
		--category ip-theft --text "x" --seq "$seq" --out "$out" "$@" || fail "entry $out"
}
fresh() { # HOME KEY
	rm -rf "$1"
	"$PARLEY" --home "$1" join c.json --key "keys/$2.key" >/dev/null || fail "join $1"
}
stored_nothing() { # HOME
	p 0 --home "$1" verify
	has_out "replica verified: 0 entries"
}

entry e1 1 - cert-b notification
entry e2 2 e1 cert-b notification
entry e3 3 e2 cert-b ping

# the honest order first: accepted
serve e1@0 e2@40 e3@80
fresh b cert-b
p 0 --home b sync
has_out "verified log of 3 entries"

# a relay-signed log whose times go backwards: refused, naming the entry, and nothing stored
serve e1@0 e2@40 e3@20
fresh b cert-b
p 1 --home b sync
has_err "entry 2: integrated at $((NOW + 20)) ms, before entry 1 ($((NOW + 40)) ms): integration times go backwards"
stored_nothing b
# equal times are in order
serve e1@0 e2@40 e3@40
fresh b cert-b
p 0 --home b sync
has_out "verified log of 3 entries"

# an entry addressed to the auditor (who can read but never answer): refused by every node
entry toaud 2 e1 auditor notification --unchecked
serve e1@0 toaud@40
for who in b:cert-b aud:auditor; do
	fresh "${who%%:*}" "${who#*:}"
	p 1 --home "${who%%:*}" sync
	has_err "entry 1 from cert-a: addressed to auditor, a read-only auditor"
	stored_nothing "${who%%:*}"
	[ ! -f served/posted-1.bin ] || fail "${who#*:}'s node wrote an entry for a log it refused"
done

# an auditor's node syncs a channel with traffic, pings included, and writes nothing
serve e1@0 e2@40 e3@80
fresh aud auditor
p 0 --home aud sync
has_out "verified log of 3 entries"
has_out "checkpoint cosigned"
[ ! -f served/posted-1.bin ] || fail "the auditor's node posted an entry"
# ... while cert-b's node, a recipient, answers on the same log
fresh b cert-b
p 0 --home b sync
[ -f served/posted-1.bin ] || fail "cert-b's node sent no receipt"
# and an auditor cannot write by hand either: refused before anything reaches the relay
rm -f served/posted-*.bin
p 1 --home aud notify --to cert-b --category ip-theft --text "hello"
has_err "auditor"
[ ! -f served/posted-1.bin ] || fail "the auditor's notification reached the relay"
# nor can a party address the auditor
p 1 --home b notify --to auditor --category ip-theft --text "hello"
has_err "auditor"
[ ! -f served/posted-1.bin ] || fail "a notification to the auditor reached the relay"
done_ok
