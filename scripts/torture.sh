#!/bin/sh
# Run each libFuzzer harness for a fixed time. Usage: scripts/torture.sh FUZZ_BUILD_DIR SECONDS
# New inputs go to FUZZ_BUILD_DIR/corpus-NAME; crashes to FUZZ_BUILD_DIR/crash-*. The committed
# seed corpora under fuzz/corpus/ are read, never written.
set -eu
dir=$1; secs=${2:-60}
root=$(cd "$(dirname "$0")/.." && pwd)
status=0
for h in entry charter keyfile note proof stix psi auth; do
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
exit $status
