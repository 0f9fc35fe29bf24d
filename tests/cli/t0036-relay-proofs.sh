#!/bin/sh
# A relay with its key that shows one node two histories: the node keeps a proof when the two
# signed trees contradict each other (a fork; a shorter or longer tree whose root at the verified
# size is not the verified one), which check-evidence accepts; and a suspicion when they do not
# (a rollback to the same prefix; a proof that does not verify), which it refuses.
. "$(dirname "$0")/lib.sh"

mkparty cert-a; mkparty cert-b; mkparty relay
start_fake_relay served
"$PARLEY" charter new --title liar --party keys/cert-a.pub --party keys/cert-b.pub --scope ip-theft \
	--types notification,receipt --relay "$FAKE_URL" --relay-key keys/relay.pub --out c.json || fail "charter"
for k in cert-a cert-b; do "$PARLEY" charter sign --key keys/$k.key c.json 2>/dev/null || fail "sign"; done
CHAN=$("$PARLEY" charter verify c.json)
NOW=$(( $(date +%s) * 1000 ))

# serve SHIFT-MS COUNT: the first COUNT entries, integrated SHIFT ms later than the first history
# (another tree of the same entries), under a checkpoint signed with the relay's key, and the
# consistency proof of that tree from the size in $OLD (if set, changed by $DAMAGE if set) and
# the inclusion proof of entry OLD - 1 (unless $NOINCL is set)
serve() {
	: "${DAMAGE:=}" "${NOINCL:=}"
	# shellcheck disable=SC2046
	serve_log served "$CHAN" keys/relay.key $(timed "$((NOW + $1))" $(seq 1 "$2" | sed 's/^/e/'))
	rm -f served/proof.json served/inclusion.json
	if [ -n "${OLD:-}" ] && [ "$OLD" -lt "$2" ]; then
		"$PARLEY" tree consistency "$OLD" < leaves.txt > hashes.txt || fail "tree consistency"
		python3 -c "import json; h = open('hashes.txt').read().split()
${DAMAGE:+h[0] = '0' * 64}
json.dump({'size': $2, 'hashes': h}, open('served/proof.json', 'w'))"
		if [ -z "${NOINCL:-}" ]; then
			"$PARLEY" tree inclusion "$((OLD - 1))" < leaves.txt > hashes.txt || fail "tree inclusion"
			python3 -c "import json; json.dump({'size': $2, 'hashes': open('hashes.txt').read().split()},
				open('served/inclusion.json', 'w'))"
		fi
	fi
}
prev=-
for i in 1 2 3 4; do
	if [ "$prev" = - ]; then set --; else set -- --prev "$prev"; fi
	"$PARLEY" entry new --key keys/cert-a.key --charter c.json --to cert-b --type notification \
		--category ip-theft --text "report $i" --seq "$i" --out "e$i" "$@" || fail "entry $i"
	prev=e$i
done
# fresh_b N: a node for cert-b that verified the first history up to N entries
fresh_b() {
	rm -rf b; OLD=; serve 0 "$1"
	"$PARLEY" --home b join c.json --key keys/cert-b.key >/dev/null || fail "join"
	p 0 --home b sync
	has_out "verified log of $1 entries"
	OLD=$1
}
evidence() { ls -t b/evidence-*.json | head -n 1; }
standing() { grep -q "\"standing\": \"$1\"" "$(evidence)" || fail "the evidence is not kept as a $1"; }
proven() { # the node and check-evidence agree that it is a proof
	has_err "RELAY MISBEHAVIOUR, PROVEN"
	standing proof
	p 0 check-evidence "$(evidence)"
	has_out "PROVEN: relay relay signed $1"
	[ -z "${2:-}" ] || has_out "$2"
	p 0 --home b verify  # nothing of the other history was stored
}
suspected() {
	has_err "SUSPECTED RELAY MISBEHAVIOUR (a suspicion, not a proof)"
	standing suspicion
	p 1 check-evidence "$(evidence)"
	has_err "not a proof: $1"
	p 0 --home b verify
}

# a fork: another tree of the verified size
fresh_b 2
serve 7 2
p 1 --home b sync
has_err "the relay signed two different roots for size 2"
proven "two different trees of size 2"

# a longer tree whose root at the verified size 3 (not a power of two) is another: the relay's
# own consistency proof carries that root
fresh_b 3
serve 7 4
p 1 --home b sync
has_err "its own consistency proof gives another root at that size"
proven "a tree of size 3" "and a tree of size 4 whose first 3 entries have, by the consistency proof included, the root"
# the same checkpoints in the other order prove the same
python3 -c "
import json, sys; d = json.load(open(sys.argv[1])); d['checkpoints'].reverse(); json.dump(d, open('rev.json', 'w'))" "$(evidence)"
p 0 check-evidence rev.json
has_out "PROVEN"

# ... at a verified size of 2 (a power of two) the proof does not carry the root, but the relay's
# entry 1 and its inclusion proof do
fresh_b 2
serve 7 4
p 1 --home b sync
has_err "its own inclusion proof gives another root at that size"
proven "a tree of size 2"
# ... and when the relay serves no inclusion proof, what is left is a suspicion
fresh_b 2
NOINCL=1; serve 7 4; NOINCL=
p 1 --home b sync
has_err "the consistency proof it served does not verify (history may have been rewritten)"
suspected "inconsistent: the consistency proof from size 2 to 4 does not verify"
# a damaged proof of the same history: the inclusion proof shows the tree is the verified one
fresh_b 2
DAMAGE=1; serve 0 4; DAMAGE=
p 1 --home b sync
has_err "yet its inclusion proof shows the verified tree at that size: the proof alone is wrong"
suspected "inconsistent: the consistency proof from size 2 to 4 does not verify"

# a shorter tree that is not the verified tree's prefix: the replica gives its root there
fresh_b 4
OLD=; serve 7 3
p 1 --home b sync
has_err "fewer than the 4 this node verified, and a root that is not the verified tree's at that size"
proven "a tree of size 3" "and a tree of size 4 whose first 3 entries have, by the consistency proof included, the root"

# a shorter tree that is the verified tree's prefix: a rollback, which proves nothing
fresh_b 4
OLD=; serve 0 3
p 1 --home b sync
has_err "the relay rolled its log back"
suspected "a rollback: relay relay signed trees of sizes 4 and 3"
p 1 --home b sync
has_err "stopped trusting the relay of channel .* (rollback, suspected but not proven at"
done_ok
