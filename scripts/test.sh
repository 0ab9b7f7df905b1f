#!/bin/sh
# Set up, then run every test:
#   1. the unit tests of a Release build (-O3, whose optimiser finds
#      warnings the other builds do not), made without ISA-L so that zlib's
#      inflate, the fallback, is tested too;
#   2. the unit tests of build/ (setup.sh's build) under valgrind memcheck;
#   3. every libFuzzer target for a bounded time (scripts/fuzz.sh), each
#      printing its execution count and crashes;
#   4. the whole suite — unit, end-to-end, bad-input table, faults — with
#      relbuild built with AddressSanitizer and UBSan (leak detection on):
#      the bad-input table two at a time, the rest one at a time.
# Every build here treats warnings as errors (RELBUILD_WERROR, off for
# people who only build relbuild).  The last line counts every test of
# every part: "N passed, N failed"; the exit status is 0 only if all
# passed.
set -u

cd "$(dirname "$0")/.."
sh scripts/setup.sh || exit 1
jobs=$(nproc)
passed=0
failed=0

# count LOG: add the summary of a ctest run to the totals
count() {
	line=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$1" | tail -n 1)
	if [ -z "$line" ]; then
		failed=$((failed + 1))
		return
	fi
	f=$(printf '%s\n' "$line" | sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/')
	n=$(printf '%s\n' "$line" | sed -E 's/.* failed out of ([0-9]+).*/\1/')
	passed=$((passed + n - f))
	failed=$((failed + f))
}

# run_ctest NAME ARGS…: ctest ARGS, its output shown and counted
run_ctest() {
	log=$(mktemp)
	ctest "$@" --output-on-failure 2>&1 | tee "$log"
	count "$log"
	rm -f "$log"
}

echo "== unit tests of a Release build (zlib's inflate, not ISA-L's)"
if cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release -DRELBUILD_WERROR=ON \
	-DRELBUILD_E2E=OFF -DRELBUILD_ISAL=OFF >/dev/null &&
	cmake --build build-release -j"$jobs" >/dev/null; then
	run_ctest --test-dir build-release -L unit -j"$jobs"
else
	echo "test.sh: the Release build failed" >&2
	failed=$((failed + 1))
fi

echo "== unit tests of build/ under valgrind memcheck"
for t in build/tests/test_*; do
	[ -x "$t" ] || continue
	name=${t##*/}
	if (cd build && valgrind -q --error-exitcode=99 --leak-check=full \
		--errors-for-leak-kinds=definite,indirect --track-fds=no \
		"tests/$name" >"tests/$name.valgrind.log" 2>&1); then
		echo "valgrind $name: clean"
		passed=$((passed + 1))
	else
		echo "valgrind $name: FAILED"
		grep -E '^==[0-9]+==|FAILED|ERROR' "build/tests/$name.valgrind.log" | head -n 40
		failed=$((failed + 1))
	fi
done

echo "== fuzzing every parser (bounded)"
if cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug \
	-DRELBUILD_WERROR=ON -DRELBUILD_FUZZ=ON -DRELBUILD_E2E=OFF >/dev/null &&
	cmake --build build-fuzz -j"$jobs" --target fuzzers >/dev/null; then
	log=$(mktemp)
	sh scripts/fuzz.sh build-fuzz >"$log"
	status=$?
	cat "$log"
	passed=$((passed + $(grep -c ', 0 crashes$' "$log")))
	bad=$(grep -vc ', 0 crashes$' "$log")
	[ "$status" -ne 0 ] && [ "$bad" -eq 0 ] && bad=1
	failed=$((failed + bad))
	rm -f "$log"
else
	echo "test.sh: the fuzz build failed" >&2
	failed=$((failed + 1))
fi

echo "== every test with relbuild built with ASan and UBSan"
if cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DRELBUILD_SANITIZE=ON \
	-DRELBUILD_WERROR=ON -DRELBUILD_E2E=ON >/dev/null &&
	cmake --build build-asan -j"$jobs" >/dev/null; then
	export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=86
	export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
	echo "== unit and end-to-end tests (ASan/UBSan)"
	run_ctest --test-dir build-asan -LE bad_input
	echo "== the bad-input table (ASan/UBSan)"
	run_ctest --test-dir build-asan -L bad_input -j"$jobs"
else
	echo "test.sh: the ASan/UBSan build failed" >&2
	failed=$((failed + 1))
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
