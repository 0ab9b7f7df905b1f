#!/bin/sh
# Run the libFuzzer targets of a fuzz build for a bounded time and print
# one line per target:
#
#   fuzz_term: 1234567 runs in 30 s, 0 crashes
#
# Usage: scripts/fuzz.sh [BUILD_DIR [NAME...]]
#   BUILD_DIR  configured with -DRELBUILD_FUZZ=ON and built (default
#              build-fuzz; `cmake --build BUILD_DIR --target fuzzers`)
#   NAME       extract, config, term, …: tests/fuzz/fuzz_NAME.c (default:
#              every one)
#   RELBUILD_FUZZ_SECONDS  how long each target runs (default 30)
#
# Each target starts from tests/fuzz/corpus/NAME/ (and its NAME.dict)
# and keeps what it finds in BUILD_DIR/fuzz-corpus/NAME/ for next time.
# A crash, leak, timeout or running out of memory stops the target and
# leaves the input in BUILD_DIR/fuzz-artifacts/; the whole libFuzzer
# output is in BUILD_DIR/fuzz-logs/NAME.log, and its end is shown.  The
# exit status is non-zero when any target crashed or could not run.
# ctest's fuzz.NAME tests call this with one NAME each.
set -u

src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build-fuzz}
[ $# -gt 0 ] && shift
secs=${RELBUILD_FUZZ_SECONDS:-30}
build=$(cd "$build" 2>/dev/null && pwd) || {
	echo "fuzz.sh: no build directory '${1:-build-fuzz}'" >&2
	exit 2
}
names=$*
if [ -z "$names" ]; then
	for f in "$src"/tests/fuzz/fuzz_*.c; do
		n=${f##*/fuzz_}
		names="$names ${n%.c}"
	done
fi
mkdir -p "$build/fuzz-artifacts" "$build/fuzz-logs" || exit 2

failed=0
for name in $names; do
	bin=$build/tests/fuzz_$name
	corpus=$build/fuzz-corpus/$name
	seeds=$src/tests/fuzz/corpus/$name
	dict=$src/tests/fuzz/$name.dict
	log=$build/fuzz-logs/$name.log
	if [ ! -x "$bin" ]; then
		echo "fuzz_$name: not built ($bin)"
		failed=1
		continue
	fi
	mkdir -p "$corpus"
	# The arguments of this run: the first corpus is the one written.
	set -- -max_total_time="$secs" -print_final_stats=1 -timeout=20 \
		-rss_limit_mb=2048 -artifact_prefix="$build/fuzz-artifacts/$name-"
	[ -f "$dict" ] && set -- "$@" -dict="$dict"
	[ -d "$seeds" ] && set -- "$@" "$corpus" "$seeds" || set -- "$@" "$corpus"

	start=$(date +%s)
	"$bin" "$@" >"$log" 2>&1
	status=$?
	took=$(($(date +%s) - start))

	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	crashes=$(grep -c 'Test unit written to' "$log")
	[ $status -ne 0 ] && [ "$crashes" -eq 0 ] && crashes=1
	[ "$crashes" -eq 1 ] && noun=crash || noun=crashes
	echo "fuzz_$name: ${runs:-?} runs in $took s, $crashes $noun"
	if [ $status -ne 0 ] || [ "$crashes" -ne 0 ]; then
		failed=1
		echo "fuzz_$name: exit status $status; the end of $log:" >&2
		tail -n 60 "$log" >&2
	fi
done
exit $failed
