#!/bin/sh
# Run each libFuzzer harness for a fixed time, then the relay soak.
# Usage: scripts/torture.sh FUZZ_BUILD_DIR SECONDS   (SOAK_SECONDS, default 60; BUILD, default build/)
# New inputs go to FUZZ_BUILD_DIR/corpus-NAME; crashes to FUZZ_BUILD_DIR/crash-*. The committed
# seed corpora under fuzz/corpus/ are read, never written.
set -eu
dir=$1; secs=${2:-60}
root=$(cd "$(dirname "$0")/.." && pwd)
status=0
for h in entry charter keyfile note proof stix psi auth read report page sockreq allowlist; do
	work="$dir/corpus-$h"
	mkdir -p "$work"
	echo "== fuzz_$h for ${secs}s"
	if ! "$dir/fuzz/fuzz_$h" -max_total_time="$secs" -print_final_stats=1 -max_len=65536 \
		-artifact_prefix="$dir/crash-$h-" "$work" "$root/fuzz/corpus/$h" 2>"$dir/fuzz-$h.log"; then
		echo "fuzz_$h: FAILED, see $dir/fuzz-$h.log" >&2
		status=1
	fi
	grep -E 'stat::number_of_executed_units|cov:' "$dir/fuzz-$h.log" | tail -n 2
done
# the relay soak: 64 clients appending and reading for a minute while 4 threads open channels
root_build=${BUILD:-$root/build}
if [ -x "$root_build/tests/test_soak" ]; then
	echo "== relay soak for ${SOAK_SECONDS:-60}s"
	if ! PARLEY="$root_build/parley" PARLEY_SOAK_SECONDS="${SOAK_SECONDS:-60}" "$root_build/tests/test_soak" | tail -n 1; then
		echo "relay soak: FAILED" >&2
		status=1
	fi
fi
exit $status
