#!/bin/bash
# Faults that lose nothing: a build or an install whose writes fail at
# some point (ulimit -f, SIGXFSZ ignored, so that write(2) fails with
# EFBIG), a build stopped by SIGINT, SIGTERM or SIGKILL, two builds of
# one release at once, and a corrupt or truncated old release under
# --upgrade.  Each ends in one clean error (or the signal), never a
# partial tarball at its final path or a half-swapped release, and the
# last good release and install stay as they were.
. "$(dirname "$0")/lib.sh"

export COUNTER_COOKIE=faults-cookie
FIX=$SRC_DIR/tests/e2e/fixtures
P=$T/counter
REL=$P/_build/prod/rel
DIR=$REL/counter/releases/0.1.0
TAR=$DIR/counter.tar.gz

copy_example counter "$P"
compile_rebar3 "$P"

# limited BLOCKS CMD…: CMD with files limited to BLOCKS KB; its stderr
# (through a pipe, which the limit does not touch) in ERR and $T/err
limited() {
	blocks=$1
	shift
	{ (trap '' XFSZ && ulimit -f "$blocks" && exec "$@") 2>&1 >/dev/null |
		cat >"$T/err"; }
	STATUS=${PIPESTATUS[0]}
	ERR=$(cat "$T/err")
}

# build_limited BLOCKS ARGS…: relbuild ARGS in $P under limited
build_limited() {
	blocks=$1
	shift
	cd "$P" || fail "cd $P"
	limited "$blocks" "$RELBUILD" "$@"
	cd "$T" || fail "cd $T"
}

# Nothing but the release directory itself in the output directory: no
# stage (.counter.tmp-*), no unpacked old release, no temporary tarball.
no_leftovers() {
	left=$(ls -A "$REL" 2>/dev/null | grep '^\.')
	[ -z "$left" ] || fail "$1: left in $REL: $left"
	left=$(find "$P" -name '.relbuild-tmp-*' 2>/dev/null)
	[ -z "$left" ] || fail "$1: temporary files left: $left"
}

sum() { sha256sum <"$1" | cut -d' ' -f1; }

# the good release is there, as it was: kept SHA WHAT
kept() {
	[ -f "$TAR" ] || fail "$2: the last good tarball is gone"
	assert_eq "$(sum "$TAR")" "$1" "$2: the last good tarball"
	"$RELBUILD" verify "$REL/counter" >/dev/null 2>&1 ||
		fail "$2: the last good release directory does not verify"
}

### 1. writes that fail, with no release yet: one error, nothing left

# 0 KB: the first file; 16 KB: a small beam; 2048 KB: beam.smp (4 MB)
for blocks in 0 16 2048; do
	rm -rf "$REL"
	build_limited "$blocks" --env prod
	assert_eq "$STATUS" 1 "file size limit ${blocks}K: exit status"
	[ "$(printf '%s\n' "$ERR" | wc -l)" = 1 ] || fail "file size limit ${blocks}K: one line expected: $ERR"
	assert_contains "$ERR" "File too large" "file size limit ${blocks}K"
	[ ! -e "$REL/counter" ] || fail "file size limit ${blocks}K: a partial release at $REL/counter"
	[ -z "$(find "$P" -name '*.tar.gz')" ] || fail "file size limit ${blocks}K: a tarball was left"
	no_leftovers "file size limit ${blocks}K"
	pass "file size limit ${blocks}K: $ERR; no release, no tarball, nothing left"
done

### 2. the same with a good release in place: it stays whole

build_release "$P" --env prod
good=$(sum "$TAR")
for blocks in 0 2048; do
	build_limited "$blocks" --env prod
	assert_eq "$STATUS" 1 "rebuild at ${blocks}K: exit status"
	kept "$good" "rebuild at ${blocks}K"
	no_leftovers "rebuild at ${blocks}K"
	pass "rebuild at ${blocks}K fails ($ERR); the last good release is kept"
done

# Without ERTS the biggest file is the tarball: the write fails there.
sed -i 's/^    include_erts: true/    include_erts: false/' "$P/rel/config.yml"
build_limited 600 --env prod
assert_eq "$STATUS" 1 "tarball write failure: exit status"
assert_contains "$ERR" "File too large" "tarball write failure"
kept "$good" "tarball write failure"
no_leftovers "tarball write failure"
sed -i 's/^    include_erts: false/    include_erts: true/' "$P/rel/config.yml"
pass "a tarball that cannot be written whole: $ERR; the last good one is kept"

### 3. an install whose writes fail: current is not switched

IROOT=$T/root
"$RELBUILD" install "$TAR" --root "$IROOT" >/dev/null 2>"$T/err" ||
	fail "first install: $(cat "$T/err")"
build_counter 0.2.0
before=$(readlink "$IROOT/current")
for blocks in 0 2048; do
	limited "$blocks" "$RELBUILD" install "$tarball" --root "$IROOT"
	[ "$STATUS" != 0 ] || fail "install at ${blocks}K succeeded"
	assert_contains "$(cat "$T/err")" "File too large" "install at ${blocks}K"
	assert_eq "$(readlink "$IROOT/current")" "$before" "install at ${blocks}K: current"
	[ ! -e "$IROOT/versions/0.2.0" ] || fail "install at ${blocks}K: a partial versions/0.2.0"
	out=$("$RELBUILD" list --root "$IROOT" 2>&1) || fail "list after install at ${blocks}K: $out"
	assert_eq "$out" "* 0.1.0  verified" "install at ${blocks}K: relbuild list"
	pass "install at ${blocks}K fails (exit $STATUS); current still -> $before, verified"
done
"$RELBUILD" install "$tarball" --root "$IROOT" >/dev/null 2>"$T/err" ||
	fail "install without a limit: $(cat "$T/err")"
assert_eq "$(readlink "$IROOT/current")" "versions/0.2.0" "install without a limit"
pass "the same install without a limit succeeds"

### 4. signals during a build

# start_build: relbuild --env prod in $P in the background, with SIGINT
# at its default (a shell's background job would ignore it); BUILD_PID
start_build() {
	python3 -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.chdir(sys.argv[1])
os.execv(sys.argv[2], sys.argv[2:])' "$P" "$RELBUILD" --env prod >"$T/bg.out" 2>"$T/bg.err" &
	BUILD_PID=$!
}

# wait_stage: until the background build has made its stage
wait_stage() {
	n=0
	until ls -A "$REL" 2>/dev/null | grep -q '^\.counter\.tmp-'; do
		n=$((n + 1))
		[ $n -lt 1500 ] || { kill -9 "$BUILD_PID" 2>/dev/null; fail "no stage appeared"; }
		sleep 0.02
	done
}

for sig in INT TERM; do
	start_build
	wait_stage
	kill -s "$sig" "$BUILD_PID"
	wait "$BUILD_PID"
	STATUS=$?
	[ "$STATUS" -gt 128 ] || fail "SIG$sig: the build ended with $STATUS, not the signal"
	kept "$good" "SIG$sig during a build"
	no_leftovers "SIG$sig during a build"
	pass "SIG$sig during a build: exit $STATUS, its stage removed, the last good release kept"
done

start_build
wait_stage
kill -9 "$BUILD_PID"
wait "$BUILD_PID"
assert_eq "$?" 137 "SIGKILL: exit status"
kept "$good" "SIGKILL during a build"
build_release "$P" --env prod
no_leftovers "the build after a SIGKILL"
"$RELBUILD" verify "$TAR" >/dev/null || fail "the build after a SIGKILL: tarball does not verify"
pass "SIGKILL during a build: the last good tarball kept; the next build sweeps the stage"

### 5. two builds of one release at once

start_build
wait_stage
(cd "$P" && "$RELBUILD" --env prod) >"$T/out" 2>"$T/err"
STATUS=$?
wait "$BUILD_PID" || fail "the first of two builds failed: $(cat "$T/bg.err")"
assert_eq "$STATUS" 1 "the second of two builds: exit status"
assert_contains "$(cat "$T/err")" "another relbuild is building in '$REL'" "the second of two builds"
"$RELBUILD" verify "$TAR" >/dev/null || fail "two builds: the tarball does not verify"
no_leftovers "two builds"
pass "two builds at once: the second refused ($(cat "$T/err")), the first whole"

### 6. a corrupt or truncated old release under --upgrade

good=$(sum "$TAR")
cp "$TAR" "$T/good.tar.gz"
cp "$FIX"/counter-0.2.0/src/* "$P/src/"
rm -rf "$P/_build/prod/lib/counter"
compile_rebar3 "$P"

truncate -s 100000 "$TAR"
(cd "$P" && "$RELBUILD" --env prod --upgrade --upfrom 0.1.0) >"$T/out" 2>"$T/err"
STATUS=$?
ERR=$(head -n 1 "$T/err")
assert_eq "$STATUS" 1 "truncated old tarball: exit status"
assert_contains "$ERR" "relbuild: " "truncated old tarball"
assert_contains "$ERR" "releases/0.1.0/counter.tar.gz" "truncated old tarball: names it"
[ ! -d "$REL/counter/releases/0.2.0" ] || fail "truncated old tarball: 0.2.0 was committed"
no_leftovers "truncated old tarball"
pass "truncated old tarball: $ERR"

cp "$T/good.tar.gz" "$TAR"
flip_byte "$TAR" 200000
(cd "$P" && "$RELBUILD" --env prod --upgrade --upfrom 0.1.0) >"$T/out" 2>"$T/err"
STATUS=$?
ERR=$(head -n 1 "$T/err")
assert_eq "$STATUS" 1 "corrupt old tarball: exit status"
assert_contains "$ERR" "releases/0.1.0/counter.tar.gz" "corrupt old tarball: names it"
[ ! -d "$REL/counter/releases/0.2.0" ] || fail "corrupt old tarball: 0.2.0 was committed"
no_leftovers "corrupt old tarball"
pass "corrupt old tarball: $ERR"

cp "$T/good.tar.gz" "$TAR"
build_release "$P" --env prod --upgrade --upfrom 0.1.0
[ -f "$REL/counter/releases/0.2.0/relup" ] || fail "the upgrade from the good tarball made no relup"
assert_eq "$(sum "$REL/counter/releases/0.1.0/counter.tar.gz")" "$good" "the old tarball after the upgrade build"
pass "from the intact old tarball the upgrade builds, and 0.1.0 is carried along"
