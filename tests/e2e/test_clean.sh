#!/bin/bash
# relbuild clean removes the release directory the build wrote (and a
# stage a killed build left), only that; --all every release and
# environment's; relbuild --version names the libraries it runs with.
. "$(dirname "$0")/lib.sh"

P=$T/counter
copy_example counter "$P"
compile_rebar3 "$P"
build_release "$P" --env prod
R=$P/_build/prod/rel/counter
[ -d "$R" ] || fail "no release at $R"
mkdir "$P/_build/prod/rel/.counter.tmp-abc123"      # a killed build's stage
mkdir "$P/_build/prod/rel/other"                    # not relbuild's

out=$(cd "$P" && "$RELBUILD" clean) || fail "relbuild clean exited $?: $out"
assert_contains "$out" "removed $R" "clean"
assert_contains "$out" "removed $P/_build/prod/rel/.counter.tmp-abc123" "clean"
[ ! -e "$R" ] || fail "clean left $R"
[ ! -e "$P/_build/prod/rel/.counter.tmp-abc123" ] || fail "clean left the stage"
[ -d "$P/_build/prod/rel/other" ] || fail "clean removed a directory that is not a release's"
[ -f "$P/_build/prod/lib/counter/ebin/counter_server.beam" ] || fail "clean removed compiled code"
pass "clean: the release directory and a stale stage, nothing else"

out=$(cd "$P" && "$RELBUILD" clean) || fail "a second clean exited $?"
assert_eq "$out" "nothing to remove" "a second clean"

# --all: the dev environment's (dev_mode) and prod's
build_release "$P" --env prod
(cd "$P" && rebar3 as dev compile >/dev/null 2>&1 || rebar3 compile >/dev/null 2>&1) || true
(cd "$P" && "$RELBUILD" --env dev -q) >/dev/null 2>&1 || true
out=$(cd "$P" && "$RELBUILD" clean --env prod --all 2>&1) && fail "clean --all --env exited 0"
assert_contains "$out" "relbuild: clean: --all" "clean --all --env"
out=$(cd "$P" && "$RELBUILD" clean --all) || fail "clean --all exited $?: $out"
[ ! -e "$R" ] || fail "clean --all left $R"
for d in "$P"/_build/*/rel/counter; do
	[ ! -e "$d" ] || fail "clean --all left $d"
done
pass "clean --all: every environment's release"

out=$(cd "$P" && "$RELBUILD" clean --env nope 2>&1) && fail "clean --env nope exited 0"
assert_contains "$out" "relbuild: clean: " "clean with an unknown environment"
pass "clean: a bad environment is an error ($out)"

out=$("$RELBUILD" --version) || fail "--version exited $?"
assert_contains "$out" "relbuild 0." "--version"
printf '%s\n' "$out" | grep -Eq '^libarchive [0-9]+\.[0-9]+' || fail "--version names no libarchive: $out"
printf '%s\n' "$out" | grep -Eq '^libyaml [0-9]+\.[0-9]+\.[0-9]+$' || fail "--version names no libyaml: $out"
printf '%s\n' "$out" | grep -Eq '^OpenSSL [0-9]+\.[0-9]+' || fail "--version names no OpenSSL: $out"
pass "--version: $(printf '%s' "$out" | tr '\n' ';')"
