#!/bin/sh
# Set up, then run every test: the unit tests under ASan/UBSan, then the
# whole suite (unit and end-to-end) with ctest.  The last line is ctest's.
set -u

cd "$(dirname "$0")/.."
sh scripts/setup.sh || exit 1

cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DRELBUILD_SANITIZE=ON \
	-DRELBUILD_E2E=OFF >/dev/null || exit 1
cmake --build build-asan -j"$(nproc)" >/dev/null || exit 1
echo "== unit tests under ASan/UBSan"
ASAN_OPTIONS=detect_leaks=1 ctest --test-dir build-asan -L unit --output-on-failure
asan=$?

echo "== all tests"
ctest --test-dir build --output-on-failure
all=$?
[ $asan -eq 0 ] && [ $all -eq 0 ]
