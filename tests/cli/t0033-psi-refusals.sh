#!/bin/sh
# PSI: a set file with unreadable lines is refused before anything is sent, naming the first line numbers, unless
# --skip-invalid; a refused or failed request does not count against the charter's daily quota.
. "$(dirname "$0")/lib.sh"

CHARTER_ARGS="--psi-min 3 --psi-per-day 1" setup_channel
logsize() {
	"$PARLEY" api --relay "$RELAY_URL" --key keys/cert-a.key GET "/v1/channels/$CHANNEL/checkpoint" 2>/dev/null |
		sed -n 2p
}
p 0 --home a sync
p 0 --home b sync

# 12 bad lines among 20 good ones
python3 - <<'PY'
with open('a.txt', 'w') as f:
    for i in range(32):
        f.write('10.3.0.%d\n' % i if i % 8 < 5 else 'junk line %d!\n' % i)
PY
python3 -c "
for i in range(10, 40): print('10.3.0.%d' % i)" > b.txt
printf '10.3.0.10\n10.3.0.11\n' > tiny.txt

before=$(logsize)
p 1 --home a psi request --to cert-b --set a.txt
has_err "a.txt: unreadable lines 6, 7, 8, 14, 15, 16, 22, 23, 24, 30, ... (12 in all); line 6: .junk line 5!. is not"
has_err "nothing sent; --skip-invalid sends the rest"
p 1 --home a psi request --to cert-b --set a.txt --dry-run
has_err "unreadable lines 6, 7"
p 1 --home a psi request --to cert-a --set b.txt
has_err "a psi-request addressed to nobody but cert-a itself"
[ "$(logsize)" = "$before" ] || fail "a refused PSI request reached the log"

# the first request is sent without its bad lines, then fails on B's side (B's set is below the charter's minimum):
# nothing answered, so it does not use up A's one request a day
p 0 --home a psi request --to cert-b --set a.txt --skip-invalid
has_err "line 6: .junk line 5!. is not"
has_err "^... and 2 more$"          # the first ten skipped lines are listed
has_out "PSI request for 20 indicators"
R1=$(tail -n 1 out)
p 1 --home b psi respond "$R1" --set tiny.txt
has_err "your set has 2 indicators; the charter allows 3 to"

# a valid request still goes through, and is answered
p 0 --home a psi request --to cert-b --set b.txt
R2=$(tail -n 1 out)
p 0 --home b psi respond "$R2" --set b.txt
has_out "answered request $R2"
p 0 --home a psi result "$R2"
[ "$(wc -l < out)" = 30 ] || fail "30 in common expected"

# now the quota is used: A's node refuses a third request before sending it
before=$(logsize)
p 1 --home a psi request --to cert-b --set b.txt
has_err "1 of your PSI requests were answered in the last 24 hours and the charter allows 1 a day"
[ "$(logsize)" = "$before" ] || fail "a request over the quota reached the log"
# and B refuses the pending first one, on the record
p 0 --home b psi respond "$R1" --set b.txt
has_out "refused request $R1 (logged): cert-a has had 1 requests answered within 24 hours of this one"
p 1 --home a psi result "$R1"
has_err "was refused"
# which does not count either: still one answered
p 1 --home a psi request --to cert-b --set b.txt --dry-run
has_err "1 of your PSI requests were answered"
p 0 --home a verify
done_ok
