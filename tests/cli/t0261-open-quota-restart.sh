#!/bin/sh
# The per-key channel quota (serve --open-max-per-key) survives a restart of the relay: it counts
# the channels in the store, not only those opened since the process started. Before, a restart
# gave every key a fresh allowance. Runs against SQLite, and PostgreSQL with PARLEY_TEST_PG=1.
. "$(dirname "$0")/lib.sh"

mkparty cert-a; mkparty cert-b; mkparty cert-c; mkparty relay
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
charter two cert-a cert-c
charter three cert-c cert-a
charter four cert-b cert-c

RELAY_ARGS="--open-max-per-key 2" start_relay relay
open_as 0 cert-a one
has_out "^201"
open_as 0 cert-a two
has_out "^201"
stop_relay

# a new process over the same store: cert-a is still in 2 channels
RELAY_ARGS="--open-max-per-key 2" start_relay relay
open_as 1 cert-c three
has_out "^429"
has_out "channel-quota"
has_out "key cert-a is already a party of 2 channels"
grep -q 'msg="channel quotas counted" channels=2 keys=3' relay.log || fail "no count in the log: $(tail -n 5 relay.log)"
open_as 0 cert-b one         # re-opening an existing channel is not a new one
has_out "^201"
open_as 0 cert-b four        # cert-b is in 1 channel, cert-c in 1: both may have a second
has_out "^201"
stop_relay

# and again, after that open: cert-b and cert-c are now at 2 each
RELAY_ARGS="--open-max-per-key 2" start_relay relay
open_as 1 cert-c three
has_out "key cert-c is already a party of 2 channels"
grep -q 'msg="channel quotas counted" channels=3 keys=3' relay.log || fail "no count in the log: $(tail -n 5 relay.log)"
stop_relay
# a larger quota lets the same key open more, counted from the same store
RELAY_ARGS="--open-max-per-key 3" start_relay relay
open_as 0 cert-c three
has_out "^201"
stop_relay
done_ok
