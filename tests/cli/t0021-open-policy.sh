#!/bin/sh
# Who may open channels: serve --open-channels any|allowlist FILE, the per-address open rate and
# the per-key channel quota, each with a clear 403/429; re-opening an existing channel always works.
. "$(dirname "$0")/lib.sh"

mkparty cert-a; mkparty cert-b; mkparty cert-c; mkparty relay
# charter NAME PARTY...: a charter signed by its parties, in NAME.json
charter() {
	name=$1; shift
	args=""
	for k in "$@"; do args="$args --party keys/$k.pub"; done
	"$PARLEY" charter new --title "$name" $args --scope ip-theft --relay http://127.0.0.1:1 \
		--relay-key keys/relay.pub --out "$name.json" || fail "charter $name"
	for k in "$@"; do "$PARLEY" charter sign --key keys/$k.key "$name.json" 2>/dev/null || fail "sign $name"; done
}
open_as() { # EXPECTED_EXIT KEY CHARTER
	p "$1" api --relay "$RELAY_URL" --key "keys/$2.key" --data "$3.json" --content-type application/json \
		POST /v1/channels
}
charter one cert-a cert-b
charter two cert-a cert-b cert-c
charter three cert-b cert-c
charter four cert-a cert-b
charter five cert-c cert-a

p 2 serve --key keys/relay.key --db x.db --listen 127.0.0.1:0 --open-channels bogus
has_err "open-channels takes 'any' or 'allowlist FILE'"
echo "not a key" > bad.txt
p 1 serve --key keys/relay.key --db x.db --listen 127.0.0.1:0 --open-channels allowlist bad.txt
has_err "bad.txt:1: neither a charter id"

# an allowlist: charter one by id, and any charter with cert-c as a party by its key
{ echo "# channels this relay hosts"; "$PARLEY" charter verify one.json; echo; sed -n 's/^sign /sign /p' keys/cert-c.pub; } > allow.txt
RELAY_ARGS="--open-channels allowlist allow.txt" start_relay relay
open_as 0 cert-a one
has_out "^201"
open_as 0 cert-b one        # re-opening is idempotent
has_out "^201"
open_as 0 cert-c three      # cert-c's key is listed
has_out "^201"
open_as 1 cert-a four       # neither its id nor a party's key is listed
has_out "^403"
has_out "not-allowed-to-open"
has_out "ask its operator"
stop_relay

# any (the default), with at most 4 channel opens a minute from one address and 2 channels per key
rm -f relay.db*
RELAY_ARGS="--open-rate 4 --open-max-per-key 2" start_relay relay
open_as 0 cert-a one
open_as 0 cert-a two
open_as 1 cert-c five       # cert-a would be in a third channel
has_out "^429"
has_out "channel-quota"
has_out "key cert-a is already a party of 2 channels"
open_as 0 cert-b one        # an existing channel re-opens (the 4th request this minute)
has_out "^201"
open_as 1 cert-b three      # the 5th request from this address within the minute
has_out "^429"
has_out "open-rate-limited"
# members of the open channels are not affected by any of it
p 0 api --relay "$RELAY_URL" --key keys/cert-b.key GET "/v1/channels/$("$PARLEY" charter verify one.json)/checkpoint"
stop_relay
done_ok
