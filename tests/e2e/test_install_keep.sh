#!/bin/bash
# --keep and a node that still runs: examples/counter 0.1.0 installed and
# started from DIR/current, then 0.2.0 and 0.3.0 installed with --keep 1
# while the 0.1.0 node keeps running (it was never restarted).  0.1.0 is
# then neither current nor previous and beyond --keep, but its VM runs from
# versions/0.1.0: install keeps it and says which process uses it, the node
# still answers.  Once the node is stopped, the next install removes it.
. "$(dirname "$0")/lib.sh"

export COUNTER_COOKIE=keep-cookie
for v in 0.1.0 0.2.0 0.3.0; do
	build_counter "$v"
	eval "tar_${v//./_}=\$tarball"
done
pass "built counter 0.1.0, 0.2.0 and 0.3.0"

DIR="$T/srv"
out=$("$RELBUILD" install "$tar_0_1_0" --root "$DIR" 2>&1) || fail "install 0.1.0 exited $?: $out"
old=$(readlink -f "$DIR/current")
assert_eq "$old" "$(readlink -f "$DIR/versions/0.1.0")" "DIR/current after installing 0.1.0"
track_release "$old"
out=$(ctl "$DIR/current" start 2>&1) || fail "start 0.1.0 exited $?: $out"
pid=$(ctl "$old" pid) || fail "pid exited $?"
pass "0.1.0 installed and started from DIR/current (pid $pid)"

out=$("$RELBUILD" install "$tar_0_2_0" --root "$DIR" --keep 1 2>&1) || fail "install 0.2.0 exited $?: $out"
out=$("$RELBUILD" install "$tar_0_3_0" --root "$DIR" --keep 1 2>&1) || fail "install 0.3.0 exited $?: $out"
assert_contains "$out" "current -> versions/0.3.0 (was 0.2.0)" "install 0.3.0"
assert_contains "$out" "kept old version 0.1.0 (pid " "install 0.3.0 --keep 1 keeps the version the node runs from"
assert_contains "$out" "): a process runs from it" "install 0.3.0 --keep 1"
case $out in *"removed old version"*) fail "install 0.3.0 --keep 1 removed a version: $out" ;; esac
user=${out##*kept old version 0.1.0 (pid }
user=${user%%)*}
kill -0 "$user" 2>/dev/null || fail "the pid install named ($user) is not a live process"
[ -d "$DIR/versions/0.1.0/lib" ] || fail "versions/0.1.0 is gone"
out=$(ctl "$old" ping 2>&1) || fail "ping of the 0.1.0 node exited $?: $out"
assert_eq "$out" "pong" "the 0.1.0 node after the installs"
assert_eq "$(ctl "$old" pid)" "$pid" "the 0.1.0 node's pid after the installs"
out=$("$RELBUILD" list --root "$DIR" 2>&1) || fail "list exited $?: $out"
assert_eq "$out" "* 0.3.0  verified
  0.2.0  verified  previous
  0.1.0  verified" "relbuild list with the running 0.1.0 kept"
pass "install 0.3.0 --keep 1 kept 0.1.0 (in use by pid $user), the node still answers"

out=$(ctl "$old" stop 2>&1) || fail "stop 0.1.0 exited $?: $out"
wait_gone "$pid" || fail "the 0.1.0 node (pid $pid) still runs after stop"
out=$("$RELBUILD" install "$tar_0_3_0" --root "$DIR" --keep 1 --force 2>&1) ||
	fail "install 0.3.0 --force exited $?: $out"
assert_contains "$out" "removed old version 0.1.0" "the next install once the node stopped"
[ ! -e "$DIR/versions/0.1.0" ] || fail "versions/0.1.0 is still there"
pass "stopped, the next install removes 0.1.0: $(printf '%s' "$out" | tr '\n' ';')"
