#!/bin/sh
# Set up, then run every test: the unit tests under ASan/UBSan, a bounded
# libFuzzer run of the extraction path, then the whole suite (unit and
# end-to-end) with ctest.  The last line is ctest's.
set -u

cd "$(dirname "$0")/.."
sh scripts/setup.sh || exit 1

cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DRELBUILD_SANITIZE=ON \
	-DRELBUILD_E2E=OFF >/dev/null || exit 1
cmake --build build-asan -j"$(nproc)" >/dev/null || exit 1
echo "== unit tests under ASan/UBSan"
ASAN_OPTIONS=detect_leaks=1 ctest --test-dir build-asan -L unit --output-on-failure
asan=$?

echo "== fuzzing the extraction path (bounded)"
cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug \
	-DRELBUILD_FUZZ=ON -DRELBUILD_E2E=OFF >/dev/null || exit 1
cmake --build build-fuzz -j"$(nproc)" --target fuzz_extract >/dev/null || exit 1
ctest --test-dir build-fuzz -R fuzz --output-on-failure
fuzz=$?

echo "== all tests"
ctest --test-dir build --output-on-failure
all=$?
[ $asan -eq 0 ] && [ $fuzz -eq 0 ] && [ $all -eq 0 ]
