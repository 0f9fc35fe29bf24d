#!/bin/sh
# Nodes apply the charter's validity rule themselves, whatever the relay admits: behind a
# lying relay (tests/cli/fake_relay.py, signing with the relay's key) an entry integrated
# after the charter expired that opens a thread is refused, one integrated before the
# charter is valid is refused, and an answer in a thread opened before the end is verified;
# check-proof refuses a bundle holding such an entry, as the nodes do.
. "$(dirname "$0")/lib.sh"

mkparty cert-a; mkparty cert-b; mkparty relay
start_fake_relay served
FROM=$(( $(date +%s) - 600 ))
FROM_TXT=$(python3 -c "import sys,time; print(time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(int(sys.argv[1]))))" "$FROM")
# valid from 10 minutes ago for 20 minutes: entries served at -15, -5 and +15 minutes
"$PARLEY" charter new --title winding --party keys/cert-a.pub --party keys/cert-b.pub --scope ip-theft \
	--valid-from "$FROM_TXT" --valid-seconds 1200 --relay "$FAKE_URL" --relay-key keys/relay.pub --out c.json ||
	fail "charter"
for k in cert-a cert-b; do "$PARLEY" charter sign --key keys/$k.key c.json 2>/dev/null || fail "sign"; done
CHAN=$("$PARLEY" charter verify c.json)
MIN=60000

# serve ENTRY:OFFSET_MS ...: a log of these entries integrated at FROM + 10 min + OFFSET, signed by the relay
serve() {
	python3 - "$((FROM * 1000 + 10 * MIN))" "$@" <<'PY' || fail "serve"
import base64, json, struct, sys
base = int(sys.argv[1])
log = []
for arg in sys.argv[2:]:
    f, off = arg.rsplit(':', 1)
    log.append({'integrated_ms': base + int(off), 'entry': base64.b64encode(open(f, 'rb').read()).decode()})
json.dump(log, open('served/log.json', 'w'))
with open('leaves.txt', 'w') as out:
    for e in log:
        out.write((struct.pack('>Q', e['integrated_ms']) + base64.b64decode(e['entry'])).hex() + '\n')
PY
	root=$("$PARLEY" tree root < leaves.txt) || fail "tree root"
	b64=$(python3 -c "import base64,sys; print(base64.b64encode(bytes.fromhex(sys.argv[1])).decode())" "$root")
	printf 'parley/%s\n%s\n%s\n' "$CHAN" "$(wc -l < leaves.txt)" "$b64" > cp.txt
	"$PARLEY" note sign --key keys/relay.key cp.txt > served/checkpoint.note || fail "sign checkpoint"
}
fresh_b() {
	rm -rf b
	"$PARLEY" --home b join c.json --key keys/cert-b.key >/dev/null || fail "join"
}
entry() { # OUT KEY SEQ PREV-OR-- TYPE extra args...
	out=$1; key=$2; seq=$3; prev=$4; type=$5; shift 5
	to=cert-b; [ "$key" = cert-b ] && to=cert-a
	set -- --key keys/$key.key --charter c.json --to $to --type "$type" --category ip-theft --text x \
		--seq "$seq" --out "$out" "$@"
	[ "$prev" = - ] || set -- "$@" --prev "$prev"
	"$PARLEY" entry new "$@" || fail "entry $out"
}

entry n1 cert-a 1 - notification             # thread 0, opened in time
entry n2 cert-a 2 n1 notification            # a new thread
entry r1 cert-b 1 - response --thread 0 --ref 0   # an answer in thread 0

# all in time: accepted
serve n1:0 n2:$MIN r1:$((2 * MIN))
fresh_b
p 0 --home b sync
has_out "verified log of 3 entries"

# a new thread integrated after the end (+15 min): refused by the node
serve n1:0 n2:$((15 * MIN))
fresh_b
p 1 --home b sync
has_err "entry 1 from cert-a (notification): the charter expired at .*winding down and takes no new notification"
[ "$("$PARLEY" --home b inbox | grep -c .)" -le 1 ] || fail "the refused entry was stored"

# nor can the relay-key holder (with the sender) prove it happened: a bundle for it is refused
bundle() { # OUT SUBJECT: a proof bundle of the served log, complete from SUBJECT to the end
	python3 - "$1" "$2" <<'PY' || fail "bundle"
import base64, json, os, subprocess, sys
out, subject = sys.argv[1], int(sys.argv[2])
log = json.load(open('served/log.json'))
leaves = open('leaves.txt').read()
ents = []
for i, e in enumerate(log):
    inc = subprocess.run([os.environ['PARLEY'], 'tree', 'inclusion', str(i)],
                         input=leaves, capture_output=True, text=True, check=True).stdout.split()
    ents.append({'index': i, 'integrated_ms': e['integrated_ms'], 'entry': e['entry'], 'inclusion': inc})
doc = {'parley_proof': 2, 'subject': subject, 'charter': json.load(open('c.json')),
       'checkpoint': open('served/checkpoint.note').read(), 'entries': ents,
       'complete': {'from': subject, 'to': len(log) - 1}}
json.dump(doc, open(out, 'w'))
PY
}
bundle late.json 1
p 1 check-proof late.json
has_err "entry 1 is not admissible: the charter expired at .*winding down and takes no new notification"
serve n1:0 n2:$MIN
bundle intime.json 1
p 0 check-proof intime.json

# an answer in thread 0 after the end, within its deadlines (2 h to acknowledge, 48 h to respond): verified
serve n1:0 r1:$((15 * MIN))
fresh_b
p 0 --home b sync
has_out "verified log of 2 entries"

# the same answer after thread 0's last deadline (48 h after it was opened): refused
entry r1late cert-b 1 - response --thread 0 --ref 0 --created $((FROM * 1000 + 10 * MIN + 49 * 60 * MIN))
serve n1:0 r1late:$((49 * 60 * MIN))
fresh_b
p 1 --home b sync
has_err "entry 1 from cert-b (response): the charter expired at .* and thread 0 wound down at "

# integrated before the charter is valid (-15 min): refused
serve n1:$((-15 * MIN))
fresh_b
p 1 --home b sync
has_err "entry 0 from cert-a (notification): integrated at .*, before the charter is valid (from $FROM_TXT)"

done_ok
