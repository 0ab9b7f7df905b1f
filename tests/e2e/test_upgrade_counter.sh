#!/bin/bash
# Hot upgrades on a running node, the server side: examples/counter built
# as 0.1.0, then 0.2.0, 0.3.0 and 0.4.0 from tests/e2e/fixtures, each with
# `relbuild --env prod --upgrade` (relup from the version before).  The
# 0.1.0 tarball is unpacked into an empty directory and started, its
# counter driven to 41; each later tarball and its sidecar are copied into
# the running root's releases/<vsn>/ and installed there by the control
# script, and the OS pid of the node never changes:
#   - a corrupted 0.2.0 tarball is refused before release_handler sees it
#     (named mismatch with its sidecar, nothing unpacked, the node still
#     runs 0.1.0); without its sidecar too (then checked against its own
#     SHA256SUMS);
#   - `upgrade 0.2.0`: the state survived and was converted (41 →
#     #{count => 41, step => 2}), the new code answers (step 2, the new
#     module counter_fmt);
#   - `downgrade 0.1.0`: the state converted back (the integer), the old
#     code answers (step 1), counter_fmt is gone;
#   - `upgrade 0.3.0` from 0.1.0: no relup leads there: exit 1 naming
#     no_matching_relup, nothing changed;
#   - 0.1.0 → 0.2.0 → 0.3.0 (--no-permanent, then `install` makes it
#     permanent) → 0.4.0 (with busybox's tar and sha256sum), checking the
#     step and the count each time; `versions` lists each version with its
#     release_handler status;
#   - `stop` + `start` boots 0.4.0, the permanent release (its boot script,
#     its code), and `versions` still lists them all.
# The commands run under dash (bin/counter's #!), busybox sh and bash.
. "$(dirname "$0")/lib.sh"

export COUNTER_COOKIE=upgrade-counter-cookie
FIX=$SRC_DIR/tests/e2e/fixtures

# --- the four versions ---------------------------------------------------------
proj="$T/proj"
copy_example counter "$proj"
compile_rebar3 "$proj"
build_release "$proj" --env prod
OUT="$proj/_build/prod/rel/counter"
for v in 0.2.0 0.3.0 0.4.0; do
	cp "$FIX/counter-$v/src/"* "$proj/src/" || fail "cannot copy the $v fixture"
	[ "$v" = 0.4.0 ] && rm -f "$proj/src/counter_fmt.erl"
	# rebar3 compares mtimes to the second: a source copied within the
	# second of the last compile would keep its old .beam
	rm -rf "$proj/_build/prod/lib/counter"
	compile_rebar3 "$proj"
	build_release "$proj" --env prod --upgrade
	[ -f "$OUT/releases/$v/counter.tar.gz" ] || fail "no tarball for $v"
	[ -f "$OUT/releases/$v/counter-$v.tar.gz.sha256" ] || fail "no sidecar for $v"
	tar -tzf "$OUT/releases/$v/counter.tar.gz" | grep -q -x "releases/$v/relup" ||
		fail "the $v tarball has no releases/$v/relup"
done
erts=$(cut -d' ' -f1 "$OUT/releases/start_erl.data")
pass "built counter 0.1.0, then 0.2.0, 0.3.0 and 0.4.0 with relbuild --upgrade"

# --- 0.1.0, running, at 41 -------------------------------------------------------
rel="$T/rel"
mkdir "$rel" || fail "mkdir $rel"
tar -xzf "$OUT/releases/0.1.0/counter.tar.gz" -C "$rel" || fail "tar cannot unpack 0.1.0"
track_release "$rel"
[ ! -e "$rel/releases/RELEASES" ] || fail "the tarball ships releases/RELEASES"
out=$(ctl "$rel" start 2>&1) || fail "start exited $?: $out"
[ -f "$rel/releases/RELEASES" ] || fail "start did not create releases/RELEASES"

# rpc_is EXPR WANT WHAT
rpc_is() {
	got=$(ctl "$rel" rpc "$1" 2>&1) || fail "$3: rpc '$1' exited $?: $got"
	assert_eq "$got" "$2" "$3: rpc '$1'"
}

rpc_is 'lists:foreach(fun(_) -> counter_server:increment() end, lists:seq(1, 41)), counter_server:get().' \
	41 "0.1.0"
rpc_is 'sys:get_state(counter_server).' 41 "0.1.0"
out=$(ctl "$rel" versions 2>&1) || fail "versions exited $?: $out"
assert_eq "$out" "* 0.1.0  permanent" "versions on 0.1.0"
pid=$(ctl "$rel" pid) || fail "pid exited $?"
pass "0.1.0 started in an empty directory (releases/RELEASES made at the first boot), count 41, pid $pid"

same_pid() {
	got=$(ctl "$rel" pid 2>&1) || fail "$1: pid exited $?: $got"
	assert_eq "$got" "$pid" "$1: the node's OS pid"
}

# place VSN: the VSN tarball and its sidecar into the running root
place() {
	mkdir -p "$rel/releases/$1" &&
		cp "$OUT/releases/$1/counter.tar.gz" "$OUT/releases/$1/counter-$1.tar.gz.sha256" \
			"$rel/releases/$1/" || fail "cannot copy the $1 tarball into $rel/releases/$1"
}

# --- refused tarballs -------------------------------------------------------------
place 0.2.0
good=$(sha256sum <"$rel/releases/0.2.0/counter.tar.gz" | cut -d' ' -f1)
flip_byte "$rel/releases/0.2.0/counter.tar.gz" 200000
bad=$(sha256sum <"$rel/releases/0.2.0/counter.tar.gz" | cut -d' ' -f1)
[ "$bad" != "$good" ] || fail "the corruption did not change the tarball"
out=$(ctl "$rel" upgrade 0.2.0 2>&1)
st=$?
assert_eq "$st" "1" "upgrade with a corrupted tarball: exit status ($out)"
assert_contains "$out" "upgrade 0.2.0: tarball releases/0.2.0/counter.tar.gz does not match its sidecar releases/0.2.0/counter-0.2.0.tar.gz.sha256" \
	"upgrade with a corrupted tarball"
assert_contains "$out" "$bad" "upgrade with a corrupted tarball (the tarball's sha256)"
assert_contains "$out" "$good" "upgrade with a corrupted tarball (the sidecar's sha256)"
same_pid "after the refused tarball"
out=$(ctl "$rel" versions 2>&1) || fail "versions exited $?: $out"
assert_eq "$out" "* 0.1.0  permanent" "versions after the refused tarball (release_handler never saw 0.2.0)"
rpc_is 'element(2, hd([R || {_, _, _, S} = R <- release_handler:which_releases(), S =:= permanent])).' \
	'"0.1.0"' "after the refused tarball"
[ ! -e "$rel/lib/counter-0.2.0" ] || fail "lib/counter-0.2.0 was extracted from the refused tarball"
assert_eq "$(ls "$rel/releases/0.2.0")" "counter-0.2.0.tar.gz.sha256
counter.tar.gz" "releases/0.2.0 after the refused tarball"
rpc_is 'counter_server:get().' 41 "after the refused tarball"

# the same corrupted tarball without its sidecar: checked against its own
# SHA256SUMS (Distillery's way), refused all the same
rm "$rel/releases/0.2.0/counter-0.2.0.tar.gz.sha256"
out=$(ctl "$rel" unpack 0.2.0 2>&1) && fail "unpack of a corrupted tarball without a sidecar exited 0: $out"
assert_contains "$out" "counter: unpack 0.2.0: " "unpack of a corrupted tarball without a sidecar"
assert_contains "$out" "releases/0.2.0/counter.tar.gz" "unpack of a corrupted tarball without a sidecar"
[ ! -e "$rel/lib/counter-0.2.0" ] || fail "lib/counter-0.2.0 was extracted from a corrupted tarball without a sidecar"
out=$(ctl "$rel" versions 2>&1) || fail "versions exited $?: $out"
assert_eq "$out" "* 0.1.0  permanent" "versions after the corrupted tarball without a sidecar"
same_pid "after the corrupted tarball without a sidecar"
pass "a corrupted tarball is refused naming its sidecar, and without the sidecar too; nothing unpacked, release_handler never saw it, the node runs 0.1.0 (pid $pid)"

# --- upgrade 0.1.0 → 0.2.0 ------------------------------------------------------------
place 0.2.0
out=$(ctl "$rel" upgrade 0.2.0 2>&1) || fail "upgrade 0.2.0 exited $?: $out"
assert_contains "$out" "counter: 0.1.0 -> 0.2.0: installed, permanent" "upgrade 0.2.0"
same_pid "after upgrade 0.2.0"
rpc_is 'counter_server:get().' 41 "0.2.0: the count survived"
rpc_is 'sys:get_state(counter_server).' '#{count => 41,step => 2}' "0.2.0: the state was converted"
rpc_is 'counter_server:increment().' 43 "0.2.0: the new increment"
rpc_is 'counter_server:step().' 2 "0.2.0"
rpc_is 'counter_fmt:describe().' '"count 43, step 2 (0.2.0)"' "0.2.0: the new module"
out=$(ctl "$rel" versions 2>&1) || fail "versions exited $?: $out"
assert_eq "$out" "* 0.2.0  permanent
  0.1.0  old" "versions after upgrade 0.2.0"
assert_eq "$(cat "$rel/releases/start_erl.data")" "$erts 0.2.0" "start_erl.data after upgrade 0.2.0"
pass "upgrade 0.2.0: same pid, state 41 converted to #{count => 41, step => 2}, increment 43, counter_fmt answers; 0.2.0 permanent"

# --- the hot-upgraded directory still verifies ------------------------------------------
out=$("$RELBUILD" verify "$rel" 2>&1) || fail "verify of the upgraded directory exited $?: $out"
assert_contains "$out" "$rel: OK (" "verify of the upgraded directory"
assert_contains "$out" "kept from 0.1.0)" "verify of the upgraded directory: 0.1.0's files kept"
out=$("$RELBUILD" verify --json "$rel" 2>&1) || fail "verify --json of the upgraded directory exited $?: $out"
assert_contains "$out" '"manifest":"releases/0.2.0/SHA256SUMS","ok":true' "verify --json: checked against 0.2.0"
assert_contains "$out" '"kept_from":["0.1.0"]' "verify --json: kept from 0.1.0"
cp "$rel/lib/counter-0.1.0/ebin/counter.app" "$T/counter.app.orig"
printf '%% tampered\n' >>"$rel/lib/counter-0.1.0/ebin/counter.app"
out=$("$RELBUILD" verify "$rel" 2>&1) && fail "verify with a tampered 0.1.0 file exited 0: $out"
assert_contains "$out" "changed: lib/counter-0.1.0/ebin/counter.app" "verify names the tampered file that 0.1.0 left"
cp "$T/counter.app.orig" "$rel/lib/counter-0.1.0/ebin/counter.app"
pass "relbuild verify of the upgraded directory: OK against 0.2.0 with 0.1.0's files kept; a changed 0.1.0 file is named"

# --- downgrade 0.2.0 → 0.1.0 (busybox sh) ------------------------------------------------
out=$(CTL_SHELL="busybox sh" ctl "$rel" downgrade 0.1.0 2>&1) || fail "downgrade 0.1.0 exited $?: $out"
assert_contains "$out" "counter: 0.2.0 -> 0.1.0: installed, permanent" "downgrade 0.1.0"
same_pid "after downgrade 0.1.0"
rpc_is 'sys:get_state(counter_server).' 43 "0.1.0 again: the state converted back"
rpc_is 'counter_server:increment().' 44 "0.1.0 again: the old increment"
rpc_is 'code:is_loaded(counter_fmt).' false "0.1.0 again"
rpc_is 'code:which(counter_fmt).' non_existing "0.1.0 again"
rpc_is 'filename:basename(filename:dirname(filename:dirname(code:which(counter_server)))).' \
	'"counter-0.1.0"' "0.1.0 again: the code path"
out=$(ctl "$rel" versions 2>&1) || fail "versions exited $?: $out"
assert_eq "$out" "  0.2.0  old
* 0.1.0  permanent" "versions after downgrade 0.1.0"
pass "downgrade 0.1.0 (busybox sh): same pid, state back to the integer 43, increment 44, counter_fmt gone"

# --- no relup from 0.1.0 to 0.3.0 ---------------------------------------------------------
place 0.3.0
out=$(ctl "$rel" upgrade 0.3.0 2>&1)
st=$?
assert_eq "$st" "1" "upgrade 0.3.0 from 0.1.0: exit status ($out)"
assert_contains "$out" "upgrade 0.3.0: release_handler:check_install_release: no_matching_relup: no relup leads from 0.1.0 (running) to 0.3.0" \
	"upgrade 0.3.0 from 0.1.0"
same_pid "after the failed upgrade 0.3.0"
rpc_is 'counter_server:get().' 44 "after the failed upgrade 0.3.0"
out=$(ctl "$rel" versions 2>&1) || fail "versions exited $?: $out"
assert_eq "$out" "  0.3.0  unpacked
  0.2.0  old
* 0.1.0  permanent" "versions after the failed upgrade 0.3.0"
pass "upgrade 0.3.0 from 0.1.0 exits 1 naming no_matching_relup; 0.3.0 stays unpacked, the node runs 0.1.0"

# --- 0.1.0 → 0.2.0 → 0.3.0 → 0.4.0, one at a time (bash) -------------------------------------
export CTL_SHELL=bash
out=$(ctl "$rel" upgrade 0.2.0 2>&1) || fail "upgrade 0.2.0 (again) exited $?: $out"
assert_contains "$out" "release_handler knows 0.2.0 already (old): nothing to unpack" "upgrade 0.2.0 (again)"
assert_contains "$out" "counter: 0.1.0 -> 0.2.0: installed, permanent" "upgrade 0.2.0 (again)"
same_pid "after upgrade 0.2.0 (again)"
rpc_is 'sys:get_state(counter_server).' '#{count => 44,step => 2}' "0.2.0 again"
rpc_is 'counter_server:increment().' 46 "0.2.0 again"

out=$(ctl "$rel" upgrade 0.3.0 --no-permanent 2>&1) || fail "upgrade 0.3.0 --no-permanent exited $?: $out"
assert_contains "$out" "counter: 0.2.0 -> 0.3.0: installed, not permanent (a restart boots 0.2.0)" \
	"upgrade 0.3.0 --no-permanent"
same_pid "after upgrade 0.3.0"
rpc_is 'sys:get_state(counter_server).' '#{count => 46,step => 3}' "0.3.0"
rpc_is 'counter_server:increment().' 49 "0.3.0"
rpc_is 'counter_fmt:describe().' '"count 49, step 3 (0.3.0)"' "0.3.0: the changed module"
out=$(ctl "$rel" versions 2>&1) || fail "versions exited $?: $out"
assert_eq "$out" "* 0.3.0  current
  0.2.0  permanent
  0.1.0  old" "versions after upgrade 0.3.0 --no-permanent"
assert_eq "$(cat "$rel/releases/start_erl.data")" "$erts 0.2.0" "start_erl.data after upgrade 0.3.0 --no-permanent"
out=$(ctl "$rel" install 0.3.0 2>&1) || fail "install 0.3.0 exited $?: $out"
assert_contains "$out" "the node runs 0.3.0 already; made it permanent" "install 0.3.0"
assert_eq "$(cat "$rel/releases/start_erl.data")" "$erts 0.3.0" "start_erl.data after install 0.3.0"

# 0.4.0 with busybox's tar and sha256sum first on PATH
bb="$T/busybox-bin"
mkdir "$bb" && ln -s "$(command -v busybox)" "$bb/tar" && ln -s "$(command -v busybox)" "$bb/sha256sum" ||
	fail "cannot make $bb"
place 0.4.0
out=$(EXTRA_ENV="PATH=$bb:/usr/bin:/bin" ctl "$rel" upgrade 0.4.0 2>&1) ||
	fail "upgrade 0.4.0 (busybox tar) exited $?: $out"
assert_contains "$out" "counter: 0.3.0 -> 0.4.0: installed, permanent" "upgrade 0.4.0"
same_pid "after upgrade 0.4.0"
rpc_is 'sys:get_state(counter_server).' '#{count => 49,step => 4}' "0.4.0"
rpc_is 'counter_server:increment().' 53 "0.4.0"
rpc_is 'code:is_loaded(counter_fmt).' false "0.4.0: counter_fmt removed"
out=$(ctl "$rel" versions 2>&1) || fail "versions exited $?: $out"
assert_eq "$out" "* 0.4.0  permanent
  0.3.0  old
  0.2.0  old
  0.1.0  old" "versions after upgrade 0.4.0"
unset CTL_SHELL
pass "0.1.0 → 0.2.0 → 0.3.0 (--no-permanent, then install) → 0.4.0 (busybox tar) on pid $pid: steps 2, 3, 4; count 44 → 46 → 49 → 53"

# --- stop + start boots 0.4.0 ----------------------------------------------------------------
out=$(ctl "$rel" stop 2>&1) || fail "stop exited $?: $out"
wait_gone "$pid" || fail "the node (pid $pid) still runs after stop"
out=$(ctl "$rel" versions 2>&1) || fail "versions (stopped) exited $?: $out"
assert_eq "$out" "  0.1.0
  0.2.0
  0.3.0
* 0.4.0" "versions of the stopped node"
out=$(ctl "$rel" start 2>&1) || fail "start exited $?: $out"
npid=$(ctl "$rel" pid) || fail "pid exited $?"
[ "$npid" != "$pid" ] || fail "start did not start a new VM (pid $npid)"
rpc_is 'init:script_id().' '{"counter","0.4.0"}' "after the restart: the boot script"
rpc_is 'counter_server:step().' 4 "after the restart"
rpc_is 'counter_server:increment().' 4 "after the restart (a fresh state)"
rpc_is 'filename:basename(filename:dirname(filename:dirname(code:which(counter_server)))).' \
	'"counter-0.4.0"' "after the restart: the code path"
out=$(ctl "$rel" describe 2>&1) || fail "describe exited $?: $out"
assert_contains "$out" "version: 0.4.0" "describe after the restart"
out=$(ctl "$rel" versions 2>&1) || fail "versions exited $?: $out"
assert_eq "$out" "* 0.4.0  permanent
  0.3.0  old
  0.2.0  old
  0.1.0  old" "versions after the restart"
out=$(ctl "$rel" stop 2>&1) || fail "stop exited $?: $out"
pass "stop + start boots 0.4.0 (start.boot of 0.4.0, its code, step 4); release_handler still knows every version"

# --- relbuild list and bin/counter versions agree on a hot-upgraded install -------------
# The directory that ran 0.1.0 → 0.4.0 becomes versions/0.1.0 of an install
# root (installed from the 0.1.0 tarball, then replaced by what ran).
check_upgraded_install "$rel" "$OUT/releases/0.1.0/counter.tar.gz"
printf '%% tampered\n' >>"$iroot/versions/0.1.0/lib/counter-0.2.0/ebin/counter.app"
out=$("$RELBUILD" list --root "$iroot" 2>&1) || fail "list exited $?: $out"
assert_eq "$out" "* 0.1.0  MODIFIED (1 problem)" "relbuild list after a kept file changed"
out=$(ctl "$iroot/current" versions 2>&1) || fail "versions (install root) exited $?: $out"
assert_eq "$out" "* 0.1.0  MODIFIED (1 problem)" "bin/counter versions after a kept file changed"
pass "relbuild list and bin/counter versions: the hot-upgraded install verifies (0.4.0's manifest, earlier versions' files kept), a changed kept file is 1 problem in both"
