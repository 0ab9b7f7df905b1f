#!/bin/bash
# relbuild on bad input: each case runs the real binary on a compiled copy
# of examples/counter with one thing wrong, and checks the exit status (2
# for configuration and usage, 1 for a failed build), the message on
# stderr, and that no tarball is printed or left behind.
. "$(dirname "$0")/lib.sh"

proj="$T/proj"
copy_example counter "$proj"
compile_rebar3 "$proj"
# relbuild names the directory it was run in as getcwd() has it.
proj_real=$(cd "$proj" && pwd -P)
cfg="$proj/rel/config.yml"
cp "$cfg" "$T/config.yml"
unset COUNTER_COOKIE SOURCE_DATE_EPOCH
reset_config() { cp "$T/config.yml" "$cfg"; }

# run_in DIR ARGS…: relbuild in DIR; sets STATUS, OUT and ERR.
run_in() {
	local where=$1
	shift
	(cd "$where" && "$RELBUILD" "$@") >"$T/out" 2>"$T/err"
	STATUS=$?
	OUT=$(cat "$T/out")
	ERR=$(cat "$T/err")
}

# expect STATUS TEXT WHAT ARGS…: relbuild ARGS in $proj exits STATUS,
# stderr holds TEXT, stdout names no release or tarball.
expect() {
	local want=$1 text=$2 what=$3
	shift 3
	run_in "$proj" "$@"
	[ "$STATUS" = "$want" ] ||
		fail "$what: exit $STATUS, expected $want; stderr: $ERR"
	assert_contains "$ERR" "$text" "$what: stderr"
	case "$OUT" in
	*release\ counter* | *tarball*) fail "$what: stdout reports a build: $OUT" ;;
	esac
	pass "$what: exit $want: $text"
}

# expect_exact STATUS STDERR WHAT ARGS…: the whole of stderr.
expect_exact() {
	expect "$@"
	assert_eq "$ERR" "$2" "$3: the whole of stderr"
}

# insert_after ANCHOR TEXT: put the line TEXT after the first line that
# is exactly ANCHOR in the config; prints TEXT's line number.
insert_after() {
	awk -v a="$1" -v t="$2" '{ print } !done && $0 == a { print t; done = 1 }' \
		"$cfg" >"$cfg.new" && mv "$cfg.new" "$cfg"
	line_of "$2"
}

# line_of TEXT: the number of the (first) config line that is exactly TEXT.
line_of() {
	n=$(grep -n -x -F -- "$1" "$cfg" | head -n 1 | cut -d: -f1)
	[ -n "$n" ] || fail "test setup: no line '$1' in $cfg"
	echo "$n"
}

# col_of LINE TEXT: the 1-based column of TEXT in config line LINE.
col_of() {
	sed -n "$1p" "$cfg" | awk -v t="$2" '{ print index($0, t) }'
}

# replace OLD NEW: replace the config line that is exactly OLD; prints
# the line number.
replace() {
	n=$(line_of "$1") || exit 1
	awk -v n="$n" -v t="$2" 'NR == n { print t; next } { print }' \
		"$cfg" >"$cfg.new" && mv "$cfg.new" "$cfg"
	echo "$n"
}

### rel/config.yml: one line "rel/config.yml:LINE:COL: …", exit 2

reset_config
l=$(insert_after "  prod:" "    incude_erts: true") || exit 1
expect_exact 2 "relbuild: rel/config.yml:$l:5: unknown key 'incude_erts' (did you mean 'include_erts'?)" \
	"unknown key in an environment"

reset_config
l=$(replace "default_environment: prod" "default_enviroment: prod") || exit 1
expect_exact 2 "relbuild: rel/config.yml:$l:1: unknown key 'default_enviroment' (did you mean 'default_environment'?)" \
	"unknown top-level key"

reset_config
l=$(replace "    include_src: false" "    include_src: 42") || exit 1
expect_exact 2 "relbuild: rel/config.yml:$l:$(col_of "$l" 42): 'include_src' must be true or false" \
	"a number for a boolean"

reset_config
l=$(replace "    strip_debug_info: true" '    strip_debug_info: "true"') || exit 1
expect_exact 2 "relbuild: rel/config.yml:$l:$(col_of "$l" '"true"'): 'strip_debug_info' must be true or false" \
	"a quoted \"true\" is a string, not a boolean"

reset_config
l=$(replace "    tar: { compression: gzip }" "    tar: { compression: bzip2 }") || exit 1
expect_exact 2 "relbuild: rel/config.yml:$l:$(col_of "$l" bzip2): unknown compression 'bzip2' (known: gzip, zstd, none)" \
	"unknown compression"

reset_config
first=$(line_of "    include_src: false") || exit 1
l=$(insert_after "    include_src: false" "    include_src: true") || exit 1
expect_exact 2 "relbuild: rel/config.yml:$l:5: duplicate key 'include_src' (first at $first:5)" \
	"duplicate key"

reset_config
l=$(replace "    tar: { compression: gzip }" "    tar: { compression: gzip") || exit 1
expect 2 "(while parsing a flow mapping at $l:$(col_of "$l" '{'))" "YAML syntax error"
case "$ERR" in
"relbuild: rel/config.yml:"[0-9]*:[0-9]*": did not find expected ',' or '}'"*) ;;
*) fail "YAML syntax error: not 'rel/config.yml:LINE:COL: message': $ERR" ;;
esac
pass "YAML syntax error has libyaml's message at its position"

reset_config
l=$(grep -n -x -F "  counter:" "$cfg" | tail -n 1 | cut -d: -f1)
grep -v -x -F "    version: { from_app: counter }" "$cfg" >"$cfg.new" && mv "$cfg.new" "$cfg"
expect_exact 2 "relbuild: rel/config.yml:$l:3: release 'counter' has no version" \
	"release without a version"

reset_config
replace "    version: { from_app: counter }" "    version: { from_app: crypto }" >/dev/null || exit 1
expect_exact 2 "relbuild: rel/config.yml: version: application 'crypto' is not in release 'counter'" \
	"version from an application the release does not have"

reset_config
l=$(replace "default_environment: prod" "default_environment: staging") || exit 1
expect_exact 2 "relbuild: rel/config.yml:$l:22: default_environment 'staging' is not a known environment (known: dev, prod)" \
	"default_environment names no environment"

reset_config
l=$(insert_after "    cookie: \${COUNTER_COOKIE}" "    overlays: [ { mkdir: ../escape } ]") || exit 1
expect_exact 2 "relbuild: rel/config.yml:$l:$(col_of "$l" ../escape): 'mkdir' '../escape' must be a relative path inside the release" \
	"overlay leaving the release"

### names chosen on the command line: no position, exit 2

reset_config
expect_exact 2 "relbuild: rel/config.yml: unknown environment 'stage' (known: dev, prod)" \
	"unknown --env" --env stage
expect_exact 2 "relbuild: rel/config.yml: unknown release 'nope' (known: counter)" \
	"unknown --release" --release nope
expect 2 "relbuild: unknown option '--bogus'" "unknown option" --bogus
expect 2 "relbuild: option '--env' needs a value" "--env without a value" --env
expect 2 "relbuild: cannot open 'rel/none.yml'" "--config naming no file" --config rel/none.yml
SOURCE_DATE_EPOCH=yesterday expect_exact 2 "relbuild: invalid SOURCE_DATE_EPOCH 'yesterday'" \
	"SOURCE_DATE_EPOCH not a number"
COUNTER_COOKIE="two words" expect_exact 2 \
	"relbuild: rel/config.yml: 'cookie' holds a space or control character once expanded" \
	"cookie with a space"

### files the configuration names: exit 2

reset_config
insert_after "    cookie: \${COUNTER_COOKIE}" "    vm_args: rel/missing.args" >/dev/null || exit 1
expect_exact 2 "relbuild: rel/missing.args: no such file (vm_args:)" "missing vm_args file"

reset_config
insert_after "    cookie: \${COUNTER_COOKIE}" "    overlays: [ { copy: { from: rel/nothing, to: etc } } ]" >/dev/null || exit 1
expect_exact 2 "relbuild: rel/nothing: overlay source does not exist" "missing overlay source"

### the runtime to bundle: exit 1

reset_config
replace "    include_erts: true" "    include_erts: $T/no-otp" >/dev/null || exit 1
expect 1 "include_erts: cannot use '$T/no-otp'" "include_erts naming nothing"
mkdir "$T/not-otp" "$T/not-otp/lib"
reset_config
replace "    include_erts: true" "    include_erts: $T/not-otp" >/dev/null || exit 1
expect 1 "'$T/not-otp' is not an OTP root: it has no erts-<vsn> directory" \
	"include_erts naming a directory that is not an OTP root"

### the project: exit 1, naming the command to run

reset_config
raw="$T/raw"
copy_example counter "$raw"
run_in "$raw"
[ "$STATUS" = 1 ] || fail "uncompiled rebar3 project: exit $STATUS; $ERR"
assert_eq "$ERR" "relbuild: '$(cd "$raw" && pwd -P)/_build/prod/lib' does not exist: the project has not been compiled; run 'rebar3 as prod compile' first" \
	"uncompiled rebar3 project"
pass "uncompiled rebar3 project: exit 1 naming 'rebar3 as prod compile'"
[ ! -e "$raw/_build" ] || fail "a failed build left $raw/_build"
run_in "$raw" --env dev
[ "$STATUS" = 1 ] || fail "uncompiled, --env dev: exit $STATUS; $ERR"
assert_contains "$ERR" "run 'rebar3 as dev compile' first" "uncompiled, --env dev"
pass "uncompiled, --env dev: names 'rebar3 as dev compile'"

shop="$T/shop"
copy_example shop "$shop"
run_in "$shop"
[ "$STATUS" = 1 ] || fail "uncompiled mix project: exit $STATUS; $ERR"
assert_contains "$ERR" "the project has not been compiled; run 'MIX_ENV=prod mix compile' first" \
	"uncompiled mix project"
pass "uncompiled mix project: exit 1 naming 'MIX_ENV=prod mix compile'"

mkdir "$T/empty" "$T/empty/rel"
cp "$T/config.yml" "$T/empty/rel/config.yml"
run_in "$T/empty"
[ "$STATUS" = 1 ] || fail "no project: exit $STATUS; $ERR"
# not a mix, rebar3 or erlang.mk project: its applications come from
# lib_dirs and the runtime, and counter is in neither
assert_contains "$ERR" "application 'counter' was not found (searched: " "no project"
assert_contains "$ERR" "relbuild: rel/config.yml:" "no project: the config entry named"
pass "a directory without mix.exs, rebar.config or erlang.mk: exit 1, the application not found"

reset_config
insert_after "      - counter" "      - nosuchapp" >/dev/null || exit 1
l=$(grep -n '^      - nosuchapp' "$proj/rel/config.yml" | cut -d: -f1)
expect 1 "relbuild: rel/config.yml:$l:9: application 'nosuchapp' was not found (searched: $proj_real/_build/prod/lib," \
	"missing application"
assert_contains "$ERR" "run 'rebar3 as prod compile'" "missing application: the hint"

### migrations in priv/repo/migrations (rebar3 links priv/ into _build)

reset_config
migs="$proj/priv/repo/migrations"
mkdir -p "$migs"
echo 'CREATE TABLE totals (n integer);' >"$migs/20240102000000_add_totals.sql"
echo 'CREATE TABLE counts (n integer);' >"$migs/20240101000000_create_counts.exs"
run_in "$proj" -v
[ "$STATUS" = 0 ] || fail "-v with good migrations: exit $STATUS; $ERR"
got=$(printf '%s\n' "$OUT" | grep '^migration ')
assert_eq "$got" "migration counter 20240101000000 create_counts 20240101000000_create_counts.exs
migration counter 20240102000000 add_totals 20240102000000_add_totals.sql" "-v: the migrations, by version"
assert_contains "$OUT" "application counter 0.1.0 permanent" "-v: the applications"
assert_contains "$OUT" "application sasl " "-v: the applications"
rel="$proj/_build/prod/rel/counter"
[ -f "$rel/lib/counter-0.1.0/priv/repo/migrations/20240102000000_add_totals.sql" ] ||
	fail "the migrations are not in the release"
pass "-v lists the migrations in version order; they are in the release"

cp "$migs/20240101000000_create_counts.exs" "$migs/20240101000000_create_totals.exs"
expect_exact 1 "relbuild: duplicate migration version 20240101000000: 'priv/repo/migrations/20240101000000_create_counts.exs' and 'priv/repo/migrations/20240101000000_create_totals.exs'" \
	"two migrations with one version"
rm "$migs/20240101000000_create_totals.exs"

echo 'x' >"$migs/1_first.exs"
echo 'x' >"$migs/01_again.exs"
expect 1 "duplicate migration version 1: 'priv/repo/migrations/01_again.exs' and 'priv/repo/migrations/1_first.exs'" \
	"versions 01 and 1 are the same number"
rm "$migs/1_first.exs" "$migs/01_again.exs"

# Not a migration (Ecto skips it too): a note under -v, no failure
# (tests/e2e/test_migrations_layout.sh has the rest of those rules).
echo 'x' >"$migs/create_users.exs"
cp "$migs/20240101000000_create_counts.exs" "$migs/20240101000000_create_totals.exs"
cp "$migs/20240102000000_add_totals.sql" "$migs/20240102000000_add_more.sql"
expect 1 "duplicate migration version 20240101000000: 'priv/repo/migrations/20240101000000_create_counts.exs' and 'priv/repo/migrations/20240101000000_create_totals.exs'" \
	"two clashes at once"
assert_contains "$ERR" "duplicate migration version 20240102000000: 'priv/repo/migrations/20240102000000_add_more.sql' and 'priv/repo/migrations/20240102000000_add_totals.sql'" \
	"two clashes at once: the second"
case "$ERR" in
*create_users*) fail "a file that is no migration is named in the errors: $ERR" ;;
esac
rm -r "$proj/priv"

### a failed build leaves the last good one as it was

# The release is made in a stage beside it (.counter.tmp-XXXXXX) and
# swapped in only once whole: a failure at any step leaves the last
# good release and its tarball untouched, and no stage behind.
rel_dir="$proj/_build/prod/rel"
dir="$rel_dir/counter/releases/0.1.0"
good_sum=""
kept_good() {
	for f in counter.tar.gz counter-0.1.0.tar.gz counter-0.1.0.tar.gz.sha256; do
		[ -f "$dir/$f" ] || fail "$1: $dir/$f is gone"
	done
	assert_eq "$(sha256sum <"$dir/counter.tar.gz" | cut -d' ' -f1)" "$good_sum" \
		"$1: the last good tarball"
	"$RELBUILD" verify "$dir/counter.tar.gz" >/dev/null ||
		fail "$1: the last good tarball does not verify"
	leftover=$(ls -A "$rel_dir" "$dir" 2>/dev/null | grep -e '^\.counter\.tmp-' -e '^\.relbuild-')
	[ -z "$leftover" ] || fail "$1: temporary files left: $leftover"
	pass "$1: the last good release and tarball kept, no temporary file"
}
good_build() {
	reset_config
	run_in "$proj"
	[ "$STATUS" = 0 ] && [ -f "$dir/counter.tar.gz" ] ||
		fail "test setup: the good build failed (exit $STATUS): $ERR"
	good_sum=$(sha256sum <"$dir/counter.tar.gz" | cut -d' ' -f1)
}

# A missing overlay source: found before anything is written.
good_build
insert_after "    cookie: \${COUNTER_COOKIE}" "    overlays: [ { copy: { from: rel/nothing, to: etc } } ]" >/dev/null || exit 1
expect 2 "rel/nothing: overlay source does not exist" "overlay failure after a good build"
kept_good "overlay failure after a good build"

# Two applications with one module: systools refuses the boot script.
good_build
mkdir -p "$proj/extra/clash/ebin"
cp "$proj/_build/prod/lib/counter/ebin/counter_server.beam" "$proj/extra/clash/ebin/"
cat >"$proj/extra/clash/ebin/clash.app" <<'EOF'
{application,clash,
             [{description,"ships a module counter also has"},
              {vsn,"1.0.0"},
              {modules,[counter_server]},
              {registered,[]},
              {applications,[kernel,stdlib]}]}.
EOF
insert_after "      - counter" "      - clash" >/dev/null || exit 1
insert_after "    cookie: \${COUNTER_COOKIE}" "    lib_dirs: [extra]" >/dev/null || exit 1
expect 1 "cannot make the boot script: counter.rel: Duplicated modules" "module clash"
assert_contains "$ERR" "counter_server specified in counter and clash" "module clash: names both"
kept_good "boot script failure after a good build"
rm -r "$proj/extra"

# The tarball cannot be put in place: a directory is in the way of
# <name>-<vsn>.tar.gz (the first rename has already placed <name>.tar.gz,
# in the stage).
good_build
insert_after "    cookie: \${COUNTER_COOKIE}" "    overlays: [ { mkdir: releases/0.1.0/counter-0.1.0.tar.gz } ]" >/dev/null || exit 1
expect 1 "cannot rename" "tarball step failure"
assert_contains "$ERR" "counter-0.1.0.tar.gz': Is a directory" "tarball step failure"
[ ! -d "$dir/counter-0.1.0.tar.gz" ] || fail "the failed build's directory is in the release"
kept_good "tarball step failure"
