#!/bin/bash
# relbuild --executable: releases/<vsn>/counter-<vsn>.run, a POSIX sh
# header and then the tarball byte for byte.  Copied alone into an empty
# directory it checks itself, extracts once into XDG_CACHE_HOME and runs
# bin/counter with its arguments and exit status (start, ping, rpc, stop;
# under sh, dash, busybox sh and bash, which all parse the header, as
# checkbashisms passes it); a second run reuses the cache;
# --extract-only gives the tarball's tree; a copy with one byte changed, in
# the tarball or in the header, refuses and extracts nothing; two builds
# give the same bytes; --no-tar with --executable is a usage error.
. "$(dirname "$0")/lib.sh"

proj="$T/proj"
copy_example counter "$proj"
compile_rebar3 "$proj"
build_release "$proj" --env prod --executable
rel="$proj/_build/prod/rel/counter"
vsn=$(cut -d' ' -f2 "$rel/releases/start_erl.data")
run="$rel/releases/$vsn/counter-$vsn.run"
tarball="$rel/releases/$vsn/counter-$vsn.tar.gz"
[ -f "$run" ] || fail "no $run"
assert_contains "$(cat "$T/build.log")" "executable $run" "relbuild's output"
# the .run is beside the tarball, in neither it nor SHA256SUMS
out=$("$RELBUILD" verify "$proj/_build/prod/rel/counter" 2>&1) || fail "verify of the build directory with the .run: $out"
assert_eq "$(stat -c %a "$run")" 755 "mode of the .run"
pass "built $run"

# The header's own numbers: where the tarball starts, and its hash.
header=$(head -c 16384 "$run" | tr -d '\000')
hsize=$(printf '%s\n' "$header" | sed -n 's/^RB_RUN_HEADER_SIZE=//p')
[ -n "$hsize" ] || fail "no RB_RUN_HEADER_SIZE in the header"
tail -c +$((hsize + 1)) "$run" | cmp -s - "$tarball" ||
	fail "the bytes after the header are not the tarball"
tail -c +$((hsize + 1)) "$run" | tar -tzf - | grep -qx bin/counter ||
	fail "tail -c +$((hsize + 1)) | tar -tz lists no bin/counter"
sha=$(cut -d' ' -f1 "$tarball.sha256")
assert_eq "$(printf '%s\n' "$header" | sed -n 's/^RB_RUN_PAYLOAD_SHA256=//p')" "$sha" \
	"RB_RUN_PAYLOAD_SHA256 against the tarball's sidecar"
pass "the tarball follows a header of $hsize bytes, byte for byte"

# The header is POSIX sh: each shell parses it, checkbashisms finds nothing.
head -c "$hsize" "$run" >"$T/header.sh"
for sh in dash "busybox sh" bash; do
	# shellcheck disable=SC2086 # $sh: a shell and its argument
	out=$($sh -n "$T/header.sh" 2>&1) || fail "$sh -n on the header: $out"
done
command -v checkbashisms >/dev/null || fail "no checkbashisms: run scripts/setup.sh (devscripts)"
out=$(checkbashisms -f -p "$T/header.sh" 2>&1) || fail "checkbashisms -p on the header: $out"
pass "the header parses under dash, busybox sh and bash; checkbashisms -p is silent"

cp "$run" "$T/first.run"
build_release "$proj" --env prod --executable
cmp -s "$run" "$T/first.run" || fail "a second build wrote another .run"
pass "a second build writes the same bytes"

out=$(cd "$proj" && "$RELBUILD" --env prod --no-tar --executable 2>&1)
assert_eq "$?" 2 "exit status of --no-tar --executable"
assert_contains "$out" "--executable" "message of --no-tar --executable"
pass "--no-tar --executable: exit 2"

# Runs as on a server: an empty directory, an empty environment but for
# PATH, HOME, XDG_CACHE_HOME ($CACHE) and our epmd port.  xrun SHELL… ARGS
xrun() {
	(cd "$work" && timeout -k 10 "$CTL_TIMEOUT" env -i PATH=/usr/bin:/bin \
		HOME="$HOME" XDG_CACHE_HOME="$CACHE" ERL_EPMD_PORT="$ERL_EPMD_PORT" "$@")
}

work="$T/work"
mkdir "$work"
cp "$run" "$work/"
CACHE="$T/cache"
home="$CACHE/relbuild/counter/$vsn-$(printf '%.16s' "$sha")"
track_release "$home"
file="./counter-$vsn.run"

out=$(xrun dash "$file" start 2>&1) || fail "dash $file start exited $?: $out"
[ -x "$home/bin/counter" ] || fail "nothing extracted into $home"
assert_eq "$(ls -A "$work")" "counter-$vsn.run" "the working directory after start"
assert_eq "$(ls -A "${home%/*}")" "${home##*/}" "the cache's directories"
assert_eq "$(stat -c %a "$home")" 700 "mode of the cache directory"
pass "dash $file start extracted into $home and started the node"

ino=$(stat -c %i "$home/bin/counter")
out=$(xrun "$file" ping 2>&1) || fail "$file ping exited $?: $out"
assert_eq "$out" pong "$file ping"
out=$(xrun busybox sh "$file" ping 2>&1) || fail "busybox sh $file ping exited $?: $out"
assert_eq "$out" pong "busybox sh $file ping"
out=$(xrun bash "$file" rpc 'lists:sum([1, 2, 3]).' 2>&1) || fail "rpc exited $?: $out"
assert_eq "$out" 6 "bash $file rpc 'lists:sum([1, 2, 3]).'"
assert_eq "$(stat -c %i "$home/bin/counter")" "$ino" "inode of bin/counter in the cache"
assert_eq "$(ls -A "${home%/*}")" "${home##*/}" "the cache's directories after three runs"
pass "ping under sh and busybox sh, rpc under bash, from the same cache"

xrun "$file" rpc >/dev/null 2>&1
st=$?
ctl "$home" rpc >/dev/null 2>&1
assert_eq "$st" "$?" "exit status of '$file rpc' against bin/counter's"
assert_eq "$st" 2 "exit status of '$file rpc'"
pass "bin/counter's exit status comes through ($st)"

out=$(xrun dash "$file" stop 2>&1) || fail "dash $file stop exited $?: $out"
if xrun "$file" ping >/dev/null 2>&1; then
	fail "the node still answers after stop"
fi
pass "stopped, no longer answers"

# --extract-only: the tarball's tree, modes included, and no cache.
mkdir "$T/untarred"
tar -xzf "$tarball" -C "$T/untarred"
out=$(CACHE="$T/no-cache" xrun busybox sh "$file" --extract-only "$T/extracted" 2>&1) ||
	fail "--extract-only exited $?: $out"
[ ! -e "$T/no-cache" ] || fail "--extract-only wrote into the cache"
diff -r "$T/untarred" "$T/extracted" >/dev/null || fail "--extract-only differs from tar -x"
modes() { (cd "$1" && find . -printf '%m %p\n' | sort); }
[ "$(modes "$T/untarred")" = "$(modes "$T/extracted")" ] ||
	fail "--extract-only gives other modes than tar -x"
out=$("$RELBUILD" verify "$T/extracted" 2>&1) || fail "relbuild verify of the extracted tree: $out"
pass "busybox sh $file --extract-only: the tarball's tree ($out)"

# One byte changed: refused before anything is written, under each shell.
# (Should one run after all, it is stopped with the rest.)
mkdir "$T/bad"
track_release "$T/bad-cache/relbuild/counter/${home##*/}"
for at in $((hsize + ($(stat -c %s "$run") - hsize) / 2)) $((hsize + 100)) 200; do
	cp "$run" "$T/bad/counter-$vsn.run"
	flip_byte "$T/bad/counter-$vsn.run" "$at"
	for sh in "" dash "busybox sh"; do
		# shellcheck disable=SC2086 # $sh: a shell and its argument
		out=$(CACHE="$T/bad-cache" work="$T/bad" xrun $sh "$file" version 2>&1) &&
			fail "${sh:-sh}: a .run with byte $at changed ran: $out"
		assert_contains "$out" "damaged" "${sh:-sh}: message for byte $at changed"
		assert_contains "$out" "nothing was extracted" "${sh:-sh}: message for byte $at changed"
		[ ! -e "$T/bad-cache" ] || fail "${sh:-sh}: byte $at changed: the cache was made"
		# shellcheck disable=SC2086
		out=$(work="$T/bad" xrun $sh "$file" --extract-only "$T/bad-out" 2>&1) &&
			fail "${sh:-sh}: --extract-only of a .run with byte $at changed: $out"
		[ ! -e "$T/bad-out" ] || fail "${sh:-sh}: byte $at changed: --extract-only wrote $T/bad-out"
	done
	pass "byte $at changed: refused under sh, dash and busybox sh: $(printf '%s' "$out" | head -n 1)"
done
