#!/bin/bash
# relbuild --upgrade, the build side of hot upgrades: examples/counter
# built as 0.1.0, then as 0.2.0 (tests/e2e/fixtures/counter-0.2.0) with
# the appup and the relup from the 0.1.0 tarball; what goes wrong is an
# error that says what; a hand-written appup is used as it is; `relbuild
# appup` writes the generated one for editing; two copies give the same
# upgrade tarball.
. "$(dirname "$0")/lib.sh"

export COUNTER_COOKIE=upgrade-cookie
FIX=$SRC_DIR/tests/e2e/fixtures
REL=_build/prod/rel/counter
EXPECTED_APPUP='{"0.2.0",[{"0.1.0",[{add_module,counter_fmt},{update,counter_server,{advanced,[]}}]}],[{"0.1.0",[{update,counter_server,{advanced,[]}},{delete_module,counter_fmt}]}]}'

# a copy of examples/counter, built as 0.1.0: v1 DIR
v1() {
	copy_example counter "$1"
	compile_rebar3 "$1"
	build_release "$1" --env prod
}

# its sources turned into 0.2.0, compiled: v2 DIR
v2() {
	cp "$FIX"/counter-0.2.0/src/* "$1/src/"
	# rebar3 compares mtimes to the second: a source copied in the second
	# of the last compile would keep its old .beam
	rm -rf "$1/_build/prod/lib/counter"
	compile_rebar3 "$1"
}

# relbuild in DIR that must fail: fails DIR ARGS…; its stderr on stdout
fails() {
	dir=$1
	shift
	if (cd "$dir" && "$RELBUILD" "$@") >"$T/out.log" 2>"$T/err.log"; then
		fail "relbuild $* succeeded in $dir"
	fi
	cat "$T/err.log"
}

# the term in a file, as erl's file:consult/1 reads it, on one line
consult() {
	erl -noshell -noinput -eval \
		'[P] = init:get_plain_arguments(),
		 case file:consult(P) of
		   {ok, [T]} -> io:format("~99999p", [T]);
		   E -> io:format("~p", [E])
		 end,
		 halt().' -extra "$1"
}

tarball_sha() {
	sha256sum <"$1/$REL/releases/0.2.0/counter.tar.gz" | cut -d' ' -f1
}

# 1. Nothing to upgrade from: a clear error.
copy_example counter "$T/none"
compile_rebar3 "$T/none"
err=$(fails "$T/none" --env prod --upgrade) || exit 1
assert_contains "$err" "no earlier release to upgrade from in '$T/none/$REL/releases'" "no old release"
assert_contains "$err" "give --upfrom TARBALL" "no old release"
pass "--upgrade without an earlier release fails: $err"

# 2. 0.1.0 -> 0.2.0.
A=$T/a
v1 "$A"
v2 "$A"
build_release "$A" --env prod --upgrade -v
out=$(cat "$T/build.log")
assert_contains "$out" "upgrade 0.1.0 -> 0.2.0: app counter 0.1.0 -> 0.2.0 (generated appup: 1 added, 1 changed, 0 deleted)" "summary"
assert_contains "$out" "upgrade 0.1.0 -> 0.2.0: erts " "summary"
assert_contains "$out" "(unchanged)" "summary"
assert_contains "$out" "relup   $A/$REL/releases/0.2.0/relup (from 0.1.0)" "relup line"
R=$A/$REL
[ -f "$R/releases/0.2.0/relup" ] || fail "no releases/0.2.0/relup"
[ -f "$R/releases/0.1.0/counter.tar.gz" ] || fail "the 0.1.0 tarball is gone"
assert_eq "$(stat -c %a "$R/releases/0.2.0/relup")" 644 "relup mode"
grep -q '  releases/0.2.0/relup$' "$R/releases/0.2.0/SHA256SUMS" || fail "relup not in SHA256SUMS"
grep -q '  lib/counter-0.2.0/ebin/counter.appup$' "$R/releases/0.2.0/SHA256SUMS" ||
	fail "appup not in SHA256SUMS"
list=$(tar tzf "$R/releases/0.2.0/counter.tar.gz")
assert_contains "$list" "releases/0.2.0/relup" "tarball"
assert_contains "$list" "lib/counter-0.2.0/ebin/counter.appup" "tarball"
assert_contains "$list" "releases/0.2.0/counter.rel" "tarball"
assert_contains "$list" "bin/counter" "tarball"
case "$list" in *releases/0.1.0*) fail "the 0.2.0 tarball carries releases/0.1.0" ;; esac
case "$list" in *releases/RELEASES*) fail "the tarball carries releases/RELEASES" ;; esac
leftover=$(ls -A "$A/_build/prod/rel")
assert_eq "$leftover" "counter" "output directory after the upgrade build"

assert_eq "$(consult "$R/lib/counter-0.2.0/ebin/counter.appup")" "$EXPECTED_APPUP" "generated appup"
relup=$(consult "$R/releases/0.2.0/relup")
assert_contains "$relup" '{"0.2.0",[{"0.1.0",[],' "relup"
assert_contains "$relup" '[{"0.1.0",[],' "relup downgrade"
assert_contains "$relup" '{code_change,up,[{counter_server,[]}]}' "relup"
assert_contains "$relup" '{code_change,down,[{counter_server,[]}]}' "relup"
assert_contains "$relup" '{load_object_code,{counter,"0.2.0",[counter_fmt,counter_server]}}' "relup"
"$RELBUILD" verify "$R/releases/0.2.0/counter.tar.gz" >"$T/verify.log" 2>&1 ||
	{ cat "$T/verify.log" >&2; fail "verify of the 0.2.0 tarball"; }
# the tarball unpacks into what it lists
mkdir "$T/unpacked"
tar xzf "$R/releases/0.2.0/counter.tar.gz" -C "$T/unpacked"
(cd "$T/unpacked" && sha256sum -c --quiet releases/0.2.0/SHA256SUMS) ||
	fail "sha256sum -c in the unpacked 0.2.0 tarball"
pass "0.2.0 built with its appup and relup from 0.1.0"

# 3. Reproducible: another copy, other mtimes and umask, the same bytes.
B=$T/b
(
	umask 002 # group-writable; 077 would make every file private (README)
	copy_example counter "$B"
	find "$B" -exec touch -h -d "2011-11-11 11:11:11" {} +
	compile_rebar3 "$B"
	build_release "$B" --env prod
	v2 "$B"
	build_release "$B" --env prod --upgrade
) || exit 1
assert_eq "$(tarball_sha "$B")" "$(tarball_sha "$A")" "upgrade tarball of the second copy"
pass "two copies give upgrade tarball $(tarball_sha "$A")"

# 4. --upfrom: a version, a tarball, and what is not there.
cp "$R/releases/0.1.0/counter.tar.gz" "$T/counter-0.1.0.tar.gz"
build_release "$A" --env prod --upfrom "$T/counter-0.1.0.tar.gz" -v
assert_contains "$(cat "$T/build.log")" "upgrade 0.1.0 -> 0.2.0: from $T/counter-0.1.0.tar.gz" "--upfrom TARBALL"
build_release "$A" --env prod --upgrade --upfrom 0.1.0
assert_eq "$(tarball_sha "$A")" "$(tarball_sha "$B")" "--upfrom 0.1.0 tarball"
err=$(fails "$A" --env prod --upgrade --upfrom 9.9.9) || exit 1
assert_contains "$err" "no release 9.9.9 to upgrade from" "--upfrom 9.9.9"
err=$(fails "$A" --env prod --upgrade --upfrom "$T/nothing.tar.gz") || exit 1
assert_contains "$err" "'$T/nothing.tar.gz' does not exist" "--upfrom missing tarball"
err=$(fails "$A" --env prod --upgrade --upfrom 0.2.0) || exit 1
assert_contains "$err" "--upfrom 0.2.0: that is the version being built" "--upfrom 0.2.0"
pass "--upfrom VERSION and TARBALL work; 9.9.9, a missing tarball and 0.2.0 fail"

# 5. A hand-written appup is used as it is.
mkdir -p "$A/rel/appups/counter"
HAND=$A/rel/appups/counter/0.1.0_to_0.2.0.appup
cat >"$HAND" <<'EOF'
%% written by hand
{"0.2.0",
 [{"0.1.0", [{add_module, counter_fmt}, {update, counter_server, {advanced, hand}}]}],
 [{"0.1.0", [{update, counter_server, {advanced, hand}}, {delete_module, counter_fmt}]}]}.
EOF
build_release "$A" --env prod --upgrade -v
assert_contains "$(cat "$T/build.log")" "app counter 0.1.0 -> 0.2.0 (appup rel/appups/counter/0.1.0_to_0.2.0.appup)" "summary"
cmp "$HAND" "$R/lib/counter-0.2.0/ebin/counter.appup" || fail "the hand-written appup was not used verbatim"
tar xzf "$R/releases/0.2.0/counter.tar.gz" -O lib/counter-0.2.0/ebin/counter.appup >"$T/appup.from-tar"
cmp "$HAND" "$T/appup.from-tar" || fail "the tarball's appup is not the hand-written one"
assert_contains "$(consult "$R/releases/0.2.0/relup")" '{code_change,up,[{counter_server,hand}]}' "relup from the hand-written appup"
"$RELBUILD" verify "$R/releases/0.2.0/counter.tar.gz" >/dev/null || fail "verify with a hand-written appup"
# one that does not cover the old version is an error, not a surprise
sed -i 's/"0.1.0"/"0.0.9"/' "$HAND"
err=$(fails "$A" --env prod --upgrade) || exit 1
assert_contains "$err" "not an appup from 0.1.0 to 0.2.0" "appup without 0.1.0"
rm -r "$A/rel/appups"
pass "rel/appups/counter/0.1.0_to_0.2.0.appup is used verbatim"

# 6. relbuild appup writes the generated one there, for editing.
out=$(cd "$A" && "$RELBUILD" appup --app counter --upfrom 0.1.0) || fail "relbuild appup"
assert_eq "$out" "$HAND" "relbuild appup prints"
assert_eq "$(consult "$HAND")" "$EXPECTED_APPUP" "relbuild appup writes"
err=$(fails "$A" appup --app counter --upfrom 0.1.0) || exit 1
assert_contains "$err" "exists: --force overwrites it" "relbuild appup twice"
(cd "$A" && "$RELBUILD" appup --app counter --upfrom 0.1.0 --force -q) || fail "relbuild appup --force"
err=$(fails "$A" appup --app nope --upfrom 0.1.0) || exit 1
assert_contains "$err" "application 'nope' not found" "relbuild appup --app nope"
build_release "$A" --env prod --upgrade -v
assert_contains "$(cat "$T/build.log")" "(appup rel/appups/counter/0.1.0_to_0.2.0.appup)" "written appup used"
cmp "$HAND" "$R/lib/counter-0.2.0/ebin/counter.appup" || fail "the written appup was not used"
pass "relbuild appup wrote $HAND"

# 7. Code changed, version not: an error naming the application.
C=$T/c
v1 "$C"
sed -i 's/version: { from_app: counter }/version: 0.1.1/' "$C/rel/config.yml"
cp "$FIX"/counter-0.2.0/src/counter_server.erl "$C/src/"
rm -rf "$C/_build/prod/lib/counter"
compile_rebar3 "$C"
err=$(fails "$C" --env prod --upgrade) || exit 1
assert_contains "$err" "application 'counter' changed but its version is still 0.1.0: bump vsn in its .app" "no version bump"
assert_eq "$(ls -A "$C/_build/prod/rel")" "counter" "output directory after a failed upgrade build"
pass "a change without a version bump fails: $err"
