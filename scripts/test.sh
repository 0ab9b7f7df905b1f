#!/bin/sh
# Set up, then run every test: the unit tests under ASan/UBSan, the unit
# tests of a Release build (-O3, whose optimiser finds warnings the other
# builds do not), a bounded libFuzzer run of the extraction path, then the
# whole suite (unit and end-to-end) with ctest on build/, the default build
# type that setup.sh makes.  Every build here treats warnings as errors
# (RELBUILD_WERROR, off for people who only build relbuild).  The last line
# is ctest's; the exit status is 0 only if every part passed.
set -u

cd "$(dirname "$0")/.."
sh scripts/setup.sh || exit 1

cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DRELBUILD_SANITIZE=ON \
	-DRELBUILD_WERROR=ON -DRELBUILD_E2E=OFF >/dev/null || exit 1
cmake --build build-asan -j"$(nproc)" >/dev/null || exit 1
echo "== unit tests under ASan/UBSan"
ASAN_OPTIONS=detect_leaks=1 ctest --test-dir build-asan -L unit --output-on-failure
asan=$?

echo "== unit tests of a Release build"
if cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release -DRELBUILD_WERROR=ON \
	-DRELBUILD_E2E=OFF >/dev/null &&
	cmake --build build-release -j"$(nproc)" >/dev/null; then
	ctest --test-dir build-release -L unit --output-on-failure
	release=$?
else
	echo "test.sh: the Release build failed" >&2
	release=1
fi

echo "== fuzzing the extraction path (bounded)"
cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug \
	-DRELBUILD_WERROR=ON -DRELBUILD_FUZZ=ON -DRELBUILD_E2E=OFF >/dev/null || exit 1
cmake --build build-fuzz -j"$(nproc)" --target fuzz_extract >/dev/null || exit 1
ctest --test-dir build-fuzz -R fuzz --output-on-failure
fuzz=$?

echo "== all tests"
ctest --test-dir build --output-on-failure
all=$?
[ $asan -eq 0 ] && [ $release -eq 0 ] && [ $fuzz -eq 0 ] && [ $all -eq 0 ]
