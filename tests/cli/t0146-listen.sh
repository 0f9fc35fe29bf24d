#!/bin/sh
# t0146: serve --listen (and taxii --listen, the same parser) takes HOST:PORT, [IPv6]:PORT and names that
# resolve, binding every address a name resolves to on one port; bad forms are refused with the reason;
# serve --help lists every route family of docs/api.md and every metric the relay exports.
. "$SRCDIR/tests/cli/lib.sh"

mkparty relay; mkparty cert-a; mkparty cert-b
HAVE6=0
python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>/dev/null && HAVE6=1
[ "$HAVE6" = 1 ] || echo "no ::1 on this machine: the IPv6 checks are skipped"

# health URL -> its body, or nothing
health() { python3 -c 'import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=10).read().decode())' "$1" 2>/dev/null; }

# srv NAME LISTEN [wrapper...]: a relay on LISTEN; sets SPID and SPORT
srv() {
	s_name=$1; s_listen=$2; shift 2
	rm -f "$s_name.port"
	"$@" "$PARLEY" serve --key keys/relay.key --db "$s_name.db" --listen "$s_listen" --port-file "$s_name.port" \
		2>"$s_name.log" &
	SPID=$!
	for _ in $(seq 1 200); do
		[ -s "$s_name.port" ] && break
		kill -0 "$SPID" 2>/dev/null || fail "relay on $s_listen did not start: $(cat "$s_name.log")"
		sleep 0.05
	done
	[ -s "$s_name.port" ] || fail "relay on $s_listen wrote no port"
	SPORT=$(cat "$s_name.port")
}
stop() { kill "$SPID" 2>/dev/null; wait "$SPID" 2>/dev/null; }
trap 'kill ${SPID:-} ${TPID:-} 2>/dev/null; rm -rf "$T"' EXIT

# IPv4
srv v4 127.0.0.1:0
[ "$(health "http://127.0.0.1:$SPORT/v1/health")" = '{"status":"ok"}' ] || fail "no health on 127.0.0.1:$SPORT"
grep -q "relay listening.* addr=127.0.0.1:$SPORT" v4.log || fail "the log does not name the address: $(cat v4.log)"
# the same port again: refused, naming why
run 1 "$PARLEY" serve --key keys/relay.key --db again.db --listen "127.0.0.1:$SPORT"
has_err "cannot listen on 127.0.0.1 port $SPORT: Address already in use"
stop

# IPv6 in brackets, and a whole channel over it (nodes, libcurl, the per-address limits)
if [ "$HAVE6" = 1 ]; then
	srv v6 '[::1]:0'
	[ "$(health "http://[::1]:$SPORT/v1/health")" = '{"status":"ok"}' ] || fail "no health on [::1]:$SPORT"
	grep -q "addr=\[::1\]:$SPORT" v6.log || fail "the log does not name [::1]: $(cat v6.log)"
	[ -z "$(health "http://127.0.0.1:$SPORT/v1/health")" ] || fail "[::1] also listens on 127.0.0.1"
	"$PARLEY" charter new --title six --party keys/cert-a.pub --party keys/cert-b.pub \
		--scope election-infrastructure --relay "http://[::1]:$SPORT" --relay-key keys/relay.pub --out c6.json ||
		fail "charter with an IPv6 relay URL"
	for k in cert-a cert-b; do "$PARLEY" charter sign --key keys/$k.key c6.json >/dev/null 2>&1 || fail "sign"; done
	p 0 --home a6 join c6.json --key keys/cert-a.key
	p 0 --home b6 join c6.json --key keys/cert-b.key
	p 0 --home a6 notify --to cert-b --category election-infrastructure --text "over IPv6"
	p 0 --home b6 sync
	p 0 --home b6 inbox
	has_out "over IPv6"
	stop
fi

# a name: localhost, every address it resolves to, one port
LOCAL=$(python3 -c '
import socket
print(" ".join(sorted({a[4][0] for a in socket.getaddrinfo("localhost", 0, 0, socket.SOCK_STREAM)})))')
srv lh localhost:0
for a in $LOCAL; do
	case $a in *:*) [ "$HAVE6" = 1 ] || continue; u="http://[$a]:$SPORT" ;; *) u="http://$a:$SPORT" ;; esac
	[ "$(health "$u/v1/health")" = '{"status":"ok"}' ] || fail "localhost:0 does not answer on $u ($LOCAL)"
done
stop

# a name with an IPv4 and an IPv6 address (a private /etc/hosts, where this machine allows a mount namespace):
# both bound, on the same port
if [ "$HAVE6" = 1 ] && unshare -m true 2>/dev/null; then
	printf '127.0.0.1 localhost\n127.0.0.2 parley-two\n::1 parley-two\n' > hosts
	srv two parley-two:0 unshare -m sh -c 'mount --bind "$0" /etc/hosts && exec "$@"' "$T/hosts"
	[ "$(health "http://127.0.0.2:$SPORT/v1/health")" = '{"status":"ok"}' ] || fail "parley-two: not on 127.0.0.2"
	[ "$(health "http://[::1]:$SPORT/v1/health")" = '{"status":"ok"}' ] || fail "parley-two: not on [::1]"
	[ "$(grep -c "relay listening" two.log)" = 2 ] || fail "two addresses, two listening lines: $(cat two.log)"
	stop
else
	echo "no mount namespace (or no ::1): the two-address name is not checked"
fi

# bad forms: a usage error (exit 2) that says what is wrong; nothing listens
for bad in '::1:8443|brackets' '127.0.0.1|no port' ':8443|no host' '127.0.0.1:65536|0 to 65535' \
	'127.0.0.1:-1|0 to 65535' '127.0.0.1:80x|0 to 65535' '[::1]|no port' '[::1:80|no .]. after' '[zz]:80|not an IPv6' \
	'[]:80|no IPv6 address' 'a..b:80|empty label' 'a b:80|cannot hold' '[::1]80|no port'; do
	spec=${bad%|*}; why=${bad#*|}
	run 2 "$PARLEY" serve --key keys/relay.key --db bad.db --listen "$spec"
	has_err "$why"
	has_err "^parley serve: --listen: listening address"
done
run 2 "$PARLEY" serve --key keys/relay.key --db bad.db --listen "$(printf 'h\377st:80')"
has_err "cannot hold"
run 2 "$PARLEY" serve --key keys/relay.key --db bad.db --listen "$(python3 -c 'print("a" * 100000 + ":80")')"
has_err "too long"
run 2 "$PARLEY" serve --key keys/relay.key --db bad.db --listen "$(python3 -c 'print("a" * 64 + ".example:80")')"
has_err "longer than 63"
# a name that does not resolve: a failure (exit 1), not a usage error
run 1 "$PARLEY" serve --key keys/relay.key --db bad.db --listen no-such-host.invalid:0
has_err "no-such-host.invalid: does not resolve"

# taxii --listen shares the parser and the binding
srv tx 127.0.0.1:0
"$PARLEY" charter new --title four --party keys/cert-a.pub --party keys/cert-b.pub --scope election-infrastructure \
	--relay "http://127.0.0.1:$SPORT" --relay-key keys/relay.pub --out c4.json || fail "charter"
for k in cert-a cert-b; do "$PARLEY" charter sign --key keys/$k.key c4.json >/dev/null 2>&1 || fail "sign"; done
p 0 --home t join c4.json --key keys/cert-a.key
p 2 --home t taxii --listen '::1:0'
has_err "brackets"
TL='127.0.0.1:0'; TU=127.0.0.1
[ "$HAVE6" = 1 ] && { TL='[::1]:0'; TU='[::1]'; }
"$PARLEY" --home t taxii --listen "$TL" --port-file taxii.port --sync-interval 0 2>taxii.log &
TPID=$!
for _ in $(seq 1 200); do [ -s taxii.port ] && break; sleep 0.05; done
[ -s taxii.port ] || fail "taxii did not start: $(cat taxii.log)"
python3 -c 'import sys, urllib.request
try:
    urllib.request.urlopen(sys.argv[1], timeout=10)
except urllib.error.HTTPError as e:
    sys.exit(0 if e.code == 401 else 1)
sys.exit(1)' "http://$TU:$(cat taxii.port)/taxii2/" || fail "taxii on $TL does not answer (401 without a token)"
grep -qF "http://$TU:$(cat taxii.port)/taxii2/" taxii.log || fail "taxii names its address: $(cat taxii.log)"
kill "$TPID"; wait "$TPID" 2>/dev/null
stop

# serve --help: every route family of docs/api.md's relay section, and every metric the relay exports
p 0 serve --help
cp out serve-help.txt
python3 - "$SRCDIR" <<'PY' || fail "serve --help lacks a route or a metric (above)"
import re, sys
src = sys.argv[1]
api = open(src + '/docs/api.md', encoding='utf-8').read().split("# The node's TAXII")[0]
helptext = open('serve-help.txt', encoding='utf-8').read()
missing = []
for m in re.finditer(r'^### `(GET|POST) (/v1/[^`?\[ ]*)', api, re.M):
    path = m.group(2).replace('{id}', 'ID')
    if not re.search(r'\b%s\s+%s\b' % (m.group(1), re.escape(path)), helptext):
        missing.append('%s %s' % (m.group(1), path))
relay = open(src + '/lib/relay.c', encoding='utf-8').read()
for metric in sorted(set(re.findall(r'# TYPE (parley_[a-z_]+)', relay))):
    if metric not in helptext:
        missing.append('metric ' + metric)
for x in missing:
    print('serve --help lacks', x, file=sys.stderr)
sys.exit(1 if missing else 0)
PY
done_ok
