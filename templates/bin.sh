#!/bin/sh
# bin/@REL_NAME@: control script for the @REL_NAME@ release, made by relbuild.
# POSIX sh: runs under dash, busybox sh and bash.  Text that may hold
# arguments or paths is printed with printf: echo interprets backslashes
# in dash.
#
# Exit status: 0 success; 1 the command failed (node not running, hook or
# command failed, unknown command); 2 wrong arguments.
set -u

RELEASE_NAME="@REL_NAME@"
RELEASE_LANG="@REL_LANG@"
# hooks and commands run in name order, whatever the locale
LC_COLLATE=C

fail() {
	printf '%s\n' "$RELEASE_NAME: $*" >&2
	exit 1
}

usage_fail() {
	printf '%s\n' "$RELEASE_NAME: $*" >&2
	exit 2
}

# The release root is the parent of the directory of this script, found
# through every symlink: the script itself may be linked from elsewhere,
# and the root may be reached through DIR/current.
self=$0
while [ -L "$self" ]; do
	link=$(readlink "$self") || break
	case "$link" in
	/*) self=$link ;;
	*) self=$(dirname -- "$self")/$link ;;
	esac
done
RELEASE_ROOT=$(CDPATH= cd -P -- "$(dirname -- "$self")/.." && pwd -P) ||
	fail "cannot find the release root of $0"

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
*) usage_fail "RELEASE_DISTRIBUTION must be name, sname or none, not '$RELEASE_DISTRIBUTION'" ;;
esac
if [ -z "${RELEASE_COOKIE:-}" ]; then
	[ -r "$RELEASE_ROOT/releases/COOKIE" ] ||
		fail "no cookie: set RELEASE_COOKIE or create $RELEASE_ROOT/releases/COOKIE"
	RELEASE_COOKIE=$(cat "$RELEASE_ROOT/releases/COOKIE")
fi
# Installed by "relbuild install" (ROOT/versions/<name>, beside
# ROOT/shared): what outlives a version goes to ROOT/shared.
INSTALL_ROOT=""
case "$RELEASE_ROOT" in
*/versions/*)
	if [ -d "$RELEASE_ROOT/../../shared" ]; then
		INSTALL_ROOT=$(CDPATH= cd -P -- "$RELEASE_ROOT/../.." && pwd -P)
	fi
	;;
esac
if [ -n "$INSTALL_ROOT" ]; then
	RELEASE_TMP="${RELEASE_TMP:-$INSTALL_ROOT/shared/tmp}"
	RELEASE_LOG_DIR="${RELEASE_LOG_DIR:-$INSTALL_ROOT/shared/log}"
else
	RELEASE_TMP="${RELEASE_TMP:-$RELEASE_ROOT/tmp}"
	RELEASE_LOG_DIR="${RELEASE_LOG_DIR:-$RELEASE_TMP/log}"
fi
RELEASE_START_TIMEOUT="${RELEASE_START_TIMEOUT:-60}"
PID_FILE="$RELEASE_TMP/$RELEASE_NAME.pid"
# RELEASE_ROOT_DIR and REL_NAME are Distillery's names, for its scripts.
RELEASE_ROOT_DIR=$RELEASE_ROOT
REL_NAME=$RELEASE_NAME
REL_VSN=$RELEASE_VSN
export RELEASE_ROOT RELEASE_NAME RELEASE_VSN RELEASE_NODE RELEASE_COOKIE \
	RELEASE_TMP RELEASE_DISTRIBUTION RELEASE_ROOT_DIR REL_NAME REL_VSN ERTS_VSN

ERTS_DIR="$RELEASE_ROOT/erts-$ERTS_VSN"

# Point the environment at the VM: the bundled runtime when there is one,
# else erl on PATH.  Sets ERL to the program to run.
use_runtime() {
	if [ -d "$ERTS_DIR" ]; then
		BINDIR="$ERTS_DIR/bin"
		ROOTDIR="$RELEASE_ROOT"
		EMU=beam
		PROGNAME=erl
		export BINDIR ROOTDIR EMU PROGNAME
		ERL="$BINDIR/erlexec"
	else
		ERL=$(command -v erl) ||
			fail "this release has no bundled runtime and there is no erl on PATH"
	fi
}

erts_tool() {
	if [ -x "$ERTS_DIR/bin/$1" ]; then
		printf '%s\n' "$ERTS_DIR/bin/$1"
	else
		command -v "$1" || fail "cannot find $1"
	fi
}

dist_flag() {
	case "$RELEASE_DISTRIBUTION" in
	name) echo "-name" ;;
	sname) echo "-sname" ;;
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

# Where the rendered vm.args and sys.config live: RELEASE_TMP, so that the
# release root may be read-only.
CONF_DIR="$RELEASE_TMP/$RELEASE_VSN"
VM_ARGS="$CONF_DIR/vm.args"
SYS_CONFIG="$CONF_DIR/sys"

render_sys_config() {
	mkdir -p "$CONF_DIR" ||
		fail "cannot create $CONF_DIR (set RELEASE_TMP to a writable directory)"
	render_config "$REL_VSN_DIR/sys.config" "$SYS_CONFIG.config" "%" ||
		fail "cannot start: $REL_VSN_DIR/sys.config needs the variables above"
}

render_all() {
	render_sys_config
	render_config "$REL_VSN_DIR/vm.args" "$VM_ARGS" "#" ||
		fail "cannot start: $REL_VSN_DIR/vm.args needs the variables above"
}

# run_script FILE ARGS…: a hook or custom command, as its own process, from
# the release root, with bin/ (and so nodetool) first on PATH.  Scripts
# without the run bit are run with sh.
run_script() {
	(
		cd "$RELEASE_ROOT" || exit 1
		PATH="$RELEASE_ROOT/bin:$PATH"
		export PATH
		if [ -x "$1" ]; then
			exec "$@"
		else
			exec /bin/sh "$@"
		fi
	)
}

# run_hooks EVENT: every script of releases/<vsn>/hooks/EVENT/, in name
# order; the first failure is reported with the hook's name and status.
run_hooks() {
	[ -d "$REL_VSN_DIR/hooks/$1" ] || return 0
	for hook in "$REL_VSN_DIR/hooks/$1"/*; do
		[ -f "$hook" ] || continue
		run_script "$hook"
		status=$?
		if [ "$status" -ne 0 ]; then
			printf '%s\n' "$RELEASE_NAME: hook $1/${hook##*/} failed with exit status $status" >&2
			return "$status"
		fi
	done
	return 0
}

configure() {
	run_hooks pre_configure || exit 1
	render_all
	run_hooks post_configure || exit 1
}

# ctl COMMAND ARGS…: relbuild_ctl on a short-lived node.  eval and command
# run code there, with the release's configuration; the others talk to
# the release's node from a hidden one.
ctl() {
	case "$1" in
	eval | command | describe)
		render_sys_config
		set -- -config "$SYS_CONFIG" -extra "$@"
		;;
	*)
		set -- -extra "$@"
		flag=$(dist_flag)
		if [ -n "$flag" ]; then
			case "$RELEASE_NODE" in
			*@*) ctl_node="rb_ctl_$$@${RELEASE_NODE#*@}" ;;
			*) ctl_node="rb_ctl_$$" ;;
			esac
			set -- "$flag" "$ctl_node" -hidden -setcookie "$RELEASE_COOKIE" "$@"
		fi
		;;
	esac
	if [ -d "$REL_VSN_DIR/consolidated" ]; then
		set -- -pa "$REL_VSN_DIR/consolidated" "$@"
	fi
	use_runtime
	"$ERL" -boot "$REL_VSN_DIR/start_clean" \
		-boot_var RELEASE_LIB "$RELEASE_ROOT/lib" \
		-pa "$REL_VSN_DIR/ctl" \
		-noshell -noinput -eval "relbuild_ctl:main()" "$@"
}

need_dist() {
	[ "$RELEASE_DISTRIBUTION" != none ] ||
		fail "'$1' needs distribution, but RELEASE_DISTRIBUTION is none"
}

is_running() {
	ctl ping "$RELEASE_NODE" >/dev/null 2>&1
}

# start_vm exec|bg ARGS…: boot the release with ARGS added.  exec replaces
# this shell; bg leaves the VM running in the background, its pid in VM_PID.
start_vm() {
	how=$1
	shift
	flag=$(dist_flag)
	if [ -n "$flag" ]; then
		set -- "$flag" "$RELEASE_NODE" -setcookie "$RELEASE_COOKIE" "$@"
	fi
	if [ -d "$REL_VSN_DIR/consolidated" ]; then
		set -- -pa "$REL_VSN_DIR/consolidated" "$@"
	fi
	use_runtime
	set -- -boot "$REL_VSN_DIR/start" -boot_var RELEASE_LIB "$RELEASE_ROOT/lib" \
		-mode embedded -config "$SYS_CONFIG" -args_file "$VM_ARGS" "$@"
	[ "$how" = exec ] && exec "$ERL" "$@"
	"$ERL" "$@" &
	VM_PID=$!
}

# wait_started PID: wait for the node to answer a ping, giving up when the
# process PID is gone or RELEASE_START_TIMEOUT has passed.
wait_started() {
	ctl wait "$RELEASE_NODE" "$RELEASE_START_TIMEOUT" >/dev/null 2>&1 &
	waiter=$!
	while kill -s 0 "$waiter" 2>/dev/null; do
		if [ -n "$1" ] && ! kill -s 0 "$1" 2>/dev/null; then
			kill "$waiter" 2>/dev/null
			wait "$waiter" 2>/dev/null
			return 1
		fi
		sleep 1
	done
	wait "$waiter"
}

# After a failed post_start hook the node is stopped again: a start is
# complete or it did not happen.
post_start_failed() {
	printf '%s\n' "$RELEASE_NAME: stopping $RELEASE_NODE because post_start failed" >&2
	ctl stop "$RELEASE_NODE" >/dev/null 2>&1
	exit 1
}

do_start() {
	need_dist start
	is_running && fail "node $RELEASE_NODE is already running"
	configure
	run_hooks pre_start || exit 1
	mkdir -p "$RELEASE_LOG_DIR" "$RELEASE_TMP/pipe" ||
		fail "cannot create $RELEASE_LOG_DIR"
	run_erl=$(erts_tool run_erl) || exit 1
	rm -f "$PID_FILE"
	RUN_ERL_LOG_GENERATIONS="${RUN_ERL_LOG_GENERATIONS:-5}" \
	RUN_ERL_LOG_MAXSIZE="${RUN_ERL_LOG_MAXSIZE:-10485760}" \
		"$run_erl" -daemon "$RELEASE_TMP/pipe/" "$RELEASE_LOG_DIR" \
		"exec \"$RELEASE_ROOT/bin/$RELEASE_NAME\" daemon" ||
		fail "run_erl failed to start the node"
	# the pid file appears once the daemon's shell runs
	i=0
	while [ ! -s "$PID_FILE" ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if ! wait_started "$(cat "$PID_FILE" 2>/dev/null)"; then
		fail "node $RELEASE_NODE did not start (see $RELEASE_LOG_DIR/erlang.log.1)"
	fi
	run_hooks post_start || post_start_failed
}

do_foreground() {
	configure
	run_hooks pre_start || exit 1
	if [ ! -d "$REL_VSN_DIR/hooks/post_start" ] || [ "$RELEASE_DISTRIBUTION" = none ]; then
		start_vm exec "$@"
	fi
	start_vm bg "$@"
	vm=$VM_PID
	trap 'kill -s TERM "$vm" 2>/dev/null' TERM INT HUP
	if wait_started "$vm"; then
		run_hooks post_start || post_start_failed
	fi
	wait "$vm"
	status=$?
	# a trapped signal interrupts wait: wait again for the VM's own end
	while kill -s 0 "$vm" 2>/dev/null; do
		wait "$vm"
		status=$?
	done
	exit "$status"
}

do_stop() {
	need_dist stop
	is_running || fail "node $RELEASE_NODE is not running"
	run_hooks pre_stop || exit 1
	ctl stop "$RELEASE_NODE" || exit 1
	run_hooks post_stop || exit 1
}

do_remote() {
	need_dist remote
	# without a terminal the VM falls back to a shell that ignores -remsh
	[ -t 0 ] || fail "remote needs a terminal; from a script, use rpc"
	case "${TERM:-dumb}" in
	dumb)
		TERM=vt100
		export TERM
		;;
	esac
	is_running || fail "node $RELEASE_NODE is not running"
	flag=$(dist_flag)
	case "$RELEASE_NODE" in
	*@*) rem="rem_$$@${RELEASE_NODE#*@}" ;;
	*) rem="rem_$$" ;;
	esac
	use_runtime
	if [ "$RELEASE_LANG" = elixir ]; then
		exec "$ERL" -boot "$REL_VSN_DIR/start_clean" \
			-boot_var RELEASE_LIB "$RELEASE_ROOT/lib" \
			"$flag" "$rem" -hidden -setcookie "$RELEASE_COOKIE" \
			-noshell -user Elixir.IEx.CLI \
			-extra --no-halt +iex --remsh "$RELEASE_NODE"
	fi
	exec "$ERL" -boot "$REL_VSN_DIR/start_clean" \
		-boot_var RELEASE_LIB "$RELEASE_ROOT/lib" \
		"$flag" "$rem" -hidden -setcookie "$RELEASE_COOKIE" \
		-remsh "$RELEASE_NODE"
}

custom_commands() {
	[ -d "$REL_VSN_DIR/commands" ] || return 0
	for c in "$REL_VSN_DIR/commands"/*; do
		[ -f "$c" ] && printf '%s\n' "${c##*/}"
	done
}

usage() {
	cat <<USAGE
usage: bin/$RELEASE_NAME COMMAND [ARGS]

commands:
  start                   start the node in the background
  foreground              run the node in the foreground
  console                 run the node with an interactive shell
  remote                  open a shell on the running node
  stop                    stop the running node
  restart                 restart the running node's applications (same OS process)
  reboot                  stop the running node's VM (a supervisor such as
                          systemd or heart starts it again)
  ping                    check that the node is running
  pid                     print the OS pid of the running node
  eval EXPR               evaluate EXPR on a fresh node (code and config
                          loaded, nothing started)
  rpc EXPR                evaluate EXPR on the running node
  rpc MOD FUN [ARGS...]   call MOD:FUN(ARGS) on the running node
  command MOD FUN [ARGS...]
                          call MOD:FUN(ARGS) on a fresh node
  describe                name, version, runtime, node and applications
  versions                the versions in releases/, the current one marked
  help                    this text
USAGE
	cmds=$(custom_commands)
	if [ -n "$cmds" ]; then
		printf '\ncustom commands:\n'
		printf '%s\n' "$cmds" | sed 's/^/  /'
	fi
	cat <<USAGE

expressions are $( [ "$RELEASE_LANG" = elixir ] && echo Elixir || echo Erlang ).
USAGE
}

# check_version DIR VSN: "verified", or "MODIFIED (N problems)" when a file
# of DIR differs from releases/VSN/SHA256SUMS (content, or mode in MODES)
# or is not listed there, as "relbuild list" says.
check_version() {
	(
		cd "$1" || exit 1
		sums="releases/$2/SHA256SUMS"
		modes="releases/$2/MODES"
		[ -f "$sums" ] || { echo "UNREADABLE"; exit 0; }
		bad=$(sha256sum -c "$sums" 2>/dev/null | grep -vc ': OK$')
		find . -type f | sed 's|^\./||' | LC_ALL=C sort > "${TMPDIR:-/tmp}/rb_files.$$"
		extra=$(awk -v vsn="$2" '
			FNR == NR { sub(/^[0-9a-f]+ [ *]/, ""); listed[$0] = 1; next }
			$0 == "releases/" vsn "/SHA256SUMS" { next }
			$0 ~ /\.sig$/ { next }
			index($0, "releases/" vsn "/") == 1 && $0 !~ "^releases/" vsn "/.*/" &&
				$0 ~ /(\.tar(\.gz|\.zst)?|\.sha256)$/ { next }
			!($0 in listed) { n++ }
			END { print n + 0 }' "$sums" "${TMPDIR:-/tmp}/rb_files.$$")
		rm -f "${TMPDIR:-/tmp}/rb_files.$$"
		modebad=0
		if [ -f "$modes" ]; then
			modebad=$(while read -r mode path; do
				[ -f "$path" ] || continue
				[ "0$(stat -c %a "$path")" = "$mode" ] || echo x
			done < "$modes" | wc -l)
		fi
		n=$((bad + extra + modebad))
		if [ "$n" -eq 0 ]; then
			echo verified
		elif [ "$n" -eq 1 ]; then
			echo "MODIFIED (1 problem)"
		else
			echo "MODIFIED ($n problems)"
		fi
	)
}

# What "relbuild list --root" shows, for a release it installed: the
# versions, newest install first, the current one marked.
installed_versions() {
	cur=$(readlink "$INSTALL_ROOT/current" 2>/dev/null)
	prev=$(readlink "$INSTALL_ROOT/previous" 2>/dev/null)
	{
		[ -f "$INSTALL_ROOT/installed" ] && cat "$INSTALL_ROOT/installed"
		for d in "$INSTALL_ROOT/versions"/*/; do
			n=${d%/}
			n=${n##*/}
			case "$n" in .*) continue ;; esac
			echo "$n"
		done
	} | awk '!seen[$0]++' | awk '{ l[NR] = $0 } END { for (i = NR; i > 0; i--) print l[i] }' |
	while read -r name; do
		dir="$INSTALL_ROOT/versions/$name"
		[ -d "$dir" ] || continue
		read -r _ vsn < "$dir/releases/start_erl.data"
		mark=" "
		[ "$cur" = "versions/$name" ] && mark="*"
		line="$mark $name  $(check_version "$dir" "$vsn")"
		[ "$prev" = "versions/$name" ] && line="$line  previous"
		printf '%s\n' "$line"
	done
}

do_versions() {
	if [ -n "$INSTALL_ROOT" ]; then
		installed_versions
		return
	fi
	for dir in "$RELEASE_ROOT/releases"/*/; do
		vsn=${dir%/}
		vsn=${vsn##*/}
		[ -f "$dir$RELEASE_NAME.rel" ] || continue
		if [ "$vsn" = "$START_VSN" ]; then
			printf '* %s\n' "$vsn"
		else
			printf '  %s\n' "$vsn"
		fi
	done
}

cmd="${1:-help}"
[ $# -gt 0 ] && shift

case "$cmd" in
start)
	[ $# -eq 0 ] || usage_fail "usage: bin/$RELEASE_NAME start"
	do_start
	;;
foreground)
	do_foreground -noshell -noinput +Bd "$@"
	;;
console)
	configure
	run_hooks pre_start || exit 1
	start_vm exec "$@"
	;;
daemon)
	# under run_erl, started by "start": the hooks ran there already
	echo $$ > "$PID_FILE"
	start_vm exec
	;;
remote)
	do_remote
	;;
stop)
	do_stop
	;;
restart)
	need_dist restart
	ctl restart "$RELEASE_NODE"
	;;
reboot)
	need_dist reboot
	ctl rpc "$RELEASE_NODE" erlang init reboot >/dev/null || exit 1
	echo ok
	;;
ping)
	need_dist ping
	ctl ping "$RELEASE_NODE"
	;;
pid)
	need_dist pid
	ctl pid "$RELEASE_NODE"
	;;
eval)
	[ $# -eq 1 ] || usage_fail "usage: bin/$RELEASE_NAME eval EXPR"
	RELEASE_DISTRIBUTION=none ctl eval "$RELEASE_LANG" "$1"
	;;
rpc)
	need_dist rpc
	[ $# -ge 1 ] || usage_fail "usage: bin/$RELEASE_NAME rpc EXPR | rpc MOD FUN [ARGS...]"
	ctl rpc "$RELEASE_NODE" "$RELEASE_LANG" "$@"
	;;
nodetool)
	# what hooks reach as "nodetool": ping, rpc, stop, pid
	[ $# -ge 1 ] || usage_fail "usage: nodetool ping | rpc EXPR | rpc MOD FUN [ARGS...]"
	sub=$1
	shift
	case "$sub" in
	ping | pid | stop) ctl "$sub" "$RELEASE_NODE" ;;
	rpc) ctl rpc "$RELEASE_NODE" "$RELEASE_LANG" "$@" ;;
	*) usage_fail "nodetool: unknown command '$sub'" ;;
	esac
	;;
command)
	[ $# -ge 2 ] || usage_fail "usage: bin/$RELEASE_NAME command MOD FUN [ARGS...]"
	RELEASE_DISTRIBUTION=none ctl command "$RELEASE_LANG" "$@"
	;;
describe)
	RELEASE_DISTRIBUTION=none ctl describe "$REL_VSN_DIR/$RELEASE_NAME.rel" \
		"$RELEASE_ROOT" "$RELEASE_NODE"
	;;
versions)
	do_versions
	;;
version)
	printf '%s\n' "$RELEASE_NAME $RELEASE_VSN"
	;;
help | --help | -h)
	usage
	;;
*)
	if [ -f "$REL_VSN_DIR/commands/$cmd" ]; then
		run_script "$REL_VSN_DIR/commands/$cmd" "$@"
		status=$?
		[ "$status" -eq 0 ] ||
			printf '%s\n' "$RELEASE_NAME: command $cmd failed with exit status $status" >&2
		exit "$status"
	fi
	printf '%s\n' "$RELEASE_NAME: unknown command '$cmd'" >&2
	usage >&2
	exit 1
	;;
esac
