#!/bin/sh
# demo.sh - a hotline on 127.0.0.1, start to finish, using only the real parley commands: two parties
# run standing nodes ('parley run': receipts, pings and deadlines without anyone typing), a third uses
# plain commands.
# Usage: examples/demo.sh [path/to/parley]     (make demo builds it and runs this)
set -eu
PARLEY=${1:-build/parley}
case "$PARLEY" in /*) ;; *) PARLEY="$(pwd)/$PARLEY" ;; esac
[ -x "$PARLEY" ] || { echo "demo: $PARLEY is not built; run make" >&2; exit 1; }
EXAMPLES=$(cd "$(dirname "$0")" && pwd)

DIR=$(mktemp -d "${TMPDIR:-/tmp}/parley-demo.XXXXXX")
RELAY_PID= A_PID= B_PID=
cleanup() {
	for pid in $A_PID $B_PID $RELAY_PID; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; done
	rm -rf "$DIR"
}
trap cleanup EXIT INT TERM
cd "$DIR"

# parley's conventions: data on standard output, diagnostics (errors and warnings, with 'parley:') on
# standard error; colour only on a terminal without NO_COLOR (as parley's own --color=auto)
if [ -t 1 ] && [ -z "${NO_COLOR:-}" ] && [ "${TERM:-}" != dumb ]; then B=$(printf '\033[1m') N=$(printf '\033[0m'); else B= N=; fi
say() { printf '\n%s== %s%s\n' "$B" "$*" "$N"; }
run() { printf '$ parley %s\n' "$*"; "$PARLEY" "$@"; }
# last CMD...: run parley showing what it prints; LAST gets its last line (the new entry's log index)
last() { printf '$ parley %s\n' "$*"; OUT=$("$PARLEY" "$@"); printf '%s\n' "$OUT"; LAST=$(printf '%s\n' "$OUT" | tail -n 1); }
# wait_for WHAT CMD...: poll (up to 20 s) until CMD succeeds
wait_for() {
	what=$1; shift
	for _ in $(seq 1 200); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
	echo "demo: timed out waiting for $what" >&2
	exit 1
}

say "1. Each party, and the relay's operator, creates an identity (demo: no passphrase)"
run keygen --name cert-a --out keys --no-passphrase 2>/dev/null
run keygen --name cert-b --out keys --no-passphrase 2>/dev/null
run keygen --name cert-c --out keys --no-passphrase 2>/dev/null
run keygen --name relay --out keys --no-passphrase 2>/dev/null

say "2. A relay that nobody needs to trust starts on 127.0.0.1"
printf '$ parley serve --key keys/relay.key --db relay.db --listen 127.0.0.1:0 --port-file relay.port &\n'
"$PARLEY" serve --key keys/relay.key --db relay.db --listen 127.0.0.1:0 --port-file relay.port 2>relay.log &
RELAY_PID=$!
for _ in $(seq 1 100); do [ -s relay.port ] && break; sleep 0.05; done
URL="http://127.0.0.1:$(cat relay.port)"
echo "relay listening at $URL"

say "3. CERT-A drafts the charter: parties, scope, deadlines, the relay; both sign it"
run charter new --title "CERT-A / CERT-B election-security hotline" \
	--party keys/cert-a.pub --party keys/cert-b.pub --party keys/cert-c.pub \
	--scope election-infrastructure --describe election-infrastructure="attacks on voter rolls, tallying and result publication" \
	--deadline acknowledge=3 --deadline respond=3600 \
	--relay "$URL" --relay-key keys/relay.pub --out charter.json
run charter sign --key keys/cert-a.key charter.json
run charter sign --key keys/cert-b.key charter.json
run charter sign --key keys/cert-c.key charter.json
run charter verify charter.json
sed 's/"acknowledge": 3,/"acknowledge": 300,/' charter.json > tampered.json
run charter verify tampered.json || echo "(exit $?: a changed deadline is caught)"

say "4. Each party's node joins the channel"
run --home a join charter.json --key keys/cert-a.key
run --home b join charter.json --key keys/cert-b.key
run --home c join charter.json --key keys/cert-c.key

say "4b. CERT-A and CERT-B start standing nodes; CERT-B's hook rings for what arrives (CERT-C has none)"
cat > ring.sh <<'HOOK'
#!/bin/sh
# a hook: the event is one JSON object on standard input
cat >> "$(dirname "$0")/b-events.jsonl"
HOOK
chmod +x ring.sh
printf '$ parley --home a run 2>a.log &\n$ parley --home b run --hook ./ring.sh 2>b.log &\n'
"$PARLEY" --home a run 2>a.log &
A_PID=$!
"$PARLEY" --home b run --hook "$DIR/ring.sh" 2>b.log &
B_PID=$!
wait_for "the nodes' sockets" test -S a/node.sock -a -S b/node.sock
echo "both nodes running; from now on, commands on homes a and b go through their nodes (no passphrase)"

say "5. CERT-A notifies CERT-B: a summary and a small STIX bundle, signed and sealed"
run --home a notify --to cert-b --category election-infrastructure \
	--text "Scanning of the voter-roll portal from 198.51.100.23 since 06:00 UTC" \
	--stix "$EXAMPLES/notification-bundle.json"

say "6. CERT-B's node got it by long-poll: verified checkpoint, consistency, signatures, chain, scope; decrypted; receipt sent; cosigned"
wait_for "CERT-B's hook" grep -q '"event":"notification"' b-events.jsonl
echo "CERT-B's hook received:"
head -n 1 b-events.jsonl
run --home b inbox
run --home b show 0

say "7. CERT-A's node saw the receipt arrive: it is on the record, with nobody at CERT-B typing anything"
wait_for "CERT-B's receipt" sh -c '"$0" --home a inbox | grep -q "cert-b .*receipt"' "$PARLEY"
run --home a inbox

say "8. Both re-verify their replicas from scratch"
run --home a verify
run --home b verify

say "9. The relay's checkpoint, signed by the relay and cosigned by both nodes"
run api --relay "$URL" --key keys/cert-a.key GET "/v1/channels/$("$PARLEY" charter verify charter.json)/checkpoint"

say "10. What the relay can see: the header, never the content"
if grep -q "198.51.100.23" relay.db; then echo "LEAK: the relay's database holds the plaintext"; exit 1; fi
echo "the relay's database does not contain the reported address (checked with grep)"

say "11. CERT-B acknowledges and answers thread 0 (the charter gives 3 s to acknowledge, for the demo)"
run --home b ack 0
run --home b reply 0 --text "Confirmed: the same address probes our tallying servers. Blocked at 07:10 UTC."

say "12. A second notification goes unanswered past its acknowledgement deadline"
last --home a notify --to cert-b --category election-infrastructure --text "Defacement attempt on the results page"
SECOND=$LAST
echo "(CERT-B's node received it and sent a receipt; nobody acknowledges it. CERT-A's node appends the"
echo " deadline-missed entry by itself when the deadline passes...)"
wait_for "the deadline-missed entry" sh -c '"$0" --home a inbox | grep -q "cert-a .*deadline-missed"' "$PARLEY"
run --home a status

say "13. CERT-A produces a proof that any third party checks offline"
printf '$ parley --home a prove %s > proof.json\n' "$SECOND"
"$PARLEY" --home a prove "$SECOND" > proof.json
echo "(proof.json: $(wc -c < proof.json) bytes)"
run check-proof proof.json
echo "(A proof blames CERT-B only once CERT-B's node has signed a view of the log past the deadline;"
echo " its standing node cosigned the deadline-missed entry as soon as it arrived.)"
printf '$ parley --home a prove %s > proof.json && parley check-proof proof.json\n' "$SECOND"
"$PARLEY" --home a prove "$SECOND" > proof.json
"$PARLEY" check-proof proof.json | grep -E "^(delivered|acknowledge|respond|verdict)" || true
printf '$ parley --home a prove 0 --reveal > answered.json && parley check-proof answered.json\n'
"$PARLEY" --home a prove 0 --reveal > answered.json
"$PARLEY" check-proof answered.json | grep -A1 -E "^(acknowledge|respond|verdict|content)" || true

say "14. A ping: a timed liveness test, answered by CERT-B's node at once"
last --home a ping cert-b
PING=$LAST
wait_for "the ping's answer" sh -c '"$0" --home a status | grep -q "^$1 .*answered"' "$PARLEY" "$PING"
run --home a thread "$PING"

say "15. Which indicators do both CERTs have? Private set intersection: neither reveals the rest"
last --home a psi request --to cert-b --set "$EXAMPLES/cert-a-indicators.txt"
REQ=$LAST
run --home b psi respond "$REQ" --set "$EXAMPLES/cert-b-indicators.txt"
wait_for "the PSI answer" "$PARLEY" --home a psi result "$REQ"
run --home a psi result "$REQ"

say "16. CERT-C runs no node: plain commands interoperate with the standing ones"
last --home c notify --to cert-a,cert-b --category election-infrastructure --text "Same scanner seen at our portal"
THIRD=$LAST
echo "notification sent to cert-a and cert-b: log index $THIRD"
wait_for "both nodes' receipts" sh -c '"$0" --home c sync >/dev/null && [ "$("$0" --home c inbox | grep -c "receipt .*receipt for entry $1\$")" = 2 ]' "$PARLEY" "$THIRD"
run --home c inbox
run --home c ping cert-a
wait_for "CERT-A's node answering CERT-C's ping" sh -c '"$0" --home c sync >/dev/null && "$0" --home c inbox | grep -q "cert-a .*ping-response"' "$PARLEY"
run --home c status

say "17. The standing nodes' logs (logfmt)"
grep -E 'msg="(synced|event)"' b.log | head -n 6

say "demo complete (relay log: $(wc -l < relay.log) lines; everything is removed on exit)"
