#!/bin/sh
# A charter's validity window is checked where it matters: verify exits 1 outside it
# naming the dates (--any-time checks signatures only), show says expired / not yet
# valid, join refuses both (the relay refuses to open an expired one), and status and
# sync warn 30, 7 and 1 days before the end.
. "$(dirname "$0")/lib.sh"

setup_channel
P="--party keys/cert-a.pub --party keys/cert-b.pub --scope ip-theft --relay $RELAY_URL --relay-key keys/relay.pub"
signed() { # OUT charter-new-options...
	out=$1; shift
	"$PARLEY" charter new --title t $P "$@" --out "$out" || fail "charter new $*"
	for k in cert-a cert-b; do "$PARLEY" charter sign --key keys/$k.key "$out" 2>/dev/null || fail "sign $out"; done
}

# expired: valid for 1 second
signed old.json --valid-seconds 1
sleep 2
p 1 charter verify old.json
has_err "old.json: the charter expired at 20..-..-..T..:..:..Z: valid from 20..-..-..T..:..:..Z to 20..-..-..T..:..:..Z (now "
p 0 charter verify --any-time old.json
[ "$(cat out)" = "$(python3 -c "import hashlib,json; d=json.load(open('old.json'))['charter']; print(hashlib.sha256(json.dumps(d,sort_keys=True,separators=(',',':'),ensure_ascii=False).encode()).hexdigest())")" ] ||
	fail "verify --any-time prints the id"
p 0 charter show old.json
has_out "^status:     expired: signed by every party, expired at "
grep -q "verified" out && fail "show calls an expired charter verified"
p 1 --home x join old.json --key keys/cert-a.key
has_err "the charter expired at"
[ -e x/node.json ] && fail "join wrote a node for an expired charter"
# the relay refuses to open it too (a hostile member skipping join's check gets 422)
p 1 api --relay "$RELAY_URL" --key keys/cert-a.key --data old.json --content-type application/json POST /v1/channels
has_out "^422"
has_out "charter-expired"
has_out "the charter expired at 20..-..-..T..:..:..Z: a new channel cannot be opened under it"

# not yet valid
signed future.json --valid-from 2099-01-01T00:00:00Z --valid-days 30
p 1 charter verify future.json
has_err "future.json: the charter is not yet valid: valid from 2099-01-01T00:00:00Z to 2099-01-31T00:00:00Z"
p 0 charter verify --any-time future.json
p 0 charter show future.json
has_out "^valid:      2099-01-01T00:00:00Z to 2099-01-31T00:00:00Z"
has_out "^status:     not yet valid: signed by every party, valid from 2099-01-01T00:00:00Z"
p 1 --home x join future.json --key keys/cert-a.key
has_err "not yet valid"

# a valid one still verifies and shows as verified; bad options are usage errors
p 0 charter verify c.json
p 0 charter show c.json
has_out "^status:     verified: signed by every party, valid until "
p 2 charter new --title t $P --valid-seconds 0
p 2 charter new --title t $P --valid-from tomorrow
p 2 charter verify --any-time
signed secs.json --valid-from 2030-01-01T00:00:00Z --valid-seconds 90
p 0 charter show secs.json
has_out "^valid:      2030-01-01T00:00:00Z to 2030-01-01T00:01:30Z"

# warnings ahead of the end: within 30, 7, 1 days (channels joined beside the first)
signed d20.json --valid-days 20
signed d6.json --valid-days 6
signed h1.json --valid-seconds 3600
for f in d20 d6 h1; do
	p 0 --home a join $f.json --key keys/cert-a.key
	eval "ID_$f=\$(\"\$PARLEY\" charter verify $f.json)"
done
p 0 --home a status --channel "$ID_d20"
has_err "WARNING: the charter of channel ${ID_d20%"${ID_d20#????????????????}"}... expires within 30 days, at "
p 0 --home a sync --channel "$ID_d6"
has_err "expires within 7 days"
p 0 --home a status --channel "$ID_h1"
has_err "expires within 1 day, at "
p 0 --home a sync --channel "$ID_h1"
has_err "expires within 1 day"
p 0 --home a status --channel "$CHANNEL"
no_err

done_ok
