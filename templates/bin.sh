#!/bin/sh
# bin/@REL_NAME@: control script for the @REL_NAME@ release, made by relbuild.
# POSIX sh: runs under dash, busybox sh and bash.
set -u

RELEASE_NAME="@REL_NAME@"
RELEASE_LANG="@REL_LANG@"

fail() {
	echo "$RELEASE_NAME: $*" >&2
	exit 1
}

# The release root is the parent of this script's directory, with every
# symlink resolved.
script_dir=$(CDPATH= cd -P -- "$(dirname -- "$0")" && pwd -P) ||
	fail "cannot find the directory of $0"
RELEASE_ROOT=$(CDPATH= cd -P -- "$script_dir/.." && pwd -P)

[ -r "$RELEASE_ROOT/releases/start_erl.data" ] ||
	fail "missing $RELEASE_ROOT/releases/start_erl.data"
read -r ERTS_VSN START_VSN < "$RELEASE_ROOT/releases/start_erl.data"
RELEASE_VSN="${RELEASE_VSN:-$START_VSN}"
REL_VSN_DIR="$RELEASE_ROOT/releases/$RELEASE_VSN"
[ -d "$REL_VSN_DIR" ] || fail "no such release version: $RELEASE_VSN"

RELEASE_DISTRIBUTION="${RELEASE_DISTRIBUTION:-name}"
case "$RELEASE_DISTRIBUTION" in
name) RELEASE_NODE="${RELEASE_NODE:-$RELEASE_NAME@127.0.0.1}" ;;
sname) RELEASE_NODE="${RELEASE_NODE:-$RELEASE_NAME}" ;;
none) RELEASE_NODE="${RELEASE_NODE:-}" ;;
*) fail "RELEASE_DISTRIBUTION must be name, sname or none (not '$RELEASE_DISTRIBUTION')" ;;
esac
if [ -z "${RELEASE_COOKIE:-}" ]; then
	[ -r "$RELEASE_ROOT/releases/COOKIE" ] ||
		fail "no cookie: set RELEASE_COOKIE or create $RELEASE_ROOT/releases/COOKIE"
	RELEASE_COOKIE=$(cat "$RELEASE_ROOT/releases/COOKIE")
fi
RELEASE_TMP="${RELEASE_TMP:-$RELEASE_ROOT/tmp}"
RELEASE_LOG_DIR="${RELEASE_LOG_DIR:-$RELEASE_TMP/log}"
RELEASE_START_TIMEOUT="${RELEASE_START_TIMEOUT:-60}"
PID_FILE="$RELEASE_TMP/$RELEASE_NAME.pid"
export RELEASE_ROOT RELEASE_NAME RELEASE_VSN RELEASE_NODE RELEASE_COOKIE \
	RELEASE_TMP RELEASE_DISTRIBUTION

ERTS_DIR="$RELEASE_ROOT/erts-$ERTS_VSN"

# Run the VM: the bundled runtime when there is one, else erl on PATH.
erl_exec() {
	if [ -d "$ERTS_DIR" ]; then
		BINDIR="$ERTS_DIR/bin"
		ROOTDIR="$RELEASE_ROOT"
		EMU=beam
		PROGNAME=erl
		export BINDIR ROOTDIR EMU PROGNAME
		exec "$BINDIR/erlexec" "$@"
	fi
	command -v erl >/dev/null 2>&1 ||
		fail "this release has no bundled runtime and there is no erl on PATH"
	exec erl "$@"
}

erts_tool() {
	if [ -x "$ERTS_DIR/bin/$1" ]; then
		echo "$ERTS_DIR/bin/$1"
	else
		command -v "$1" || fail "cannot find $1"
	fi
}

dist_flags() {
	case "$RELEASE_DISTRIBUTION" in
	name) echo "-name" ;;
	sname) echo "-sname" ;;
	none) echo "" ;;
	esac
}

# render_config FILE DEST COMMENT: copy FILE to DEST with every ${VAR} and
# ${VAR:-default} replaced from the environment, except on lines that
# start with the COMMENT character; an unset VAR without a default is an
# error naming it.
render_config() {
	awk -v file="$1" -v comment="$3" '
	index($0, comment) == 1 || ($1 != "" && index($1, comment) == 1) { print; next }
	{
		line = $0
		out = ""
		while (match(line, /\$\{[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\}/)) {
			ref = substr(line, RSTART + 2, RLENGTH - 3)
			name = ref
			def = ""
			hasdef = 0
			i = index(ref, ":-")
			if (i > 0) {
				name = substr(ref, 1, i - 1)
				def = substr(ref, i + 2)
				hasdef = 1
			}
			if (name in ENVIRON && ENVIRON[name] != "")
				val = ENVIRON[name]
			else if (hasdef)
				val = def
			else {
				printf "%s:%d: environment variable %s is not set\n", file, NR, name > "/dev/stderr"
				bad = 1
				val = ""
			}
			out = out substr(line, 1, RSTART - 1) val
			line = substr(line, RSTART + RLENGTH)
		}
		print out line
	}
	END { exit bad }' "$1" > "$2.tmp" && mv "$2.tmp" "$2"
}

# The configuration files the VM reads, rendered into RELEASE_TMP so that
# the release root may be read-only.
prepare_config() {
	conf_dir="$RELEASE_TMP/$RELEASE_VSN"
	mkdir -p "$conf_dir" || fail "cannot create $conf_dir (set RELEASE_TMP to a writable directory)"
	VM_ARGS="$conf_dir/vm.args"
	SYS_CONFIG="$conf_dir/sys"
	render_config "$REL_VSN_DIR/vm.args" "$VM_ARGS" "#" ||
		fail "cannot start: fix the environment for $REL_VSN_DIR/vm.args"
	render_config "$REL_VSN_DIR/sys.config" "$SYS_CONFIG.config" "%" ||
		fail "cannot start: fix the environment for $REL_VSN_DIR/sys.config"
}

# Run relbuild_ctl on a short-lived hidden node: ctl COMMAND ARGS…
# Only eval and command (code on this node) read the release's config.
ctl() {
	case "$1" in
	eval | command)
		prepare_config
		set -- -config "$SYS_CONFIG" -extra "$@"
		;;
	*)
		mkdir -p "$RELEASE_TMP" 2>/dev/null
		set -- -extra "$@"
		;;
	esac
	dist=$(dist_flags)
	if [ -n "$dist" ]; then
		case "$RELEASE_NODE" in
		*@*) ctl_node="rb_ctl_$$@${RELEASE_NODE#*@}" ;;
		*) ctl_node="rb_ctl_$$" ;;
		esac
		set -- "$dist" "$ctl_node" -hidden -setcookie "$RELEASE_COOKIE" "$@"
	fi
	if [ -d "$REL_VSN_DIR/consolidated" ]; then
		set -- -pa "$REL_VSN_DIR/consolidated" "$@"
	fi
	(erl_exec -boot "$REL_VSN_DIR/start_clean" \
		-boot_var RELEASE_LIB "$RELEASE_ROOT/lib" \
		-pa "$REL_VSN_DIR/ctl" \
		-noshell -noinput -eval "relbuild_ctl:main()" "$@")
}

need_node() {
	[ "$RELEASE_DISTRIBUTION" != none ] ||
		fail "'$1' needs distribution, but RELEASE_DISTRIBUTION is none"
}

run_foreground() {
	prepare_config
	dist=$(dist_flags)
	if [ -n "$dist" ]; then
		set -- "$@" "$dist" "$RELEASE_NODE" -setcookie "$RELEASE_COOKIE"
	fi
	if [ -d "$REL_VSN_DIR/consolidated" ]; then
		set -- -pa "$REL_VSN_DIR/consolidated" "$@"
	fi
	erl_exec -boot "$REL_VSN_DIR/start" \
		-boot_var RELEASE_LIB "$RELEASE_ROOT/lib" \
		-mode embedded \
		-config "$SYS_CONFIG" \
		-args_file "$VM_ARGS" \
		"$@"
}

do_start() {
	need_node start
	if ctl ping "$RELEASE_NODE" >/dev/null 2>&1; then
		fail "node $RELEASE_NODE is already running"
	fi
	prepare_config
	mkdir -p "$RELEASE_LOG_DIR" "$RELEASE_TMP/pipe" ||
		fail "cannot create $RELEASE_LOG_DIR"
	run_erl=$(erts_tool run_erl) || exit 1
	rm -f "$PID_FILE"
	RUN_ERL_LOG_GENERATIONS="${RUN_ERL_LOG_GENERATIONS:-5}" \
	RUN_ERL_LOG_MAXSIZE="${RUN_ERL_LOG_MAXSIZE:-10485760}" \
		"$run_erl" -daemon "$RELEASE_TMP/pipe/" "$RELEASE_LOG_DIR" \
		"exec \"$RELEASE_ROOT/bin/$RELEASE_NAME\" daemon_console" ||
		fail "run_erl failed to start the node"
	# Wait for a ping, but give up as soon as the VM is gone.
	ctl wait "$RELEASE_NODE" "$RELEASE_START_TIMEOUT" >/dev/null 2>&1 &
	waiter=$!
	while kill -0 "$waiter" 2>/dev/null; do
		vm=$(cat "$PID_FILE" 2>/dev/null)
		if [ -n "$vm" ] && ! kill -0 "$vm" 2>/dev/null; then
			kill "$waiter" 2>/dev/null
			wait "$waiter" 2>/dev/null
			fail "node $RELEASE_NODE exited while starting; see $RELEASE_LOG_DIR/erlang.log.*"
		fi
		sleep 1
	done
	wait "$waiter" ||
		fail "node $RELEASE_NODE did not answer a ping within ${RELEASE_START_TIMEOUT}s; see $RELEASE_LOG_DIR/erlang.log.*"
}

usage() {
	cat <<USAGE
usage: bin/$RELEASE_NAME COMMAND [ARGS]

commands:
  start              start the node in the background
  foreground         start the node in the foreground
  console            start the node with an interactive shell
  stop               stop the running node
  ping               check that the node is running
  pid                print the OS pid of the running node
  eval EXPR          evaluate EXPR on a fresh node (nothing started)
  rpc EXPR           evaluate EXPR on the running node
  rpc MOD FUN [ARGS] call MOD:FUN(ARGS) on the running node
  command MOD FUN [ARGS]
                     call MOD:FUN(ARGS) on a fresh node
  version            print the release name and version
  help               show this text
USAGE
}

cmd="${1:-help}"
[ $# -gt 0 ] && shift

case "$cmd" in
start)
	do_start
	;;
foreground)
	run_foreground -noshell -noinput +Bd
	;;
console)
	run_foreground
	;;
daemon_console)
	# under run_erl: the pid stays the VM's across exec
	echo $$ > "$PID_FILE"
	run_foreground
	;;
stop)
	need_node stop
	ctl stop "$RELEASE_NODE"
	;;
ping)
	need_node ping
	ctl ping "$RELEASE_NODE"
	;;
pid)
	need_node pid
	ctl pid "$RELEASE_NODE"
	;;
eval)
	[ $# -eq 1 ] || fail "usage: bin/$RELEASE_NAME eval EXPR"
	RELEASE_DISTRIBUTION=none ctl eval "$RELEASE_LANG" "$1"
	;;
rpc)
	need_node rpc
	[ $# -ge 1 ] || fail "usage: bin/$RELEASE_NAME rpc EXPR | rpc MOD FUN [ARGS]"
	ctl rpc "$RELEASE_NODE" "$RELEASE_LANG" "$@"
	;;
command)
	[ $# -ge 2 ] || fail "usage: bin/$RELEASE_NAME command MOD FUN [ARGS]"
	RELEASE_DISTRIBUTION=none ctl command "$RELEASE_LANG" "$@"
	;;
version)
	echo "$RELEASE_NAME $RELEASE_VSN"
	;;
help | --help | -h)
	usage
	;;
*)
	echo "$RELEASE_NAME: unknown command '$cmd'" >&2
	usage >&2
	exit 1
	;;
esac
