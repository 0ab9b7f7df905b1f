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
# the environment it was built for (config_env() in runtime.exs)
RELEASE_ENV="@REL_ENV@"
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
	*)
		case "$self" in
		*/*) self=${self%/*}/$link ;;
		*) self=./$link ;;
		esac
		;;
	esac
done
# Without a process (no dirname, no subshell): every process costs, and
# ping and rpc should take a few milliseconds beside the node's answer.
# The shell goes back to the directory it was started in.
case "$self" in
*/*) self=${self%/*} ;;
*) self=. ;;
esac
here=${PWD:-}
CDPATH= cd -P -- "$self/.." 2>/dev/null || fail "cannot find the release root of $0"
RELEASE_ROOT=$PWD
[ -z "$here" ] || cd -- "$here" 2>/dev/null || :

[ -r "$RELEASE_ROOT/releases/start_erl.data" ] ||
	fail "missing $RELEASE_ROOT/releases/start_erl.data"
read -r ERTS_VSN START_VSN < "$RELEASE_ROOT/releases/start_erl.data"
RELEASE_VSN="${RELEASE_VSN:-$START_VSN}"
REL_VSN_DIR="$RELEASE_ROOT/releases/$RELEASE_VSN"
[ -d "$REL_VSN_DIR" ] || fail "no such release version: $RELEASE_VSN"

# releases/VSN/env.sh (env_sh: in the config), as mix release's env.sh:
# sourced before anything below reads the environment, for every command,
# with RELEASE_COMMAND (the command as typed), RELEASE_ROOT, RELEASE_NAME
# and RELEASE_VSN set, so that it may decide RELEASE_NODE,
# RELEASE_DISTRIBUTION, RELEASE_COOKIE… at run time.  The node run_erl
# starts for "start" (run_erl_daemon) inherits the environment of that
# start, env.sh's exports included: it does not source env.sh again.
#
# Before it, in a release that "relbuild install" put under ROOT/versions/,
# ROOT/shared/env.sh: the server's own variables for every version
# (RELEASE_NODE from the host's address, say), written by whoever deploys
# the server (the Ansible role of examples/ansible does), sourced as if
# they were set in the environment, so that the release itself, checked
# against its SHA256SUMS, stays as it was built.
if [ "${1:-}" != run_erl_daemon ]; then
	RELEASE_COMMAND="${1:-help}"
	export RELEASE_ROOT RELEASE_NAME RELEASE_VSN RELEASE_COMMAND
	case "$RELEASE_ROOT" in
	*/versions/*)
		if [ -f "$RELEASE_ROOT/../../shared/env.sh" ]; then
			set +u
			. "$RELEASE_ROOT/../../shared/env.sh"
			set -u
		fi
		;;
	esac
	if [ -f "$REL_VSN_DIR/env.sh" ]; then
		set +u
		. "$REL_VSN_DIR/env.sh"
		set -u
	fi
fi

RELEASE_DISTRIBUTION="${RELEASE_DISTRIBUTION:-name}"
case "$RELEASE_DISTRIBUTION" in
name) RELEASE_NODE="${RELEASE_NODE:-$RELEASE_NAME@127.0.0.1}" ;;
sname) RELEASE_NODE="${RELEASE_NODE:-$RELEASE_NAME}" ;;
none) RELEASE_NODE="${RELEASE_NODE:-}" ;;
*) usage_fail "RELEASE_DISTRIBUTION must be name, sname or none, not '$RELEASE_DISTRIBUTION'" ;;
esac
# RELEASE_COOKIE: set by need_cookie when a command needs it
RELEASE_COOKIE="${RELEASE_COOKIE:-}"
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
# where a cookie made on this server lives when the release ships none:
# beside every version of an install root, else in the release's releases/
if [ -n "$INSTALL_ROOT" ]; then
	COOKIE_HOME="$INSTALL_ROOT/shared"
else
	COOKIE_HOME="$RELEASE_ROOT/releases"
fi
# RELEASE_ROOT_DIR and REL_NAME are Distillery's names, for its scripts.
RELEASE_ROOT_DIR=$RELEASE_ROOT
REL_NAME=$RELEASE_NAME
REL_VSN=$RELEASE_VSN
export RELEASE_ROOT RELEASE_NAME RELEASE_VSN RELEASE_NODE RELEASE_COOKIE \
	RELEASE_TMP RELEASE_DISTRIBUTION RELEASE_ROOT_DIR REL_NAME REL_VSN ERTS_VSN

ERTS_DIR="$RELEASE_ROOT/erts-$ERTS_VSN"

# make_cookie DIR: DIR/COOKIE, random and readable by its owner only,
# unless there is one already.  Written under a temporary name and
# hard-linked into place: link(2) never replaces a file, so of two
# commands that race to make one, both end up with the first one's.
make_cookie() {
	tmpc="$1/.COOKIE.$$"
	(
		umask 077
		rm -f "$tmpc"
		c=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n') &&
			[ ${#c} -eq 64 ] &&
			printf '%s' "$c" >"$tmpc" &&
			chmod 0400 "$tmpc"
	) || {
		rm -f "$tmpc"
		return 1
	}
	ln "$tmpc" "$1/COOKIE" 2>/dev/null
	rm -f "$tmpc"
	[ -s "$1/COOKIE" ]
}

# cookie_file: the file that holds the cookie: releases/COOKIE when the
# release ships one (cookie: in the config) or this root made one, else
# the one made on this server for every version (COOKIE_HOME/COOKIE, or
# RELEASE_TMP/COOKIE when COOKIE_HOME is read-only), made now if there
# is none yet.
cookie_file() {
	for f in "$RELEASE_ROOT/releases/COOKIE" "$COOKIE_HOME/COOKIE" "$RELEASE_TMP/COOKIE"; do
		if [ -f "$f" ]; then
			printf '%s\n' "$f"
			return 0
		fi
	done
	dir=$COOKIE_HOME
	if [ ! -w "$dir" ]; then
		dir=$RELEASE_TMP
		mkdir -p "$dir" 2>/dev/null && [ -w "$dir" ] ||
			fail "no cookie: set RELEASE_COOKIE, or RELEASE_TMP to a writable directory ($COOKIE_HOME and $RELEASE_TMP are read-only)"
	fi
	make_cookie "$dir" || fail "cannot make a cookie in $dir"
	printf '%s\n' "$dir/COOKIE"
}

# need_cookie: RELEASE_COOKIE set (and exported), or fail saying why.
need_cookie() {
	[ -n "$RELEASE_COOKIE" ] && return 0
	for cookie in "$RELEASE_ROOT/releases/COOKIE" "$COOKIE_HOME/COOKIE" "$RELEASE_TMP/COOKIE"; do
		[ -f "$cookie" ] && break
	done
	[ -f "$cookie" ] || cookie=$(cookie_file) || exit 1
	[ -r "$cookie" ] || fail "cannot read the cookie $cookie"
	# its one line (the file may end without a newline)
	IFS= read -r RELEASE_COOKIE <"$cookie"
	[ -n "$RELEASE_COOKIE" ] || fail "the cookie file $cookie is empty"
}

# try_cookie: RELEASE_COOKIE for hooks and custom commands, which may
# need it; nothing when it cannot be had.
try_cookie() {
	[ "$RELEASE_DISTRIBUTION" != none ] && [ -z "$RELEASE_COOKIE" ] || return 0
	cookie=$(cookie_file 2>/dev/null) || return 0
	RELEASE_COOKIE=$(cat "$cookie" 2>/dev/null) || RELEASE_COOKIE=""
}

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

# The cookie never goes on a command line (ps shows every process's) nor
# into a file others may read.  The node and erl_call read it from a
# private home instead: RELEASE_TMP/home, 0700, whose .erlang.cookie
# (0400) holds RELEASE_COOKIE.  erlexec passes its HOME to the VM as
# -home, where auth reads .erlang.cookie, and "-env HOME" gives the
# applications the real HOME back.  The helper nodes (ctl) read
# RELEASE_COOKIE from their environment, which only the user may read.
ERL_HOME=""

# erl_home [make]: set ERL_HOME, the private home holding the cookie,
# made or brought up to date.  The cookie file is written under a
# temporary name and renamed into place: a command never reads half of
# one.  Without "make", only inside an existing RELEASE_TMP (ping, rpc
# and the like leave a root that was never started as it is).  False
# when it cannot be had.
erl_home() {
	[ -z "$ERL_HOME" ] || return 0
	if [ "${1:-}" = make ]; then
		mkdir -p "$RELEASE_TMP" 2>/dev/null || return 1
	elif [ ! -d "$RELEASE_TMP" ]; then
		return 1
	fi
	eh="$RELEASE_TMP/home"
	[ -d "$eh" ] || mkdir -m 700 "$eh" 2>/dev/null || [ -d "$eh" ] || return 1
	c=""
	IFS= read -r c 2>/dev/null <"$eh/.erlang.cookie"
	if [ "$c" != "$RELEASE_COOKIE" ]; then
		t="$eh/.erlang.cookie.$$"
		rm -f "$t"
		if ! (umask 0277 && set -C && printf '%s\n' "$RELEASE_COOKIE" >"$t") 2>/dev/null ||
			! mv -f "$t" "$eh/.erlang.cookie" 2>/dev/null; then
			rm -f "$t"
			return 1
		fi
	fi
	ERL_HOME=$eh
}

# vm_home: ERL_HOME for a VM that takes part in distribution (start,
# console, remote…), or fail saying why.  OTP's other readers of the
# -home directory (.erlang, .hosts.erlang, .erlang.crypt) find the real
# HOME's through links.
vm_home() {
	case "$RELEASE_COOKIE" in
	*[!\ -~]*) fail "the cookie holds characters other than printable ASCII, which Erlang's cookie file cannot hold" ;;
	esac
	erl_home make ||
		fail "cannot make $RELEASE_TMP/home for the cookie (set RELEASE_TMP to a writable directory)"
	if [ -n "${HOME:-}" ] && [ ! -L "$ERL_HOME/.erlang" ]; then
		ln -s "$HOME/.erlang" "$HOME/.hosts.erlang" "$HOME/.erlang.crypt" "$ERL_HOME/" 2>/dev/null
	fi
	return 0
}

# use_erl_call: true when the commands that talk to the running node
# (ping, pid, rpc, stop, versions, the hot upgrades…) may do it with
# erl_call, OTP's C client, instead of booting a helper node: there is
# one (the bundled runtime's, else the one beside the erl on PATH), no
# remote.vm.args asks for VM flags that erl_call could not follow (TLS
# distribution, another epmd…), and the private home for the cookie is
# there.  Sets ERL_CALL; decided once per command.
ERL_CALL=""
ERL_CALL_OK=""
use_erl_call() {
	if [ -z "$ERL_CALL_OK" ]; then
		ERL_CALL_OK=1
		find_erl_call && ERL_CALL_OK=0
	fi
	[ "$ERL_CALL_OK" = 0 ] && erl_home
}

find_erl_call() {
	[ -z "${RELEASE_REMOTE_VM_ARGS:-}" ] && [ ! -f "$REL_VSN_DIR/remote.vm.args" ] || return 1
	# -R, -fetch_stdout and -no_result_term: erl_call of OTP 23 (erts 11)
	case "$ERTS_VSN" in
	[0-9].* | 10.*) return 1 ;;
	esac
	if [ -d "$ERTS_DIR" ]; then
		ERL_CALL="$ERTS_DIR/bin/erl_call"
	else
		e=$(command -v erl 2>/dev/null) || return 1
		case "$e" in
		/*) ;;
		*) return 1 ;;
		esac
		while [ -L "$e" ]; do
			l=$(readlink "$e") || break
			case "$l" in
			/*) e=$l ;;
			*) e=${e%/*}/$l ;;
			esac
		done
		otp=${e%/*}
		otp=${otp%/*}
		for ERL_CALL in "${e%/*}/erl_call" "$otp"/erts-*/bin/erl_call \
			"$otp"/lib/erl_interface-*/bin/erl_call; do
			[ -x "$ERL_CALL" ] && break
		done
	fi
	[ -x "$ERL_CALL" ]
}

# ecall ARGS…: erl_call to RELEASE_NODE, as a hidden node with a name
# the node gives it (-R: commands may run side by side), with the cookie
# of ERL_HOME.
ecall() {
	HOME=$ERL_HOME "$ERL_CALL" -R "-$RELEASE_DISTRIBUTION" "$RELEASE_NODE" "$@"
}

# erl_str TEXT: ESTR, TEXT as an Erlang string literal (its bytes; \ and
# " escaped).
erl_str() {
	es=$1
	ESTR=""
	while :; do
		case "$es" in
		*[\\\"]*)
			ep=${es%%[\\\"]*}
			es=${es#"$ep"}
			ESTR="$ESTR$ep\\${es%"${es#?}"}"
			es=${es#?}
			;;
		*)
			ESTR="\"$ESTR$es\""
			return 0
			;;
		esac
	done
}

# erl_list TEXT…: ELIST, the TEXTs as an Erlang list of strings.
erl_list() {
	ELIST=""
	for a in "$@"; do
		erl_str "$a"
		ELIST="$ELIST${ELIST:+,}$ESTR"
	done
	ELIST="[$ELIST]"
}

# node_program CMD ARGS…: CMD with, on its stdin, the Erlang program the
# commands that talk to the running node have it evaluate (erl_eval, on
# the node: nothing is loaded there), with Op, Args, Lang, Name from
# NODE_OP and NODE_ARGS (an Erlang list).  Op rpc: EXPR or MOD FUN ARGS,
# as rpc; Op release_handler: [NODE, STEP, STEPS…], the steps of a hot
# upgrade in order, stopping at the first that fails (status 1, or 2 for
# make_permanent).  It prints SOH "relbuild" STX first (it runs), then
# what it has to print, then SOH SOH STATUS SOH and its error text:
# node_call reads them.  No dollar sign, backquote or backslash in the
# program: the shell would take them.
node_program() {
	"$@" <<NODE_PROGRAM
Op = $NODE_OP, Lang = $RELEASE_LANG, Args = $NODE_ARGS, Name = "$RELEASE_NAME",
io:format("~ts", [[1, "relbuild", 2]]),
Out = fun(F, A) -> io:format(F, A) end,
Str = fun(B) ->
	case unicode:characters_to_list(list_to_binary(B)) of
		L when is_list(L) -> L;
		_ -> B
	end
end,
FE = fun
	FE(elixir, C, R, S) ->
		try 'Elixir.Exception':format(C, R, S) catch _:_ -> FE(erlang, C, R, S) end;
	FE(erlang, error, {syntax, T}, _) -> io_lib:format("syntax error: ~ts", [T]);
	FE(erlang, C, R, S) -> io_lib:format("~tp: ~tp~n~tp", [C, R, S])
end,
% what the node is asked to run runs as the helper node's rpc:call ran
% it: the same process set-up, results, errors and stack traces
Call = fun(M, F, A) -> rpc:call(node(), M, F, A, infinity) end,
Show = fun
	(L, {badrpc, {'EXIT', {R, S}}}) -> {1, FE(L, error, R, S)};
	(_, {badrpc, R}) -> {1, io_lib:format("rpc failed: ~tp", [R])};
	(elixir, V) ->
		case Call('Elixir.Kernel', inspect, [V]) of
			B when is_binary(B) -> Out("~ts~n", [B]);
			_ -> Out("~tp~n", [V])
		end,
		{0, []};
	(erlang, V) -> Out("~tp~n", [V]), {0, []}
end,
ParseArg = fun(T) ->
	case erl_scan:string(T ++ ".") of
		{ok, Ts, _} ->
			case erl_parse:parse_term(Ts) of
				{ok, Term} -> Term;
				_ -> unicode:characters_to_binary(T)
			end;
		_ -> unicode:characters_to_binary(T)
	end
end,
ParseErl = fun(E) ->
	case erl_scan:string(string:trim(E, trailing, [32, 9, 10, 46]) ++ ".") of
		{ok, Ts, _} ->
			case erl_parse:parse_exprs(Ts) of
				{ok, Es} -> {ok, Es};
				{error, {_, M, D}} -> {error, M:format_error(D)}
			end;
		{error, {_, M, D}, _} -> {error, M:format_error(D)}
	end
end,
Crash = fun
	({'EXIT', {R, [{M, F, A, Loc} | _]}}) when is_list(Loc) ->
		Ar = if is_list(A) -> length(A); true -> A end,
		Where = case {proplists:get_value(file, Loc), proplists:get_value(line, Loc)} of
			{File, Line} when File =/= undefined, Line =/= undefined ->
				io_lib:format(" (~ts:~w)", [File, Line]);
			_ -> ""
		end,
		io_lib:format("crashed: ~10000tP in ~tw:~tw/~w~ts", [R, 20, M, F, Ar, Where]);
	(R) -> io_lib:format("~10000tP", [R, 20])
end,
Reason = fun
	(_, {no_matching_relup, V, Cur}) ->
		io_lib:format("no_matching_relup: no relup leads from ~ts (running) to ~ts: "
			"releases/~ts/relup has no upgrade from ~ts and releases/~ts/relup "
			"no downgrade to ~ts", [Cur, V, V, Cur, Cur, V]);
	(To, {enoent, File}) ->
		case filename:basename(File) of
			"relup" ->
				Cur = filename:basename(filename:dirname(File)),
				io_lib:format("no_matching_relup: no relup leads from ~ts (running) "
					"to ~ts: releases/~ts/relup has no upgrade from ~ts, "
					"and there is no ~ts for a downgrade", [Cur, To, To, Cur, File]);
			_ -> io_lib:format("enoent: no such file ~ts", [File])
		end;
	(_, {code_change_failed, Pid, M, V, R}) ->
		io_lib:format("code_change_failed: ~tw:code_change(~10000tP, State, Extra) in "
			"process ~tw failed: ~ts", [M, V, 10, Pid, Crash(R)]);
	(_, {'EXIT', _} = X) -> io_lib:format("'EXIT': ~ts", [Crash(X)]);
	(_, {already_installed, V}) -> io_lib:format("already_installed: ~ts is the current release", [V]);
	(_, {no_such_release, V}) -> io_lib:format("no_such_release: release_handler does not know ~ts", [V]);
	(_, {existing_release, V}) -> io_lib:format("existing_release: release_handler knows ~ts already", [V]);
	(_, {bad_status, St}) -> io_lib:format("bad_status: the release is ~ts", [St]);
	(_, {no_such_file, File}) -> io_lib:format("no_such_file: ~tp", [File]);
	(_, {no_such_directory, D}) -> io_lib:format("no_such_directory: ~tp", [D]);
	(_, {bad_relup_file, File}) -> io_lib:format("bad_relup_file: ~tp", [File]);
	(_, {old_processes, M}) -> io_lib:format("old_processes: processes still run old code of ~tw", [M]);
	(_, R) -> io_lib:format("~10000tP", [R, 40])
end,
RH = fun(F, A) ->
	case Call(release_handler, F, A) of
		{badrpc, R} -> {error, io_lib:format("rpc failed: ~tp", [R])};
		Res -> {ok, Res}
	end
end,
Step = fun
	(_, _, _, {ok, ok}) -> ok;
	(_, _, _, {ok, {ok, _}}) -> ok;
	(_, _, _, {ok, {ok, _, _}}) -> ok;
	(S, To, F, {ok, {error, R}}) -> {1, io_lib:format("~ts: release_handler:~ts: ~ts", [S, F, Reason(To, R)])};
	(S, _, F, {ok, X}) -> {1, io_lib:format("~ts: release_handler:~ts returned ~tp", [S, F, X])};
	(S, _, F, {error, T}) -> {1, io_lib:format("~ts: release_handler:~ts: ~ts", [S, F, T])}
end,
LibDirs = fun(RelFile, Root) ->
	{ok, [{release, _, _, Apps}]} = file:consult(RelFile),
	Lib = filename:join(Root, "lib"),
	[{element(1, A), element(2, A), Lib} || A <- Apps,
		filelib:is_dir(filename:join(Lib, lists:concat([element(1, A), "-", element(2, A)])))]
end,
Run = fun
	(rpc, [E]) when Lang =:= elixir ->
		case Call('Elixir.Code', eval_string, [list_to_binary(E)]) of
			{badrpc, _} = Bad -> Show(elixir, Bad);
			{V, _} -> Show(elixir, V);
			X -> {1, FE(erlang, error, {case_clause, X}, [])}
		end;
	(rpc, [E]) ->
		case ParseErl(Str(E)) of
			{error, T} -> {1, FE(erlang, error, {syntax, T}, [])};
			{ok, Es} ->
				case Call(erl_eval, exprs, [Es, []]) of
					{value, V, _} -> Show(erlang, V);
					X -> Show(erlang, X)
				end
		end;
	(rpc, [M, F | As]) ->
		Show(Lang, Call(list_to_atom(Str(M)), list_to_atom(Str(F)), [ParseArg(Str(A)) || A <- As]));
	(release_handler, [Node, S | Todo]) ->
		case whereis(release_handler) of
			undefined ->
				{1, io_lib:format("~ts: release_handler is not running on ~ts (hot upgrades "
					"need sasl among the release's applications)", [S, Node])};
			_ ->
				lists:foldl(fun
					(_, {St, _} = Done) when St =/= 0 -> Done;
					({which}, _) ->
						case RH(which_releases, []) of
							{ok, Rels} ->
								[Out("~ts ~ts~n", [V, St]) || {_, V, _, St} <- Rels],
								{0, []};
							{error, T} -> {1, io_lib:format("versions: ~ts", [T])}
						end;
					({unpacked, RelFile, Root, V, Tarball}, _) ->
						case Step(S, V, "set_unpacked", RH(set_unpacked, [RelFile, LibDirs(RelFile, Root)])) of
							ok -> Out("~ts: unpacked ~ts from ~ts~n", [Name, V, Tarball]), {0, []};
							Fail -> Fail
						end;
					({check, V}, _) ->
						case Step(S, V, "check_install_release", RH(check_install_release, [V])) of
							ok -> {0, []};
							Fail -> Fail
						end;
					({install, V}, _) ->
						case RH(install_release, [V]) of
							{ok, {ok, _, _}} -> {0, []};
							{ok, {continue_after_restart, _, _}} ->
								{0, io_lib:format("~ts: release_handler: ~ts needs a new emulator: "
									"the node restarts to finish the upgrade", [S, V])};
							{ok, {error, {'EXIT', _} = R}} ->
								{1, io_lib:format("~ts: release_handler:install_release: ~ts~n~ts: "
									"release_handler restarts the node from its permanent release",
									[S, Reason(V, R), S])};
							{ok, {error, {code_change_failed, _, _, _, _} = R}} ->
								{1, io_lib:format("~ts: release_handler:install_release: ~ts~n~ts: "
									"release_handler restarts the node from its permanent release",
									[S, Reason(V, R), S])};
							X ->
								case Step(S, V, "install_release", X) of
									ok -> {0, []};
									Fail -> Fail
								end
						end;
					({permanent, V}, {_, Notice}) ->
						case Step(S, V, "make_permanent", RH(make_permanent, [V])) of
							ok -> {0, Notice};
							{_, T} -> {2, [Notice, T]}
						end
				end, {0, []}, Todo)
		end
end,
{Status, Err} = try Run(Op, Args) catch C:R:S -> {1, FE(erlang, C, R, S)} end,
io:format("~ts", [[1, 1, integer_to_list(Status), 1, Err]]).
NODE_PROGRAM
}

# node_call OP ARGS: node_program on the running node, through erl_call
# (its standard output fetched), else through a helper node (ctl
# eval_on); print what it prints, its error text on stderr, and return
# its status: 3 when the node did not answer, 4 when the connection was
# lost before the program ended.
node_call() {
	NODE_OP=$1
	NODE_ARGS=$2
	if use_erl_call; then
		nres=$(node_program ecall -e -fetch_stdout -no_result_term 2>/dev/null)
	else
		nres=$(node_program ctl eval_on "$RELEASE_NODE")
	fi
	# SOH "relbuild" STX: the program runs (SOH taken from there: no
	# printf process for it)
	case "$nres" in
	?relbuild?*) ;;
	*) return 3 ;;
	esac
	# (%% and a literal: linear in every shell, where % with a long
	# literal is not)
	nt=${nres#?}
	soh=${nres%%"$nt"}
	nres=${nres#?relbuild?}
	case "$nres" in
	*"$soh$soh"*) ;;
	*)
		printf '%s' "$nres"
		return 4
		;;
	esac
	nt=${nres##*"$soh$soh"}
	nres=${nres%"$soh$soh"*}
	[ -z "$nres" ] || printf '%s' "$nres"
	nerr=${nt#*"$soh"}
	[ -z "$nerr" ] || printf '%s\n' "$nerr" >&2
	return "${nt%%"$soh"*}"
}

# render_config FILE DEST COMMENT [direct]: copy FILE to DEST with every
# ${VAR} and ${VAR:-default} replaced from the environment (the default
# also when VAR is empty), except on lines that start with the COMMENT
# character; an unset VAR without a default is an error naming it
# (FILE:LINE).
# A vm.args (COMMENT "#") gets the values as they are.  A sys.config
# (COMMENT "%") is read as Erlang terms: a placeholder inside a string
# "..." (so in a binary <<"...">> too) or a quoted atom '...' gets its
# value (or its default) escaped for it, \ and the quote backslashed and
# control characters as \n, \t, \r or octal \ooo, so that the term read
# back is the value, byte for byte; where a term stands it gets the value
# as it is ({port, ${PORT}}).  The scan follows the quotes across lines,
# skips % comments outside them and \c escapes inside them ("\${VAR}"
# stays the string ${VAR}), and knows $c character literals ($" or $%).
# POSIX awk over bytes (LC_ALL=C): mawk and busybox awk run it too.
render_config() {
	# written under a temporary name and renamed, unless DEST is one
	# (a fourth argument "direct")
	if [ "${4:-}" = direct ]; then
		rdest=$2
	else
		rdest=$2.tmp
	fi
	LC_ALL=C awk -v file="$1" -v comment="$3" '
	function value(ref,   name, i) {
		name = ref
		i = index(ref, ":-")
		if (i > 0)
			name = substr(ref, 1, i - 1)
		if (name in ENVIRON && ENVIRON[name] != "")
			return ENVIRON[name]
		if (i > 0)
			return substr(ref, i + 2)
		printf "%s:%d: environment variable %s is not set\n", file, NR, name > "/dev/stderr"
		bad = 1
		return ""
	}
	# V written inside a string or quoted atom closed by Q
	function quoted(v, q,   out, c, i, n) {
		out = ""
		n = length(v)
		for (i = 1; i <= n; i++) {
			c = substr(v, i, 1)
			if (c == bs || c == q)
				out = out bs c
			else if (c in ctl)
				out = out ctl[c]
			else
				out = out c
		}
		return out
	}
	# the first position in S of any character of SET, 0 if none
	function first(s, set,   i, k, p) {
		p = 0
		for (k = 1; k <= length(set); k++) {
			i = index(s, substr(set, k, 1))
			if (i > 0 && (p == 0 || i < p))
				p = i
		}
		return p
	}
	BEGIN {
		bs = "\\"
		dq = "\""
		sq = sprintf("%c", 39)
		for (i = 1; i < 32; i++)
			ctl[sprintf("%c", i)] = sprintf("\\%03o", i)
		ctl[sprintf("%c", 127)] = "\\177"
		ctl["\n"] = "\\n"
		ctl["\t"] = "\\t"
		ctl["\r"] = "\\r"
		erl = (comment == "%")
		q = ""  # the quote the text is in: dq, sq or none
	}
	q == "" && (index($0, comment) == 1 || ($1 != "" && index($1, comment) == 1)) { print; next }
	{
		line = $0
		out = ""
		while ((p = first(line, q != "" ? (bs q "$") : (erl ? ("%" dq sq "$") : "$"))) > 0) {
			c = substr(line, p, 1)
			out = out substr(line, 1, p - 1)
			line = substr(line, p)
			n = 1
			if (c == "$") {
				if (match(line, /^\$\{[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\}/)) {
					v = value(substr(line, 3, RLENGTH - 3))
					out = out (q == "" ? v : quoted(v, q))
					line = substr(line, RLENGTH + 1)
					continue
				}
				# $c, $\c, $\^c: a character, quote or % as it may be
				if (erl && q == "")
					n = (substr(line, 2, 1) != bs) ? 2 : ((substr(line, 3, 1) == "^") ? 4 : 3)
			} else if (c == bs)
				n = (substr(line, 2, 1) == "^") ? 3 : 2
			else if (c == "%")
				n = length(line)
			else
				q = (q == "") ? c : ""
			out = out substr(line, 1, n)
			line = substr(line, n + 1)
		}
		print out line
	}
	END { exit bad }' "$1" >"$rdest" || return 1
	[ "$rdest" = "$2" ] || mv "$rdest" "$2"
}

# Where the rendered vm.args and sys.config live: RELEASE_TMP, so that the
# release root may be read-only.
CONF_DIR="$RELEASE_TMP/$RELEASE_VSN"
VM_ARGS="$CONF_DIR/vm.args"
SYS_CONFIG="$CONF_DIR/sys"

# The template of releases/VSN/sys.config: the shipped file, or its copy
# sys.config.src once an install has rendered sys.config in place.
sys_config_src() {
	if [ -f "$1/sys.config.src" ]; then
		printf '%s\n' "$1/sys.config.src"
	else
		printf '%s\n' "$1/sys.config"
	fi
}

# apply_runtime_config DIR FILE: DIR/runtime.exs (a mix project's
# config/runtime.exs) evaluated and merged into the sys.config FILE.
apply_runtime_config() {
	[ -f "$1/runtime.exs" ] || return 0
	ctl runtime_config "$1/runtime.exs" "$2" "$RELEASE_ENV"
}

render_sys_config() {
	mkdir -p "$CONF_DIR" ||
		fail "cannot create $CONF_DIR (set RELEASE_TMP to a writable directory)"
	# RELEASE_SYS_CONFIG: another sys.config, with or without ".config",
	# as mix release takes it
	if [ -n "${RELEASE_SYS_CONFIG:-}" ]; then
		src="${RELEASE_SYS_CONFIG%.config}.config"
		[ -f "$src" ] || fail "RELEASE_SYS_CONFIG: no such file $src"
	else
		src=$(sys_config_src "$REL_VSN_DIR")
	fi
	render_config "$src" "$SYS_CONFIG.config" "%" ||
		fail "cannot start: $src needs the variables above"
	apply_runtime_config "$REL_VSN_DIR" "$SYS_CONFIG.config" ||
		fail "cannot start: $REL_VSN_DIR/runtime.exs failed"
}

render_all() {
	render_sys_config
	# RELEASE_VM_ARGS: another vm.args instead of the release's
	vm_args_src="${RELEASE_VM_ARGS:-$REL_VSN_DIR/vm.args}"
	[ -f "$vm_args_src" ] || fail "RELEASE_VM_ARGS: no such file $vm_args_src"
	render_config "$vm_args_src" "$VM_ARGS" "#" ||
		fail "cannot start: $vm_args_src needs the variables above"
}

# remote_vm_args DEST: the VM flags file for the short-lived nodes (rpc,
# remote, eval, command, ping…): RELEASE_REMOTE_VM_ARGS, else the
# release's releases/VSN/remote.vm.args (remote_vm_args: in the config);
# rendered into DEST when it uses ${VAR}.  Prints the file to use,
# nothing when there is none.
remote_vm_args() {
	rsrc="${RELEASE_REMOTE_VM_ARGS:-$REL_VSN_DIR/remote.vm.args}"
	if [ ! -f "$rsrc" ]; then
		[ -z "${RELEASE_REMOTE_VM_ARGS:-}" ] ||
			fail "RELEASE_REMOTE_VM_ARGS: no such file $rsrc"
		return 0
	fi
	if ! grep -q '[$]{' "$rsrc"; then
		printf '%s\n' "$rsrc"
		return 0
	fi
	mkdir -p "$CONF_DIR" ||
		fail "cannot create $CONF_DIR (set RELEASE_TMP to a writable directory)"
	render_config "$rsrc" "$1" "#" || fail "$rsrc needs the variables above"
	printf '%s\n' "$1"
}

# run_script FILE ARGS…: a hook or custom command, as its own process, from
# the release root, with bin/ (and so nodetool) first on PATH.  Scripts
# without the run bit are run with sh.
run_script() {
	try_cookie
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

# run_hooks EVENT [DIR]: every script of DIR/hooks/EVENT/ (DIR: the
# version's releases/<vsn>), in name order; the first failure is
# reported with the hook's name and status.
run_hooks() {
	hooks_dir="${2:-$REL_VSN_DIR}/hooks/$1"
	[ -d "$hooks_dir" ] || return 0
	for hook in "$hooks_dir"/*; do
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
# the release's node from a hidden one that accepts no connection
# (-dist_listen false) and takes its cookie from RELEASE_COOKIE in its
# environment (-nocookie: no cookie file is read or made).
ctl() {
	case "$1" in
	eval | command | describe)
		render_sys_config
		set -- -config "$SYS_CONFIG" -extra "$@"
		;;
	runtime_config)
		set -- -extra "$@"
		;;
	*)
		set -- -extra "$@"
		flag=$(dist_flag)
		if [ -n "$flag" ]; then
			need_cookie
			case "$RELEASE_NODE" in
			*@*) ctl_node="rb_ctl_$$@${RELEASE_NODE#*@}" ;;
			*) ctl_node="rb_ctl_$$" ;;
			esac
			set -- "$flag" "$ctl_node" -hidden -dist_listen false -nocookie "$@"
		fi
		;;
	esac
	if [ -d "$REL_VSN_DIR/consolidated" ]; then
		set -- -pa "$REL_VSN_DIR/consolidated" "$@"
	fi
	rargs=$(remote_vm_args "$CONF_DIR/remote.vm.args.$$") || exit 1
	if [ -n "$rargs" ]; then
		set -- -args_file "$rargs" "$@"
	fi
	use_runtime
	"$ERL" -boot "$REL_VSN_DIR/start_clean" \
		-boot_var RELEASE_LIB "$RELEASE_ROOT/lib" \
		-pa "$REL_VSN_DIR/ctl" \
		-noshell -noinput -eval "relbuild_ctl:main()" "$@"
	ctl_status=$?
	[ "$rargs" != "$CONF_DIR/remote.vm.args.$$" ] || rm -f "$rargs"
	return "$ctl_status"
}

need_dist() {
	[ "$RELEASE_DISTRIBUTION" != none ] ||
		fail "'$1' needs distribution, but RELEASE_DISTRIBUTION is none"
	need_cookie
}

# is_running: the node answers.
is_running() {
	if use_erl_call; then
		ecall -timeout 60 -a 'erlang node' >/dev/null 2>&1
	else
		ctl ping "$RELEASE_NODE" >/dev/null 2>&1
	fi
}

# is_booted: the node answers and has booted (init has run the whole
# boot script: the release's applications are started).
is_booted() {
	case "$(ecall -timeout 60 -a 'init get_status' 2>/dev/null)" in
	"{started,"*) return 0 ;;
	esac
	return 1
}

# start_vm exec|bg ARGS…: boot the release with ARGS added.  exec replaces
# this shell; bg leaves the VM running in the background, its pid in VM_PID.
start_vm() {
	how=$1
	shift
	flag=$(dist_flag)
	if [ -n "$flag" ]; then
		need_cookie
		vm_home
		set -- "$flag" "$RELEASE_NODE" "$@"
	fi
	if [ -d "$REL_VSN_DIR/consolidated" ]; then
		set -- -pa "$REL_VSN_DIR/consolidated" "$@"
	fi
	use_runtime
	# release_handler keeps its records in the release's own releases/,
	# even when the runtime is the system's (the value is an Erlang string)
	reldir=$(printf '%s\n' "$RELEASE_ROOT/releases" | sed 's/[\\"]/\\&/g')
	set -- -args_file "$VM_ARGS" -sasl releases_dir "\"$reldir\"" "$@"
	# the cookie's home is the VM's -home; its applications get the real
	# HOME (vm.args, read after, may still set another)
	if [ -n "$ERL_HOME" ] && [ -n "${HOME+set}" ]; then
		set -- -env HOME "$HOME" "$@"
	fi
	set -- -boot "$REL_VSN_DIR/start" -boot_var RELEASE_LIB "$RELEASE_ROOT/lib" \
		-mode embedded -config "$SYS_CONFIG" "$@"
	if [ -z "$ERL_HOME" ]; then
		[ "$how" = exec ] && exec "$ERL" "$@"
		"$ERL" "$@" &
	elif [ "$how" = exec ]; then
		HOME=$ERL_HOME
		export HOME
		exec "$ERL" "$@"
	else
		HOME=$ERL_HOME "$ERL" "$@" &
	fi
	VM_PID=$!
}

# releases/RELEASES is release_handler's record of the releases it knows.
# Releases do not ship it (it holds absolute paths): the first boot of a
# root makes it, when releases/ is writable.
ensure_releases_file() {
	[ -f "$RELEASE_ROOT/releases/RELEASES" ] && return 0
	[ -w "$RELEASE_ROOT/releases" ] || return 0
	(
		RELEASE_DISTRIBUTION=none
		ctl releases_file "$RELEASE_ROOT" "$REL_VSN_DIR/$RELEASE_NAME.rel"
	) || fail "cannot create $RELEASE_ROOT/releases/RELEASES"
}

# wait_started PID: wait for the node to answer a ping, giving up when the
# process PID is gone or RELEASE_START_TIMEOUT has passed.
wait_started() {
	if use_erl_call; then
		n=$((RELEASE_START_TIMEOUT * 10))
		until is_booted; do
			if [ -n "$1" ] && ! kill -s 0 "$1" 2>/dev/null; then
				return 1
			fi
			[ "$n" -gt 0 ] || return 1
			n=$((n - 1))
			sleep 0.1
		done
		return 0
	fi
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

# node_ping: pong, or fail saying the node does not answer.
node_ping() {
	use_erl_call || {
		ctl ping "$RELEASE_NODE"
		return
	}
	if is_running; then
		echo pong
	else
		printf '%s\n' "node $RELEASE_NODE is not responding to pings" >&2
		return 1
	fi
}

# node_pid: the OS pid of the node.
node_pid() {
	use_erl_call || {
		ctl pid "$RELEASE_NODE"
		return
	}
	np=$(ecall -timeout 60 -a 'os getpid' 2>/dev/null) && [ -n "$np" ] || {
		printf '%s\n' "node $RELEASE_NODE is not running" >&2
		return 1
	}
	np=${np#\"}
	printf '%s\n' "${np%\"}"
}

# node_stop: stop the node (init:stop/0) and wait until it no longer
# answers (at most 15 s); ok.
node_stop() {
	use_erl_call || {
		ctl stop "$RELEASE_NODE"
		return
	}
	ecall -timeout 60 -a 'init stop' >/dev/null 2>&1 || {
		printf '%s\n' "node $RELEASE_NODE is not running" >&2
		return 1
	}
	n=150
	while [ $n -gt 0 ] && is_running; do
		sleep 0.1
		n=$((n - 1))
	done
	echo ok
}

# node_rpc EXPR | node_rpc MOD FUN [ARGS…]: rpc on the node.
node_rpc() {
	erl_list "$@"
	node_call rpc "$ELIST"
	case $? in
	0) return 0 ;;
	3) printf '%s\n' "node $RELEASE_NODE is not running" >&2 ;;
	4) printf '%s\n' "rpc failed: nodedown" >&2 ;;
	esac
	return 1
}

# After a failed post_start hook the node is stopped again: a start is
# complete or it did not happen.
post_start_failed() {
	printf '%s\n' "$RELEASE_NAME: stopping $RELEASE_NODE because post_start failed" >&2
	node_stop >/dev/null 2>&1
	exit 1
}

do_start() {
	need_dist start
	# start makes RELEASE_TMP anyway: the checks below may use erl_call
	erl_home make
	is_running && fail "node $RELEASE_NODE is already running"
	configure
	run_hooks pre_start || exit 1
	mkdir -p "$RELEASE_LOG_DIR" "$RELEASE_TMP/pipe" ||
		fail "cannot create $RELEASE_LOG_DIR"
	run_erl=$(erts_tool run_erl) || exit 1
	ensure_releases_file
	rm -f "$PID_FILE"
	RUN_ERL_LOG_GENERATIONS="${RUN_ERL_LOG_GENERATIONS:-5}" \
	RUN_ERL_LOG_MAXSIZE="${RUN_ERL_LOG_MAXSIZE:-10485760}" \
		"$run_erl" -daemon "$RELEASE_TMP/pipe/" "$RELEASE_LOG_DIR" \
		"exec \"$RELEASE_ROOT/bin/$RELEASE_NAME\" run_erl_daemon" ||
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
	ensure_releases_file
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
	node_stop || exit 1
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
	rargs=$(remote_vm_args "$CONF_DIR/remote.vm.args") || exit 1
	if [ -n "$rargs" ]; then
		set -- -args_file "$rargs"
	else
		set --
	fi
	# the cookie from the private home (see vm_home), the real HOME for
	# the shell
	vm_home
	if [ -n "${HOME+set}" ]; then
		set -- -env HOME "$HOME" "$@"
	fi
	HOME=$ERL_HOME
	export HOME
	use_runtime
	if [ "$RELEASE_LANG" = elixir ]; then
		exec "$ERL" -boot "$REL_VSN_DIR/start_clean" \
			-boot_var RELEASE_LIB "$RELEASE_ROOT/lib" \
			"$flag" "$rem" -hidden "$@" \
			-noshell -user Elixir.IEx.CLI \
			-extra --no-halt +iex --remsh "$RELEASE_NODE"
	fi
	exec "$ERL" -boot "$REL_VSN_DIR/start_clean" \
		-boot_var RELEASE_LIB "$RELEASE_ROOT/lib" \
		"$flag" "$rem" -hidden "$@" \
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
  versions                the versions release_handler knows and their status
                          (running node), else those in releases/; the
                          current one marked
  unpack VSN              check the tarball of VSN against its sidecar
                          (without one: its own SHA256SUMS; with
                          RELEASE_PUBKEY: its signature too), unpack its
                          lib/ and releases/VSN/ and register it with the
                          running node's release_handler
  install VSN [--no-permanent]
                          hot-install an unpacked VSN on the running node
                          (its pre_upgrade hooks, release_handler, its
                          post_upgrade hooks) and make it permanent
  upgrade VSN [--no-permanent]
                          unpack + install
  downgrade VSN [--no-permanent]
                          hot-install an older VSN the node ran before
  help                    this text

aliases (the names mix release, Distillery and relx use):
  daemon, daemon_iex      start
  start_iex               console
  remote_console, attach  remote
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
# or is not listed there, as "relbuild list" says.  As there, a file that
# another version's releases/<v>/SHA256SUMS lists with the hash found (a
# hot upgrade left it) counts, other versions' releases/<v>/ are theirs,
# tmp/ (RELEASE_TMP's default), releases/RELEASES and a releases/COOKIE
# the manifest does not list (made on this server) are the runtime's,
# and releases/VSN/sys.config.src (the shipped file, kept when a hot
# upgrade rendered sys.config in place) is checked as sys.config.
check_version() {
	(
		cd "$1" || exit 1
		sums="releases/$2/SHA256SUMS"
		modes="releases/$2/MODES"
		cfg="releases/$2/sys.config"
		[ -f "$sums" ] || { echo "UNREADABLE"; exit 0; }
		others=
		for m in releases/*/SHA256SUMS; do
			[ -f "$m" ] && [ "$m" != "$sums" ] && others="$others $m"
		done
		found="${TMPDIR:-/tmp}/rb_found.$$"
		find . -type f ! -path './tmp/*' -exec sha256sum {} + >"$found" 2>/dev/null
		# "<64 hex>  <path>": the path at 67, at 69 behind find's "./"
		# shellcheck disable=SC2086 # $others: paths without blanks
		bad=$(awk -v sums="$sums" -v found="$found" -v vsn="$2" -v cfg="$cfg" '
			FILENAME == sums { listed[substr($0, 67)] = $1; next }
			FILENAME != found { kept[substr($0, 67) SUBSEP $1] = 1; next }
			{ p = substr($0, 69) }
			p == sums || p == "releases/RELEASES" || p ~ /\.sig$/ { next }
			p == "releases/COOKIE" && !(p in listed) { next }
			p ~ /^releases\/[^\/]+\// && index(p, "releases/" vsn "/") != 1 { next }
			index(p, "releases/" vsn "/") == 1 && p !~ "^releases/" vsn "/.*/" &&
				p ~ /(\.tar(\.gz|\.zst)?|\.sha256|\.run)$/ { next }
			{ hash[p] = $1 }
			END {
				if ((cfg ".src") in hash && cfg in hash) {
					hash[cfg] = hash[cfg ".src"]
					delete hash[cfg ".src"]
				}
				for (p in hash)
					if (!((p in listed) && listed[p] == hash[p]) &&
					    !((p SUBSEP hash[p]) in kept))
						n++
				for (p in listed)
					if (!(p in hash))
						n++
				print n + 0
			}' "$sums" $others "$found")
		rm -f "$found"
		modebad=0
		if [ -f "$modes" ]; then
			modebad=$(while read -r mode path; do
				[ "$path" = "$cfg" ] && [ -f "$cfg.src" ] && path="$cfg.src"
				[ -f "$path" ] || continue
				[ "0$(stat -c %a "$path")" = "$mode" ] || echo x
			done < "$modes" | wc -l)
		fi
		n=$((bad + modebad))
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

# versions: under "relbuild install", what "relbuild list" shows; else
# what the running node's release_handler knows ("* 0.2.0  permanent",
# the version the node runs marked), else the releases/*/ directories,
# the one start_erl.data names marked.
do_versions() {
	if [ -n "$INSTALL_ROOT" ]; then
		installed_versions
		return
	fi
	if [ "$RELEASE_DISTRIBUTION" != none ] && which=$(rh_which versions 2>/dev/null) &&
		[ -n "$which" ]; then
		which_of "$which" ""
		running=$RUNNING
		printf '%s\n' "$which" | awk -v run="$running" '
			{ printf "%s %s  %s\n", ($1 == run ? "*" : " "), $1, $2 }'
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

### Hot upgrades: unpack, install, upgrade, downgrade

# check_vsn STEP VSN: a version name that is safe as a path component.
check_vsn() {
	case "$2" in
	*/* | *[!A-Za-z0-9._+-]* | .* | "")
		usage_fail "$1: '$2' is not a release version" ;;
	esac
}

# rh STEP STEPS…: release_handler's STEPS, Erlang terms ({which},
# {unpacked, RelFile, Root, Vsn, Tarball}, {check, Vsn}, {install, Vsn},
# {permanent, Vsn}), run on the running node in that order by one call,
# each reporting its result there; the first that fails ends it, named
# with STEP.  Status 1 if one failed, 2 if only make_permanent did.
rh() {
	need_cookie
	rs=$1
	shift
	erl_list "$RELEASE_NODE" "$rs"
	rhargs=${ELIST%]}
	for t in "$@"; do
		rhargs="$rhargs,$t"
	done
	node_call release_handler "$rhargs]"
	case $? in
	0) return 0 ;;
	2) return 2 ;;
	3) printf '%s\n' "$rs: node $RELEASE_NODE is not running" >&2 ;;
	4) printf '%s\n' "$rs: release_handler: lost the connection to $RELEASE_NODE" >&2 ;;
	esac
	return 1
}

# rh_which STEP: "VSN STATUS" per release release_handler knows, on the
# running node (fails, saying why, when it cannot tell).
rh_which() {
	rh "$1" "{which}"
}

# rh_vsn_step NAME VSN: RH_STEP, the release_handler step {NAME, "VSN"}.
rh_vsn_step() {
	erl_str "$2"
	RH_STEP="{$1,$ESTR}"
}

# which_of WHICH VSN: from rh_which's output, VSN_STATUS (VSN's status,
# or nothing), RUNNING (the version the node runs: current, else
# permanent) and PERMANENT_VSN.  In the shell: no process.
which_of() {
	VSN_STATUS=""
	PERMANENT_VSN=""
	wcur=""
	set -f
	wifs=$IFS
	IFS='
'
	for wl in $1; do
		wv=${wl%% *}
		ws=${wl#* }
		[ "$wv" != "$2" ] || [ -n "$VSN_STATUS" ] || VSN_STATUS=$ws
		case "$ws" in
		current) wcur=$wv ;;
		permanent) PERMANENT_VSN=$wv ;;
		esac
	done
	IFS=$wifs
	set +f
	RUNNING=${wcur:-$PERMANENT_VSN}
}

# find_tarball VSN: the tarball of VSN, the first of
#   releases/VSN/NAME.tar.gz  releases/VSN/NAME-VSN.tar.gz  releases/NAME-VSN.tar.gz
# (each also .tar.zst, then .tar); its sidecar NAME-VSN.<ext>.sha256, if
# any, is in the same directory.  Sets TARBALL, SIDECAR and SIDECAR_NAME
# (paths relative to the root); false if there is none.
find_tarball() {
	for base in "releases/$1/$RELEASE_NAME" "releases/$1/$RELEASE_NAME-$1" \
		"releases/$RELEASE_NAME-$1"; do
		for ext in tar.gz tar.zst tar; do
			if [ -f "$RELEASE_ROOT/$base.$ext" ]; then
				TARBALL="$base.$ext"
				SIDECAR_NAME="$RELEASE_NAME-$1.$ext.sha256"
				SIDECAR="${base%/*}/$SIDECAR_NAME"
				return 0
			fi
		done
	done
	TARBALL=""
	return 1
}

# check_tarball STEP VSN: TARBALL's sha256 is the one its sidecar gives.
check_tarball() {
	read -r want wname < "$RELEASE_ROOT/$SIDECAR" || want=""
	case "$want" in
	*[A-F]*) want=$(printf '%s' "$want" | tr 'A-F' 'a-f') ;;
	esac
	case "$want" in
	*[!0-9a-f]* | "") fail "$1: $SIDECAR is not a sha256 sidecar ('<sha256>  <file>')" ;;
	esac
	[ ${#want} -eq 64 ] || fail "$1: $SIDECAR is not a sha256 sidecar ('<sha256>  <file>')"
	wname=${wname#\*}
	[ -z "$wname" ] || [ "$wname" = "${SIDECAR_NAME%.sha256}" ] ||
		fail "$1: sidecar $SIDECAR is for $wname, not ${SIDECAR_NAME%.sha256}: refusing it (nothing was unpacked)"
	got=$(sha256sum < "$RELEASE_ROOT/$TARBALL") || fail "$1: cannot read $TARBALL"
	got=${got%% *}
	[ "$got" = "$want" ] ||
		fail "$1: tarball $TARBALL does not match its sidecar $SIDECAR (its sha256 is $got, the sidecar says $want): refusing it (nothing was unpacked)"
}

# untar TARBALL DEST MEMBER...: extract the MEMBERs (at least one).
untar() {
	tb=$1
	dest=$2
	shift 2
	command -v tar >/dev/null 2>&1 || { printf '%s\n' "$RELEASE_NAME: no tar on PATH" >&2; return 1; }
	case "$tb" in
	*.tar.gz) tar -xzf "$tb" -C "$dest" "$@" ;;
	*.tar.zst)
		command -v zstd >/dev/null 2>&1 ||
			{ printf '%s\n' "$RELEASE_NAME: no zstd on PATH to read $tb" >&2; return 1; }
		zstd -dcq -- "$tb" | tar -xf - -C "$dest" "$@"
		;;
	*) tar -xf "$tb" -C "$dest" "$@" ;;
	esac
}

# tar_list TARBALL OPT: tar -t (OPT t) or tar -tv (OPT tv) of TARBALL,
# read to its end.
tar_list() {
	command -v tar >/dev/null 2>&1 || { printf '%s\n' "$RELEASE_NAME: no tar on PATH" >&2; return 1; }
	case "$1" in
	*.tar.gz) tar "-$2zf" "$1" ;;
	*.tar.zst)
		command -v zstd >/dev/null 2>&1 ||
			{ printf '%s\n' "$RELEASE_NAME: no zstd on PATH to read $1" >&2; return 1; }
		zstd -dcq -- "$1" | tar "-$2f" -
		;;
	*) tar "-$2f" "$1" ;;
	esac
}

# check_members STEP: before anything is extracted, every member of
# TARBALL (read from ARCHIVE) is a regular file or a directory
# (SHA256SUMS vouches for file contents only: a link or a device could
# not be checked) whose name stays inside the root, and the archive reads
# to its end (a corrupt one does not).
check_members() {
	tar_list "$ARCHIVE" t >"$stage/.names" &&
		tar_list "$ARCHIVE" tv >"$stage/.types" ||
		fail "$1: cannot read $TARBALL (corrupt or truncated?): refusing it (nothing was unpacked)"
	# the names that lead outside, then the members of other types
	bad=$(awk 'FNR == NR { if (/^\// || /(^|\/)\.\.(\/|$)/) print "n" $0; next }
		$0 != "" && substr($0, 1, 1) != "-" && substr($0, 1, 1) != "d" { print "t" $0 }' \
		"$stage/.names" "$stage/.types")
	[ -n "$bad" ] || return 0
	case "$bad" in
	n*)
		fail "$1: $TARBALL holds names that lead outside the release: refusing it (nothing was unpacked):
$(printf '%s\n' "$bad" | sed -n 's/^n//p')"
		;;
	esac
	fail "$1: $TARBALL holds links or special files, which SHA256SUMS cannot vouch for: refusing it (nothing was unpacked):
$(printf '%s\n' "$bad" | sed 's/^t//')"
}

# crypto_ebin: the ebin directory of an Erlang crypto application the
# release's runtime can load: the release's own, else that of the
# Erlang/OTP whose erl is on PATH.
crypto_ebin() {
	e=$(command -v erl 2>/dev/null) || e=""
	while [ -n "$e" ] && [ -L "$e" ]; do
		l=$(readlink "$e") || break
		case "$l" in
		/*) e=$l ;;
		*) e=$(dirname -- "$e")/$l ;;
		esac
	done
	otp=""
	[ -z "$e" ] || otp=$(dirname -- "$(dirname -- "$e")")/lib
	for lib in "$RELEASE_ROOT/lib" ${otp:+"$otp"}; do
		found=""
		for d in "$lib"/crypto-*/ebin; do
			[ -f "$d/crypto.beam" ] && found=$d
		done
		if [ -n "$found" ]; then
			printf '%s\n' "$found"
			return 0
		fi
	done
	return 1
}

# check_signature STEP DIR: with RELEASE_PUBKEY (an Ed25519 public key,
# PEM, as relbuild keygen writes), DIR/SHA256SUMS.sig must be a valid
# signature of DIR/SHA256SUMS by that key; checked with Erlang's crypto,
# as relbuild itself may not be on the server.
check_signature() {
	[ -n "${RELEASE_PUBKEY:-}" ] || return 0
	[ -f "$RELEASE_PUBKEY" ] && [ -r "$RELEASE_PUBKEY" ] ||
		fail "$1: RELEASE_PUBKEY: cannot read $RELEASE_PUBKEY"
	[ -f "$2/SHA256SUMS.sig" ] ||
		fail "$1: $TARBALL has no $rel/SHA256SUMS.sig, but RELEASE_PUBKEY asks for a signature: refusing it (nothing was installed)"
	cdir=$(crypto_ebin) ||
		fail "$1: RELEASE_PUBKEY is set, but there is no Erlang crypto application to check signatures with (add crypto to the release's applications, or install Erlang/OTP's crypto on this server)"
	(
		RELEASE_DISTRIBUTION=none
		ctl verify_sig "$cdir" "$RELEASE_PUBKEY" "$2/SHA256SUMS" "$2/SHA256SUMS.sig"
	) || fail "$1: $TARBALL: the signature $rel/SHA256SUMS.sig does not verify with RELEASE_PUBKEY $RELEASE_PUBKEY: refusing it (nothing was installed)"
}

# sums_under SUMS PREFIX...: the lines of SHA256SUMS file SUMS whose path
# starts with one of the PREFIXes.
sums_under() {
	sums=$1
	shift
	printf '%s\n' "$@" | awk '
		FNR == NR { pre[++n] = $0; next }
		{
			p = $0
			sub(/^[0-9a-fA-F]+ [ *]/, "", p)
			for (i = 1; i <= n; i++)
				if (index(p, pre[i]) == 1) { print; next }
		}' - "$sums"
}

# check_sums STEP DIR LIST WHAT: sha256sum -c of LIST in DIR; on a
# mismatch, fail listing the files.
check_sums() {
	[ -s "$3" ] || return 0
	sums_out=$(cd "$2" && sha256sum -c "$3" 2>&1)
	# every line but the ": OK" ones (in the shell: no grep process)
	bad=""
	set -f
	cifs=$IFS
	IFS='
'
	for l in $sums_out; do
		case "$l" in
		*": OK") ;;
		*) bad="$bad${bad:+
}$l" ;;
		esac
	done
	IFS=$cifs
	set +f
	[ -z "$bad" ] || fail "$1: $4:
$bad"
}

UNPACK_STAGE=""
unpack_cleanup() {
	[ -n "$UNPACK_STAGE" ] && rm -rf "$UNPACK_STAGE"
	UNPACK_STAGE=""
}

# do_unpack STEP VSN: make VSN known to the running node's release_handler
# as unpacked.  Refuses a tarball that does not match its sidecar, when
# it has one, before reading anything from it; without one (Distillery's
# way: the tarball alone in releases/VSN/), the archive is checked
# against its own releases/VSN/SHA256SUMS.  Either way, and with
# RELEASE_PUBKEY that manifest's signature too: the members must be
# files and directories inside the root; releases/VSN/ and the lib/ (and
# erts-*) directories the root does not have yet are extracted into a
# staging directory, checked against releases/VSN/SHA256SUMS (every file
# extracted must be listed there with its hash; the lib/ directories the
# root shares with VSN are checked too), and only then moved into the
# root, and release_handler:set_unpacked called (by upgrade, in the call
# that installs VSN: UNPACK_STEP).  Nothing already in the root is
# overwritten (never bin/, releases/start_erl.data or COOKIE), so the
# running release stays as it was.  Sets WHICH, release_handler's
# releases before.
UNPACK_STEP=""
do_unpack() {
	step=$1
	vsn=$2
	next=${3:-}
	need_dist "$step"
	if find_tarball "$vsn" && [ -f "$RELEASE_ROOT/$SIDECAR" ]; then
		check_tarball "$step" "$vsn"
		checked="checked the tarball against its sidecar $SIDECAR and its files against releases/$vsn/SHA256SUMS"
	else
		checked="no sidecar: checked the archive against its own releases/$vsn/SHA256SUMS"
	fi
	WHICH=$(rh_which "$step") || exit 1
	which_of "$WHICH" "$vsn"
	status=$VSN_STATUS
	if [ -n "$status" ]; then
		printf '%s\n' "$RELEASE_NAME: $step: release_handler knows $vsn already ($status): nothing to unpack"
		return 0
	fi
	[ -n "$TARBALL" ] ||
		fail "$step: no tarball of $vsn: looked for releases/$vsn/$RELEASE_NAME.tar.gz, releases/$vsn/$RELEASE_NAME-$vsn.tar.gz and releases/$RELEASE_NAME-$vsn.tar.gz (and .tar.zst, .tar)"
	for d in "$RELEASE_ROOT/lib" "$RELEASE_ROOT/releases"; do
		[ -w "$d" ] || fail "$step: $d is not writable"
	done
	[ -d "$RELEASE_TMP" ] || mkdir -p "$RELEASE_TMP" || fail "$step: cannot create $RELEASE_TMP"
	UNPACK_STAGE="$RELEASE_TMP/unpack-$vsn.$$"
	trap unpack_cleanup EXIT
	trap 'exit 130' INT TERM HUP
	[ ! -e "$UNPACK_STAGE" ] || rm -rf "$UNPACK_STAGE"
	mkdir "$UNPACK_STAGE" || fail "$step: cannot create $UNPACK_STAGE"
	stage=$UNPACK_STAGE
	rel="releases/$vsn"
	# decompressed once into the stage, read three times below
	ARCHIVE="$RELEASE_ROOT/$TARBALL"
	dz=""
	case "$TARBALL" in
	*.tar.gz) command -v gzip >/dev/null 2>&1 && dz=gzip ;;
	*.tar.zst) command -v zstd >/dev/null 2>&1 && dz=zstd ;;
	esac
	if [ -n "$dz" ]; then
		ARCHIVE="$stage/.archive.tar"
		"$dz" -dc <"$RELEASE_ROOT/$TARBALL" >"$ARCHIVE" ||
			fail "$step: cannot read $TARBALL (corrupt or truncated?): refusing it (nothing was unpacked)"
	fi
	check_members "$step"

	# releases/VSN/ first: its SHA256SUMS says what else to take
	untar "$ARCHIVE" "$stage" "$rel" ||
		fail "$step: cannot extract $rel/ from $TARBALL"
	sums="$stage/$rel/SHA256SUMS"
	if [ ! -f "$sums" ] || [ ! -f "$stage/$rel/$RELEASE_NAME.rel" ]; then
		fail "$step: $TARBALL has no $rel/SHA256SUMS and $rel/$RELEASE_NAME.rel: not a release of $RELEASE_NAME $vsn"
	fi
	check_signature "$step" "$stage/$rel"
	[ -z "${RELEASE_PUBKEY:-}" ] ||
		checked="$checked and its signature ($rel/SHA256SUMS.sig, RELEASE_PUBKEY $RELEASE_PUBKEY)"
	dirs=$(awk '{
			p = $0
			sub(/^[0-9a-fA-F]+ [ *]/, "", p)
			d = ""
			if (p ~ /^lib\/[^\/]+\//) { split(p, a, "/"); d = "lib/" a[2] }
			else if (p ~ /^erts-[^\/]+\//) { split(p, a, "/"); d = a[1] }
			if (d != "" && !seen[d]++) print d
		}' "$sums")
	new=""
	old=""
	for d in $dirs; do
		case "${d#lib/}" in
		*[!A-Za-z0-9._+-]* | "" | .*)
			fail "$step: $rel/SHA256SUMS lists a strange directory '$d'" ;;
		esac
		if [ -e "$RELEASE_ROOT/$d" ]; then
			old="$old $d"
		else
			new="$new $d"
		fi
	done
	if [ -n "$new" ]; then
		# shellcheck disable=SC2086 # directory names, checked above
		untar "$ARCHIVE" "$stage" $new ||
			fail "$step: cannot extract$new from $TARBALL"
	fi

	# every extracted file as SHA256SUMS says, and nothing it does not list
	# shellcheck disable=SC2046 # directory names, checked above
	sums_under "$sums" "$rel/" $(for d in $new; do printf '%s/ ' "$d"; done) \
		> "$stage/.check" || fail "$step: cannot read $rel/SHA256SUMS"
	check_sums "$step" "$stage" "$stage/.check" \
		"the files unpacked from $TARBALL do not match $rel/SHA256SUMS (nothing was installed)"
	odd=$(cd "$stage" && find . ! -type f ! -type d)
	[ -z "$odd" ] ||
		fail "$step: $TARBALL holds links or special files (nothing was installed):
$odd"
	extra=$(cd "$stage" && find releases lib erts-* -type f 2>/dev/null | awk -v rel="$rel" '
		FNR == NR { p = $0; sub(/^[0-9a-fA-F]+ [ *]/, "", p); listed[p] = 1; next }
		$0 == rel "/SHA256SUMS" || $0 == rel "/SHA256SUMS.sig" { next }
		!($0 in listed) { print }' "$sums" -)
	[ -z "$extra" ] ||
		fail "$step: $TARBALL holds files $rel/SHA256SUMS does not list (nothing was installed):
$extra"
	if [ -n "$old" ]; then
		# shellcheck disable=SC2046 # directory names, checked above
		sums_under "$sums" $(for d in $old; do printf '%s/ ' "$d"; done) > "$stage/.check-root"
		check_sums "$step" "$RELEASE_ROOT" "$stage/.check-root" \
			"directories the root shares with $vsn differ from $vsn's $rel/SHA256SUMS (nothing was installed)"
	fi

	printf '%s\n' "$RELEASE_NAME: $step: $checked"

	# into the root: the new directories, then releases/VSN/ (the
	# tarball and its sidecar may be there already)
	for d in $new; do
		mv "$stage/$d" "$RELEASE_ROOT/$d" || fail "$step: cannot move $d into $RELEASE_ROOT"
	done
	[ -d "$RELEASE_ROOT/$rel" ] || mkdir -p "$RELEASE_ROOT/$rel" ||
		fail "$step: cannot create $RELEASE_ROOT/$rel"
	set --
	for f in "$stage/$rel"/* "$stage/$rel"/.[!.]*; do
		[ -e "$f" ] && set -- "$@" "$f"
	done
	if [ $# -gt 0 ]; then
		# the root's files of those names (from an earlier unpack) go first
		(
			for f in "$@"; do
				shift
				t="${RELEASE_ROOT:?}/$rel/${f##*/}"
				if [ -e "$t" ] || [ -L "$t" ]; then
					set -- "$@" "$t"
				fi
			done
			[ $# -eq 0 ] || rm -rf "$@"
		)
		mv "$@" "$RELEASE_ROOT/$rel/" || fail "$step: cannot move $rel/ into $RELEASE_ROOT"
	fi
	unpack_cleanup
	trap - EXIT

	erl_list "$RELEASE_ROOT/$rel/$RELEASE_NAME.rel" "$RELEASE_ROOT" "$vsn" "$TARBALL"
	UNPACK_STEP="{unpacked,${ELIST#[}"
	UNPACK_STEP="${UNPACK_STEP%]}}"
	# release_handler:set_unpacked; by upgrade, with the install
	[ "$next" = install ] || rh "$step" "$UNPACK_STEP" || exit 1
}

# render_release_sys_config VSN: releases/VSN/sys.config rendered in place
# from the environment, as release_handler:install_release (and a later
# restart of the node) reads that file itself.  The shipped template is
# kept as sys.config.src the first time; later renders read it.  A file
# the rendering does not change is left alone.  The rendered file may hold
# secrets: only its owner may read it.
render_release_sys_config() {
	rdir="$RELEASE_ROOT/releases/$1"
	[ -f "$rdir/sys.config" ] || return 0
	src=$(sys_config_src "$rdir")
	(umask 077 && render_config "$src" "$rdir/sys.config.new" "%" direct &&
		apply_runtime_config "$rdir" "$rdir/sys.config.new") || return 1
	if cmp -s "$rdir/sys.config.new" "$rdir/sys.config"; then
		rm -f "$rdir/sys.config.new"
		return 0
	fi
	if [ ! -f "$rdir/sys.config.src" ]; then
		cp -p "$rdir/sys.config" "$rdir/sys.config.src" || return 1
	fi
	mv "$rdir/sys.config.new" "$rdir/sys.config"
}

# has_hooks EVENT VSN: version VSN has EVENT hooks.
has_hooks() {
	for hook in "$RELEASE_ROOT/releases/$2/hooks/$1"/*; do
		[ -f "$hook" ] && return 0
	done
	return 1
}

# run_upgrade_hooks EVENT VSN: the EVENT hooks of version VSN (the one
# being installed), with RELEASE_VSN set to it.
run_upgrade_hooks() {
	(
		RELEASE_VSN=$2
		REL_VSN=$2
		export RELEASE_VSN REL_VSN
		run_hooks "$1" "$RELEASE_ROOT/releases/$2"
	)
}

# do_install STEP VSN KIND PERMANENT: hot-install VSN, known to the
# running node's release_handler (KIND downgrade: only a version it ran
# before, status old or permanent): render its sys.config, check the
# relup, its pre_upgrade hooks, release_handler:install_release, then
# make_permanent unless PERMANENT is no, then its post_upgrade hooks.
#
# The release_handler steps (set_unpacked for an upgrade, then
# check_install_release, install_release, make_permanent) run on the
# node in one call, or in two around VSN's pre_upgrade hooks, which run
# after the check and before the install.
do_install() {
	step=$1
	vsn=$2
	kind=$3
	permanent=$4
	need_dist "$step"
	[ -n "$UNPACK_STEP" ] || [ "$kind" = upgrade ] || WHICH=$(rh_which "$step") || exit 1
	which_of "$WHICH" "$vsn"
	status=$VSN_STATUS
	running=$RUNNING
	permanent_vsn=$PERMANENT_VSN
	# just unpacked by upgrade: set_unpacked comes first below
	[ -z "$UNPACK_STEP" ] || status=unpacked
	[ -n "$status" ] ||
		fail "$step: release_handler does not know $vsn (unpack it first: bin/$RELEASE_NAME unpack $vsn)"
	rh_vsn_step permanent "$vsn"
	make_permanent=$RH_STEP
	if [ "$vsn" = "$running" ]; then
		if [ "$permanent" = yes ] && [ "$status" = current ]; then
			rh "$step" "$make_permanent" || exit 1
			printf '%s\n' "$RELEASE_NAME: $step: the node runs $vsn already; made it permanent"
		else
			printf '%s\n' "$RELEASE_NAME: $step: the node runs $vsn already ($status)"
		fi
		return 0
	fi
	if [ "$kind" = downgrade ]; then
		case "$status" in
		old | permanent) ;;
		*) fail "$step: the node never ran $vsn (release_handler: $status): use install or upgrade" ;;
		esac
	fi
	if ! render_release_sys_config "$vsn"; then
		# as unpack alone would have left it: known to release_handler
		[ -z "$UNPACK_STEP" ] || rh "$step" "$UNPACK_STEP" >/dev/null
		fail "$step: releases/$vsn/sys.config needs the variables above"
	fi
	rh_vsn_step check "$vsn"
	check=$RH_STEP
	rh_vsn_step install "$vsn"
	install=$RH_STEP
	[ "$permanent" = yes ] || make_permanent=""
	if has_hooks pre_upgrade "$vsn"; then
		rh "$step" ${UNPACK_STEP:+"$UNPACK_STEP"} "$check" || exit 1
		run_upgrade_hooks pre_upgrade "$vsn" ||
			fail "$step: a pre_upgrade hook failed: nothing was installed, the node runs $running"
		rh "$step" "$install" ${make_permanent:+"$make_permanent"}
	else
		rh "$step" ${UNPACK_STEP:+"$UNPACK_STEP"} "$check" "$install" ${make_permanent:+"$make_permanent"}
	fi
	case $? in
	0) ;;
	2) fail "$step: the node runs $vsn, but it is not permanent" ;;
	*) exit 1 ;;
	esac
	run_upgrade_hooks post_upgrade "$vsn" ||
		fail "$step: the node runs $vsn, but a post_upgrade hook failed"
	if [ "$permanent" = yes ]; then
		printf '%s\n' "$RELEASE_NAME: $running -> $vsn: installed, permanent"
	else
		printf '%s\n' "$RELEASE_NAME: $running -> $vsn: installed, not permanent (a restart boots $permanent_vsn)"
	fi
}

# upgrade_args CMD ARGS…: VSN and --no-permanent, in any order; sets
# UP_VSN and UP_PERMANENT.
upgrade_args() {
	c=$1
	shift
	UP_VSN=""
	UP_PERMANENT=yes
	for a in "$@"; do
		case "$a" in
		--no-permanent) UP_PERMANENT=no ;;
		-*) usage_fail "$c: unknown option '$a'" ;;
		*)
			[ -z "$UP_VSN" ] || usage_fail "usage: bin/$RELEASE_NAME $c VSN [--no-permanent]"
			UP_VSN=$a
			;;
		esac
	done
	[ -n "$UP_VSN" ] || usage_fail "usage: bin/$RELEASE_NAME $c VSN [--no-permanent]"
	check_vsn "$c" "$UP_VSN"
}

cmd="${1:-help}"
[ $# -gt 0 ] && shift

case "$cmd" in
start | daemon | daemon_iex)
	# daemon, daemon_iex: mix release's names.  The node runs under
	# run_erl with its shell either way; reach it with remote.
	[ $# -eq 0 ] || usage_fail "usage: bin/$RELEASE_NAME $cmd"
	do_start
	;;
foreground)
	do_foreground -noshell -noinput +Bd "$@"
	;;
console | start_iex)
	configure
	run_hooks pre_start || exit 1
	ensure_releases_file
	start_vm exec "$@"
	;;
run_erl_daemon)
	# under run_erl, started by "start": the hooks ran there already
	echo $$ > "$PID_FILE"
	start_vm exec
	;;
remote | remote_console | attach)
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
	node_rpc init reboot >/dev/null || exit 1
	echo ok
	;;
ping)
	need_dist ping
	node_ping
	;;
pid)
	need_dist pid
	node_pid
	;;
eval)
	[ $# -eq 1 ] || usage_fail "usage: bin/$RELEASE_NAME eval EXPR"
	RELEASE_DISTRIBUTION=none ctl eval "$RELEASE_LANG" "$1"
	;;
rpc)
	need_dist rpc
	[ $# -ge 1 ] || usage_fail "usage: bin/$RELEASE_NAME rpc EXPR | rpc MOD FUN [ARGS...]"
	node_rpc "$@"
	;;
nodetool)
	# what hooks reach as "nodetool": ping, rpc, stop, pid
	[ $# -ge 1 ] || usage_fail "usage: nodetool ping | rpc EXPR | rpc MOD FUN [ARGS...]"
	sub=$1
	shift
	case "$sub" in
	ping | pid | stop | rpc) need_dist nodetool ;;
	esac
	case "$sub" in
	ping) node_ping ;;
	pid) node_pid ;;
	stop) node_stop ;;
	rpc)
		[ $# -ge 1 ] || usage_fail "usage: nodetool rpc EXPR | rpc MOD FUN [ARGS...]"
		node_rpc "$@"
		;;
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
unpack)
	[ $# -eq 1 ] || usage_fail "usage: bin/$RELEASE_NAME unpack VSN"
	check_vsn unpack "$1"
	do_unpack "unpack $1" "$1"
	;;
install | upgrade | downgrade)
	upgrade_args "$cmd" "$@"
	if [ "$cmd" = upgrade ]; then
		do_unpack "upgrade $UP_VSN" "$UP_VSN" install
	fi
	do_install "$cmd $UP_VSN" "$UP_VSN" "$cmd" "$UP_PERMANENT"
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
