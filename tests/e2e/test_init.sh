#!/bin/bash
# relbuild init: the configuration it writes builds and boots (counter,
# rebar3; shop, mix); it refuses to overwrite without --force; --name;
# outside a project it fails with a clear message.
. "$(dirname "$0")/lib.sh"

# Run init in a directory: init_in DIR ARGS…; sets $rc, $out (stdout), $err.
init_in() {
	dir=$1
	shift
	rc=0
	(cd "$dir" && "$RELBUILD" init "$@") >"$T/init.out" 2>"$T/init.err" || rc=$?
	out=$(cat "$T/init.out")
	err=$(cat "$T/init.err")
}

# Start, ping, stop the release built in a project: boot_release ROOT
boot_release() {
	root=$1
	track_release "$root"
	ctl "$root" start || fail "bin/$(release_name "$root") start exited $?"
	got=$(ctl "$root" ping) || fail "ping failed after start"
	assert_eq "$got" "pong" "ping"
	stop_release "$root"
}

written="rel/commands/migrate.sh rel/config.yml rel/env.sh rel/hooks/post_start/10-example.sh rel/sys.config rel/vm.args"

### counter (rebar3): init, build, boot
proj="$T/counter"
copy_example counter "$proj"
rm -rf "$proj/rel"
init_in "$proj"
[ $rc -eq 0 ] || fail "init exited $rc: $err"
for f in $written; do
	[ -f "$proj/$f" ] || fail "init did not write $f"
	assert_contains "$out" "wrote $f" "init's output"
done
[ -x "$proj/rel/commands/migrate.sh" ] || fail "rel/commands/migrate.sh is not executable"
grep -q myapp -r "$proj/rel" && fail "a placeholder 'myapp' is left in rel/"
grep -qx 'default_release: counter' "$proj/rel/config.yml" ||
	fail "rel/config.yml does not default to the release 'counter'"
pass "init wrote $written"

compile_rebar3 "$proj"
build_release "$proj" --env prod
root="$proj/_build/prod/rel/counter"
[ -f "$root/releases/0.1.0/counter.tar.gz" ] || fail "no tarball after the build"
boot_release "$root"
got=$(ctl "$root" migrate 2>&1) || fail "bin/counter migrate failed: $got"
assert_contains "$got" "no migrations yet" "bin/counter migrate"
pass "the release from init's configuration builds, starts, answers pong and stops"

### an existing file is not overwritten without --force
echo "# edited" >>"$proj/rel/config.yml"
before=$(sha256sum <"$proj/rel/config.yml")
init_in "$proj"
assert_eq "$rc" 1 "init's exit status with existing files"
assert_contains "$err" "'rel/config.yml' exists" "init's error"
assert_contains "$err" "'rel/vm.args' exists" "init's error"
assert_contains "$err" "--force" "init's error"
assert_eq "$out" "" "init's output when refusing"
assert_eq "$(sha256sum <"$proj/rel/config.yml")" "$before" "rel/config.yml after a refused init"
pass "init refuses to overwrite, naming the files"

# One existing file is enough to write nothing.
rm "$proj/rel/vm.args"
init_in "$proj"
assert_eq "$rc" 1 "init's exit status with one existing file"
[ -e "$proj/rel/vm.args" ] && fail "a refused init wrote rel/vm.args"
pass "a refused init writes nothing"

### --force overwrites
init_in "$proj" --force
[ $rc -eq 0 ] || fail "init --force exited $rc: $err"
assert_contains "$out" "wrote rel/config.yml" "init --force's output"
grep -q '^# edited' "$proj/rel/config.yml" && fail "init --force kept the edited rel/config.yml"
[ -f "$proj/rel/vm.args" ] || fail "init --force did not write rel/vm.args"
pass "init --force overwrites"

### --name: the release is renamed, the application is still listed
init_in "$proj" --force --name ctr-1
[ $rc -eq 0 ] || fail "init --name exited $rc: $err"
grep -qx 'default_release: ctr-1' "$proj/rel/config.yml" || fail "--name: no default_release: ctr-1"
grep -q '^  ctr-1:' "$proj/rel/config.yml" || fail "--name: no release ctr-1"
grep -q '^      - counter ' "$proj/rel/config.yml" || fail "--name: the application counter is not listed"
grep -q 'CTR_1_COOKIE' "$proj/rel/config.yml" || fail "--name: the cookie variable is not CTR_1_COOKIE"
build_release "$proj" --env prod
[ -x "$proj/_build/prod/rel/ctr-1/bin/ctr-1" ] || fail "--name: no release ctr-1 built"
pass "init --name ctr-1 writes a configuration that builds release ctr-1"

init_in "$proj" --force --name ../x
assert_eq "$rc" 2 "init's exit status with a bad --name"
assert_contains "$err" "bad release name '../x'" "init's error for a bad --name"

### not a project
mkdir "$T/empty"
init_in "$T/empty"
[ $rc -ne 0 ] || fail "init succeeded outside a project"
assert_contains "$err" "no mix.exs, rebar.config or erlang.mk here" \
	"init's error outside a project"
assert_contains "$err" "--name" "init's error outside a project"
[ -e "$T/empty/rel" ] && fail "init wrote rel/ outside a project"
pass "init outside a project fails: $err"

### a mix project whose app name cannot be found needs --name
mkdir "$T/noname"
printf 'defmodule NoName.MixProject do\n  use Mix.Project\nend\n' >"$T/noname/mix.exs"
init_in "$T/noname"
assert_eq "$rc" 1 "init's exit status without an app name"
assert_contains "$err" "--name" "init's error without an app name"
init_in "$T/noname" --name noname
[ $rc -eq 0 ] || fail "init --name exited $rc: $err"
grep -q '^      - noname ' "$T/noname/rel/config.yml" || fail "--name without an app: noname is not listed"
pass "a mix project without app: needs --name"

### shop (mix): init, build, boot (no hooks need the database); its own
### release tasks module is kept
proj="$T/shop"
copy_example shop "$proj"
rm -rf "$proj/rel"
tasks_before=$(sha256sum <"$proj/lib/shop/release_tasks.ex")
init_in "$proj"
[ $rc -eq 0 ] || fail "init in shop exited $rc: $err"
assert_contains "$out" "release 'shop'" "init's output in shop"
case "$out" in *release_tasks.ex*) fail "init wrote a release tasks module over shop's: $out" ;; esac
assert_eq "$(sha256sum <"$proj/lib/shop/release_tasks.ex")" "$tasks_before" "shop's release_tasks.ex after init"
compile_mix "$proj"
build_release "$proj" --env prod
boot_release "$proj/_build/prod/rel/shop"
pass "shop: the release from init's configuration builds, starts, answers pong and stops"

### a new mix project: Elixir examples and a release tasks module
proj="$T/hello_web"
(cd "$T" && mix new hello_web --sup >/dev/null 2>&1) || fail "mix new hello_web failed"
init_in "$proj"
[ $rc -eq 0 ] || fail "init in hello_web exited $rc: $err"
assert_contains "$out" "wrote lib/hello_web/release_tasks.ex (HelloWeb.ReleaseTasks: migrate/0, rollback/2, seed/0)" \
	"init's output in a new mix project"
grep -q 'rpc "Elixir.HelloWeb.ReleaseTasks.migrate"' "$proj/rel/hooks/post_start/10-example.sh" ||
	fail "the post_start example is not Elixir: $(cat "$proj/rel/hooks/post_start/10-example.sh")"
grep -q 'command Elixir.HelloWeb.ReleaseTasks seed' "$proj/rel/commands/migrate.sh" ||
	fail "the migrate command does not run the release tasks: $(cat "$proj/rel/commands/migrate.sh")"
grep -rq "hello_web_release:\|myapp\|MyApp" "$proj/rel" "$proj/lib/hello_web/release_tasks.ex" &&
	fail "Erlang examples or placeholders left: $(grep -r "hello_web_release:\|myapp\|MyApp" "$proj/rel" "$proj/lib")"
grep -q '@app :hello_web' "$proj/lib/hello_web/release_tasks.ex" || fail "release_tasks.ex: no @app :hello_web"
compile_mix "$proj"
grep -q "warning" "$T/compile.log" && fail "the release tasks module compiles with warnings: $(cat "$T/compile.log")"
build_release "$proj" --env prod
grep -q "warning" "$T/build.log" && fail "relbuild warned: $(cat "$T/build.log")"
root="$proj/_build/prod/rel/hello_web"
boot_release "$root"
got=$(ctl "$root" migrate 2>&1) || fail "bin/hello_web migrate failed: $got"
assert_contains "$got" "Loading hello_web.." "bin/hello_web migrate"
assert_contains "$got" "hello_web: no Ecto repos" "bin/hello_web migrate"
assert_contains "$got" "Success!" "bin/hello_web migrate"
pass "a new mix project: Elixir examples, a release tasks module that compiles cleanly and runs"
