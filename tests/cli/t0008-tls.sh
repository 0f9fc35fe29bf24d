#!/bin/sh
# The relay over HTTPS: a node trusts the relay's CA given at join; without it, it refuses.
. "$(dirname "$0")/lib.sh"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=parley test relay" \
	-addext "subjectAltName=IP:127.0.0.1" -keyout tls.key -out tls.pem >/dev/null 2>&1 || fail "openssl"
mkparty cert-a; mkparty cert-b; mkparty relay
RELAY_ARGS="--tls-cert tls.pem --tls-key tls.key" start_relay relay
URL="https://127.0.0.1:$(cat relay.port)"
"$PARLEY" charter new --title tls --party keys/cert-a.pub --party keys/cert-b.pub --scope ip-theft \
	--relay "$URL" --relay-key keys/relay.pub --out c.json || fail "charter"
for k in cert-a cert-b; do "$PARLEY" charter sign --key keys/$k.key c.json 2>/dev/null || fail "sign"; done

# an unknown certificate is refused
p 1 --home x join c.json --key keys/cert-a.key
has_err "relay https://127.0.0.1"
# with the CA, everything works over TLS
p 0 --home a join c.json --key keys/cert-a.key --ca tls.pem
p 0 --home b join c.json --key keys/cert-b.key --ca tls.pem
p 0 --home a notify --to cert-b --category ip-theft --text "over tls"
p 0 --home b sync
has_out "1 received"
p 0 --home b show 0
has_out "over tls"
p 0 api --relay "$URL" --ca tls.pem GET /v1/health
# plain HTTP to the TLS port gets nowhere
p 1 api --relay "http://127.0.0.1:$(cat relay.port)" GET /v1/health
stop_relay
done_ok
