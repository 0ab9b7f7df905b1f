#!/bin/bash
# Calls into applications the release does not have (issue 8, item 4):
# an application made here with rebar3 whose gen_srv calls
# compile:file/2 while its .app does not list compiler, as Debian's yaws
# does.  The build warns naming the caller, compile and compiler;
# --strict and `undefined_calls: error` fail before anything is written;
# `compiler: load` in the release or `undefined_calls: ignore` silence
# it; a module no application has is said to be so, and
# `no_warn_undefined` silences one module; calls behind
# optional_applications are not reported.  Then examples/counter builds
# with no warning at all.
. "$(dirname "$0")/lib.sh"

proj="$T/gen"
mkdir -p "$proj/src" "$proj/rel"
cat >"$proj/rebar.config" <<'EOF'
{erl_opts, [debug_info]}.
{deps, []}.
EOF
cat >"$proj/src/gen.app.src" <<'EOF'
{application, gen,
 [{description, "generates and compiles a module at start, as yaws does"},
  {vsn, "0.1.0"},
  {registered, []},
  {applications, [kernel, stdlib, gen_opt]},
  {optional_applications, [gen_opt]},
  {env, []},
  {modules, []}]}.
EOF
cat >"$proj/src/gen_srv.erl" <<'EOF'
-module(gen_srv).
-export([start/0]).
start() ->
    ok = file:write_file("/tmp/x.erl", "-module(x).\n"),
    compile:file("/tmp/x.erl", [binary]).
EOF
# gen_opt is optional and not installed: calls into it are the app's business
cat >"$proj/src/gen_plugins.erl" <<'EOF'
-module(gen_plugins).
-export([load/0]).
load() ->
    case code:ensure_loaded(gen_opt_api) of
        {module, _} -> gen_opt_api:hello();
        _ -> none
    end.
EOF
(cd "$proj" && rebar3 as prod compile >"$T/compile.log" 2>&1) ||
	{ cat "$T/compile.log" >&2; fail "rebar3 compile failed"; }

cfg="$proj/rel/config.yml"
rel="$proj/_build/prod/rel/gen"
tarball="$rel/releases/0.1.0/gen.tar.gz"

# write_config [SETTING] [EXTRA APPLICATION LINE]
write_config() {
	{
		printf '%s\n' "releases:" "  gen:" "    version: 0.1.0" \
			"    include_erts: false"
		[ -z "${1:-}" ] || printf '    %s\n' "$1"
		printf '%s\n' "    applications:" "      - gen"
		[ -z "${2:-}" ] || printf '      %s\n' "$2"
	} >"$cfg"
}

# run ARGS…: relbuild in the project from scratch; STATUS, ERR.
run() {
	rm -rf "$proj/_build/prod/rel"
	(cd "$proj" && "$RELBUILD" "$@") >"$T/out" 2>"$T/err"
	STATUS=$?
	ERR=$(cat "$T/err")
}

no_warning() {
	case "$ERR" in
	*warning*) fail "$1: stderr has a warning: $ERR" ;;
	esac
}

### the default: a warning that names the caller, the module and who has it

write_config
run
[ "$STATUS" = 0 ] || fail "default build: exit $STATUS: $ERR"
[ -f "$tarball" ] || fail "default build: no tarball (a warning does not stop the build)"
assert_contains "$ERR" "relbuild: warning: application 'gen': gen_srv calls compile:file/2, but module 'compile' is in application 'compiler', which the release does not include" "the warning"
assert_contains "$ERR" "'- compiler: load'" "the hint"
[ "$(grep -c 'warning' "$T/err")" = 1 ] || fail "one warning expected: $ERR"
case "$ERR" in
*gen_opt*) fail "a call into the absent optional gen_opt is reported: $ERR" ;;
esac
pass "warning names gen_srv, compile:file/2, 'compile' and 'compiler'; the build goes on"

### --strict and undefined_calls: error fail before anything is written

run --strict
[ "$STATUS" = 1 ] || fail "--strict: exit $STATUS, expected 1: $ERR"
assert_contains "$ERR" "gen_srv calls compile:file/2" "--strict: the finding"
assert_contains "$ERR" "(--strict): nothing was built" "--strict: the error"
case "$ERR" in
*warning:*) fail "--strict: findings printed as warnings: $ERR" ;;
esac
[ ! -e "$rel" ] || fail "--strict: '$rel' was written: $(find "$rel" | head)"
pass "--strict: exit 1, no tarball, no release directory"

write_config "undefined_calls: error"
run
[ "$STATUS" = 1 ] || fail "undefined_calls: error: exit $STATUS: $ERR"
assert_contains "$ERR" "(undefined_calls: error)" "undefined_calls: error"
[ ! -e "$tarball" ] || fail "undefined_calls: error: a tarball was written"
pass "undefined_calls: error: exit 1, no tarball"

write_config "undefined_calls: maybe"
run
[ "$STATUS" = 2 ] || fail "undefined_calls: maybe: exit $STATUS, expected 2: $ERR"
assert_contains "$ERR" "rel/config.yml:5:22: unknown undefined_calls mode 'maybe'" "a bad mode"
pass "a bad mode is a configuration error with its position"

### silenced: the application in the release, or ignore

write_config "" "- compiler: load"
run --strict
[ "$STATUS" = 0 ] || fail "compiler: load: exit $STATUS: $ERR"
no_warning "compiler: load"
[ -d "$rel/lib/compiler-"* ] || fail "compiler: load: compiler not in the release"
pass "compiler: load in the release: no warning, --strict passes"

write_config "undefined_calls: ignore"
run
[ "$STATUS" = 0 ] || fail "undefined_calls: ignore: exit $STATUS: $ERR"
no_warning "undefined_calls: ignore"
[ -f "$tarball" ] || fail "undefined_calls: ignore: no tarball"
pass "undefined_calls: ignore: no warning"

### a module that no application has

cat >"$proj/src/gen_extra.erl" <<'EOF'
-module(gen_extra).
-export([go/0]).
go() -> nosuchmod:go(1).
EOF
(cd "$proj" && rebar3 as prod compile >"$T/compile.log" 2>&1) ||
	{ cat "$T/compile.log" >&2; fail "rebar3 compile (gen_extra) failed"; }
write_config "" "- compiler: load"
run
[ "$STATUS" = 0 ] || fail "nosuchmod: exit $STATUS: $ERR"
assert_contains "$ERR" "relbuild: warning: application 'gen': gen_extra calls nosuchmod:go/1, but no application has module 'nosuchmod'" "a module nobody has"
case "$ERR" in
*compile:file*) fail "compiler: load no longer silences compile: $ERR" ;;
esac
pass "a module no application has: said so"

write_config "no_warn_undefined: [nosuchmod]" "- compiler: load"
run --strict
[ "$STATUS" = 0 ] || fail "no_warn_undefined: exit $STATUS: $ERR"
no_warning "no_warn_undefined: [nosuchmod]"
pass "no_warn_undefined: [nosuchmod] silences that module, also under --strict"

### examples/counter: no warning

counter="$T/counter"
copy_example counter "$counter"
compile_rebar3 "$counter"
(cd "$counter" && "$RELBUILD" --env prod --no-tar) >"$T/out" 2>"$T/err" ||
	{ cat "$T/err" >&2; fail "examples/counter does not build"; }
ERR=$(cat "$T/err")
no_warning "examples/counter"
pass "examples/counter builds with no warning"

exit 0
