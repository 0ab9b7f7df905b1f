#!/bin/bash
# Run one case of the bad-input table (tests/bad_input/cases):
#
#   run.sh CASE
#
# Copies the base project that bad_input.setup made
# ($BUILD_DIR/tests/bad_input/base, a compiled rebar3 project "badapp"
# that relbuild builds) to a fresh temporary directory, runs the case's
# setup snippet there (bash, cwd the project, `set -e`), then relbuild
# with the case's arguments (default: --env prod), and checks:
#
#   1. the exit status is the case's `exit`;
#   2. the first line of stderr matches the case's `stderr` (an extended
#      regular expression) and is not longer than 2048 bytes;
#   3. stderr holds no control character (a byte below 0x20 other than
#      newline and tab, or 0x7f): names from hostile input are escaped;
#   4. nothing was built: nothing in _build/*/rel/ (a release directory
#      or a temporary one), no start_erl.data or releases/*/*.rel anywhere
#      (an output_dir elsewhere),
#      no *.tar.gz, *.tar.zst or *.tar, no .relbuild-tmp* left, and
#      stdout reports no release or tarball.
#
# On failure it prints why and relbuild's whole stdout and stderr.
# Variables the setup snippet may use: PROJ (the project, also the cwd),
# OUTSIDE (an empty directory beside the project, outside it), APP (the
# compiled application, _build/default/lib/badapp), T (the temporary
# directory that holds both); functions: replace, mkapp (see below).
#
# Environment: RELBUILD, BUILD_DIR; SRC_DIR (for the cases file);
# KEEP_TMP=1 keeps the temporary directory of a failed case.
set -u
: "${RELBUILD:?RELBUILD must name the relbuild binary}"
: "${BUILD_DIR:?BUILD_DIR must name the build tree}"
here=$(cd "$(dirname "$0")" && pwd)
CASES=${CASES_FILE:-$here/cases}
BASE="$BUILD_DIR/tests/bad_input/base"
# relbuild's time and memory on a hostile input are bounded: a case that
# hangs or blows up fails instead of taking the machine with it.  A case
# may set its own time limit (timeout SECONDS).
RUN_TIMEOUT=120
RUN_MEMORY_KB=${RUN_MEMORY_KB:-3000000}
# AddressSanitizer maps terabytes of shadow memory at start: no limit on
# the address space of a sanitized binary (the timeout still holds)
if grep -q __asan_init "$RELBUILD" 2>/dev/null; then
	RUN_MEMORY_KB=unlimited
fi

name=${1:?usage: run.sh CASE}

die() { printf 'bad_input.%s: %s\n' "$name" "$*" >&2; exit 1; }

[ -d "$BASE" ] || die "no base project at $BASE (run the bad_input.setup test first)"

# Read the case's block: case / exit / args / stderr / setup … end.
found=0 in_setup=0 want_exit="" want_re="" args="--env prod" setup=""
while IFS= read -r line || [ -n "$line" ]; do
	if [ $in_setup = 1 ]; then
		if [ "$line" = end ]; then
			in_setup=0
			[ $found = 1 ] && break
		elif [ $found = 1 ]; then
			setup+="$line"$'\n'
		fi
		continue
	fi
	case $line in
	"case $name") found=1 ;;
	"case "*) [ $found = 1 ] && break ;;
	setup) in_setup=1 ;;
	"exit "*) [ $found = 1 ] && want_exit=${line#exit } ;;
	"args "*) [ $found = 1 ] && args=${line#args } ;;
	"timeout "*) [ $found = 1 ] && RUN_TIMEOUT=${line#timeout } ;;
	args) [ $found = 1 ] && args="" ;;
	"stderr "*) [ $found = 1 ] && want_re=${line#stderr } ;;
	esac
done <"$CASES"
[ $found = 1 ] || die "no case '$name' in $CASES"
[ -n "$want_exit" ] || die "case '$name' has no 'exit' line"
[ -n "$want_re" ] || die "case '$name' has no 'stderr' line"

T=$(mktemp -d "${TMPDIR:-/tmp}/relbuild-bi.XXXXXX")
cleanup() {
	status=$?
	if [ "$status" -ne 0 ] && [ -n "${KEEP_TMP:-}" ]; then
		printf 'kept %s\n' "$T" >&2
	else
		# a case may have taken permissions away
		chmod -R u+rwx "$T" 2>/dev/null
		rm -rf "$T"
	fi
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PROJ="$T/proj"
OUTSIDE="$T/outside"
APP="$PROJ/_build/default/lib/badapp"
export PROJ OUTSIDE APP T
export HOME="$T/home"
mkdir -p "$HOME" "$OUTSIDE"
unset BADAPP_COOKIE SOURCE_DATE_EPOCH MIX_ENV REBAR_PROFILE 2>/dev/null
cp -a "$BASE" "$PROJ" || die "cannot copy the base project"

# Helpers for the setup snippets.
# replace FILE OLD NEW: replace the first OLD (a literal string) in FILE
# by NEW; fails when FILE does not hold OLD.
replace() {
	python3 -c '
import os, sys
path, old, new = sys.argv[1], os.fsencode(sys.argv[2]), os.fsencode(sys.argv[3])
data = open(path, "rb").read()
if old not in data:
    sys.exit("replace: %s does not hold %r" % (path, old))
open(path, "wb").write(data.replace(old, new, 1))
' "$@"
}
# mkapp DIR NAME VSN [DEP...]: a compiled application with no modules,
# DIR/ebin/NAME.app, that needs kernel, stdlib and the DEPs.
mkapp() {
	local dir=$1 app=$2 vsn=$3 deps="" d
	shift 3
	for d in "$@"; do deps+=",$d"; done
	mkdir -p "$dir/ebin"
	printf '{application,%s,\n [{description,"%s"},\n  {vsn,"%s"},\n  {modules,[]},\n  {registered,[]},\n  {applications,[kernel,stdlib%s]}]}.\n' \
		"$app" "$app" "$vsn" "$deps" >"$dir/ebin/$app.app"
}

cd "$PROJ" || die "cannot enter $PROJ"
(set -e; eval "$setup") >"$T/setup.log" 2>&1 ||
	{ cat "$T/setup.log" >&2; die "the case's setup failed"; }

eval "set -- $args"
(
	ulimit -v "$RUN_MEMORY_KB" 2>/dev/null
	exec timeout -k 5 "$RUN_TIMEOUT" "$RELBUILD" "$@"
) >"$T/stdout" 2>"$T/stderr"
status=$?

problems=""
problem() { problems+="  - $*"$'\n'; }

if [ "$status" = 124 ] || [ "$status" = 137 ]; then
	problem "relbuild did not finish within $RUN_TIMEOUT seconds (killed; exit status $status)"
fi
[ "$status" = "$want_exit" ] || problem "exit status $status, expected $want_exit"

first=$(head -n 1 "$T/stderr")
if ! LC_ALL=C grep -Eq -- "$want_re" <<<"$first"; then
	problem "the first line of stderr does not match /$want_re/"
fi
[ ${#first} -le 2048 ] || problem "the first line of stderr is ${#first} bytes long"
ctl=$(LC_ALL=C tr -dc '\000-\010\013-\037\177' <"$T/stderr" | wc -c)
[ "$ctl" = 0 ] || problem "stderr holds $ctl control character(s)"

left=$(cd "$T" && {
	# anything in an output directory, dot entries (a temporary
	# directory of the build) included
	find proj/_build/*/rel -mindepth 1 -maxdepth 1 -print 2>/dev/null
	find . \( -name '*.tar.gz' -o -name '*.tar.zst' -o -name '*.tar' \
		-o -name '.relbuild-tmp*' -o -name start_erl.data \
		-o -path '*/releases/*/*.rel' \) -print 2>/dev/null
} | sort -u | head -n 20)
[ -z "$left" ] || problem "left behind: $(echo $left)"
if LC_ALL=C grep -Eq '^(release|tarball) ' "$T/stdout"; then
	problem "stdout reports a build"
fi

if [ -n "$problems" ]; then
	{
		printf 'FAIL bad_input.%s (relbuild %s in %s)\n' "$name" "$*" "$PROJ"
		printf '%s' "$problems"
		printf 'expected: exit %s, stderr /%s/\n' "$want_exit" "$want_re"
		printf -- '--- stdout\n'
		head -c 8192 "$T/stdout" | cat -v
		printf -- '--- stderr\n'
		head -c 8192 "$T/stderr" | cat -v
		printf -- '---\n'
	} >&2
	exit 1
fi
printf 'ok bad_input.%s: exit %s, %s\n' "$name" "$status" "$(printf '%s' "$first" | head -c 300)"
exit 0
