# lib.sh - helpers for the end-to-end tests that drive the real parley binary.
# Each test sources this, runs in a fresh temporary directory, and exits non-zero on the first failure.
set -u
: "${PARLEY:?PARLEY must name the parley binary}"
T=$(mktemp -d "${TMPDIR:-/tmp}/parley-test.XXXXXX")
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
NTESTS=0

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
