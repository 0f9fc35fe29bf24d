#!/bin/sh
# t0234: console sessions end. Each login writes the next one-time token to console.url (the used
# one stays refused); POST /api/logout (CSRF-checked) forgets the session in the node, so the
# cookie replayed is 401; --console-idle ends a session that sees no request for that long (and
# requests keep it alive meanwhile); --console-lifetime ends one that long after its login however
# busy it is; an expired session answers 401 "session expired" once, then is unknown. Timing on a
# loaded machine: each verdict is checked against what the clock allows (a 200 is wrong only when
# the limit had certainly passed, a 401 only when it certainly had not).
. "$(dirname "$0")/lib.sh"

setup_channel

# start_console HOME ARGS...: run HOME with the console on a free port; sets CURL_BASE, RUN_PID
start_console() {
	h=$1; shift
	rm -f "$h/console.url"
	"$PARLEY" --home "$h" run --console 127.0.0.1:0 "$@" 2>"$h.run.log" </dev/null &
	RUN_PID=$!
	trap 'kill $RUN_PID $RELAY_PID 2>/dev/null; rm -rf "$T"' EXIT
	for _ in $(seq 1 400); do
		[ -s "$h/console.url" ] && break
		kill -0 "$RUN_PID" 2>/dev/null || fail "run --console did not start: $(cat "$h.run.log")"
		sleep 0.05
	done
	[ -s "$h/console.url" ] || fail "no console.url: $(cat "$h.run.log")"
	URL=$(cat "$h/console.url")
	CURL_BASE=${URL%%/#*}
}
stop_console() { kill -TERM "$RUN_PID"; wait "$RUN_PID" || fail "run did not stop cleanly: $(tail -n 5 b.run.log)"; }

# c EXPECTED METHOD PATH [curl args...]: body in ./body, headers in ./hdr
c() {
	want=$1 method=$2 path=$3; shift 3
	got=$(curl -s -o body -D hdr -w '%{http_code}' -X "$method" "$@" "$CURL_BASE$path") || fail "curl $method $path"
	NTESTS=$((NTESTS + 1))
	[ "$got" = "$want" ] || { cat body >&2; tail -n 5 b.run.log >&2; fail "$method $path: expected HTTP $want, got $got"; }
}
j() {
	v=$(jq -r "$1" body) || fail "jq $1 on $(cat body)"
	[ "$v" = "$2" ] || fail "jq '$1': expected '$2', got '$v' in $(cat body)"
}
hdr_has() { tr -d '\r' <hdr | grep -qiF "$1" || fail "no header '$1' in $(cat hdr)"; }
token_of() { sed -n 's|.*#token=\([0-9a-f]*\)$|\1|p' b/console.url; }

# login: the token of console.url now; sets COOKIE, CSRF, T_LOGIN0/1 (ns before and after)
login() {
	tok=$(token_of)
	T_LOGIN0=$(date +%s%N)
	c 200 POST /api/session -H 'Content-Type: application/json' -d "{\"token\":\"$tok\"}"
	T_LOGIN1=$(date +%s%N)
	CSRF=$(jq -r .csrf body)
	COOKIE=$(tr -d '\r' <hdr | sed -n 's/^[Ss]et-[Cc]ookie: \(parley_console=[0-9a-f]*\).*/\1/p')
	[ -n "$COOKIE" ] && [ -n "$CSRF" ] || fail "no session: $(cat hdr body)"
	USED=$tok
}

# req: GET /api/session with the cookie; sets CODE, R0/R1 (ns before and after the request)
req() {
	R0=$(date +%s%N)
	CODE=$(curl -s -o body -w '%{http_code}' -H "Cookie: $COOKIE" "$CURL_BASE/api/session") || fail "curl"
	R1=$(date +%s%N)
	NTESTS=$((NTESTS + 1))
}
S=1000000000

# --- the token: one login each, the next written to console.url (0600) at once
start_console b
T1=$(token_of)
login
j .party cert-b
j .idle_s 1800
T2=$(token_of)
[ -n "$T2" ] && [ "$T2" != "$T1" ] || fail "console.url did not get a new token after the login: $T1 / $T2"
[ "$(stat -c %a b/console.url)" = 600 ] || fail "console.url is not 0600 after the rewrite"
grep -q "$T2" b.run.log && fail "the new token is in the log"
c 401 POST /api/session -H 'Content-Type: application/json' -d "{\"token\":\"$T1\"}"
j .error "wrong or used login token: open the URL in HOME/console.url (a new one is written there after each login)"
[ "$(token_of)" = "$T2" ] || fail "a refused login changed console.url"
A_COOKIE=$COOKIE A_CSRF=$CSRF
login
B_COOKIE=$COOKIE
[ "$A_COOKIE" != "$B_COOKIE" ] || fail "two logins, one session"

# --- logout: CSRF-checked, the session forgotten by the node (the cookie replayed is refused)
COOKIE=$A_COOKIE
c 403 POST /api/logout -H "Cookie: $A_COOKIE" -d '{}'
c 403 POST /api/logout -H "Cookie: $A_COOKIE" -H "X-CSRF-Token: $(printf '%064d' 0)" -d '{}'
c 405 GET /api/logout -H "Cookie: $A_COOKIE"
c 403 POST /api/logout -H "Cookie: $A_COOKIE" -H "X-CSRF-Token: $A_CSRF" -H 'Origin: http://evil.example' -d '{}'
c 200 GET /api/attention -H "Cookie: $A_COOKIE"
c 200 POST /api/logout -H "Cookie: $A_COOKIE" -H "X-CSRF-Token: $A_CSRF" -d '{}'
j .ok true
hdr_has "Set-Cookie: parley_console=; Max-Age=0"
c 401 GET /api/attention -H "Cookie: $A_COOKIE"
j .error "log in first: open the URL of HOME/console.url"
c 401 POST /api/sync -H "Cookie: $A_COOKIE" -H "X-CSRF-Token: $A_CSRF" -d '{}'
c 401 POST /api/logout -H "Cookie: $A_COOKIE" -H "X-CSRF-Token: $A_CSRF" -d '{}'
c 401 POST /api/logout -d '{}'
# the other session lives on
c 200 GET /api/attention -H "Cookie: $B_COOKIE"

stop_console

# --- idle (2 s): requests every 0.3 s keep a session alive past 2 s; then 2 s without one end it
IDLE=2
start_console b --console-idle "$IDLE"
alive=0
for attempt in 1 2 3 4 5; do
	login
	j .idle_s "$IDLE"
	prev1=$T_LOGIN1 prev0=$T_LOGIN0 ok=1
	while :; do
		sleep 0.3
		req
		if [ "$CODE" = 200 ]; then
			# certainly idle past the limit (no request since prev1) and still served: wrong
			[ $((R0 - prev1)) -le $((IDLE * S)) ] || fail "a session idle for $(((R0 - prev1) / 1000000)) ms (limit ${IDLE} s) was served"
		else
			[ "$CODE" = 401 ] || fail "GET /api/session: HTTP $CODE"
			[ $((R1 - prev0)) -gt $((IDLE * S)) ] || fail "a session used $(((R1 - prev0) / 1000000)) ms ago ended: $(cat body)"
			ok=0 # the machine stalled past the limit: a true expiry, try again
			break
		fi
		prev0=$R0 prev1=$R1
		[ $((R1 - T_LOGIN0)) -gt $(((IDLE + 2) * S)) ] && break
	done
	[ $ok = 1 ] && { alive=1; break; }
	echo "the machine stalled for more than ${IDLE} s between two requests: attempt $attempt again"
done
[ $alive = 1 ] || fail "no attempt kept a session alive past its idle limit (machine too slow?)"
sleep $((IDLE + 1))
req
[ "$CODE" = 401 ] || fail "a session idle for $(((R0 - prev1) / 1000000)) ms was served: HTTP $CODE"
j .error "session expired: log in again with the URL in HOME/console.url"
req
[ "$CODE" = 401 ] || fail "an expired session came back: HTTP $CODE"
j .error "log in first: open the URL of HOME/console.url"
# and a new login still works (the request right after it, unless the machine stalled 2 s)
login
req
[ "$CODE" = 200 ] || [ $((R1 - T_LOGIN0)) -gt $((IDLE * S)) ] || fail "a new login after an expiry: HTTP $CODE"
stop_console

# --- lifetime (3 s): a session in use ends 3 s after its login all the same
LIFE=3
start_console b --console-lifetime "$LIFE"
login
j .idle_s 1800
EXP=$(jq -r .expires_ms body)
NOWMS=$(($(date +%s%N) / 1000000))
[ $((EXP - NOWMS)) -le $((LIFE * 1000)) ] && [ $((EXP - NOWMS)) -gt -1000 ] ||
	fail "expires_ms $EXP is not about $LIFE s after the login ($NOWMS)"
ended=0
for _ in $(seq 1 200); do
	req
	if [ "$CODE" = 200 ]; then
		[ $((R0 - T_LOGIN1)) -le $((LIFE * S)) ] || fail "a session $(((R0 - T_LOGIN1) / 1000000)) ms after its login (lifetime ${LIFE} s) was served"
	else
		[ "$CODE" = 401 ] || fail "GET /api/session: HTTP $CODE"
		[ $((R1 - T_LOGIN0)) -gt $((LIFE * S)) ] || fail "a session ended $(((R1 - T_LOGIN0) / 1000000)) ms after its login (lifetime ${LIFE} s)"
		j .error "session expired: log in again with the URL in HOME/console.url"
		ended=1
		break
	fi
	sleep 0.2
done
[ $ended = 1 ] || fail "a session outlived its lifetime of ${LIFE} s"
req
j .error "log in first: open the URL of HOME/console.url"
stop_console

# --- the options: --console only, bounded, and in --help
p 2 --home b run --console-idle 10
has_err "are for --console"
p 2 --home b run --console 127.0.0.1:0 --console-idle 0
has_err "1 to 604800 seconds"
p 2 --home b run --console 127.0.0.1:0 --console-lifetime 604801
has_err "1 to 604800 seconds"
p 0 run --help
has_out "--console-idle SECONDS"
has_out "--console-lifetime SECONDS"
done_ok
