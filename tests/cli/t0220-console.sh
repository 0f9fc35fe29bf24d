#!/bin/sh
# The operator console in a real browser (Debian's chromium driven by playwright-core,
# tests/console/console-test.cjs) against A's node under 'parley run --console': log in from
# console.url; B's notification appears without reloading within 3 s; Acknowledge and Reply with
# the buttons; an invalid STIX upload refused with the validator's line; hostile STIX shown as
# text; Prove downloads a bundle; no cookie or a wrong CSRF token refused. Then the CLI checks the
# log: the acknowledgement and the reply are there, signed by A, and the proof checks.
# Skips (77) without chromium, node or playwright-core: make check installs them (make browser-deps).
. "$(dirname "$0")/lib.sh"

CHROMIUM=${PARLEY_CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
[ -n "$CHROMIUM" ] || { echo "skip: no chromium (make browser-deps installs Debian's, as root)"; exit 77; }
command -v node >/dev/null 2>&1 || { echo "skip: no node (make browser-deps installs it, as root)"; exit 77; }
PW=""
for d in "${PARLEY_NODE_MODULES:-}" "${BUILDDIR:-}/node_modules" "$SRCDIR/build/node_modules"; do
	if [ -n "$d" ] && [ -f "$d/playwright-core/package.json" ]; then PW="$d/playwright-core"; break; fi
done
AXE=${PW%/playwright-core}/axe-core/axe.min.js
[ -n "$PW" ] && [ -f "$AXE" ] || { echo "skip: no playwright-core and axe-core under the build directory (make browser-deps, or scripts/playwright.sh BUILDDIR)"; exit 77; }

# a charter that expires within 30 days (a warning on the page) and a request type whose
# acknowledgement deadline is 3 s (B's request is overdue by the time the page shows it)
CHARTER_ARGS="--valid-days 20 --deadline request-for-information:acknowledge=3" setup_channel
"$PARLEY" --home b notify --to cert-a --type request-for-information --category ip-theft --tlp red \
	--text "Do you see beaconing to 198.51.100.7 from your ministries?" >/dev/null 2>&1 || fail "b's request"
# and a PSI request, pending until A answers it on the page
B_PSI=$("$PARLEY" --home b psi request --to cert-a --set "$SRCDIR/tests/console/b-indicators.txt" 2>/dev/null | tail -n 1)
[ -n "$B_PSI" ] || fail "b's PSI request"
"$PARLEY" --home a run --console 127.0.0.1:0 2>arun.log </dev/null &
APID=$!
trap 'kill $APID $RELAY_PID 2>/dev/null; wait $APID 2>/dev/null; rm -rf "$T"' EXIT
for _ in $(seq 1 400); do
	[ -s a/console.url ] && break
	kill -0 $APID 2>/dev/null || fail "run --console did not start: $(tail -n 5 arun.log)"
	sleep 0.05
done
[ -s a/console.url ] || fail "no console.url: $(tail -n 5 arun.log)"
[ "$(stat -c %a a/console.url)" = 600 ] || fail "console.url is not private: $(stat -c %a a/console.url)"

OUT=$T/shots
mkdir -p "$OUT"
B_PSI_REQUEST=$B_PSI PLAYWRIGHT_CORE=$PW AXE=$AXE CHROMIUM=$CHROMIUM CONSOLE_URL_FILE=$T/a/console.url B_HOME=$T/b OUT=$OUT \
	node "$SRCDIR/tests/console/console-test.cjs" >browser.log 2>&1
rc=$?
cat browser.log
if [ -n "${BUILDDIR:-}" ] && ls "$OUT"/*.png >/dev/null 2>&1; then
	rm -rf "$BUILDDIR/console-screenshots" && mkdir -p "$BUILDDIR/console-screenshots" && cp "$OUT"/*.png "$BUILDDIR/console-screenshots/"
fi
[ $rc = 0 ] || { echo "--- the node's log:" >&2; tail -n 30 arun.log >&2; fail "the browser test failed"; }
NTESTS=$((NTESTS + 1))

val() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$OUT/results.json" "$1"; }
ACK=$(val ack) && REPLY=$(val reply) && STIXN=$(val stix_notification) && CLOSE=$(val close) || fail "results.json"
echo "acknowledgement #$ACK, reply #$REPLY, STIX notification #$STIXN, appeared after $(val appear_ms) ms"

# B's own replica, verified entry by entry (signatures included) on sync: the entries the
# buttons made are there, from cert-a
p 0 --home b sync
p 0 --home b inbox
grep -q "^$ACK .*cert-a .*acknowledgement" out || fail "B's inbox lacks the acknowledgement #$ACK from cert-a"
grep -q "^$REPLY .*cert-a .*response" out || fail "B's inbox lacks the response #$REPLY from cert-a"
grep -q "^$STIXN .*cert-a .*notification" out || fail "B's inbox lacks the notification #$STIXN from cert-a"
grep -q "^$CLOSE .*cert-a .*close" out || fail "B's inbox lacks the close #$CLOSE from cert-a"
p 0 --home b show "$REPLY"
has_out "cert-a"
has_out "We see it too: blocking the lookalike domain now."
p 0 --home b show "$STIXN"
has_out "PaperLamp"
# A's side through its node's socket: the same thread
p 0 --home a thread "$(val opener)"
has_out "We see it too: blocking the lookalike domain now."
p 0 --home b verify

# B's PSI request, answered on A's page: B learns what is in common
p 0 --home b sync
p 0 --home b psi result "$B_PSI"
for x in 198.51.100.7 203.0.113.5 evil-lure.example; do has_out "$x"; done

# the bundle Prove downloaded checks offline, and shows the deadlines met
p 0 check-proof "$OUT/proof.json"
has_out "met"
p 1 check-proof "$OUT/proof-tampered.json"

kill -TERM $APID; wait $APID || fail "run did not stop cleanly: $(tail -n 5 arun.log)"
done_ok
