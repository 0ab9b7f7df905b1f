#!/bin/bash
# Runtime configuration of a counter release whose vm.args and sys.config
# use ${VAR} and ${VAR:-default}: the values are replaced at each start
# (read back over rpc), comment lines are left alone, an unset variable
# without a default stops start with a message naming it and the file.
# A read-only release root starts with RELEASE_TMP elsewhere and nothing
# is written under it: a read-only bind mount (even root cannot write
# there) and a root-owned release run by the unprivileged user nobody.
# Two copies of the release in different directories run side by side
# under different RELEASE_NODE names; stopping one leaves the other.
. "$(dirname "$0")/lib.sh"

export COUNTER_COOKIE=runtime-config-cookie

# Any process (beam, run_erl, …) but epmd still running from DIR?
procs_under() {
	ps -eo pid=,stat=,args= | awk -v d="$1/" '$2 !~ /^Z/ && index($0, d) && !/\/epmd/ { print }'
}

# no_node REL WHAT: the release's node does not answer and none of its
# processes runs.
no_node() {
	out=$(ctl "$1" ping 2>&1) && fail "$2: the node answers: $out"
	left=$(procs_under "$(cd "$1" && pwd -P)")
	[ -z "$left" ] || fail "$2: processes of the release run: $left"
}

# Nodes started under other names than the default, which lib.sh's
# cleanup would not find: "ROOT NODE" pairs, stopped by the cleanup hook.
NAMED_NODES=""
stop_named() {
	printf '%s\n' "$NAMED_NODES" | while read -r r node; do
		[ -n "$r" ] || continue
		p=$(EXTRA_ENV="RELEASE_NODE=$node" CTL_TIMEOUT=30 ctl "$r" pid 2>/dev/null) || continue
		kill_node "$p"
	done
	return 0
}
CLEANUP_HOOKS="$CLEANUP_HOOKS stop_named"

### the project: vm.args and sys.config with variables

proj="$T/proj"
copy_example counter "$proj"
cat >"$proj/rel/vm.args" <<'EOF'
## a comment keeps ${COMMENTED_VAR} as written
   # so does an indented one: ${COMMENTED_VAR}
-env FOO ${BAR:-dflt}
-env VMREQ ${VM_REQ}
EOF
cat >"$proj/rel/sys.config" <<'EOF'
%% a comment keeps ${COMMENTED_VAR} as written
[{counter, [{some_key, "${COUNTER_SOME_KEY}"},
            %% ${COMMENTED_VAR} here too
            {other_key, "${OTHER:-fallback}"},
            {mixed, "<${BAR:-dflt}|${OTHER:-x}>"}]}].
EOF
printf '%s\n' "    vm_args: rel/vm.args" "    sys_config: rel/sys.config" >>"$proj/rel/config.yml"
compile_rebar3 "$proj"
build_release "$proj" --env prod
vsn=$(cut -d' ' -f2 "$proj/_build/prod/rel/counter/releases/start_erl.data")
tarball="$proj/_build/prod/rel/counter/releases/$vsn/counter.tar.gz"

# unpack DEST: the tarball into a new directory DEST
unpack() {
	mkdir "$1" || fail "mkdir $1"
	tar -xzf "$tarball" -C "$1" || fail "tar cannot unpack $tarball"
	track_release "$1"
}
rel="$T/rel"
unpack "$rel"
pass "built and unpacked counter $vsn with vm.args and sys.config using variables"

# rpc_is REL EXPR WANT WHAT
rpc_is() {
	got=$(ctl "$1" rpc "$2" 2>&1) || fail "$4: rpc '$2' exited $?: $got"
	assert_eq "$got" "$3" "$4: rpc '$2'"
}

### values replaced at start

out=$(EXTRA_ENV="VM_REQ=vmreq COUNTER_SOME_KEY=v1" ctl "$rel" start 2>&1) ||
	fail "start exited $?: $out"
rpc_is "$rel" 'application:get_env(counter, some_key).' '{ok,"v1"}' "\${COUNTER_SOME_KEY}"
rpc_is "$rel" 'application:get_env(counter, other_key).' '{ok,"fallback"}' "\${OTHER:-fallback}, OTHER unset"
rpc_is "$rel" 'application:get_env(counter, mixed).' '{ok,"<dflt|x>"}' "two defaults on one line"
rpc_is "$rel" 'os:getenv("FOO").' '"dflt"' "-env FOO \${BAR:-dflt}, BAR unset"
rpc_is "$rel" 'os:getenv("VMREQ").' '"vmreq"' "-env VMREQ \${VM_REQ}"
conf="$rel/tmp/$vsn"
[ -f "$conf/vm.args" ] && [ -f "$conf/sys.config" ] || fail "no rendered files in $conf"
for f in vm.args sys.config; do
	cmts=$(grep -c -F '${COMMENTED_VAR}' "$conf/$f")
	want=$(grep -c -F '${COMMENTED_VAR}' "$proj/rel/$f")
	assert_eq "$cmts" "$want" "comment lines with \${COMMENTED_VAR} in the rendered $f"
	diff <(grep '^ *[#%]' "$proj/rel/$f") <(grep '^ *[#%]' "$conf/$f") >/dev/null ||
		fail "the comment lines of $f changed: $(diff <(grep '^ *[#%]' "$proj/rel/$f") <(grep '^ *[#%]' "$conf/$f"))"
done
cmp -s "$rel/releases/$vsn/vm.args" "$proj/rel/vm.args" || fail "releases/$vsn/vm.args was changed"
pass "start replaced \${VAR} and \${VAR:-default} in vm.args and sys.config; comment lines left as written (COMMENTED_VAR unset)"

rpid=$(ctl "$rel" pid) || fail "pid exited $?"
out=$(ctl "$rel" stop 2>&1) || fail "stop exited $?: $out"
wait_gone "$rpid" || fail "the node (pid $rpid) still runs after stop"

# the next start renders again, from its own environment
out=$(EXTRA_ENV="VM_REQ=vm2 COUNTER_SOME_KEY=a&b/c|e BAR=given OTHER=" ctl "$rel" start 2>&1) ||
	fail "start (2) exited $?: $out"
rpc_is "$rel" 'application:get_env(counter, some_key).' '{ok,"a&b/c|e"}' "a value with & / |"
rpc_is "$rel" 'application:get_env(counter, other_key).' '{ok,"fallback"}' "\${OTHER:-fallback}, OTHER empty"
rpc_is "$rel" 'application:get_env(counter, mixed).' '{ok,"<given|x>"}' "two variables on one line"
rpc_is "$rel" 'os:getenv("FOO").' '"given"' "-env FOO \${BAR:-dflt}, BAR=given"
rpc_is "$rel" 'os:getenv("VMREQ").' '"vm2"' "-env VMREQ \${VM_REQ}, the second start"
rpid=$(ctl "$rel" pid) || fail "pid exited $?"
out=$(ctl "$rel" stop 2>&1) || fail "stop exited $?: $out"
wait_gone "$rpid" || fail "the node (pid $rpid) still runs after stop"
pass "a second start renders anew from its own environment"

### an unset variable without a default stops start

out=$(EXTRA_ENV="COUNTER_SOME_KEY=v1" ctl "$rel" start 2>&1)
st=$?
[ $st -ne 0 ] && [ $st -ne 124 ] || fail "start without VM_REQ exited $st: $out"
assert_contains "$out" "environment variable VM_REQ is not set" "start without VM_REQ"
assert_contains "$out" "releases/$vsn/vm.args" "start without VM_REQ names the file"
no_node "$rel" "start without VM_REQ"
pass "VM_REQ unset: start exits $st naming VM_REQ and vm.args; no node"

out=$(EXTRA_ENV="VM_REQ=vmreq" ctl "$rel" start 2>&1)
st=$?
[ $st -ne 0 ] && [ $st -ne 124 ] || fail "start without COUNTER_SOME_KEY exited $st: $out"
assert_contains "$out" "environment variable COUNTER_SOME_KEY is not set" "start without COUNTER_SOME_KEY"
assert_contains "$out" "releases/$vsn/sys.config" "start without COUNTER_SOME_KEY names the file"
no_node "$rel" "start without COUNTER_SOME_KEY"
pass "COUNTER_SOME_KEY unset: start exits $st naming COUNTER_SOME_KEY and sys.config; no node"

### a read-only release root

ENV_OK="VM_REQ=vmreq COUNTER_SOME_KEY=ro"

# snapshot DIR: every path under DIR with its type, mode, size and mtime
snapshot() { (cd "$1" && find . -printf '%p %y %m %s %T@\n' | LC_ALL=C sort); }

ro_done=""

# (a) a read-only bind mount, in a mount namespace of the commands' own:
# root cannot write there either.
ro="$T/ro"
unpack "$ro"
ro_tmp="$T/ro-tmp"
mkdir "$ro_tmp"
# in_ro CMD…: CMD in a new mount namespace where $ro is read-only
in_ro() {
	timeout -k 10 "$CTL_TIMEOUT" unshare -m -- sh -c \
		'mount --bind -o ro "$1" "$1" || exit 99; shift; exec "$@"' sh "$ro" "$@"
}
if in_ro true 2>/dev/null; then
	in_ro touch "$ro/probe" 2>/dev/null && fail "the read-only bind mount is writable"
	[ -e "$ro/probe" ] && fail "the read-only bind mount let a file through"
	before=$(snapshot "$ro")
	run_ro() {
		in_ro env -i PATH=/usr/bin:/bin HOME="$HOME" ERL_EPMD_PORT="$ERL_EPMD_PORT" $ENV_OK "$@"
	}
	out=$(run_ro "$ro/bin/counter" start 2>&1)
	st=$?
	[ $st -ne 0 ] || fail "start on a read-only root without RELEASE_TMP exited 0: $out"
	assert_contains "$out" "set RELEASE_TMP to a writable directory" \
		"start on a read-only root without RELEASE_TMP"
	no_node "$ro" "start on a read-only root without RELEASE_TMP"
	out=$(run_ro RELEASE_TMP="$ro_tmp" "$ro/bin/counter" start 2>&1) ||
		fail "start on a read-only root with RELEASE_TMP=$ro_tmp exited $?: $out"
	out=$(ctl "$ro" ping 2>&1) || fail "the read-only root's node does not answer: $out"
	rpc_is "$ro" 'application:get_env(counter, some_key).' '{ok,"ro"}' "read-only root"
	rpc_is "$ro" 'counter_server:increment().' '1' "read-only root"
	[ -f "$ro_tmp/$vsn/sys.config" ] || fail "no sys.config rendered into RELEASE_TMP"
	rpid=$(ctl "$ro" pid) || fail "pid exited $?"
	out=$(EXTRA_ENV="RELEASE_TMP=$ro_tmp" ctl "$ro" stop 2>&1) || fail "stop exited $?: $out"
	wait_gone "$rpid" || fail "the node (pid $rpid) still runs after stop"
	after=$(snapshot "$ro")
	[ "$before" = "$after" ] ||
		fail "the read-only root changed: $(diff <(printf '%s\n' "$before") <(printf '%s\n' "$after"))"
	[ ! -e "$ro/tmp" ] || fail "$ro/tmp exists"
	ro_done="$ro_done bind-mount"
	pass "read-only bind mount: start fails asking for RELEASE_TMP; with RELEASE_TMP elsewhere the node runs and nothing under the root changed"
else
	log "note: no mount namespace here (unshare -m / mount --bind refused): skipping the read-only bind mount"
fi

# (b) the release owned by root, not writable by the user it runs as
# (nobody), which can read the cookie file only through RELEASE_COOKIE.
RO_DIR=""
ro_teardown() {
	[ -n "$RO_DIR" ] && [ -d "$RO_DIR" ] || return 0
	stop_everything # before its bin/counter is gone
	if [ "${1:-0}" -ne 0 ] && [ -n "${KEEP_TMP:-}" ]; then
		log "kept $RO_DIR"
	else
		rm -rf "$RO_DIR"
	fi
}
if id nobody >/dev/null 2>&1 && command -v runuser >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
	# not under $T: that is 0700 root
	RO_DIR=$(mktemp -d /tmp/relbuild-ro.XXXXXX) || fail "mktemp"
	CLEANUP_HOOKS="$CLEANUP_HOOKS ro_teardown"
	chmod 755 "$RO_DIR"
	nrel="$RO_DIR/rel"
	unpack "$nrel"
	chown -R root:root "$nrel"
	chmod -R go-w "$nrel"
	chmod 755 "$nrel"
	ntmp="$RO_DIR/tmp"
	mkdir "$ntmp" "$RO_DIR/home"
	chown nobody: "$ntmp" "$RO_DIR/home"
	cookie=$(cat "$nrel/releases/COOKIE")
	run_nobody() {
		timeout -k 10 "$CTL_TIMEOUT" runuser -u nobody -- env -i PATH=/usr/bin:/bin \
			HOME="$RO_DIR/home" ERL_EPMD_PORT="$ERL_EPMD_PORT" $ENV_OK \
			RELEASE_COOKIE="$cookie" "$@"
	}
	run_nobody sh -c ': >"$1/probe"' sh "$nrel" 2>/dev/null &&
		fail "nobody can write into the release root"
	before=$(snapshot "$nrel")
	out=$(run_nobody RELEASE_TMP="$ntmp" "$nrel/bin/counter" start 2>&1) ||
		fail "start as nobody with RELEASE_TMP=$ntmp exited $?: $out"
	out=$(run_nobody "$nrel/bin/counter" ping 2>&1) || fail "ping as nobody exited $?: $out"
	assert_eq "$out" "pong" "ping as nobody"
	rpid=$(ctl "$nrel" pid) || fail "pid exited $?"
	assert_eq "$(ps -o user= -p "$rpid")" "nobody" "the user of the node's process"
	rpc_is "$nrel" 'application:get_env(counter, some_key).' '{ok,"ro"}' "release run by nobody"
	out=$(run_nobody RELEASE_TMP="$ntmp" "$nrel/bin/counter" stop 2>&1) ||
		fail "stop as nobody exited $?: $out"
	wait_gone "$rpid" || fail "the node (pid $rpid) still runs after stop"
	after=$(snapshot "$nrel")
	[ "$before" = "$after" ] ||
		fail "the release root changed: $(diff <(printf '%s\n' "$before") <(printf '%s\n' "$after"))"
	[ -f "$ntmp/$vsn/vm.args" ] || fail "no vm.args rendered into RELEASE_TMP"
	ro_done="$ro_done nobody"
	pass "a root-owned release run by nobody with RELEASE_TMP elsewhere: the node ran, nothing under the root changed"
else
	log "note: no user nobody or no runuser, or not root: skipping the run as nobody"
fi
[ -n "$ro_done" ] || fail "no way to make a read-only release root here"

### two copies side by side

a="$T/a"
b="$T/b"
unpack "$a"
unpack "$b"
NAMED_NODES="$a alpha@127.0.0.1
$b beta@127.0.0.1"
actl() { EXTRA_ENV="$ENV_OK RELEASE_NODE=alpha@127.0.0.1" ctl "$a" "$@"; }
bctl() { EXTRA_ENV="$ENV_OK RELEASE_NODE=beta@127.0.0.1" ctl "$b" "$@"; }
out=$(actl start 2>&1) || fail "start of alpha exited $?: $out"
out=$(bctl start 2>&1) || fail "start of beta exited $?: $out"
assert_eq "$(actl ping 2>&1)" "pong" "ping alpha"
assert_eq "$(bctl ping 2>&1)" "pong" "ping beta"
assert_eq "$(actl rpc 'node().' 2>&1)" "'alpha@127.0.0.1'" "alpha's node name"
assert_eq "$(bctl rpc 'node().' 2>&1)" "'beta@127.0.0.1'" "beta's node name"
apid=$(actl pid) || fail "pid of alpha"
bpid=$(bctl pid) || fail "pid of beta"
[ "$apid" != "$bpid" ] || fail "alpha and beta have the same pid $apid"
assert_eq "$(actl rpc 'code:root_dir().' 2>&1)" "\"$(cd "$a" && pwd -P)\"" "alpha's root"
assert_eq "$(bctl rpc 'code:root_dir().' 2>&1)" "\"$(cd "$b" && pwd -P)\"" "beta's root"
actl rpc counter_server increment >/dev/null || fail "rpc increment on alpha"
actl rpc counter_server increment >/dev/null || fail "rpc increment on alpha"
assert_eq "$(actl rpc 'counter_server:get().' 2>&1)" "2" "alpha's counter"
assert_eq "$(bctl rpc 'counter_server:get().' 2>&1)" "0" "beta's counter"
pass "two copies run side by side as alpha and beta, each with its own root and state"

# the copy in $b cannot start under alpha's name while alpha runs
out=$(EXTRA_ENV="$ENV_OK RELEASE_NODE=alpha@127.0.0.1" ctl "$b" start 2>&1) &&
	fail "a second alpha started: $out"
assert_contains "$out" "already running" "starting a second alpha"
assert_eq "$(actl pid)" "$apid" "alpha's pid after a second alpha was refused"

out=$(actl stop 2>&1) || fail "stop of alpha exited $?: $out"
wait_gone "$apid" || fail "alpha (pid $apid) still runs after stop"
out=$(actl ping 2>&1) && fail "alpha answers after stop: $out"
assert_eq "$(bctl ping 2>&1)" "pong" "ping beta after alpha stopped"
assert_eq "$(bctl pid)" "$bpid" "beta's pid after alpha stopped"
assert_eq "$(bctl rpc 'counter_server:get().' 2>&1)" "0" "beta's counter after alpha stopped"
out=$(bctl stop 2>&1) || fail "stop of beta exited $?: $out"
wait_gone "$bpid" || fail "beta (pid $bpid) still runs after stop"
out=$(bctl ping 2>&1) && fail "beta answers after stop: $out"
pass "stopping alpha left beta running; then beta stopped"
