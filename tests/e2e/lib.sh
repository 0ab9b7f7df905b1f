# Shared by the end-to-end tests: sourced, not run.
#
# Each test works in its own temporary directory, and stops every node
# and epmd it started, on success, failure or interrupt (trap).  Nodes
# use an epmd on a port of their own (ERL_EPMD_PORT), so that the test
# can stop exactly the epmd it started and nothing else.

set -u

: "${RELBUILD:?RELBUILD must name the relbuild binary}"
: "${SRC_DIR:?SRC_DIR must name the source tree}"

T=$(mktemp -d "${TMPDIR:-/tmp}/relbuild-e2e.XXXXXX")
export HOME="$T/home"
mkdir -p "$HOME"
# A port per test run, away from the default 4369.
ERL_EPMD_PORT=$((20000 + $$ % 20000))
export ERL_EPMD_PORT

STARTED_RELEASES=""
FAILED=0
# Functions cleanup() runs first, in order, each given the exit status,
# e.g. pg.sh's pg_teardown: CLEANUP_HOOKS="$CLEANUP_HOOKS my_teardown".
CLEANUP_HOOKS=""

log() { printf '%s\n' "$*" >&2; }

fail() {
	log "FAIL: $*"
	FAILED=1
	exit 1
}

pass() { log "ok: $*"; }

# Remember a release root whose node may be started, to stop it later.
track_release() { STARTED_RELEASES="$STARTED_RELEASES $1"; }

# kill_node PID: a node the test started, asked to stop (SIGTERM), then
# killed a second later if it has not.
kill_node() {
	kill "$1" 2>/dev/null
	sleep 1
	kill -9 "$1" 2>/dev/null
}

stop_everything() {
	for root in $STARTED_RELEASES; do
		name=$(ls "$root/bin" 2>/dev/null | grep -v '^nodetool$' | head -n 1)
		[ -n "$name" ] || continue
		pid=$(env -i PATH=/usr/bin:/bin HOME="$HOME" ERL_EPMD_PORT="$ERL_EPMD_PORT" \
			"$root/bin/$name" pid 2>/dev/null) || pid=""
		[ -z "$pid" ] || kill_node "$pid"
	done
	# epmd refuses -kill while a node is still registered: a node just
	# killed may take a moment to go, so try for a while.
	tries=0
	while [ $tries -lt 20 ]; do
		for epmd in "$T"/*/erts-*/bin/epmd "$T"/*/*/erts-*/bin/epmd \
			"$T"/*/*/*/erts-*/bin/epmd $(command -v epmd); do
			[ -x "$epmd" ] || continue
			ERL_EPMD_PORT=$ERL_EPMD_PORT "$epmd" -kill >/dev/null 2>&1 && break 2
			# nothing listens on our port: no epmd of ours is running
			ERL_EPMD_PORT=$ERL_EPMD_PORT "$epmd" -names >/dev/null 2>&1 || break 2
			break
		done
		sleep 0.5
		tries=$((tries + 1))
	done
	return 0
}

cleanup() {
	status=$?
	trap '' INT TERM
	for hook in $CLEANUP_HOOKS; do
		"$hook" "$status"
	done
	stop_everything
	if [ "$status" -ne 0 ] && [ -n "${KEEP_TMP:-}" ]; then
		log "kept $T"
	else
		rm -rf "$T"
	fi
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
trap 'exit 129' HUP
trap 'exit 141' PIPE

# Run a release's control script the way a server would: empty
# environment but for a minimal PATH, our epmd port and EXTRA_ENV
# ("VAR=value …").  No call may hang the test past ctest's timeout (a
# killed test could not stop what it started): each is bounded.
CTL_TIMEOUT=${CTL_TIMEOUT:-240}
ctl() {
	root=$1
	shift
	timeout -k 10 "$CTL_TIMEOUT" env -i PATH=/usr/bin:/bin HOME="$HOME" \
		ERL_EPMD_PORT="$ERL_EPMD_PORT" ${EXTRA_ENV:-} \
		${CTL_SHELL:-} "$root/bin/$(release_name "$root")" "$@"
}

release_name() {
	ls "$1/bin" | grep -v '^nodetool$' | head -n 1
}

# Copy an example project into the test directory: copy_example NAME DEST
copy_example() {
	cp -R "$SRC_DIR/examples/$1" "$2"
	rm -rf "$2/_build" "$2/deps"
}

compile_mix() {
	(cd "$1" && MIX_ENV=${2:-prod} mix compile >"$T/compile.log" 2>&1) ||
		{ cat "$T/compile.log" >&2; fail "mix compile failed in $1"; }
}

compile_rebar3() {
	(cd "$1" && rebar3 as ${2:-prod} compile >"$T/compile.log" 2>&1) ||
		{ cat "$T/compile.log" >&2; fail "rebar3 compile failed in $1"; }
}

# build_counter VSN: examples/counter with its version set to VSN,
# compiled and built into $T/counter-VSN; sets tarball to its
# <name>-<vsn>.tar.gz.
build_counter() {
	p="$T/counter-$1"
	copy_example counter "$p"
	sed -i "s/{vsn, \"[^\"]*\"}/{vsn, \"$1\"}/" "$p/src/counter.app.src"
	compile_rebar3 "$p"
	build_release "$p" --env prod
	tarball="$p/_build/prod/rel/counter/releases/$1/counter-$1.tar.gz"
	[ -f "$tarball" ] || fail "no tarball at $tarball"
}

# wait_gone PID: wait up to 15 s for a process to end; false if it has not.
wait_gone() {
	n=0
	while kill -0 "$1" 2>/dev/null && [ $n -lt 150 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	! kill -0 "$1" 2>/dev/null
}

# check_upgraded_install REL TARBALL: REL, a stopped release directory that
# went through hot upgrades, as versions/<first> of an install root
# $T/upgraded-root (installed from TARBALL, the first version, then
# replaced by REL; iroot names it): relbuild list and bin/<name> versions
# both say it is verified.
check_upgraded_install() {
	iroot="$T/upgraded-root"
	out=$("$RELBUILD" install "$2" --root "$iroot" 2>&1) || fail "install $2 exited $?: $out"
	first=$(basename "$(readlink "$iroot/current")")
	rm -rf "$iroot/versions/$first" && cp -a "$1" "$iroot/versions/$first" ||
		fail "cannot put $1 in $iroot/versions/$first"
	out=$("$RELBUILD" list --root "$iroot" 2>&1) || fail "list exited $?: $out"
	assert_eq "$out" "* $first  verified" "relbuild list of the hot-upgraded version"
	out=$(ctl "$iroot/current" versions 2>&1) || fail "versions (install root) exited $?: $out"
	assert_eq "$out" "* $first  verified" "bin/<name> versions of the hot-upgraded version"
}

# Build with relbuild in a project directory: build_release DIR ARGS…
build_release() {
	dir=$1
	shift
	(cd "$dir" && "$RELBUILD" "$@") >"$T/build.log" 2>&1 ||
		{ cat "$T/build.log" >&2; fail "relbuild $* failed in $dir"; }
}

# flip_byte FILE OFFSET: change one byte for sure (invert its low bit);
# writing a fixed byte would change nothing where the byte was that one.
flip_byte() {
	b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	[ -n "$b" ] || fail "flip_byte: $1 has no byte at $2"
	# shellcheck disable=SC2059
	printf "$(printf '\\%03o' $((b ^ 1)))" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}

assert_eq() {
	[ "$1" = "$2" ] || fail "$3: expected '$2', got '$1'"
}

assert_contains() {
	case "$1" in
	*"$2"*) ;;
	*) fail "$3: expected to find '$2' in: $1" ;;
	esac
}

# stop_release ROOT: stop the release's node and wait until it no longer
# answers.
stop_release() {
	out=$(ctl "$1" stop 2>&1) || fail "bin/$(release_name "$1") stop exited $?: $out"
	n=0
	while ctl "$1" ping >/dev/null 2>&1 && [ $n -lt 50 ]; do
		sleep 0.2
		n=$((n + 1))
	done
	ctl "$1" ping >/dev/null 2>&1 && fail "$1 still answers after stop"
	return 0
}

# unpack_and_run TARBALL DEST EXPR WANT: unpack TARBALL into the empty
# directory DEST, start the release, check that rpc EXPR prints WANT,
# stop it and wait until it no longer answers.
unpack_and_run() {
	mkdir "$2" || fail "mkdir $2"
	tar -xzf "$1" -C "$2" || fail "tar cannot unpack $1"
	track_release "$2"
	out=$(ctl "$2" start 2>&1) || fail "bin/$(release_name "$2") start exited $?: $out"
	out=$(ctl "$2" rpc "$3" 2>&1) || fail "rpc '$3' exited $?: $out"
	assert_eq "$out" "$4" "rpc '$3'"
	stop_release "$2"
}

# wait_text FILE TEXT: wait up to 60 s for TEXT to appear in FILE.
wait_text() {
	n=0
	until grep -q -F -- "$2" "$1" 2>/dev/null; do
		n=$((n + 1))
		[ $n -lt 300 ] || return 1
		sleep 0.2
	done
}

# remote_session REL CMD EXPR OUT: `bin/<name> CMD` (remote or an alias
# of it, through ctl's environment and CTL_SHELL) under a pseudo-terminal
# made by script(1).
# Types EXPR at the first prompt, then leaves with Ctrl-G q, which ends
# the local shell node only: q() or halt() would stop the remote node.
# The session's transcript goes to OUT; the exit status is script's.
# script(1) runs the command with $SHELL, which CI leaves unset (dash):
# pin it so every machine runs the same thing. The inner timeout stays in
# the terminal's foreground process group (--foreground); in a group of its
# own, the VM's first tcsetattr() would stop it with SIGTTOU.
remote_session() {
	cat >"$T/remote.sh" <<-EOF
	exec timeout --foreground -k 10 90 env -i PATH=/usr/bin:/bin HOME="$HOME" \
		ERL_EPMD_PORT="$ERL_EPMD_PORT" ${EXTRA_ENV:-} ${CTL_SHELL:-} \
		"$1/bin/$(release_name "$1")" $2
	EOF
	: >"$4"
	{
		wait_text "$4" "1> " || exit 0
		printf '%s\n' "$3"
		wait_text "$4" "2> " || exit 0
		printf '\007'
		wait_text "$4" "-->" || exit 0
		printf 'q\n'
		sleep 1
	} | SHELL=/bin/sh timeout -k 10 120 script -q -e -c "sh $T/remote.sh" /dev/null >"$4" 2>&1
}

