#!/bin/sh
# The console over HTTPS (run --console with --tls-cert/--tls-key): console.url says https,
# the login works over TLS with the certificate trusted, its cookie is Secure, a client that
# does not trust the certificate gets nothing, and plain HTTP on the port is not served.
. "$(dirname "$0")/lib.sh"

setup_channel
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=parley console" \
	-addext "subjectAltName=IP:127.0.0.1" -keyout tls.key -out tls.pem >/dev/null 2>&1 || fail "openssl"
chmod 600 tls.key
"$PARLEY" --home b run --console 127.0.0.1:0 --tls-cert tls.pem --tls-key tls.key 2>b.run.log </dev/null &
RUN_PID=$!
trap 'kill $RUN_PID $RELAY_PID 2>/dev/null; rm -rf "$T"' EXIT
for _ in $(seq 1 400); do
	[ -s b/console.url ] && break
	kill -0 "$RUN_PID" 2>/dev/null || fail "run --console did not start: $(cat b.run.log)"
	sleep 0.05
done
URL=$(cat b/console.url)
echo "$URL" | grep -qE '^https://127\.0\.0\.1:[0-9]+/#token=[0-9a-f]{64}$' || fail "console.url: $URL"
BASE=${URL%%/#*}
TOKEN=${URL##*#token=}
code=$(curl -s -o body -D hdr -w '%{http_code}' --cacert tls.pem -X POST -H 'Content-Type: application/json' \
	--data "{\"token\":\"$TOKEN\"}" "$BASE/api/session") || fail "curl over TLS"
[ "$code" = 200 ] || fail "login over TLS: HTTP $code $(cat body)"
tr -d '\r' <hdr | grep -i '^set-cookie:' | grep -qi 'secure' || fail "the session cookie is not Secure: $(cat hdr)"
tr -d '\r' <hdr | grep -i '^set-cookie:' | grep -qi 'httponly' || fail "the session cookie is not HttpOnly"
# an untrusted certificate: curl refuses, nothing is served
curl -s -o /dev/null "$BASE/api/attention" && fail "a client without the certificate got an answer"
# plain HTTP on the TLS port: no page
HTTP_BASE=$(echo "$BASE" | sed 's/^https:/http:/')
code=$(curl -s -o body -w '%{http_code}' --max-time 5 "$HTTP_BASE/" 2>/dev/null) || true
[ "$code" = 200 ] && fail "plain HTTP served the console on the TLS port"
done_ok
