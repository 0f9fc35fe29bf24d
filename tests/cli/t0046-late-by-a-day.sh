#!/bin/sh
# Red team: whoever holds the relay key signs a tree in which a recipient's acknowledgement,
# created (by its own signed clock) 200 ms after the notification, is integrated a day
# later. Relay and nodes refuse an entry created more than an hour from its integration
# time (docs/protocol.md §5), so no honest log holds it; check-proof must refuse it too
# instead of stating "LATE by 1 d ... as its own signed entries show".
. "$(dirname "$0")/lib.sh"

mkparty cert-a; mkparty cert-b; mkparty relay
"$PARLEY" charter new --title late --party keys/cert-a.pub --party keys/cert-b.pub --scope ip-theft \
	--deadline acknowledge=2 --deadline respond=3600 \
	--relay http://127.0.0.1:9 --relay-key keys/relay.pub --out c.json || fail "charter"
for k in cert-a cert-b; do "$PARLEY" charter sign --key keys/$k.key c.json 2>/dev/null || fail "sign"; done
CHAN=$("$PARLEY" charter verify c.json)
T0=$(( ($(date +%s) + 1) * 1000 )) # at or after the charter's valid_from (its creation, to the second)
mk() { # OUT KEY TYPE SEQ PREV-OR-- CREATED extra...
	out=$1; key=$2; type=$3; seq=$4; prev=$5; created=$6; shift 6
	to=cert-b; [ "$key" = cert-b ] && to=cert-a
	set -- --key keys/$key.key --charter c.json --to $to --type "$type" --category ip-theft --text "$out" \
		--seq "$seq" --created "$created" --out "$out" "$@"
	[ "$prev" = - ] || set -- "$@" --prev "$prev"
	"$PARLEY" entry new "$@" || fail "entry $out"
}
# bundle SUBJECT FROM TO MS:FILE...: a bundle over the tree of exactly these leaves, signed with the relay key
bundle() {
	subj=$1; from=$2; to=$3; shift 3
	python3 - "$@" <<'PY' || fail "leaves"
import base64, struct, sys
with open('leaves.txt', 'w') as out:
    for arg in sys.argv[1:]:
        ms, f = arg.split(':', 1)
        out.write((struct.pack('>Q', int(ms)) + open(f, 'rb').read()).hex() + '\n')
PY
	n=$(wc -l < leaves.txt)
	root=$("$PARLEY" tree root < leaves.txt) || fail "tree root"
	b64=$(python3 -c "import base64,sys; print(base64.b64encode(bytes.fromhex(sys.argv[1])).decode())" "$root")
	printf 'parley/%s\n%s\n%s\n' "$CHAN" "$n" "$b64" > cp.txt
	"$PARLEY" note sign --key keys/relay.key cp.txt > cp.note || fail "sign checkpoint"
	i=0; : > incl.txt
	while [ $i -lt "$n" ]; do
		"$PARLEY" tree inclusion $i < leaves.txt | tr '\n' ' ' >> incl.txt; echo >> incl.txt; i=$((i + 1))
	done
	python3 - "$subj" "$from" "$to" "$@" <<'PY' || fail "bundle"
import base64, json, sys
subj, fr, to = (int(x) for x in sys.argv[1:4])
incl = [l.split() for l in open('incl.txt').read().split('\n')[:-1]]
ents = []
for i, arg in enumerate(sys.argv[4:]):
    ms, f = arg.split(':', 1)
    ents.append({'index': i, 'integrated_ms': int(ms), 'entry': base64.b64encode(open(f, 'rb').read()).decode(),
                 'inclusion': incl[i]})
json.dump({'parley_proof': 2, 'subject': subj, 'charter': json.load(open('c.json')),
           'checkpoint': open('cp.note').read(), 'entries': ents, 'complete': {'from': fr, 'to': to}},
          open('proof.json', 'w'))
PY
}

mk e1 cert-a notification 1 - $T0
mk r1 cert-b receipt 1 - $((T0 + 100)) --thread 0 --ref 0
mk k1 cert-b acknowledgement 2 r1 $((T0 + 200)) --thread 0 --ref 0
mk x1 cert-a notification 2 e1 $((T0 + 10000))

# control: the same acknowledgement integrated when it was made is met
bundle 0 0 3 $T0:e1 $((T0 + 100)):r1 $((T0 + 200)):k1 $((T0 + 10000)):x1
p 0 check-proof proof.json
has_out "MET"

# the relay-key holder integrates it a day after cert-b made it
bundle 0 0 3 $T0:e1 $((T0 + 100)):r1 $((T0 + 10000)):x1 $((T0 + 86400000)):k1
"$PARLEY" check-proof proof.json > out 2> err
st=$?
[ $st != 0 ] || fail "check-proof accepts an acknowledgement integrated a day after its signed creation time: $(grep -i late out)"
has_err "created more than 3600 s away from its integration time"
done_ok
