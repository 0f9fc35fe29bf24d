#!/bin/sh
# Proof bundles: every part tampered with is refused by check-proof, naming it.
. "$(dirname "$0")/lib.sh"

CHARTER_ARGS="--deadline acknowledge=1 --deadline respond=1" setup_channel
p 0 --home a notify --to cert-b --category ip-theft --text "exfiltration from the patent office"
S=$(tail -n 1 out)
p 0 --home b sync
sleep 1.5
p 0 --home a sync
p 0 --home b sync            # cosigns a checkpoint that includes A's deadline-missed entry
p 0 --home a prove "$S" --reveal
cp out good.json
p 0 check-proof good.json
has_out "MISSED"
has_out "exfiltration from the patent office"
has_out "cosigned by"

tamper() { # description, python statement on d, expected message
	python3 -c "
import json, base64
d = json.load(open('good.json'))
def flip(b64, i):
    b = bytearray(base64.b64decode(b64)); b[i % len(b)] ^= 1; return base64.b64encode(bytes(b)).decode()
$2
json.dump(d, open('bad.json', 'w'))" || fail "tamper script: $1"
	p 1 check-proof bad.json
	grep -q -- "$3" err || fail "$1: stderr lacks '$3'"
}
tamper "charter title" "d['charter']['charter']['title'] = 'x'" "charter"
tamper "charter signature" "d['charter']['signatures'].pop()" "not signed by"
tamper "subject entry bytes" "d['entries'][0]['entry'] = flip(d['entries'][0]['entry'], 300)" "entry $S"
tamper "entry header byte" "d['entries'][0]['entry'] = flip(d['entries'][0]['entry'], 60)" "entry $S"
tamper "a proof hash" "d['entries'][0]['inclusion'][0] = ('0' if d['entries'][0]['inclusion'][0][0] != '0' else '1') + d['entries'][0]['inclusion'][0][1:]" "not in the tree the checkpoint signs"
tamper "a proof hash missing" "d['entries'][0]['inclusion'].pop()" "not in the tree"
tamper "integration time" "d['entries'][0]['integrated_ms'] -= 5000" "not in the tree"
tamper "receipt bytes" "r=[e for e in d['entries'] if e['index'] != $S][0]; r['entry'] = flip(r['entry'], 200)" "entry"
tamper "checkpoint size" "l=d['checkpoint'].split('\n'); l[1]=str(int(l[1])+1); d['checkpoint']='\n'.join(l)" "does not verify"
tamper "checkpoint root" "l=d['checkpoint'].split('\n'); l[2]='A'+l[2][1:] if l[2][0]!='A' else 'B'+l[2][1:]; d['checkpoint']='\n'.join(l)" "does not verify"
tamper "relay signature removed" "l=d['checkpoint'].split('\n'); d['checkpoint']='\n'.join(x for x in l if not x.startswith('— relay'))" "not signed by the relay"
tamper "cosignature altered" "l=d['checkpoint'].split('\n'); i=[k for k,x in enumerate(l) if x.startswith('— cert-')][0]; n,s=l[i].rsplit(' ',1); l[i]=n+' '+flip(s,20); d['checkpoint']='\n'.join(l)" "invalid"
tamper "revealed key" "d['content_key'] = flip(d['content_key'], 3)" "revealed key does not open"
tamper "entry dropped from the range" "d['entries'] = [e for e in d['entries'] if e['index'] != $S + 1]" "claimed complete lacks entry"
tamper "entry duplicated" "d['entries'].append(d['entries'][0])" "appears twice"
tamper "subject swapped" "d['subject'] = 999" "subject entry 999 is not in the bundle"
tamper "unknown field" "d['note'] = 'trust me'" "unknown field 'note'"
tamper "version" "d['parley_proof'] = 1" "not a parley proof bundle"
printf 'not json' > bad.json
p 1 check-proof bad.json
p 1 check-proof missing.json
p 2 check-proof

done_ok
