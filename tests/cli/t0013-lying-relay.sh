#!/bin/sh
# A relay that checks nothing and signs whatever it likes (it has its key): every node
# re-checks every entry itself, so a lying party's entries are refused even when the relay
# admits them, and checkpoints without the relay's valid signature are refused.
. "$(dirname "$0")/lib.sh"

mkparty cert-a; mkparty cert-b; mkparty relay; mkparty mallory
start_fake_relay served
URL=$FAKE_URL
"$PARLEY" charter new --title liar --party keys/cert-a.pub --party keys/cert-b.pub --scope ip-theft \
	--types notification,receipt,acknowledgement,response,close \
	--relay "$URL" --relay-key keys/relay.pub --out c.json || fail "charter"
for k in cert-a cert-b; do "$PARLEY" charter sign --key keys/$k.key c.json 2>/dev/null || fail "sign"; done
CHAN=$("$PARLEY" charter verify c.json)
NOW=$(( $(date +%s) * 1000 ))

# the log the liar serves: entries (files) with integration times, under a root it signs
serve() { # [--no-sign | --sign-with KEYFILE | --later MS] ENTRY...
	signer=keys/relay.key
	at=$NOW
	case "$1" in
	--no-sign) signer=; shift ;;
	--sign-with) signer=$2; shift 2 ;;
	--later) at=$((NOW + $2)); shift 2 ;;
	esac
	# shellcheck disable=SC2046
	serve_log served "$CHAN" "${signer:--}" $(timed "$at" "$@")
}
entry() { # OUT SEQ PREV-OR-- extra args...
	out=$1; seq=$2; prev=$3; shift 3
	if [ "$prev" = - ]; then
		"$PARLEY" entry new --key keys/cert-a.key --charter c.json --to cert-b --type notification \
			--category ip-theft --text "x" --seq "$seq" --out "$out" "$@" || fail "entry $out"
	else
		"$PARLEY" entry new --key keys/cert-a.key --charter c.json --to cert-b --type notification \
			--category ip-theft --text "x" --seq "$seq" --prev "$prev" --out "$out" "$@" || fail "entry $out"
	fi
}
fresh_b() {
	rm -rf b
	"$PARLEY" --home b join c.json --key keys/cert-b.key >/dev/null || fail "join"
}

entry e1 1 -
entry e2 2 e1
# an honest log first: accepted
serve e1 e2
fresh_b
p 0 --home b sync
has_out "verified log of 2 entries"

# a lying party, admitted by a lying relay: every node refuses it on its own
entry oos 2 e1 --category espionage --unchecked
serve e1 oos; fresh_b
p 1 --home b sync
has_err "entry 1 from cert-a: category 'espionage' is outside the charter's scope"
entry ping 2 e1 --type ping --unchecked
serve e1 ping; fresh_b
p 1 --home b sync
has_err "entry 1 from cert-a: type ping is outside the charter's scope"
entry outsider 2 e1 --to cert-b,keys/mallory.pub --unchecked
serve e1 outsider; fresh_b
p 1 --home b sync
has_err "entry 1 from cert-a: recipient 1 is not a charter member"
entry again 1 -
serve e1 again; fresh_b
p 1 --home b sync
has_err "entry 1 from cert-a: sequence number 1, expected 2"
entry fork 2 again
serve e1 fork; fresh_b
p 1 --home b sync
has_err "previous-entry hash does not match its entry 1 (a forked chain)"
entry old 2 e1 --created $(( NOW - 3 * 3600 * 1000 ))
serve e1 old; fresh_b
p 1 --home b sync
has_err "entry 1 from cert-a: created -10800 s away from its integration time"
"$PARLEY" entry new --key keys/mallory.key --charter c.json --to cert-b --type notification \
	--category ip-theft --text x --out stranger 2>err && fail "a non-party could build an entry"
python3 -c "
b = bytearray(open('e2', 'rb').read()); b[37:41] = bytes.fromhex(open('keys/cert-b.pub').read().split('+')[1]); open('imposter', 'wb').write(bytes(b))"
serve e1 imposter; fresh_b
p 1 --home b sync
has_err "signature does not verify for party cert-b"

# checkpoints: unsigned, or signed by someone else in the relay's name
serve --no-sign e1 e2; fresh_b
p 1 --home b sync
has_err "checkpoint"
"$PARLEY" keygen --name relay --out forger --no-passphrase >/dev/null 2>&1
serve --sign-with forger/relay.key e1 e2; fresh_b
p 1 --home b sync
has_err "checkpoint: note: no signature by a known key"

# withholding and replaying: the served entries do not hash to the signed root
serve e1 e2
python3 -c "
import json; l = json.load(open('served/log.json')); json.dump(l[:1] + l[:1], open('served/log.json', 'w'))"
fresh_b
p 1 --home b sync
has_err "entry 1 from cert-a: sequence number 1, expected 2"

# split view (G4): cert-b is shown e1 integrated at one time, cert-a the same entry at another,
# so the two trees differ. cert-b's receipt carries the checkpoint it verified; when the liar
# passes the receipt on to cert-a, cert-a's node compares it with its own tree and catches it.
rm -f served/posted-*.bin
serve e1; fresh_b
p 0 --home b sync
has_out "1 receipts sent"
[ -f served/posted-1.bin ] || fail "cert-b's node sent no receipt"
# the honest case first: the same history for both, and cert-a's node accepts the receipt
serve e1 served/posted-1.bin
"$PARLEY" --home a join c.json --key keys/cert-a.key >/dev/null || fail "join a"
p 0 --home a sync
rm -rf a
serve --later 5 e1 served/posted-1.bin
"$PARLEY" --home a join c.json --key keys/cert-a.key >/dev/null || fail "join a"
p 1 --home a sync
has_err "the receipt at 1 from cert-b holds a checkpoint of size 1 signed by the relay whose root is not the one this node verified"
has_err "split view"
has_err "this node now refuses the relay for this channel"
p 1 --home a sync
has_err "stopped trusting the relay"
p 0 check-evidence a/evidence-*.json
has_out "PROVEN: relay relay signed a tree of size 1"
has_out "and a tree of size 2 whose first 1 entries have, by the consistency proof included, the root"
python3 -c "
import glob, json; f = glob.glob('a/evidence-*.json')[0]; d = json.load(open(f))
d['prefix_root'] = d['prefix_root'][:-1] + ('0' if d['prefix_root'][-1] != '0' else '1'); json.dump(d, open('bad.json', 'w'))"
p 1 check-evidence bad.json
has_err "does not lead from 'prefix_root'"

done_ok
