#!/bin/bash
# env_sh: rel/env.sh, sourced by bin/<name> before every command (mix
# release's env.sh), and the names mix, Distillery and relx users type.
# On examples/counter with `env_sh:` and `remote_vm_args:` added:
#   - `relbuild init` writes a commented rel/env.sh and names it in
#     rel/config.yml;
#   - the tarball ships releases/<vsn>/env.sh and remote.vm.args;
#   - an env.sh that sets RELEASE_NODE from a command substitution: start,
#     ping, pid, rpc and stop all reach that node (rpc node() prints it,
#     epmd knows it by that name), each command sourced env.sh with its
#     RELEASE_COMMAND, RELEASE_NAME, RELEASE_VSN and RELEASE_ROOT, and the
#     node run_erl started has the environment env.sh made for `start`;
#   - remote.vm.args reaches the short-lived nodes (eval's, rpc's);
#     RELEASE_REMOTE_VM_ARGS replaces it (${VAR} rendered);
#   - aliases: daemon (with RELEASE_VM_ARGS and RELEASE_SYS_CONFIG, which
#     the node then runs with), daemon_iex, start_iex (a shell on stdin,
#     as console), remote_console and attach (refused without a terminal
#     with remote's own message; under a pseudo-terminal, remote_console
#     is a shell on env.sh's node); a custom command may not take their
#     names.
. "$(dirname "$0")/lib.sh"

### relbuild init writes a commented rel/env.sh
iproj="$T/init"
copy_example counter "$iproj"
rm -rf "$iproj/rel"
out=$(cd "$iproj" && "$RELBUILD" init 2>&1) || fail "init exited $?: $out"
assert_contains "$out" "wrote rel/env.sh" "init's output"
grep -q '^# export RELEASE_NODE="counter@\$(hostname -i)"' "$iproj/rel/env.sh" ||
	fail "rel/env.sh from init has no commented RELEASE_NODE example: $(cat "$iproj/rel/env.sh")"
grep -q '^    env_sh: rel/env.sh' "$iproj/rel/config.yml" ||
	fail "rel/config.yml from init does not name rel/env.sh"
sh -n "$iproj/rel/env.sh" || fail "rel/env.sh from init is not sh"
pass "relbuild init writes a commented rel/env.sh and env_sh: rel/env.sh"

### the project
proj="$T/proj"
copy_example counter "$proj"
sed -i 's|^    cookie: .*|&\n    env_sh: rel/env.sh\n    remote_vm_args: rel/remote.vm.args|' \
	"$proj/rel/config.yml"
grep -q '^    env_sh: rel/env.sh' "$proj/rel/config.yml" || fail "cannot add env_sh to the config"
cat >"$proj/rel/env.sh" <<'EOF'
# the node's name decided here, at run time, from a command substitution
RELEASE_NODE="$(printf '%s' "$RELEASE_NAME" | tr a-z A-Z)_env@127.0.0.1"
export RELEASE_NODE
export ENV_SH_MARK="sourced-for-$RELEASE_COMMAND"
if [ -n "$ENV_SH_LOG" ]; then
	printf '%s %s %s %s\n' "$RELEASE_COMMAND" "$RELEASE_NAME" "$RELEASE_VSN" \
		"$RELEASE_ROOT" >>"$ENV_SH_LOG"
fi
EOF
printf '## for the short-lived nodes\n-relbuild_remote cfg\n' >"$proj/rel/remote.vm.args"
compile_rebar3 "$proj"
build_release "$proj" --env prod
OUT="$proj/_build/prod/rel/counter"
vsn=$(cut -d' ' -f2 "$OUT/releases/start_erl.data")
tarball="$OUT/releases/$vsn/counter.tar.gz"
members=$(tar -tzf "$tarball") || fail "cannot list $tarball"
for f in env.sh remote.vm.args; do
	printf '%s\n' "$members" | grep -q -x "releases/$vsn/$f" || fail "the tarball has no releases/$vsn/$f"
done
pass "the tarball ships releases/$vsn/env.sh and releases/$vsn/remote.vm.args"

rel="$T/rel"
mkdir "$rel" && tar -xzf "$tarball" -C "$rel" || fail "cannot unpack $tarball"
rel=$(cd "$rel" && pwd -P)
track_release "$rel"
NODE=COUNTER_env@127.0.0.1
LOG="$T/env_sh.log"
export EXTRA_ENV="ENV_SH_LOG=$LOG"

# rpc_is EXPR WANT WHAT
rpc_is() {
	got=$(ctl "$rel" rpc "$1" 2>&1) || fail "$3: rpc '$1' exited $?: $got"
	assert_eq "$got" "$2" "$3: rpc '$1'"
}

### start, ping, pid, rpc, stop reach the node env.sh names
out=$(ctl "$rel" start 2>&1) || fail "start exited $?: $out"
out=$(ctl "$rel" ping 2>&1) || fail "ping exited $?: $out"
assert_eq "$out" "pong" "ping"
rpc_is 'node().' "'$NODE'" "the node's name"
rpc_is 'os:getenv("ENV_SH_MARK").' '"sourced-for-start"' "the node run_erl started: env.sh's environment for start"
pid=$(ctl "$rel" pid 2>&1) || fail "pid exited $?: $pid"
kill -0 "$pid" 2>/dev/null || fail "pid printed '$pid', not a live process"
names=$(ERL_EPMD_PORT=$ERL_EPMD_PORT "$rel"/erts-*/bin/epmd -names 2>&1)
assert_contains "$names" "name COUNTER_env at port" "epmd -names"
case "$names" in
*"name counter at"*) fail "a node with the default name is registered: $names" ;;
esac
for c in start ping pid rpc; do
	grep -q -x "$c counter $vsn $rel" "$LOG" ||
		fail "env.sh was not sourced for $c with RELEASE_NAME, RELEASE_VSN and RELEASE_ROOT: $(cat "$LOG")"
done
grep -q '^run_erl_daemon ' "$LOG" && fail "env.sh was sourced again under run_erl: $(cat "$LOG")"
pass "env.sh: start, ping, pid and rpc reach $NODE (epmd knows it so); the node has start's environment"

### remote.vm.args for the short-lived nodes
rpc_is 'rpc:call(hd(nodes(hidden)), init, get_argument, [relbuild_remote]).' '{ok,[["cfg"]]}' \
	"rpc's own node got remote.vm.args"
out=$(ctl "$rel" eval 'init:get_argument(relbuild_remote).' 2>&1) || fail "eval exited $?: $out"
assert_eq "$out" '{ok,[["cfg"]]}' "eval's node got remote.vm.args"
printf -- '-relbuild_remote ${REMOTE_FLAG:-unset}\n' >"$T/remote2.args"
out=$(EXTRA_ENV="RELEASE_REMOTE_VM_ARGS=$T/remote2.args REMOTE_FLAG=from-env" \
	ctl "$rel" eval 'init:get_argument(relbuild_remote).' 2>&1) || fail "eval (RELEASE_REMOTE_VM_ARGS) exited $?: $out"
assert_eq "$out" '{ok,[["from-env"]]}' "eval with RELEASE_REMOTE_VM_ARGS"
out=$(EXTRA_ENV="RELEASE_REMOTE_VM_ARGS=$T/none.args" ctl "$rel" ping 2>&1) &&
	fail "ping with a missing RELEASE_REMOTE_VM_ARGS exited 0: $out"
assert_contains "$out" "RELEASE_REMOTE_VM_ARGS: no such file $T/none.args" "a missing RELEASE_REMOTE_VM_ARGS"
pass "remote.vm.args reaches rpc's and eval's nodes; RELEASE_REMOTE_VM_ARGS replaces it, rendered"

### remote_console and attach are remote
for c in remote_console attach; do
	out=$(ctl "$rel" "$c" </dev/null 2>&1)
	st=$?
	assert_eq "$st" "1" "$c without a terminal: exit status ($out)"
	assert_eq "$out" "counter: remote needs a terminal; from a script, use rpc" "$c without a terminal"
done
remote_session "$rel" remote_console 'node().' "$T/remote.out"
st=$?
[ $st -eq 0 ] || fail "remote_console under a terminal exited $st: $(cat -v "$T/remote.out")"
grep -q -F "'$NODE'" "$T/remote.out" ||
	fail "remote_console: node(). did not print '$NODE': $(cat -v "$T/remote.out")"
out=$(ctl "$rel" ping 2>&1) || fail "the node is down after leaving remote_console: $out"
pass "remote_console and attach: remote's own refusal without a terminal; remote_console is a shell on $NODE under one"

out=$(ctl "$rel" stop 2>&1) || fail "stop exited $?: $out"
wait_gone "$pid" || fail "the node (pid $pid) still runs after stop"
out=$(ctl "$rel" ping 2>&1) && fail "ping after stop exited 0: $out"
assert_contains "$out" "$NODE" "ping after stop names env.sh's node"
grep -q -x "stop counter $vsn $rel" "$LOG" || fail "env.sh was not sourced for stop: $(cat "$LOG")"
pass "stop reaches $NODE: the VM is gone"

### daemon (with RELEASE_VM_ARGS and RELEASE_SYS_CONFIG), daemon_iex
printf -- '-relbuild_vm ${VM_FLAG:-unset}\n' >"$T/alt.vm.args"
printf '[{counter, [{alt_config, yes}]}].\n' >"$T/alt.config"
out=$(EXTRA_ENV="ENV_SH_LOG=$LOG RELEASE_VM_ARGS=$T/alt.vm.args VM_FLAG=alt RELEASE_SYS_CONFIG=$T/alt" \
	ctl "$rel" daemon 2>&1) || fail "daemon exited $?: $out"
out=$(ctl "$rel" ping 2>&1) || fail "ping after daemon exited $?: $out"
assert_eq "$out" "pong" "ping after daemon"
rpc_is 'node().' "'$NODE'" "daemon"
rpc_is 'os:getenv("ENV_SH_MARK").' '"sourced-for-daemon"' "daemon: RELEASE_COMMAND"
rpc_is 'init:get_argument(relbuild_vm).' '{ok,[["alt"]]}' "daemon with RELEASE_VM_ARGS"
rpc_is 'application:get_env(counter, alt_config).' '{ok,yes}' "daemon with RELEASE_SYS_CONFIG (no .config)"
pid=$(ctl "$rel" pid) || fail "pid exited $?"
out=$(ctl "$rel" stop 2>&1) || fail "stop exited $?: $out"
wait_gone "$pid" || fail "the node (pid $pid) still runs after stop"

out=$(ctl "$rel" daemon_iex 2>&1) || fail "daemon_iex exited $?: $out"
out=$(ctl "$rel" ping 2>&1) || fail "ping after daemon_iex exited $?: $out"
assert_eq "$out" "pong" "ping after daemon_iex"
rpc_is 'node().' "'$NODE'" "daemon_iex"
pid=$(ctl "$rel" pid) || fail "pid exited $?"
out=$(ctl "$rel" daemon 2>&1) && fail "daemon while the node runs exited 0: $out"
assert_contains "$out" "node $NODE is already running" "daemon while the node runs"
out=$(ctl "$rel" stop 2>&1) || fail "stop exited $?: $out"
wait_gone "$pid" || fail "the node (pid $pid) still runs after stop"
pass "daemon and daemon_iex start the node (RELEASE_VM_ARGS and RELEASE_SYS_CONFIG used); stop stops it"

### start_iex is console
out=$(printf '%s\n' 'node().' 'os:getenv("ENV_SH_MARK").' | ctl "$rel" start_iex 2>&1)
st=$?
[ $st -eq 0 ] || fail "start_iex exited $st: $out"
assert_contains "$out" "($NODE)1> '$NODE'" "start_iex: a shell on the node"
assert_contains "$out" "($NODE)2> \"sourced-for-start_iex\"" "start_iex: RELEASE_COMMAND"
out=$(ctl "$rel" ping 2>&1) && fail "the start_iex node still answers: $out"
pass "start_iex: a shell on $NODE that ends with its input, as console"

### the aliases are the control script's own: no custom command may take them
for c in daemon daemon_iex start_iex remote_console attach; do
	cp "$proj/rel/config.yml" "$T/config.yml.orig"
	printf '    commands:\n      %s: rel/env.sh\n' "$c" >>"$proj/rel/config.yml"
	out=$(cd "$proj" && "$RELBUILD" --env prod 2>&1)
	st=$?
	cp "$T/config.yml.orig" "$proj/rel/config.yml"
	assert_eq "$st" "2" "a custom command named $c: exit status ($out)"
	assert_contains "$out" "command '$c' clashes with the built-in command of that name" "a custom command named $c"
done
pass "custom commands may not be named daemon, daemon_iex, start_iex, remote_console or attach"
