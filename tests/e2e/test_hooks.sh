#!/bin/bash
# Boot hooks, on a counter release with a hook directory for each of the
# six events, under dash, busybox sh and bash: the order the events fire
# in for start + stop and for foreground + stop; the order of the scripts
# within one directory (byte order of their names), each its own process,
# run from the release root with RELEASE_ROOT, RELEASE_NAME, RELEASE_VSN,
# RELEASE_NODE and RELEASE_COOKIE set, bin/ on PATH and `nodetool ping`
# answering in post_start; a script without the run bit run with sh.
# Then failures: a failing pre_configure or pre_start hook stops start
# before the node runs, a failing post_start hook stops the node again,
# a failing pre_stop hook leaves the node running, each reported as
# "hook EVENT/FILE failed with exit status N".
. "$(dirname "$0")/lib.sh"

EVENTS="pre_configure post_configure pre_start post_start pre_stop post_stop"
export COUNTER_COOKIE=hooks-cookie

# Any process (beam, run_erl, …) but epmd still running from DIR?
procs_under() {
	ps -eo pid=,stat=,args= | awk -v d="$1/" '$2 !~ /^Z/ && index($0, d) && !/\/epmd/ { print }'
}

# words FILE: the lines of FILE joined by single spaces
words() { [ -f "$1" ] && echo $(cat "$1"); }

### the project: a hook directory per event

proj="$T/proj"
copy_example counter "$proj"
for ev in $EVENTS; do
	mkdir -p "$proj/rel/hooks/$ev"
	# "event": logs the event; FAIL_HOOK=EVENT makes it fail with status 7
	cat >"$proj/rel/hooks/$ev/event" <<-EOF
	#!/bin/sh
	printf '%s\n' $ev >>"\$HOOK_LOG"
	[ "\${FAIL_HOOK:-}" = $ev ] && exit 7
	exit 0
	EOF
	chmod 755 "$proj/rel/hooks/$ev/event"
done
ps_dir="$proj/rel/hooks/post_start"
# 10-a leaves the release root and exports a variable, then exits: if the
# scripts shared a process, 2-b would see both, and exit would end bin/counter.
cat >"$ps_dir/10-a" <<'EOF'
#!/bin/sh
echo 10-a >>"$ORDER_LOG"
echo $$ >>"$PIDS_LOG"
cd /
LEAKED=from-10-a
export LEAKED
exit 0
EOF
# 2-b: no run bit and no #! line; reports its environment
cat >"$ps_dir/2-b" <<'EOF'
echo 2-b >>"$ORDER_LOG"
echo $$ >>"$PIDS_LOG"
{
	echo "pwd=$(pwd -P)"
	echo "LEAKED=${LEAKED:-}"
	echo "RELEASE_ROOT=${RELEASE_ROOT:-}"
	echo "RELEASE_NAME=${RELEASE_NAME:-}"
	echo "RELEASE_VSN=${RELEASE_VSN:-}"
	echo "RELEASE_NODE=${RELEASE_NODE:-}"
	echo "RELEASE_COOKIE=${RELEASE_COOKIE:-}"
	echo "nodetool=$(command -v nodetool)"
	echo "counter=$(command -v counter)"
	echo "ping=$(nodetool ping 2>&1)"
	echo "rpc=$(counter rpc 'counter_server:get().' 2>&1)"
} >"$ENV_LOG"
EOF
cat >"$ps_dir/30-c" <<'EOF'
#!/bin/sh
echo 30-c >>"$ORDER_LOG"
echo $$ >>"$PIDS_LOG"
EOF
chmod 755 "$ps_dir/10-a" "$ps_dir/30-c"
chmod 644 "$ps_dir/2-b"
{
	echo "    hooks:"
	for ev in $EVENTS; do echo "      $ev: rel/hooks/$ev"; done
} >>"$proj/rel/config.yml"
compile_rebar3 "$proj"
build_release "$proj" --env prod
vsn=$(cut -d' ' -f2 "$proj/_build/prod/rel/counter/releases/start_erl.data")
rel="$T/rel"
mkdir "$rel"
tar -xzf "$proj/_build/prod/rel/counter/releases/$vsn/counter.tar.gz" -C "$rel" ||
	fail "tar cannot unpack the release"
track_release "$rel"
real=$(cd "$rel" && pwd -P)
hooks="$rel/releases/$vsn/hooks"
for ev in $EVENTS; do
	[ -x "$hooks/$ev/event" ] || fail "no executable hooks/$ev/event in the release"
done
[ -f "$hooks/post_start/2-b" ] && [ ! -x "$hooks/post_start/2-b" ] ||
	fail "hooks/post_start/2-b is missing or has the run bit"
pass "built and unpacked counter $vsn with hooks for: $EVENTS"

HOOK_LOG="$T/hooks.log"
ORDER_LOG="$T/order.log"
PIDS_LOG="$T/pids.log"
ENV_LOG="$T/env.log"
LOGS="HOOK_LOG=$HOOK_LOG ORDER_LOG=$ORDER_LOG PIDS_LOG=$PIDS_LOG ENV_LOG=$ENV_LOG"
EXTRA_ENV=$LOGS
reset_logs() { rm -f "$HOOK_LOG" "$ORDER_LOG" "$PIDS_LOG" "$ENV_LOG"; }

for CTL_SHELL in dash "busybox sh" bash; do
	sh="[$CTL_SHELL]"

	# --- start + stop ------------------------------------------------------------
	reset_logs
	out=$(ctl "$rel" start 2>&1) || fail "$sh start exited $?: $out"
	assert_eq "$(words "$HOOK_LOG")" "pre_configure post_configure pre_start post_start" \
		"$sh the hooks run by start"
	assert_eq "$(words "$ORDER_LOG")" "10-a 2-b 30-c" "$sh the order of the post_start scripts"
	npids=$(sort -u "$PIDS_LOG" | wc -l)
	assert_eq "$npids" "3" "$sh distinct pids of the three post_start scripts"
	[ -f "$ENV_LOG" ] || fail "$sh 2-b (no run bit) did not run"
	env_out=$(cat "$ENV_LOG")
	for want in "pwd=$real" "LEAKED=" "RELEASE_ROOT=$real" "RELEASE_NAME=counter" \
		"RELEASE_VSN=$vsn" "RELEASE_NODE=counter@127.0.0.1" \
		"RELEASE_COOKIE=$COUNTER_COOKIE" "nodetool=$real/bin/nodetool" \
		"counter=$real/bin/counter" "ping=pong" "rpc=0"; do
		printf '%s\n' "$env_out" | grep -q -x -F -- "$want" ||
			fail "$sh post_start/2-b: no line '$want' in: $env_out"
	done
	pass "$sh start: pre_configure post_configure pre_start post_start; post_start's 10-a 2-b 30-c in byte order, each its own process, from the root, with the RELEASE_* variables, bin/ on PATH, nodetool ping: pong, 2-b run by sh"

	out=$(ctl "$rel" stop 2>&1) || fail "$sh stop exited $?: $out"
	assert_eq "$(words "$HOOK_LOG")" "$EVENTS" "$sh the hooks run by start and stop"
	out=$(ctl "$rel" ping 2>&1) && fail "$sh ping after stop exited 0: $out"
	pass "$sh start + stop: $EVENTS"

	# --- foreground + stop -------------------------------------------------------
	reset_logs
	ctl "$rel" foreground >"$T/fg.out" 2>&1 &
	fg=$!
	n=0
	until [ "$(words "$HOOK_LOG")" = "pre_configure post_configure pre_start post_start" ]; do
		n=$((n + 1))
		if [ $n -ge 300 ] || ! kill -0 "$fg" 2>/dev/null; then
			kill "$fg" 2>/dev/null
			fail "$sh foreground: hooks run: '$(words "$HOOK_LOG")'; output: $(cat "$T/fg.out")"
		fi
		sleep 0.2
	done
	out=$(ctl "$rel" ping 2>&1) || fail "$sh ping of the foreground node exited $?: $out"
	assert_eq "$(words "$ORDER_LOG")" "10-a 2-b 30-c" "$sh the order of the post_start scripts (foreground)"
	assert_contains "$(cat "$ENV_LOG")" "ping=pong" "$sh nodetool ping in post_start (foreground)"
	out=$(ctl "$rel" stop 2>&1) || fail "$sh stop of the foreground node exited $?: $out"
	wait "$fg"
	st=$?
	assert_eq "$st" "0" "$sh foreground's exit status after stop"
	assert_eq "$(words "$HOOK_LOG")" "$EVENTS" "$sh the hooks run by foreground and stop"
	pass "$sh foreground + stop: $EVENTS; foreground exited 0"
done
unset CTL_SHELL

### failures

# start_fails EVENT: start with the EVENT hook failing must exit non-zero,
# name the hook and its status (output in start_out), and leave no node.
start_fails() {
	reset_logs
	start_out=$(EXTRA_ENV="$LOGS FAIL_HOOK=$1" ctl "$rel" start 2>&1)
	st=$?
	[ $st -eq 124 ] && fail "start with a failing $1 hook did not return"
	[ $st -ne 0 ] || fail "start with a failing $1 hook exited 0: $start_out"
	assert_contains "$start_out" "hook $1/event failed with exit status 7" "start with a failing $1 hook"
	out=$(ctl "$rel" ping 2>&1) && fail "the node answers after a failing $1 hook: $out"
	n=0
	while [ -n "$(procs_under "$real")" ] && [ $n -lt 100 ]; do
		sleep 0.2
		n=$((n + 1))
	done
	left=$(procs_under "$real")
	[ -z "$left" ] || fail "processes of the release left after a failing $1 hook: $left"
}

start_fails pre_configure
assert_eq "$(words "$HOOK_LOG")" "pre_configure" "the hooks run when pre_configure fails"
pass "a failing pre_configure hook: start exits non-zero, names it, no node runs"

start_fails pre_start
assert_eq "$(words "$HOOK_LOG")" "pre_configure post_configure pre_start" \
	"the hooks run when pre_start fails"
[ -f "$rel/tmp/$vsn/vm.args" ] || fail "post_configure ran, yet vm.args was not rendered"
pass "a failing pre_start hook: start exits non-zero, names it, no node was started"

start_fails post_start
case "$(words "$HOOK_LOG")" in
"pre_configure post_configure pre_start post_start"*) ;;
*) fail "the hooks run when post_start fails: $(words "$HOOK_LOG")" ;;
esac
assert_contains "$start_out" "stopping counter@127.0.0.1 because post_start failed" "start with a failing post_start hook"
pass "a failing post_start hook: start exits non-zero, names it, the node is stopped again"

reset_logs
out=$(ctl "$rel" start 2>&1) || fail "start exited $?: $out"
rpid=$(ctl "$rel" pid) || fail "pid exited $?"
reset_logs
out=$(EXTRA_ENV="$LOGS FAIL_HOOK=pre_stop" ctl "$rel" stop 2>&1)
st=$?
[ $st -ne 0 ] || fail "stop with a failing pre_stop hook exited 0: $out"
assert_contains "$out" "hook pre_stop/event failed with exit status 7" "stop with a failing pre_stop hook"
assert_eq "$(words "$HOOK_LOG")" "pre_stop" "the hooks run when pre_stop fails"
out=$(ctl "$rel" ping 2>&1) || fail "the node is down after a failed pre_stop hook: $out"
assert_eq "$(ctl "$rel" pid)" "$rpid" "the node's OS pid after a failed pre_stop hook"
pass "a failing pre_stop hook: stop exits non-zero, names it, the node still runs"

reset_logs
out=$(EXTRA_ENV="$LOGS FAIL_HOOK=post_stop" ctl "$rel" stop 2>&1)
st=$?
[ $st -ne 0 ] || fail "stop with a failing post_stop hook exited 0: $out"
assert_contains "$out" "hook post_stop/event failed with exit status 7" "stop with a failing post_stop hook"
assert_eq "$(words "$HOOK_LOG")" "pre_stop post_stop" "the hooks run when post_stop fails"
wait_gone "$rpid" || fail "the node (pid $rpid) still runs after stop"
out=$(ctl "$rel" ping 2>&1) && fail "ping after stop exited 0: $out"
pass "a failing post_stop hook: stop exits non-zero and names it (the node is stopped)"
