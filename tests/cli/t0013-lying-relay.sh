#!/bin/sh
# A relay that checks nothing and signs whatever it likes (it has its key): every node
# re-checks every entry itself, so a lying party's entries are refused even when the relay
# admits them, and checkpoints without the relay's valid signature are refused.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"

mkparty cert-a; mkparty cert-b; mkparty relay; mkparty mallory
mkdir served
python3 "$HERE/fake_relay.py" served fake.port &
FAKE=$!
trap 'kill $FAKE 2>/dev/null; rm -rf "$T"' EXIT
for _ in $(seq 1 100); do [ -s fake.port ] && break; sleep 0.05; done
URL="http://127.0.0.1:$(cat fake.port)"
"$PARLEY" charter new --title liar --party keys/cert-a.pub --party keys/cert-b.pub --scope ip-theft \
	--relay "$URL" --relay-key keys/relay.pub --out c.json || fail "charter"
for k in cert-a cert-b; do "$PARLEY" charter sign --key keys/$k.key c.json 2>/dev/null || fail "sign"; done
CHAN=$("$PARLEY" charter verify c.json)
NOW=$(( $(date +%s) * 1000 ))

# the log the liar serves: entries (files) with integration times, under a root it signs
serve() { # [--no-sign | --sign-with KEYFILE] ENTRY...
	signer=keys/relay.key
	case "$1" in
	--no-sign) signer=; shift ;;
	--sign-with) signer=$2; shift 2 ;;
	esac
	python3 - "$NOW" "$@" <<'PY' || fail "serve"
import base64, json, struct, sys
now = int(sys.argv[1])
log = [{'integrated_ms': now + i, 'entry': base64.b64encode(open(f, 'rb').read()).decode()}
       for i, f in enumerate(sys.argv[2:])]
json.dump(log, open('served/log.json', 'w'))
with open('leaves.txt', 'w') as out:
    for e in log:
        out.write((struct.pack('>Q', e['integrated_ms']) + base64.b64decode(e['entry'])).hex() + '\n')
PY
	root=$("$PARLEY" tree root < leaves.txt) || fail "tree root"
	b64=$(python3 -c "import base64,sys; print(base64.b64encode(bytes.fromhex(sys.argv[1])).decode())" "$root")
	printf 'parley/%s\n%s\n%s\n' "$CHAN" "$(wc -l < leaves.txt)" "$b64" > cp.txt
	if [ -n "$signer" ]; then
		"$PARLEY" note sign --key "$signer" cp.txt > served/checkpoint.note || fail "sign checkpoint"
	else
		cp cp.txt served/checkpoint.note
	fi
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

done_ok
