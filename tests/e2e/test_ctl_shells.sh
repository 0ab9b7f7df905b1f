#!/bin/bash
# Every command of the control script, run by dash, by busybox sh and by
# bash (the script is POSIX sh: it must behave the same under each; its #!
# line is set to the same shell, so that start's daemon and nodetool run
# under it too), after dash -n, busybox sh -n and checkbashisms -p
# accept bin/counter and bin/nodetool, on an unpacked counter
# release (rebar3, Erlang) with a custom command: start,
# ping, pid, rpc EXPR, rpc MOD FUN, eval, command, describe, versions, the
# custom command, help, an unknown command, restart, remote (under a
# pseudo-terminal, and refused without one), stop, console, foreground,
# reboot.  Then the Elixir side on shop (mix; its post_start hook migrates
# against a PostgreSQL of the test's own): rpc, eval and command with
# Elixir syntax and remote opening IEx on the node, under each shell.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg.sh"

SHELLS="dash|busybox sh|bash"
command -v dash >/dev/null || fail "dash is not installed"
command -v busybox >/dev/null || fail "busybox is not installed"
command -v script >/dev/null || fail "script (util-linux) is not installed"

# use_shell REL: make CTL_SHELL the interpreter of the release's bin/
# scripts too (their #! line), so that what they run again themselves
# (start's daemon under run_erl, nodetool) runs under it as well.
use_shell() {
	set -- "$1" $CTL_SHELL
	interp="#!$(command -v "$2")${3:+ $3}"
	for f in "$1/bin"/*; do
		sed -i "1s|^#!.*|$interp|" "$f" || fail "cannot set the #! line of $f"
	done
}

# wait_pong REL: wait up to 60 s for the node to answer a ping.
wait_pong() {
	n=0
	until ctl "$1" ping >/dev/null 2>&1; do
		n=$((n + 1))
		[ $n -lt 120 ] || return 1
		sleep 0.5
	done
}

### the counter release, with a custom command

proj="$T/counter"
copy_example counter "$proj"
mkdir -p "$proj/rel/commands"
cat >"$proj/rel/commands/hello.sh" <<'EOF'
#!/bin/sh
# each argument in brackets, then the status HELLO_EXIT asks for
printf 'hello'
for a in "$@"; do printf ' [%s]' "$a"; done
printf '\n'
exit "${HELLO_EXIT:-0}"
EOF
chmod +x "$proj/rel/commands/hello.sh"
printf '%s\n' "    commands: { hello: rel/commands/hello.sh }" >>"$proj/rel/config.yml"
compile_rebar3 "$proj"
build_release "$proj" --env prod
vsn=$(cut -d' ' -f2 "$proj/_build/prod/rel/counter/releases/start_erl.data")
erts=$(cut -d' ' -f1 "$proj/_build/prod/rel/counter/releases/start_erl.data")
rel="$T/rel"
mkdir "$rel"
tar -xzf "$proj/_build/prod/rel/counter/releases/$vsn/counter.tar.gz" -C "$rel" ||
	fail "tar cannot unpack the counter release"
track_release "$rel"
real=$(cd "$rel" && pwd -P)
pass "built and unpacked counter $vsn with the custom command hello"

# --- the script is POSIX sh: each shell parses it, checkbashisms finds nothing
command -v checkbashisms >/dev/null || fail "no checkbashisms: run scripts/setup.sh (devscripts)"
for f in "$rel/bin/counter" "$rel/bin/nodetool"; do
	dash -n "$f" || fail "dash -n rejects $f"
	busybox sh -n "$f" || fail "busybox sh -n rejects $f"
	out=$(checkbashisms -f -p "$f" 2>&1) || fail "checkbashisms -p: $out"
done
pass "bin/counter and bin/nodetool parse under dash and busybox sh; checkbashisms -p finds nothing"

IFS='|'
set -- $SHELLS
unset IFS
for CTL_SHELL in "$@"; do
	sh="[$CTL_SHELL]"
	log "--- the counter release under $CTL_SHELL"
	use_shell "$rel"

	# --- start, ping, pid ----------------------------------------------------
	if out=$(ctl "$rel" ping 2>&1); then
		fail "$sh ping answered before start: $out"
	fi
	out=$(ctl "$rel" start 2>&1) || fail "$sh start exited $?: $out"
	out=$(ctl "$rel" ping 2>&1) || fail "$sh ping after start exited $?: $out"
	assert_eq "$out" "pong" "$sh ping"
	out=$(ctl "$rel" start 2>&1) && fail "$sh a second start exited 0: $out"
	assert_contains "$out" "is already running" "$sh a second start"
	rpid=$(ctl "$rel" pid) || fail "$sh pid exited $?"
	case "$rpid" in
	'' | *[!0-9]*) fail "$sh pid printed '$rpid', not a pid" ;;
	esac
	kill -0 "$rpid" 2>/dev/null || fail "$sh pid $rpid is not a live process"
	comm=$(ps -o comm= -p "$rpid")
	assert_contains "$comm" "beam" "$sh the process of pid $rpid"
	pass "$sh start; ping: pong; pid: $rpid, a live $comm"

	# --- rpc, eval, command ----------------------------------------------------
	out=$(ctl "$rel" rpc 'counter_server:get().' 2>&1) || fail "$sh rpc EXPR exited $?: $out"
	assert_eq "$out" "0" "$sh rpc 'counter_server:get().'"
	out=$(ctl "$rel" rpc counter_server increment 2>&1) || fail "$sh rpc MOD FUN exited $?: $out"
	assert_eq "$out" "1" "$sh rpc counter_server increment"
	out=$(ctl "$rel" rpc counter_server increment 2>&1) || fail "$sh rpc MOD FUN exited $?: $out"
	assert_eq "$out" "2" "$sh rpc counter_server increment (again)"
	out=$(ctl "$rel" rpc 'counter_server:get().' 2>&1) || fail "$sh rpc EXPR exited $?: $out"
	assert_eq "$out" "2" "$sh rpc 'counter_server:get().' after two increments"
	out=$(ctl "$rel" rpc lists seq 1 3 2>&1) || fail "$sh rpc MOD FUN ARGS exited $?: $out"
	assert_eq "$out" "[1,2,3]" "$sh rpc lists seq 1 3"
	out=$(ctl "$rel" rpc 'no_such_module:f().' 2>&1) && fail "$sh a failing rpc exited 0: $out"
	assert_contains "$out" "undef" "$sh a failing rpc"
	pass "$sh rpc EXPR and rpc MOD FUN [ARGS] on the running node"

	out=$(ctl "$rel" eval 'lists:sum([1, 2, 3]).' 2>&1) || fail "$sh eval exited $?: $out"
	assert_eq "$out" "6" "$sh eval 'lists:sum([1, 2, 3]).'"
	out=$(ctl "$rel" eval '{whereis(counter_server), filename:dirname(code:which(counter_server))}.' 2>&1) ||
		fail "$sh eval exited $?: $out"
	assert_eq "$out" "{undefined,\"$real/lib/counter-$vsn/ebin\"}" \
		"$sh eval on a fresh node: the release's code, nothing started"
	out=$(ctl "$rel" eval 'foo(.' 2>&1) && fail "$sh eval of a syntax error exited 0: $out"
	assert_contains "$out" "syntax error" "$sh eval of a syntax error"
	pass "$sh eval EXPR on a fresh node"

	out=$(ctl "$rel" command erlang list_to_integer '"42"' 2>&1) ||
		fail "$sh command erlang list_to_integer \"42\" exited $?: $out"
	out=$(ctl "$rel" command io format '"got ~p and ~s~n"' '[42, "text"]' 2>&1) ||
		fail "$sh command io format exited $?: $out"
	assert_eq "$out" "got 42 and text" "$sh command io format"
	out=$(ctl "$rel" command erlang list_to_integer '"forty-two"' 2>&1) &&
		fail "$sh a failing command exited 0: $out"
	assert_contains "$out" "badarg" "$sh a failing command"
	pass "$sh command MOD FUN ARGS (exit 0, the call's output, exit 1 when it raises)"

	# --- describe, versions, custom command, help, unknown ---------------------
	out=$(ctl "$rel" describe 2>&1) || fail "$sh describe exited $?: $out"
	assert_contains "$out" "name:    counter" "$sh describe"
	assert_contains "$out" "version: $vsn" "$sh describe"
	assert_contains "$out" "erts:    $erts" "$sh describe"
	assert_contains "$out" "node:    counter@127.0.0.1" "$sh describe"
	assert_contains "$out" "applications:" "$sh describe"
	assert_contains "$out" "  counter $vsn permanent" "$sh describe"
	assert_contains "$out" "  sasl " "$sh describe"
	# the running node's release_handler answers, with the status
	out=$(ctl "$rel" versions 2>&1) || fail "$sh versions exited $?: $out"
	assert_eq "$out" "* $vsn  permanent" "$sh versions"
	pass "$sh describe and versions"

	out=$(ctl "$rel" hello 'two words' 'x\ty' '' 2>&1) || fail "$sh hello exited $?: $out"
	assert_eq "$out" 'hello [two words] [x\ty] []' "$sh the custom command's arguments"
	out=$(EXTRA_ENV=HELLO_EXIT=3 ctl "$rel" hello 2>&1)
	st=$?
	assert_eq "$st" "3" "$sh the custom command's exit status"
	assert_contains "$out" "command hello failed with exit status 3" "$sh a failing custom command"
	out=$(ctl "$rel" help 2>&1) || fail "$sh help exited $?: $out"
	assert_contains "$out" "usage: bin/counter COMMAND" "$sh help"
	assert_contains "$out" "custom commands:
  hello" "$sh help lists the custom command"
	out=$(ctl "$rel" 'no\tsuch\c' 2>"$T/err")
	st=$?
	err=$(cat "$T/err")
	assert_eq "$st" "1" "$sh an unknown command's exit status"
	assert_eq "$out" "" "$sh an unknown command's stdout"
	assert_contains "$err" "counter: unknown command 'no\\tsuch\\c'
usage: bin/counter COMMAND" "$sh an unknown command's message (named as typed) and usage"
	pass "$sh custom command (arguments, exit status), help, unknown command"

	# --- restart: same VM, applications started anew ---------------------------
	out=$(ctl "$rel" restart 2>&1) || fail "$sh restart exited $?: $out"
	out=$(ctl "$rel" ping 2>&1) || fail "$sh ping after restart exited $?: $out"
	assert_eq "$out" "pong" "$sh ping after restart"
	assert_eq "$(ctl "$rel" pid)" "$rpid" "$sh the OS pid after restart"
	out=$(ctl "$rel" rpc 'counter_server:get().' 2>&1) || fail "$sh rpc after restart exited $?: $out"
	assert_eq "$out" "0" "$sh the counter after restart (was 2)"
	pass "$sh restart: same OS process $rpid, the counter is back at 0"

	# --- remote ------------------------------------------------------------------
	out=$(ctl "$rel" remote </dev/null 2>&1)
	st=$?
	assert_eq "$st" "1" "$sh remote without a terminal: exit status"
	assert_contains "$out" "remote needs a terminal" "$sh remote without a terminal"
	remote_session "$rel" remote 'node().' "$T/remote.out"
	st=$?
	[ $st -eq 0 ] || fail "$sh remote under a terminal exited $st: $(cat -v "$T/remote.out")"
	grep -q -F "'counter@127.0.0.1'" "$T/remote.out" ||
		fail "$sh remote: node(). did not print 'counter@127.0.0.1': $(cat -v "$T/remote.out")"
	out=$(ctl "$rel" ping 2>&1) || fail "$sh the node is down after leaving remote: $out"
	assert_eq "$(ctl "$rel" pid)" "$rpid" "$sh the OS pid after remote"
	pass "$sh remote: refused without a terminal; a shell on counter@127.0.0.1 under one"

	# --- stop --------------------------------------------------------------------
	out=$(ctl "$rel" stop 2>&1) || fail "$sh stop exited $?: $out"
	wait_gone "$rpid" || fail "$sh the node (pid $rpid) still runs after stop"
	out=$(ctl "$rel" ping 2>&1) && fail "$sh ping after stop exited 0: $out"
	out=$(ctl "$rel" pid 2>&1) && fail "$sh pid after stop exited 0: $out"
	out=$(ctl "$rel" stop 2>&1) && fail "$sh stop of a stopped node exited 0: $out"
	assert_contains "$out" "not running" "$sh stop of a stopped node"
	pass "$sh stop: the VM is gone; ping, pid and stop fail afterwards"

	# --- console: a plain shell on stdin -----------------------------------------
	out=$(printf '%s\n' 'counter_server:increment().' 'counter_server:increment().' \
		'counter_server:get().' | ctl "$rel" console 2>&1)
	st=$?
	[ $st -eq 0 ] || fail "$sh console exited $st: $out"
	assert_contains "$out" "(counter@127.0.0.1)1> 1" "$sh console"
	assert_contains "$out" "(counter@127.0.0.1)2> 2" "$sh console"
	assert_contains "$out" "(counter@127.0.0.1)3> 2" "$sh console"
	out=$(ctl "$rel" ping 2>&1) && fail "$sh the console's node still answers: $out"
	pass "$sh console evaluates stdin on the release's node and ends with it"

	# --- foreground ----------------------------------------------------------------
	ctl "$rel" foreground >"$T/fg.out" 2>&1 &
	fg=$!
	wait_pong "$rel" || { kill "$fg"; fail "$sh foreground: no pong: $(cat "$T/fg.out")"; }
	fpid=$(ctl "$rel" pid) || fail "$sh pid of the foreground node exited $?"
	out=$(ctl "$rel" stop 2>&1) || fail "$sh stop of the foreground node exited $?: $out"
	wait "$fg"
	st=$?
	assert_eq "$st" "0" "$sh foreground's exit status after stop"
	wait_gone "$fpid" || fail "$sh the foreground node (pid $fpid) still runs"
	out=$(ctl "$rel" ping 2>&1) && fail "$sh ping after foreground ended exited 0: $out"
	pass "$sh foreground: pong, then stop; foreground exited 0"

	# --- reboot ----------------------------------------------------------------------
	out=$(ctl "$rel" start 2>&1) || fail "$sh start (for reboot) exited $?: $out"
	rpid=$(ctl "$rel" pid) || fail "$sh pid exited $?"
	out=$(ctl "$rel" reboot 2>&1) || fail "$sh reboot exited $?: $out"
	wait_gone "$rpid" || fail "$sh the VM (pid $rpid) still runs after reboot"
	out=$(ctl "$rel" ping 2>&1) && fail "$sh ping after reboot exited 0: $out"
	pass "$sh reboot: the VM exited (nothing supervises it here), ping fails"
done
unset CTL_SHELL

### shop: Elixir expressions and IEx

pg_start
export SHOP_COOKIE=ctl-shells-cookie
sproj="$T/shop"
copy_example shop "$sproj"
compile_mix "$sproj"
build_release "$sproj" --env prod
svsn=$(cut -d' ' -f2 "$sproj/_build/prod/rel/shop/releases/start_erl.data")
srel="$T/srel"
mkdir "$srel"
tar -xzf "$sproj/_build/prod/rel/shop/releases/$svsn/shop.tar.gz" -C "$srel" ||
	fail "tar cannot unpack the shop release"
track_release "$srel"
EXTRA_ENV="SHOP_DB_PORT=$PG_PORT SHOP_DB_PASSWORD=$PG_SHOP_PASSWORD"
pass "built and unpacked shop $svsn"

IFS='|'
set -- $SHELLS
unset IFS
for CTL_SHELL in "$@"; do
	sh="[shop, $CTL_SHELL]"
	use_shell "$srel"
	out=$(ctl "$srel" start 2>&1) || fail "$sh start exited $?: $out"
	out=$(ctl "$srel" rpc 'Enum.sum([1,2,3])' 2>&1) || fail "$sh rpc exited $?: $out"
	assert_eq "$out" "6" "$sh rpc 'Enum.sum([1,2,3])'"
	out=$(ctl "$srel" rpc 'Shop.Inventory.put("mug", 7); Shop.Inventory.get("mug")' 2>&1) ||
		fail "$sh rpc exited $?: $out"
	assert_eq "$out" "7" "$sh rpc on the node's Shop.Inventory"
	out=$(ctl "$srel" rpc Elixir.Enum sum '[1,2,3]' 2>&1) || fail "$sh rpc MOD FUN exited $?: $out"
	assert_eq "$out" "6" "$sh rpc Elixir.Enum sum [1,2,3]"
	out=$(ctl "$srel" rpc 'String.upcase(:atom)' 2>&1) && fail "$sh a failing rpc exited 0: $out"
	assert_contains "$out" "FunctionClauseError" "$sh a failing rpc, as an Elixir exception"
	out=$(ctl "$srel" eval 'Enum.sum([1,2,3])' 2>&1) || fail "$sh eval exited $?: $out"
	assert_eq "$out" "6" "$sh eval 'Enum.sum([1,2,3])'"
	out=$(ctl "$srel" eval '%{a: 1} |> Map.put(:b, "x")' 2>&1) || fail "$sh eval exited $?: $out"
	assert_eq "$out" '%{a: 1, b: "x"}' "$sh eval of an Elixir map (inspected)"
	out=$(ctl "$srel" command Elixir.IO puts '"from command"' 2>&1) ||
		fail "$sh command Elixir.IO puts exited $?: $out"
	assert_eq "$out" "from command" "$sh command Elixir.IO puts"
	pass "$sh rpc, eval and command with Elixir syntax"

	out=$(ctl "$srel" remote </dev/null 2>&1) && fail "$sh remote without a terminal exited 0: $out"
	remote_session "$srel" remote 'node()' "$T/remote.out"
	st=$?
	[ $st -eq 0 ] || fail "$sh remote under a terminal exited $st: $(cat -v "$T/remote.out")"
	grep -q -F "Interactive Elixir" "$T/remote.out" ||
		fail "$sh remote did not open IEx: $(cat -v "$T/remote.out")"
	grep -q -F 'iex(shop@127.0.0.1)1>' "$T/remote.out" ||
		fail "$sh remote: IEx is not connected to shop@127.0.0.1: $(cat -v "$T/remote.out")"
	grep -q -F ':"shop@127.0.0.1"' "$T/remote.out" ||
		fail "$sh remote: node() did not print :\"shop@127.0.0.1\": $(cat -v "$T/remote.out")"
	out=$(ctl "$srel" ping 2>&1) || fail "$sh the node is down after leaving remote: $out"
	pass "$sh remote opens IEx on shop@127.0.0.1"

	spid=$(ctl "$srel" pid) || fail "$sh pid exited $?"
	out=$(ctl "$srel" stop 2>&1) || fail "$sh stop exited $?: $out"
	wait_gone "$spid" || fail "$sh the node (pid $spid) still runs after stop"
done
unset CTL_SHELL
