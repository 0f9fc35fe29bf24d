# lib.sh - helpers for the end-to-end tests that drive the real parley binary.
# PARLEY_TIME_FACTOR (default 1) stretches the time bounds of the load tests (check-tsan sets 4).
# Each test sources this, runs in a fresh temporary directory, and exits non-zero on the first failure.
set -u
: "${PARLEY:?PARLEY must name the parley binary}"
T=$(mktemp -d "${TMPDIR:-/tmp}/parley-test.XXXXXX")
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
NTESTS=0
# the relays' store: SQLite in the test's directory, or with PARLEY_TEST_PG=1 the PostgreSQL
# database of scripts/with-pg.sh (the same end-to-end test against the other backend)
RELAY_DB=relay.db
if [ "${PARLEY_TEST_PG:-}" = 1 ]; then
	RELAY_DB=${PARLEY_PG_URI:?PARLEY_TEST_PG=1 needs scripts/with-pg.sh}
fi

fail() {
	echo "FAIL: $*" >&2
	[ -f out ] && { echo "--- stdout:" >&2; cat out >&2; }
	[ -f err ] && { echo "--- stderr:" >&2; cat err >&2; }
	exit 1
}

# run EXPECTED_STATUS cmd...  (stdout in ./out, stderr in ./err)
run() {
	want=$1; shift
	"$@" >out 2>err </dev/null
	got=$?
	NTESTS=$((NTESTS + 1))
	[ "$got" = "$want" ] || fail "expected exit $want, got $got: $*"
}

# p EXPECTED_STATUS parley-args...
p() {
	want=$1; shift
	run "$want" "$PARLEY" "$@"
}

has_out() { grep -q -- "$1" out || fail "stdout lacks '$1'"; }
has_err() { grep -q -- "$1" err || fail "stderr lacks '$1'"; }
no_err() { [ ! -s err ] || fail "unexpected stderr"; }

done_ok() { echo "ok: $NTESTS checks"; exit 0; }

# mkparty NAME: a key pair without passphrase in ./keys
mkparty() {
	"$PARLEY" keygen --name "$1" --out keys --no-passphrase >/dev/null 2>&1 || fail "keygen $1"
}

# start_relay NAME [PORT]: run 'parley serve' with keys/NAME.key (on a free port by default);
# sets RELAY_URL, RELAY_PID
start_relay() {
	rm -f relay.port
	"$PARLEY" serve --key "keys/$1.key" --db "$RELAY_DB" --listen "127.0.0.1:${2:-0}" --port-file relay.port \
		${RELAY_ARGS:-} 2>>relay.log &
	RELAY_PID=$!
	for _ in $(seq 1 100); do
		[ -s relay.port ] && break
		kill -0 "$RELAY_PID" 2>/dev/null || fail "relay did not start: $(tail -n 3 relay.log)"
		sleep 0.05
	done
	[ -s relay.port ] || fail "relay did not write its port"
	RELAY_URL="http://127.0.0.1:$(cat relay.port)"
	trap 'kill $RELAY_PID ${FAKE_PID:-} 2>/dev/null; rm -rf "$T"' EXIT
}

# start_fake_relay DIR [--proxy URL]: run tests/cli/fake_relay.py (a relay that lies) on DIR;
# sets FAKE_URL, FAKE_PID
start_fake_relay() {
	fake_dir=$1; shift
	mkdir -p "$fake_dir"
	rm -f "$fake_dir.port"
	python3 "${SRCDIR:?SRCDIR must name the source tree}/tests/cli/fake_relay.py" "$fake_dir" "$fake_dir.port" "$@" &
	FAKE_PID=$!
	trap 'kill $FAKE_PID ${RELAY_PID:-} 2>/dev/null; rm -rf "$T"' EXIT
	for _ in $(seq 1 100); do
		[ -s "$fake_dir.port" ] && break
		kill -0 "$FAKE_PID" 2>/dev/null || fail "the fake relay did not start"
		sleep 0.05
	done
	[ -s "$fake_dir.port" ] || fail "the fake relay did not write its port"
	FAKE_URL="http://127.0.0.1:$(cat "$fake_dir.port")"
}

# serve_log DIR CHANNEL SIGNER MS:FILE...: the log a fake relay (start_fake_relay DIR) serves:
# each entry file with its integration time in ms, in that order, under a checkpoint of the
# whole tree signed with the key file SIGNER (left unsigned when SIGNER is -). Writes
# DIR/log.json, DIR/checkpoint.note, and leaves.txt / cp.txt in the current directory (the
# leaves as hex lines for `parley tree`, and the checkpoint body).
serve_log() {
	sl_dir=$1; sl_chan=$2; sl_signer=$3; shift 3
	python3 - "$sl_dir" "$@" <<'PY' || fail "serve_log"
import base64, json, struct, sys
log = []
for arg in sys.argv[2:]:
    ms, f = arg.split(':', 1)
    log.append({'integrated_ms': int(ms), 'entry': base64.b64encode(open(f, 'rb').read()).decode()})
json.dump(log, open(sys.argv[1] + '/log.json', 'w'))
with open('leaves.txt', 'w') as out:
    for e in log:
        out.write((struct.pack('>Q', e['integrated_ms']) + base64.b64decode(e['entry'])).hex() + '\n')
PY
	sl_root=$("$PARLEY" tree root < leaves.txt) || fail "tree root"
	sl_b64=$(python3 -c "import base64,sys; print(base64.b64encode(bytes.fromhex(sys.argv[1])).decode())" "$sl_root")
	printf 'parley/%s\n%s\n%s\n' "$sl_chan" "$(wc -l < leaves.txt)" "$sl_b64" > cp.txt
	if [ "$sl_signer" = - ]; then
		cp cp.txt "$sl_dir/checkpoint.note"
	else
		"$PARLEY" note sign --key "$sl_signer" cp.txt > "$sl_dir/checkpoint.note" || fail "sign checkpoint"
	fi
}

# timed MS FILE...: the arguments of serve_log for FILEs integrated at MS, MS+1, ...
timed() {
	tm_at=$1; shift
	for tm_f in "$@"; do printf '%s:%s\n' "$tm_at" "$tm_f"; tm_at=$((tm_at + 1)); done
}

stop_relay() {
	kill -TERM "$RELAY_PID" 2>/dev/null
	wait "$RELAY_PID" 2>/dev/null
	RELAY_STATUS=$?
}

# setup_channel: keys cert-a cert-b relay, a started relay, a signed charter c.json, homes a and b joined
setup_channel() {
	mkparty cert-a; mkparty cert-b; mkparty relay
	start_relay relay
	"$PARLEY" charter new --title "test channel" --party keys/cert-a.pub --party keys/cert-b.pub \
		${CHARTER_ARGS:-} --scope election-infrastructure,ip-theft --relay "$RELAY_URL" --relay-key keys/relay.pub \
		--out c.json || fail "charter"
	for k in cert-a cert-b ${EXTRA_SIGNERS:-}; do
		"$PARLEY" charter sign --key keys/$k.key c.json 2>/dev/null || fail "sign $k"
	done
	"$PARLEY" --home a join c.json --key keys/cert-a.key >/dev/null || fail "join a"
	"$PARLEY" --home b join c.json --key keys/cert-b.key >/dev/null || fail "join b"
	CHANNEL=$("$PARLEY" charter verify c.json)
}
