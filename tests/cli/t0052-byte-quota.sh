#!/bin/sh
# The charter's daily byte quota (charter new --max-bytes-per-day N): the relay refuses an
# append that would take its sender past N bytes of entries on the UTC day of its
# integration (413 daily-byte-quota, naming the quota), and a node refuses such an entry
# even when a lying relay admitted and signed it. Charters without the option carry no
# field (their ids are unchanged) and set no quota.
. "$(dirname "$0")/lib.sh"

CHARTER_ARGS="--max-bytes-per-day 150000" setup_channel
grep -q '"max_bytes_per_day": *150000' c.json || fail "the charter lacks the quota field"
p 0 charter show c.json
has_out "quota:      150000 bytes per member per UTC day"
python3 -c "print('q' * 60000)" > big.txt
p 0 --home a notify --to cert-b --category ip-theft --file big.txt
p 0 --home a notify --to cert-b --category ip-theft --file big.txt
p 1 --home a notify --to cert-b --category ip-theft --file big.txt
has_err "413"
has_err "cert-a would exceed the charter's daily byte quota (max_bytes_per_day 150000)"
# small entries still fit, other members are not affected, and every node verifies the log
p 0 --home a notify --to cert-b --category ip-theft --text "small"
p 0 --home b sync
has_out "verified log of 3 entries"
p 0 --home b notify --to cert-a --category ip-theft --file big.txt
p 0 --home b verify

# bad values; no option, no field
p 2 charter new --title t --party keys/cert-a.pub --party keys/cert-b.pub --scope ip-theft --max-bytes-per-day 0
p 0 charter new --title t --party keys/cert-a.pub --party keys/cert-b.pub --scope ip-theft --out plain.json
grep -q max_bytes_per_day plain.json && fail "a charter without --max-bytes-per-day has a quota field"
sed 's/"max_bytes_per_day": *150000/"max_bytes_per_day": -1/' c.json > neg.json
p 1 charter show neg.json
has_err "max_bytes_per_day"

# a lying relay admits and signs an entry over the quota: the node refuses it
mkparty liar
start_fake_relay served
"$PARLEY" charter new --title liar --party keys/cert-a.pub --party keys/cert-b.pub --scope ip-theft \
	--relay "$FAKE_URL" --relay-key keys/liar.pub --max-bytes-per-day 5000 --out l.json || fail "charter"
for k in cert-a cert-b; do "$PARLEY" charter sign --key keys/$k.key l.json 2>/dev/null || fail "sign"; done
LCHAN=$("$PARLEY" charter verify l.json)
TXT=$(python3 -c "print('z' * 3000)")
"$PARLEY" entry new --key keys/cert-a.key --charter l.json --to cert-b --type notification --category ip-theft \
	--text "$TXT" --seq 1 --out e1 || fail "entry e1"
"$PARLEY" entry new --key keys/cert-a.key --charter l.json --to cert-b --type notification --category ip-theft \
	--text "$TXT" --seq 2 --prev e1 --out e2 || fail "entry e2"
serve() { # ENTRY...: the log the liar serves, under a root it signs
	# shellcheck disable=SC2046
	serve_log served "$LCHAN" keys/liar.key $(timed "$(( $(date +%s) * 1000 ))" "$@")
}
serve e1
"$PARLEY" --home lb join l.json --key keys/cert-b.key >/dev/null || fail "join"
p 0 --home lb sync
has_out "verified log of 1 entries"
rm -rf lb
serve e1 e2
"$PARLEY" --home lb join l.json --key keys/cert-b.key >/dev/null || fail "join"
p 1 --home lb sync
has_err "entry 1: cert-a would exceed the charter's daily byte quota (max_bytes_per_day 5000)"
done_ok
