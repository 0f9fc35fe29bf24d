#!/bin/sh
# The operator console's API (parley run --console), driven with curl against a real standing
# node of a two-party channel: one-time login, cookie and CSRF checks, the Origin check,
# security headers, reading threads, acknowledging and replying through the same library calls
# as the CLI (the log shows this party's signed entries), STIX refusals with the validator's
# lines, a proof that check-proof accepts, and the body cap.
. "$(dirname "$0")/lib.sh"

setup_channel
p 0 --home a notify --to cert-b --category election-infrastructure --text "phishing wave at 09:00
second line"
N=$(tail -n 1 out)
p 0 --home b sync

# start_console HOME: run HOME with the console on a free port; sets CURL_BASE, RUN_PID
start_console() {
	rm -f "$1/console.url"
	"$PARLEY" --home "$1" run --console 127.0.0.1:0 2>"$1.run.log" </dev/null &
	RUN_PID=$!
	trap 'kill $RUN_PID $RELAY_PID 2>/dev/null; rm -rf "$T"' EXIT
	for _ in $(seq 1 400); do
		[ -s "$1/console.url" ] && break
		kill -0 "$RUN_PID" 2>/dev/null || fail "run --console did not start: $(cat "$1.run.log")"
		sleep 0.05
	done
	[ -s "$1/console.url" ] || fail "no console.url: $(cat "$1.run.log")"
	URL=$(cat "$1/console.url")
	CURL_BASE=${URL%%/#*}
	TOKEN=${URL##*#token=}
}

start_console b
[ "$(stat -c %a b/console.url)" = 600 ] || fail "console.url is not 0600"
echo "$URL" | grep -qE '^http://127\.0\.0\.1:[0-9]+/#token=[0-9a-f]{64}$' || fail "console.url: $URL"
grep -q "console at http://127.0.0.1:" b.run.log || fail "no console line in the log"
grep -q "$TOKEN" b.run.log && fail "the token is in the log"

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

# the page (console/, embedded at build time): no login needed, strict headers, no inline script
if [ -f "$SRCDIR/console/index.html" ]; then
	c 200 GET /
	hdr_has "Content-Type: text/html"
	grep -qi '<script>' body && fail "inline script in index.html"
	grep -qi ' style=' body && fail "inline style in index.html"
	for f in "$SRCDIR"/console/*; do
		c 200 GET "/static/$(basename "$f")"
		cmp -s body "$f" || fail "/static/$(basename "$f") differs from $f"
	done
else
	c 404 GET /
fi
hdr_has "Content-Security-Policy: default-src 'none'; script-src 'self'"
hdr_has "frame-ancestors 'none'"
hdr_has "X-Content-Type-Options: nosniff"
hdr_has "Referrer-Policy: no-referrer"
c 404 GET /static/nothing-here.js
c 404 GET /static/../../etc/passwd --path-as-is
c 404 GET /api/nothing
c 405 GET /api/sync

# without the cookie: 401, and no content
c 401 GET /api/attention
j .error "log in first: open the URL of HOME/console.url"
hdr_has "Cache-Control: no-store"
c 401 GET "/api/channels/$CHANNEL/threads/$N"
# login: a wrong token is refused, the right one works once
c 401 POST /api/session -H 'Content-Type: application/json' -d '{"token":"0000000000000000000000000000000000000000000000000000000000000000"}'
c 400 POST /api/session -H 'Content-Type: application/json' -d '{"token":'
c 403 POST /api/session -H 'Origin: http://evil.example' -d "{\"token\":\"$TOKEN\"}"
c 200 POST /api/session -H 'Content-Type: application/json' -d "{\"token\":\"$TOKEN\"}"
j .party cert-b
CSRF=$(jq -r .csrf body)
echo "$CSRF" | grep -qE '^[0-9a-f]{64}$' || fail "csrf: $CSRF"
hdr_has "Set-Cookie: parley_console="
hdr_has "HttpOnly"
hdr_has "SameSite=Strict"
hdr_has "Path=/"
tr -d '\r' <hdr | grep -i '^Set-Cookie:' | grep -qi 'Secure' && fail "Secure cookie over plain HTTP"
COOKIE=$(tr -d '\r' <hdr | sed -n 's/^[Ss]et-[Cc]ookie: \(parley_console=[0-9a-f]*\).*/\1/p')
[ -n "$COOKIE" ] || fail "no cookie"
c 401 POST /api/session -d "{\"token\":\"$TOKEN\"}"
j .error "wrong or used login token: open the URL in HOME/console.url (a new one is written there after each login)"
# a forged cookie
c 401 GET /api/attention -H "Cookie: parley_console=$(echo "$CSRF" | tr '0-9a-f' 'f0-9a-e' | cut -c1-64)"

# the session: GET /api/session gives the CSRF token back
c 200 GET /api/session -H "Cookie: $COOKIE"
j .csrf "$CSRF"

# needs attention: the notification from cert-a, its turn cert-b, the first line as the summary
c 200 GET /api/attention -H "Cookie: $COOKIE"
hdr_has "Cache-Control: no-store"
hdr_has "Content-Security-Policy:"
j '.party' cert-b
j '.threads | length' 1
j ".threads[0].opener" "$N"
j ".threads[0].channel" "$CHANNEL"
j ".threads[0].requester" cert-a
j ".threads[0].turn[0]" cert-b
j ".threads[0].summary" "phishing wave at 09:00"
j ".threads[0].category" election-infrastructure
j '.relays[0].channel' "$CHANNEL"
c 200 GET /api/channels -H "Cookie: $COOKIE"
j '.channels[0].channel' "$CHANNEL"
j '.channels[0].parties | join(",")' "cert-a,cert-b"

# the thread
c 200 GET "/api/channels/$CHANNEL/threads/$N" -H "Cookie: $COOKIE"
j '.entries[0].sender' cert-a
j '.entries[0].type' notification
j '.entries[0].text' "phishing wave at 09:00
second line"
j '.actions | index("acknowledge") != null' true
j '.actions | index("reply") != null' true
c 404 GET "/api/channels/$CHANNEL/threads/999" -H "Cookie: $COOKIE"
c 404 GET "/api/channels/00$(echo "$CHANNEL" | cut -c3-)/threads/$N" -H "Cookie: $COOKIE"
c 404 GET "/api/channels/$CHANNEL/threads/x1" -H "Cookie: $COOKIE"

# CSRF: POST without the header, with a wrong one, from another origin -> 403, nothing sent
A="/api/channels/$CHANNEL/threads/$N/acknowledge"
c 403 POST "$A" -H "Cookie: $COOKIE" -d '{}'
j .error "csrf token missing or wrong"
c 403 POST "$A" -H "Cookie: $COOKIE" -H "X-CSRF-Token: $(echo "$CSRF" | tr 'a-f' 'b-g' | tr g a)" -d '{}'
c 403 POST "$A" -H "Cookie: $COOKIE" -H "X-CSRF-Token: $CSRF" -H 'Origin: http://evil.example' -d '{}'
c 401 POST "$A" -H "X-CSRF-Token: $CSRF" -d '{}'
c 400 POST "$A" -H "Cookie: $COOKIE" -H "X-CSRF-Token: $CSRF" -d '{"no'
c 400 POST "$A" -H "Cookie: $COOKIE" -H "X-CSRF-Token: $CSRF" -d '[1]'
"$PARLEY" --home b inbox >inbox0 2>&1 || fail "inbox"
grep -q acknowledges inbox0 && fail "an acknowledgement was sent by a refused request"

# acknowledge and reply through the API: the log has them, signed by cert-b
ORIGIN=$CURL_BASE
c 200 POST "$A" -H "Cookie: $COOKIE" -H "X-CSRF-Token: $CSRF" -H "Origin: $ORIGIN" -H 'Content-Type: application/json' -d '{}'
ACK=$(jq -r .index body)
c 409 POST "$A" -H "Cookie: $COOKIE" -H "X-CSRF-Token: $CSRF" -d '{}'
c 200 POST "/api/channels/$CHANNEL/threads/$N/reply" -H "Cookie: $COOKIE" -H "X-CSRF-Token: $CSRF" \
	-d '{"text":"blocked at our border"}'
REPLY=$(jq -r .index body)
c 400 POST "/api/channels/$CHANNEL/threads/$N/reply" -H "Cookie: $COOKIE" -H "X-CSRF-Token: $CSRF" -d '{"text":"   "}'
p 0 --home a sync
p 0 --home a show "$ACK"
has_out "cert-b"
has_out "acknowledg"
p 0 --home a show "$REPLY"
has_out "cert-b"
has_out "blocked at our border"
p 0 --home a thread "$N"
has_out "blocked at our border"
p 0 --home a verify

# invalid STIX: 422 with the validator's line, nothing sent; valid STIX validates
cat >bad.json <<'EOF'
{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[
 {"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
  "created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z",
  "pattern":"[ipv4-addr:value = '198.51.100.1'","pattern_type":"stix","valid_from":"2024-01-01T00:00:00Z"}]}
EOF
"$PARLEY" stix validate bad.json >bad.out 2>&1 && fail "the bad bundle validates"
LINE=$(head -n 1 bad.out)
c 422 POST /api/stix/validate -H "Cookie: $COOKIE" -H "X-CSRF-Token: $CSRF" --data-binary @bad.json
j '.problems[0]' "$LINE"
jq -n --slurpfile b bad.json '{to:["cert-a"],category:"election-infrastructure",text:"with stix",stix:$b[0]}' >notify-bad.json
c 422 POST "/api/channels/$CHANNEL/notify" -H "Cookie: $COOKIE" -H "X-CSRF-Token: $CSRF" --data-binary @notify-bad.json
j '.problems[0]' "$LINE"
sed 's/198.51.100.1'"'"'/198.51.100.1'"'"']/' bad.json >good.json
"$PARLEY" stix validate good.json >/dev/null || fail "good.json does not validate"
c 200 POST /api/stix/validate -H "Cookie: $COOKIE" -H "X-CSRF-Token: $CSRF" --data-binary @good.json
j .ok true
jq -n --slurpfile b good.json '{to:["cert-a"],category:"ip-theft",tlp:"amber",text:"with stix",stix:$b[0]}' >notify-good.json
c 200 POST "/api/channels/$CHANNEL/notify" -H "Cookie: $COOKIE" -H "X-CSRF-Token: $CSRF" --data-binary @notify-good.json
NOTE=$(jq -r .index body)
c 409 POST "/api/channels/$CHANNEL/notify" -H "Cookie: $COOKIE" -H "X-CSRF-Token: $CSRF" \
	-d '{"to":["cert-b"],"category":"ip-theft","text":"to myself"}'
c 200 GET "/api/channels/$CHANNEL/threads/$NOTE" -H "Cookie: $COOKIE"
j '.entries[0].stix.objects[0].id' indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f
j '.entries[0].tlp' amber

# prove: the download passes check-proof, and so does the console's own check
c 200 GET "/api/channels/$CHANNEL/prove/$N" -H "Cookie: $COOKIE"
hdr_has "Content-Disposition: attachment; filename=\"proof-$N.json\""
cp body proof.json
p 0 check-proof proof.json
c 200 POST /api/check-proof -H "Cookie: $COOKIE" -H "X-CSRF-Token: $CSRF" --data-binary @proof.json
j .ok true
jq '.entries[0].sig = "AAAA"' proof.json >forged.json 2>/dev/null || cp proof.json forged.json
sed 's/"sig": *"[A-Za-z0-9+\/=]*"/"sig":"AAAA"/' proof.json >forged.json
c 200 POST /api/check-proof -H "Cookie: $COOKIE" -H "X-CSRF-Token: $CSRF" --data-binary @forged.json
j .ok false

# sync now
c 200 POST /api/sync -H "Cookie: $COOKIE" -H "X-CSRF-Token: $CSRF" -d '{}'
j '.channels[0].channel' "$CHANNEL"

# a body over 4 MiB: 413, and the node still answers
head -c 5000000 /dev/zero | tr '\0' 'a' >huge
c 413 POST /api/stix/validate -H "Cookie: $COOKIE" -H "X-CSRF-Token: $CSRF" --data-binary @huge
c 200 GET /api/session -H "Cookie: $COOKIE"

# the CLI still works through the running node, and a restart gives a new token
p 0 --home b status
OLD=$TOKEN
kill -TERM "$RUN_PID"; wait "$RUN_PID" || fail "run did not stop cleanly: $(tail -n 5 b.run.log)"
start_console b
[ "$TOKEN" != "$OLD" ] || fail "the token did not change on restart"
c 401 GET /api/attention -H "Cookie: $COOKIE"
kill -TERM "$RUN_PID"; wait "$RUN_PID" || fail "run did not stop cleanly"
p 2 --home b run --console nowhere
p 2 --home b run --tls-cert x.pem
done_ok
