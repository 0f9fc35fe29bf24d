#!/bin/sh
# t0235: run --console takes what --taxii takes (one listener start in the library, lib/httpd.c):
# [IPv6]:PORT, with console.url naming the address in brackets (what a browser opens), login and
# the API over it, the Host check accepting [::1]:PORT and refusing another name; a name that
# resolves to an IPv4 and an IPv6 address is served on both, on one port, console.url naming the
# name; localhost:PORT is 127.0.0.1; the console and TAXII side by side over IPv6.
. "$(dirname "$0")/lib.sh"

HAVE6=0
python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>/dev/null && HAVE6=1
setup_channel

# start_run HOME LISTEN [wrapper...]: run HOME with --console LISTEN (and what ARGS holds); sets URL, RUN_PID
start_run() {
	h=$1 l=$2; shift 2
	rm -f "$h/console.url"
	"$@" "$PARLEY" --home "$h" run --console "$l" ${ARGS:-} 2>"$h.run.log" </dev/null &
	RUN_PID=$!
	trap 'kill $RUN_PID $RELAY_PID 2>/dev/null; rm -rf "$T"' EXIT
	for _ in $(seq 1 400); do
		[ -s "$h/console.url" ] && break
		kill -0 "$RUN_PID" 2>/dev/null || fail "run --console $l did not start: $(cat "$h.run.log")"
		sleep 0.05
	done
	[ -s "$h/console.url" ] || fail "no console.url: $(cat "$h.run.log")"
	URL=$(cat "$h/console.url")
}
stop_run() { kill -TERM "$RUN_PID"; wait "$RUN_PID" || fail "run did not stop cleanly: $(tail -n 5 b.run.log)"; }

# c EXPECTED METHOD URL [curl args...]: body in ./body, headers in ./hdr
c() {
	want=$1 method=$2 u=$3; shift 3
	got=$(curl -g -s -o body -D hdr -w '%{http_code}' -X "$method" "$@" "$u") || got="curl-failed"
	NTESTS=$((NTESTS + 1))
	[ "$got" = "$want" ] || { cat body >&2; tail -n 5 b.run.log >&2; fail "$method $u: expected HTTP $want, got $got"; }
}
# login BASE [curl args...]: the token of console.url for a cookie; sets COOKIE, CSRF
login() {
	base=$1; shift
	tok=${URL##*#token=}
	c 200 POST "$base/api/session" "$@" -H 'Content-Type: application/json' -d "{\"token\":\"$tok\"}"
	CSRF=$(jq -r .csrf body)
	COOKIE=$(tr -d '\r' <hdr | sed -n 's/^[Ss]et-[Cc]ookie: \(parley_console=[0-9a-f]*\).*/\1/p')
	[ -n "$COOKIE" ] || fail "no cookie: $(cat hdr body)"
	URL=$(cat b/console.url)
}

# localhost:PORT is 127.0.0.1, as for --taxii
start_run b localhost:0
echo "$URL" | grep -qE '^http://127\.0\.0\.1:[0-9]+/#token=[0-9a-f]{64}$' || fail "console.url for localhost:0: $URL"
BASE=${URL%%/#*}
PORT=${BASE##*:}
login "$BASE"
c 200 GET "http://localhost:$PORT/api/attention" -H "Cookie: $COOKIE"
stop_run

if [ "$HAVE6" = 1 ]; then
	# [::1]: console.url in brackets, everything over IPv6, nothing on 127.0.0.1
	ARGS="--taxii [::1]:0" start_run b '[::1]:0'
	echo "$URL" | grep -qE '^http://\[::1\]:[0-9]+/#token=[0-9a-f]{64}$' || fail "console.url for [::1]:0: $URL"
	grep -q "console at http://\[::1\]:[0-9]*/" b.run.log || fail "the log does not name [::1]: $(cat b.run.log)"
	grep -q "TAXII 2.1 at http://\[::1\]:[0-9]*/taxii2/" b.run.log || fail "the TAXII line does not name [::1]: $(cat b.run.log)"
	BASE=${URL%%/#*}
	PORT=${BASE##*:}
	c 200 GET "$BASE/"
	login "$BASE"
	c 200 GET "$BASE/api/attention" -H "Cookie: $COOKIE"
	c 200 GET "http://localhost:$PORT/api/attention" -H "Cookie: $COOKIE" --resolve "localhost:$PORT:[::1]"
	c 200 POST "$BASE/api/sync" -H "Cookie: $COOKIE" -H "X-CSRF-Token: $CSRF" -H "Origin: http://[::1]:$PORT" -d '{}'
	c 403 POST "$BASE/api/sync" -H "Cookie: $COOKIE" -H "X-CSRF-Token: $CSRF" -H "Origin: http://127.0.0.1:$PORT" -d '{}'
	# a rebound name reaches nothing
	c 421 GET "http://rebound.example:$PORT/api/attention" -H "Cookie: $COOKIE" --resolve "rebound.example:$PORT:[::1]"
	c curl-failed GET "http://127.0.0.1:$PORT/"
	# TAXII beside it, over IPv6 too
	TPORT=$(sed -n 's|.*TAXII 2.1 at http://\[::1\]:\([0-9]*\)/taxii2/.*|\1|p' b.run.log | head -n 1)
	c 200 GET "http://[::1]:$TPORT/taxii2/" -u "parley:$(cat b/taxii.token)" -H 'Accept: application/taxii+json;version=2.1'
	stop_run
	ARGS=
else
	echo "no ::1 on this machine: the IPv6 checks are skipped"
fi

# a name with an IPv4 and an IPv6 address (a private /etc/hosts in a mount namespace, where allowed):
# both served on one port; console.url names the name; each address and the name pass the Host check
if [ "$HAVE6" = 1 ] && unshare -m true 2>/dev/null; then
	printf '127.0.0.1 localhost\n127.0.0.2 parley-two\n::1 parley-two\n' > hosts
	start_run b parley-two:0 unshare -m sh -c 'mount --bind "$0" /etc/hosts && exec "$@"' "$T/hosts"
	echo "$URL" | grep -qE '^http://parley-two:[0-9]+/#token=[0-9a-f]{64}$' || fail "console.url for parley-two:0: $URL"
	BASE=${URL%%/#*}
	PORT=${BASE##*:}
	login "$BASE" --resolve "parley-two:$PORT:127.0.0.2"
	c 200 GET "$BASE/api/attention" -H "Cookie: $COOKIE" --resolve "parley-two:$PORT:[::1]"
	c 200 GET "http://127.0.0.2:$PORT/api/attention" -H "Cookie: $COOKIE"
	c 200 GET "http://[::1]:$PORT/api/attention" -H "Cookie: $COOKIE"
	c 421 GET "http://rebound.example:$PORT/api/attention" -H "Cookie: $COOKIE" --resolve "rebound.example:$PORT:127.0.0.2"
	stop_run
else
	echo "no mount namespace (or no ::1): the two-address name is not checked"
fi

p 2 --home b run --console '::1:8443'
has_err "an IPv6 address goes in brackets"
p 1 --home b run --console no-such-host.invalid:0
has_err "no-such-host.invalid: does not resolve"
done_ok
