#!/bin/sh
# "Evidence" any member can assemble from an honest relay's own checkpoints and proofs proves
# nothing: check-evidence refuses each forgery with "not a proof: ..." (exit 1, no report).
. "$(dirname "$0")/lib.sh"

setup_channel
api() { "$PARLEY" api --relay "$RELAY_URL" --key keys/cert-b.key GET "/v1/channels/$CHANNEL/$1" > api.out ||
	fail "GET $1: $(cat api.out)"; sed 1d api.out; }
cp_now() { api checkpoint > "cp$1.note"; grep -qx "$1" "cp$1.note" || fail "the relay's checkpoint is not of size $1"; }
proof() { api "proof/consistency?old=$1&size=$2" > "proof-$1-$2.json"; }

# the honest relay's checkpoints of sizes 0, 1, 3, 4 and 5, and its consistency proofs
cp_now 0
for i in 1 2 3 4 5; do
	"$PARLEY" --home a notify --to cert-b --category ip-theft --text "report $i" >/dev/null || fail "notify $i"
	[ "$i" = 2 ] || cp_now "$i"
done
proof 1 3; proof 3 5; proof 4 5
grep -q '"hashes"' proof-1-3.json || fail "no consistency proof"

# assemble OUT KIND CP1 CP2 [PROOF.json|-] [PREFIX-ROOT-HEX|-] [EDIT-PROOF-PYTHON]: an evidence file
assemble() {
	python3 - "$@" <<'PY' || fail "assemble $1"
import json, sys
out, kind, a, b = sys.argv[1:5]
pf = sys.argv[5] if len(sys.argv) > 5 else '-'
pr = sys.argv[6] if len(sys.argv) > 6 else '-'
edit = sys.argv[7] if len(sys.argv) > 7 else ''
hashes = json.load(open(pf))['hashes'] if pf != '-' else []
if edit:
    exec(edit)
d = {'parley_evidence': 1, 'kind': kind, 'charter': json.load(open('c.json')),
     'checkpoints': [open(a).read(), open(b).read()], 'consistency_proof': hashes, 'detail': kind}
if pr != '-':
    d['prefix_root'] = pr
json.dump(d, open(out, 'w'))
PY
}
refused() { # FILE WHAT
	p 1 check-evidence "$1"
	has_err "not a proof: $2"
	[ ! -s out ] || fail "$1: check-evidence printed a report"
}
JUNK=$(printf '%064d' 7)

# a split view "from the size-0 checkpoint": every tree extends the empty one
assemble zero.json "split view" cp0.note cp5.note - "$JUNK"
refused zero.json "a checkpoint of size 0"
assemble zero-rev.json "split view" cp5.note cp0.note - "$JUNK"
refused zero-rev.json "a checkpoint of size 0"
assemble zero-fork.json fork cp0.note cp0.note
refused zero-fork.json "a checkpoint of size 0"

# a "rollback" from two honest checkpoints: the checkpoints carry no order
assemble rollback.json rollback cp4.note cp1.note
refused rollback.json "a rollback: relay relay signed trees of sizes 4 and 1"

# an "inconsistent" pair: an honest proof with one junk hash does not verify, and so shows nothing
for k in 0 1; do
	assemble junk$k.json inconsistent cp1.note cp3.note proof-1-3.json - "hashes[$k] = '$JUNK'"
	refused junk$k.json "inconsistent: the consistency proof from size 1 to 3 does not verify"
	assemble junkb$k.json inconsistent cp3.note cp5.note proof-3-5.json - "hashes[$k] = '$JUNK'"
	refused junkb$k.json "inconsistent: the consistency proof from size 3 to 5 does not verify"
done
assemble short.json inconsistent cp4.note cp5.note proof-4-5.json - "hashes.pop()"
refused short.json "inconsistent"

# honest proofs, with or without the honest prefix root, in either order: consistent
assemble honest.json inconsistent cp3.note cp5.note proof-3-5.json
refused honest.json "the checkpoints of sizes 3 and 5 are consistent"
assemble honest-rev.json rollback cp5.note cp3.note proof-3-5.json
refused honest-rev.json "the checkpoints of sizes 3 and 5 are consistent"
R4=$(sed -n 3p cp4.note | python3 -c "import base64,sys; print(base64.b64decode(sys.stdin.read()).hex())")
assemble own-root.json "split view" cp4.note cp5.note proof-4-5.json "$R4"
refused own-root.json "the checkpoints of sizes 4 and 5 are consistent"
# a made-up prefix root the proof does not lead from
assemble made-up.json "split view" cp4.note cp5.note proof-4-5.json "$JUNK"
refused made-up.json "the consistency proof does not lead from 'prefix_root' to the root of size 5"
assemble same.json fork cp3.note cp3.note
refused same.json "the two checkpoints sign the same tree"

# malformed: not hashes, too many, not a root, not evidence
assemble nothex.json inconsistent cp1.note cp3.note proof-1-3.json - "hashes[0] = 'zz' * 32"
refused nothex.json "consistency proof hash 0 is not 32 bytes of hex"
assemble toolong.json inconsistent cp1.note cp3.note proof-1-3.json - "hashes = ['$JUNK'] * 65"
refused toolong.json "'consistency_proof' must be a list of at most 64 hashes"
assemble badroot.json "split view" cp4.note cp5.note proof-4-5.json "abcd"
refused badroot.json "'prefix_root' is not 32 bytes of hex"
echo '{"parley_evidence": 2}' > v2.json
refused v2.json "not a parley evidence file"
echo '[' > broken.json
refused broken.json "not a parley evidence file"
sed 's/^5$/6/' cp5.note > cp6.note
assemble forged.json fork cp5.note cp6.note
refused forged.json "checkpoint"

p 0 check-evidence --help
has_out "not a proof"
done_ok
