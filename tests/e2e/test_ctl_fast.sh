#!/bin/bash
# The control commands without a VM, and the cookie out of sight.
#   - counter 0.1.0, 0.2.0 (--upgrade) and 0.3.0 (--upgrade, with
#     pre_upgrade and post_upgrade hooks) built with a cookie of the
#     test's own; 0.1.0 unpacked and started;
#   - no process has the cookie in its command line (/proc/*/cmdline,
#     ps): the node (beam.smp, and the shell and erlexec it was exec'd
#     from), run_erl, epmd, the erl_call of a running rpc, a foreground
#     node, a remote shell's node, a helper node; the node reads it from
#     RELEASE_TMP/home/.erlang.cookie (0700 directory, 0400 file), its
#     applications still see the real HOME (os:getenv), and no file
#     others may read holds it, nor was a ~/.erlang.cookie made;
#   - with every helper VM made to fail at once (ERL_AFLAGS=-eval
#     halt(97)), ping, pid, rpc (EXPR and MOD FUN ARGS), nodetool ping
#     and rpc, versions, upgrade 0.2.0, downgrade 0.1.0, upgrade 0.3.0
#     (its hooks between the steps) and stop still work: none boots a
#     VM; the node sees two connections for an upgrade or a downgrade
#     (release_handler's view, then every step in one call);
#   - ten pings and rpcs in a row; six rpcs at once; a large answer
#     (a term of 600 KB) whole and quick under bash;
#   - the messages and exit statuses of a stopped node, unchanged;
#   - without erl_call in the release, or with remote.vm.args, the same
#     commands through a helper node (which listens on no port and takes
#     no cookie on its command line); a release without a bundled
#     runtime uses the erl_call beside erl; RELEASE_DISTRIBUTION=sname.
. "$(dirname "$0")/lib.sh"

export COUNTER_COOKIE="fast-ctl-$$-cookie-never-in-argv"
FIX=$SRC_DIR/tests/e2e/fixtures
NODE=counter@127.0.0.1

# --- the releases -------------------------------------------------------------
proj="$T/proj"
copy_example counter "$proj"
compile_rebar3 "$proj"
build_release "$proj" --env prod
OUT="$proj/_build/prod/rel/counter"
for v in 0.2.0 0.3.0; do
	cp "$FIX/counter-$v/src/"* "$proj/src/" || fail "cannot copy the $v fixture"
	if [ "$v" = 0.3.0 ]; then
		for ev in pre_upgrade post_upgrade; do
			mkdir -p "$proj/rel/hooks/$ev"
			cat >"$proj/rel/hooks/$ev/say" <<-EOF
			#!/bin/sh
			printf '%s\n' "$ev: \$RELEASE_VSN, step \$(nodetool rpc 'counter_server:step().' 2>&1)"
			EOF
			chmod 755 "$proj/rel/hooks/$ev/say"
		done
		printf '%s\n' "    hooks: { pre_upgrade: rel/hooks/pre_upgrade, post_upgrade: rel/hooks/post_upgrade }" \
			>>"$proj/rel/config.yml"
	fi
	rm -rf "$proj/_build/prod/lib/counter"
	compile_rebar3 "$proj"
	build_release "$proj" --env prod --upgrade
	[ -f "$OUT/releases/$v/counter-$v.tar.gz" ] || fail "no tarball for $v"
done
pass "built counter 0.1.0, 0.2.0 and 0.3.0 (pre_upgrade and post_upgrade hooks)"

rel="$T/rel"
mkdir "$rel" && tar -xzf "$OUT/releases/0.1.0/counter.tar.gz" -C "$rel" || fail "cannot unpack 0.1.0"
track_release "$rel"
real=$(cd "$rel" && pwd -P)
erts=$(cut -d' ' -f1 "$rel/releases/start_erl.data")
[ -x "$rel/erts-$erts/bin/erl_call" ] || fail "the bundled runtime has no erl_call"

# bring VSN: its tarball and sidecar into releases/VSN/ of the root
bring() {
	mkdir -p "$rel/releases/$1" &&
		cp "$OUT/releases/$1/counter-$1.tar.gz" "$OUT/releases/$1/counter-$1.tar.gz.sha256" \
			"$rel/releases/$1/" || fail "cannot copy the $1 tarball"
}

# in_argv: the command lines (NULs as spaces) of the processes that hold
# the cookie in theirs
in_argv() {
	for f in $(grep -l -a -F -e "$COUNTER_COOKIE" /proc/[0-9]*/cmdline 2>/dev/null); do
		printf '%s: %s\n' "$f" "$(tr '\0' ' ' <"$f" 2>/dev/null)"
	done
	ps -eo pid=,args= | grep -F -e "$COUNTER_COOKIE" | grep -v -F 'grep -F'
	return 0
}

# no_cookie_in_argv WHAT: fail when a process shows the cookie
no_cookie_in_argv() {
	shown=$(in_argv)
	[ -z "$shown" ] || fail "$1: the cookie is in a command line:
$shown"
}

# procs_with TEXT: the pids whose command line holds TEXT and this
# test's release root
procs_with() {
	for f in $(grep -l -a -F -e "$1" /proc/[0-9]*/cmdline 2>/dev/null); do
		grep -q -a -F -e "$real" "$f" 2>/dev/null || continue
		f=${f#/proc/}
		printf '%s\n' "${f%/cmdline}"
	done
}

# wait_procs TEXT TRIES: procs_with TEXT, once one is there or after TRIES
# waits of 0.05 s
wait_procs() {
	n=0
	while [ -z "$(procs_with "$1")" ] && [ $n -lt "$2" ]; do
		sleep 0.05
		n=$((n + 1))
	done
	procs_with "$1"
}

### start; the cookie out of every command line -----------------------------------
out=$(ctl "$rel" start 2>&1) || fail "start exited $?: $out"
pid=$(ctl "$rel" pid 2>&1) || fail "pid exited $?: $pid"
args=$(tr '\0' ' ' </proc/"$pid"/cmdline)
assert_contains "$args" "-home $real/tmp/home" "the node's command line"
case "$args" in *setcookie*) fail "the node's command line has -setcookie: $args" ;; esac
no_cookie_in_argv "start"
[ "$(stat -c %a "$real/tmp/home")" = 700 ] || fail "tmp/home is $(stat -c %a "$real/tmp/home"), not 700"
[ "$(stat -c %a "$real/tmp/home/.erlang.cookie")" = 400 ] ||
	fail "tmp/home/.erlang.cookie is $(stat -c %a "$real/tmp/home/.erlang.cookie"), not 400"
assert_eq "$(cat "$real/tmp/home/.erlang.cookie")" "$COUNTER_COOKIE" "tmp/home/.erlang.cookie"
out=$(ctl "$rel" rpc 'erlang:get_cookie().' 2>&1) || fail "rpc exited $?: $out"
assert_eq "$out" "'$COUNTER_COOKIE'" "the node's cookie"
out=$(ctl "$rel" rpc 'os:getenv("HOME").' 2>&1) || fail "rpc exited $?: $out"
assert_eq "$out" "\"$HOME\"" "the applications' HOME"
out=$(ctl "$rel" rpc 'init:get_argument(home).' 2>&1) || fail "rpc exited $?: $out"
assert_eq "$out" "{ok,[[\"$real/tmp/home\"]]}" "the node's -home"
pass "start: no command line holds the cookie; the node reads it from tmp/home/.erlang.cookie (0700, 0400); os:getenv(\"HOME\") is the real HOME"

# an rpc that runs a while: its erl_call is there to be looked at
ctl "$rel" rpc 'timer:sleep(3000).' >"$T/slow.out" 2>&1 &
slow=$!
[ -n "$(wait_procs erl_call 40)" ] || fail "no erl_call ran for rpc"
no_cookie_in_argv "a running rpc (erl_call)"
wait "$slow" || fail "the slow rpc exited $?: $(cat "$T/slow.out")"
pass "a running rpc: erl_call, without the cookie on its command line"

### no VM boots: every helper node fails at once ----------------------------------
# the node counts the (hidden) connections it gets
out=$(ctl "$rel" rpc 'register(rb_conns, spawn(fun() -> net_kernel:monitor_nodes(true, [{node_type, hidden}]), L = fun L(N) -> receive {nodeup, _, _} -> L(N + 1); {get, P} -> P ! {n, N}, L(N); _ -> L(N) end end, L(0) end)).' 2>&1) ||
	fail "rpc (connection counter) exited $?: $out"
conns() { ctl "$rel" rpc 'rb_conns ! {get, self()}, receive {n, N} -> N end.' 2>&1; }

# any VM the control script starts halts at once (97)
nctl() {
	timeout -k 10 "$CTL_TIMEOUT" env -i PATH=/usr/bin:/bin HOME="$HOME" \
		ERL_EPMD_PORT="$ERL_EPMD_PORT" ERL_AFLAGS="-eval erlang:halt(97)." \
		"$rel/bin/counter" "$@"
}
out=$(nctl eval '1 + 1.' 2>&1) && fail "eval (a fresh VM) worked with ERL_AFLAGS halting every VM: $out"
out=$(nctl ping 2>&1) || fail "ping exited $?: $out"
assert_eq "$out" "pong" "ping"
out=$(nctl pid 2>&1) || fail "pid exited $?: $out"
assert_eq "$out" "$pid" "pid"
out=$(nctl rpc 'counter_server:get().' 2>&1) || fail "rpc exited $?: $out"
assert_eq "$out" "0" "rpc EXPR"
out=$(nctl rpc counter_server increment 2>&1) || fail "rpc MOD FUN exited $?: $out"
assert_eq "$out" "1" "rpc MOD FUN"
out=$(nctl rpc lists seq 1 3 2>&1) || fail "rpc MOD FUN ARGS exited $?: $out"
assert_eq "$out" "[1,2,3]" "rpc MOD FUN ARGS"
out=$(nctl rpc 'io:format("said ~s~n", ["this"]), {"two words", <<"bin">>, 1.5}.' 2>&1) ||
	fail "rpc printing exited $?: $out"
assert_eq "$out" 'said this
{"two words",<<"bin">>,1.5}' "rpc: what the expression prints, then its value"
out=$(nctl rpc 'foo(.' 2>&1)
assert_eq "$?:$out" "1:syntax error: syntax error before: '.'" "rpc of a syntax error"
out=$(nctl rpc 'no_such_module:f().' 2>&1)
assert_eq "$?" "1" "a failing rpc: exit status"
assert_contains "$out" "error: undef" "a failing rpc"
assert_contains "$out" "{no_such_module,f,[],[]}" "a failing rpc"
out=$(nctl rpc 'exit(bye).' 2>&1)
assert_eq "$?:$out" "1:rpc failed: {'EXIT',bye}" "rpc of exit(bye)"
out=$(nctl rpc 'throw(caught).' 2>&1) || fail "rpc of throw exited $?: $out"
assert_eq "$out" "caught" "rpc of throw(caught) (rpc:call's catch)"
out=$(nctl nodetool ping 2>&1) || fail "nodetool ping exited $?: $out"
assert_eq "$out" "pong" "nodetool ping"
out=$(nctl nodetool rpc counter_server get 2>&1) || fail "nodetool rpc exited $?: $out"
assert_eq "$out" "1" "nodetool rpc"
out=$(nctl versions 2>&1) || fail "versions exited $?: $out"
assert_eq "$out" "* 0.1.0  permanent" "versions"
pass "no VM can boot: ping, pid, rpc (EXPR, MOD FUN ARGS, output, errors), nodetool, versions all answer"

bring 0.2.0
c0=$(conns)
out=$(nctl upgrade 0.2.0 2>&1) || fail "upgrade 0.2.0 exited $?: $out"
c1=$(conns)
assert_eq "$out" "counter: upgrade 0.2.0: checked the tarball against its sidecar releases/0.2.0/counter-0.2.0.tar.gz.sha256 and its files against releases/0.2.0/SHA256SUMS
counter: unpacked 0.2.0 from releases/0.2.0/counter-0.2.0.tar.gz
counter: 0.1.0 -> 0.2.0: installed, permanent" "upgrade 0.2.0"
# release_handler's view, then every step in one call (+ the count's own query)
[ $((c1 - c0)) -ge 2 ] && [ $((c1 - c0)) -le 3 ] ||
	fail "upgrade 0.2.0: the node counted $((c1 - c0)) connections (from $c0 to $c1), not 2 (+ 1)"
out=$(nctl rpc 'counter_server:step().' 2>&1) || fail "rpc exited $?: $out"
assert_eq "$out" "2" "0.2.0's code"
assert_eq "$(nctl pid 2>&1)" "$pid" "the pid after upgrade 0.2.0"
out=$(nctl versions 2>&1) || fail "versions exited $?: $out"
assert_eq "$out" "* 0.2.0  permanent
  0.1.0  old" "versions after upgrade 0.2.0"
c0=$(conns)
out=$(nctl downgrade 0.1.0 2>&1) || fail "downgrade 0.1.0 exited $?: $out"
c1=$(conns)
assert_eq "$out" "counter: 0.2.0 -> 0.1.0: installed, permanent" "downgrade 0.1.0"
[ $((c1 - c0)) -ge 2 ] && [ $((c1 - c0)) -le 3 ] ||
	fail "downgrade 0.1.0: the node counted $((c1 - c0)) connections (from $c0 to $c1), not 2 (+ 1)"
out=$(nctl upgrade 0.2.0 --no-permanent 2>&1) || fail "upgrade 0.2.0 --no-permanent exited $?: $out"
assert_contains "$out" "release_handler knows 0.2.0 already (old): nothing to unpack" "upgrade 0.2.0 again"
assert_contains "$out" "counter: 0.1.0 -> 0.2.0: installed, not permanent (a restart boots 0.1.0)" "upgrade 0.2.0 again"
out=$(nctl install 0.2.0 2>&1) || fail "install 0.2.0 exited $?: $out"
assert_eq "$out" "counter: install 0.2.0: the node runs 0.2.0 already; made it permanent" "install 0.2.0"
bring 0.3.0
out=$(nctl upgrade 0.3.0 2>&1) || fail "upgrade 0.3.0 exited $?: $out"
assert_eq "$out" "counter: upgrade 0.3.0: checked the tarball against its sidecar releases/0.3.0/counter-0.3.0.tar.gz.sha256 and its files against releases/0.3.0/SHA256SUMS
counter: unpacked 0.3.0 from releases/0.3.0/counter-0.3.0.tar.gz
pre_upgrade: 0.3.0, step 2
post_upgrade: 0.3.0, step 3
counter: 0.2.0 -> 0.3.0: installed, permanent" "upgrade 0.3.0 (its hooks after the check, and after the install)"
out=$(nctl upgrade 0.9.9 2>&1) && fail "upgrade 0.9.9 exited 0: $out"
assert_contains "$out" "counter: upgrade 0.9.9: no tarball of 0.9.9" "upgrade 0.9.9"
assert_eq "$(nctl pid 2>&1)" "$pid" "the pid after upgrade 0.3.0"
pass "no VM can boot: upgrade, downgrade, install, an upgrade with hooks; two connections for an upgrade or a downgrade"

### ten in a row; six at once -----------------------------------------------------
# (that no VM boots is shown above; how fast they are is bench/run's row 6:
# tests time nothing)
count=$(ctl "$rel" rpc 'counter_server:get().' 2>&1) || fail "rpc exited $?: $count"
for i in 1 2 3 4 5 6 7 8 9 10; do
	out=$(ctl "$rel" ping 2>&1) || fail "ping $i exited $?: $out"
	assert_eq "$out" "pong" "ping $i of 10"
	out=$(ctl "$rel" rpc 'counter_server:get().' 2>&1) || fail "rpc $i exited $?: $out"
	assert_eq "$out" "$count" "rpc $i of 10"
done
before=$(ctl "$rel" rpc 'counter_server:get().' 2>&1)
for i in 1 2 3 4 5 6; do
	ctl "$rel" rpc counter_server increment >"$T/par.$i" 2>&1 &
done
wait
for i in 1 2 3 4 5 6; do
	case "$(cat "$T/par.$i")" in
	'' | *[!0-9]*) fail "rpc $i of six at once: $(cat "$T/par.$i")" ;;
	esac
done
after=$(ctl "$rel" rpc 'counter_server:get().' 2>&1)
assert_eq "$after" "$((before + 18))" "the count after six increments at once (step 3)"
# a large answer, under bash (whose pattern matching is the slowest of
# the three shells): whole, and in time
big=$(CTL_SHELL=bash CTL_TIMEOUT=30 ctl "$rel" rpc 'lists:seq(1, 100000).' 2>&1) ||
	fail "rpc of a large term under bash exited $?"
want=$(ctl "$rel" eval 'lists:seq(1, 100000).' 2>&1) || fail "eval of a large term exited $?"
[ "$big" = "$want" ] || fail "rpc of a large term printed ${#big} characters, eval ${#want}"
pass "ten pings and rpcs in a row; six rpcs at once all answered; a large answer (${#big} bytes) whole"

### a stopped node; a foreground node, a remote shell ---------------------------------
out=$(ctl "$rel" stop 2>&1) || fail "stop exited $?: $out"
assert_eq "$out" "ok" "stop"
wait_gone "$pid" || fail "the node (pid $pid) still runs after stop"
out=$(ctl "$rel" ping 2>&1)
assert_eq "$?:$out" "1:node $NODE is not responding to pings" "ping of a stopped node"
out=$(ctl "$rel" rpc 'node().' 2>&1)
assert_eq "$?:$out" "1:node $NODE is not running" "rpc to a stopped node"
out=$(ctl "$rel" pid 2>&1)
assert_eq "$?:$out" "1:node $NODE is not running" "pid of a stopped node"
out=$(ctl "$rel" stop 2>&1)
assert_eq "$?:$out" "1:counter: node $NODE is not running" "stop of a stopped node"
pass "stop; ping, rpc, pid and stop of a stopped node: their messages and exit status"

ctl "$rel" foreground >"$T/fg.out" 2>&1 &
fg=$!
n=0
until ctl "$rel" ping >/dev/null 2>&1; do
	n=$((n + 1))
	[ $n -lt 120 ] || { kill "$fg"; fail "foreground: no pong: $(cat "$T/fg.out")"; }
	sleep 0.5
done
fpid=$(ctl "$rel" pid) || fail "pid of the foreground node exited $?"
no_cookie_in_argv "foreground"

# a remote shell, kept open by a terminal that types nothing for a while
printf 'exec env -i PATH=/usr/bin:/bin HOME="%s" ERL_EPMD_PORT="%s" "%s" remote\n' \
	"$HOME" "$ERL_EPMD_PORT" "$rel/bin/counter" >"$T/remote.sh"
{
	sleep 30 &
	echo $! >"$T/sleep.pid"
	wait
} | SHELL=/bin/sh timeout -k 5 60 script -q -e -c "sh $T/remote.sh" /dev/null >"$T/remote.out" 2>&1 &
rsess=$!
rvm=$(wait_procs -remsh 200)
[ -n "$rvm" ] || fail "no remote shell's node appeared: $(cat -v "$T/remote.out")"
no_cookie_in_argv "a remote shell's node"
for p in $rvm; do
	kill_node "$p"
done
kill "$(cat "$T/sleep.pid")" 2>/dev/null
wait "$rsess"
out=$(ctl "$rel" stop 2>&1) || fail "stop of the foreground node exited $?: $out"
wait "$fg"
wait_gone "$fpid" || fail "the foreground node (pid $fpid) still runs"
pass "foreground and a remote shell: no command line holds the cookie"

### no file others may read holds the cookie; no ~/.erlang.cookie ---------------------
[ ! -e "$HOME/.erlang.cookie" ] || fail "a ~/.erlang.cookie was made"
for f in $(grep -r -l -a -F -e "$COUNTER_COOKIE" "$T" 2>/dev/null); do
	case "$(stat -c %a "$f")" in
	?00) ;;
	*) fail "$f holds the cookie and is mode $(stat -c %a "$f")" ;;
	esac
done
pass "every file that holds the cookie is its owner's alone; no ~/.erlang.cookie was made"

### without erl_call; with remote.vm.args: a helper node -------------------------------
mv "$rel/erts-$erts/bin/erl_call" "$T/erl_call.off" || fail "cannot move erl_call away"
out=$(ctl "$rel" start 2>&1) || fail "start without erl_call exited $?: $out"
pid=$(ctl "$rel" pid 2>&1) || fail "pid without erl_call exited $?: $pid"
out=$(ctl "$rel" ping 2>&1) || fail "ping without erl_call exited $?: $out"
assert_eq "$out" "pong" "ping without erl_call"
out=$(ctl "$rel" rpc 'counter_server:step().' 2>&1) || fail "rpc without erl_call exited $?: $out"
assert_eq "$out" "3" "rpc without erl_call"
out=$(ctl "$rel" rpc 'foo(.' 2>&1)
assert_eq "$?:$out" "1:syntax error: syntax error before: '.'" "rpc of a syntax error without erl_call"
ctl "$rel" rpc 'timer:sleep(4000).' >"$T/slow.out" 2>&1 &
slow=$!
[ -n "$(wait_procs dist_listen 200)" ] || fail "no helper node ran for rpc without erl_call"
no_cookie_in_argv "a helper node"
names=$(ERL_EPMD_PORT=$ERL_EPMD_PORT "$rel/erts-$erts/bin/epmd" -names 2>&1)
case "$names" in *rb_ctl*) fail "the helper node listens (epmd knows it): $names" ;; esac
wait "$slow" || fail "the slow rpc without erl_call exited $?: $(cat "$T/slow.out")"
out=$(ctl "$rel" stop 2>&1) || fail "stop without erl_call exited $?: $out"
wait_gone "$pid" || fail "the node (pid $pid) still runs after stop without erl_call"
mv "$T/erl_call.off" "$rel/erts-$erts/bin/erl_call" || fail "cannot put erl_call back"
pass "without erl_call: start, ping, rpc, stop through a helper node, which listens on no port and has no cookie on its command line"

: >"$T/remote.args"
rctl() { EXTRA_ENV="RELEASE_REMOTE_VM_ARGS=$T/remote.args" ctl "$@"; }
out=$(rctl "$rel" start 2>&1) || fail "start exited $?: $out"
pid=$(rctl "$rel" pid 2>&1) || fail "pid exited $?: $pid"
out=$(rctl "$rel" downgrade 0.2.0 2>&1) || fail "downgrade 0.2.0 (helper node) exited $?: $out"
assert_eq "$out" "counter: 0.3.0 -> 0.2.0: installed, permanent" "downgrade 0.2.0 (helper node)"
out=$(rctl "$rel" rpc 'counter_server:step().' 2>&1) || fail "rpc exited $?: $out"
assert_eq "$out" "2" "0.2.0's code again (helper node)"
assert_eq "$(rctl "$rel" pid 2>&1)" "$pid" "the pid after the downgrade (helper node)"
out=$(rctl "$rel" upgrade 0.3.0 2>&1) || fail "upgrade 0.3.0 (helper node) exited $?: $out"
assert_eq "$out" "counter: upgrade 0.3.0: release_handler knows 0.3.0 already (old): nothing to unpack
pre_upgrade: 0.3.0, step 2
post_upgrade: 0.3.0, step 3
counter: 0.2.0 -> 0.3.0: installed, permanent" "upgrade 0.3.0 (helper node)"
out=$(rctl "$rel" stop 2>&1) || fail "stop exited $?: $out"
wait_gone "$pid" || fail "the node (pid $pid) still runs after stop"
pass "remote.vm.args: downgrade and upgrade (with hooks) through a helper node"

### RELEASE_DISTRIBUTION=sname ----------------------------------------------------
sctl() { EXTRA_ENV="RELEASE_DISTRIBUTION=sname" ctl "$@"; }
out=$(sctl "$rel" start 2>&1) || fail "start (sname) exited $?: $out"
pid=$(sctl "$rel" pid 2>&1) || fail "pid (sname) exited $?: $pid"
out=$(sctl "$rel" ping 2>&1) || fail "ping (sname) exited $?: $out"
assert_eq "$out" "pong" "ping (sname)"
sname=$(sctl "$rel" rpc 'node().' 2>&1) || fail "rpc (sname) exited $?: $sname"
case "$sname" in
counter@* | "'counter@"*) ;;
*) fail "rpc node(). (sname) printed $sname" ;;
esac
no_cookie_in_argv "sname"
out=$(sctl "$rel" stop 2>&1) || fail "stop (sname) exited $?: $out"
wait_gone "$pid" || fail "the node (pid $pid) still runs after stop (sname)"
pass "RELEASE_DISTRIBUTION=sname: start, ping, rpc ($sname), stop"

### a release without a runtime: the erl_call beside erl -------------------------------
sproj="$T/sysproj"
copy_example counter "$sproj"
sed -i '/^  prod:/,/^  [a-z]/ s/include_erts: true/include_erts: false/' "$sproj/rel/config.yml"
grep -A2 '^  prod:' "$sproj/rel/config.yml" | grep -q 'include_erts: false' ||
	fail "cannot set include_erts: false"
compile_rebar3 "$sproj"
build_release "$sproj" --env prod
srel="$T/srel"
mkdir "$srel" && tar -xzf "$sproj/_build/prod/rel/counter/releases/0.1.0/counter.tar.gz" -C "$srel" ||
	fail "cannot unpack the release without a runtime"
track_release "$srel"
ls -d "$srel"/erts-* >/dev/null 2>&1 && fail "the release has a runtime"
out=$(ctl "$srel" start 2>&1) || fail "start (system runtime) exited $?: $out"
spid=$(ctl "$srel" pid 2>&1) || fail "pid (system runtime) exited $?: $spid"
rel=$srel
out=$(nctl rpc 'counter_server:increment().' 2>&1) || fail "rpc (system runtime, no VM) exited $?: $out"
assert_eq "$out" "1" "rpc (system runtime, no VM)"
no_cookie_in_argv "system runtime"
out=$(ctl "$srel" stop 2>&1) || fail "stop (system runtime) exited $?: $out"
wait_gone "$spid" || fail "the node (pid $spid) still runs after stop (system runtime)"
pass "a release without a runtime: rpc through the erl_call beside erl, no VM booted"
