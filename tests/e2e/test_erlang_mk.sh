#!/bin/bash
# A project in erlang.mk's layout (Cowboy's, RabbitMQ's): a Makefile that
# includes erlang.mk, the application built in place (ebin/<app>.app and
# the .beam files at the project root), its dependency in deps/<dep>/ebin.
# erlang.mk itself is fetched from the network, which tests cannot reach:
# the project is compiled here as erlang.mk compiles it (erlc into ebin/,
# the .app written from the Makefile's PROJECT variables).  relbuild init
# names the release after PROJECT, the release builds, unpacks into an
# empty directory, boots, answers rpc and stops.
. "$(dirname "$0")/lib.sh"

proj="$T/hello"
mkdir -p "$proj/src" "$proj/ebin" "$proj/deps/greet/src" "$proj/deps/greet/ebin"
cat >"$proj/Makefile" <<'EOS'
PROJECT = hello
PROJECT_DESCRIPTION = Hello, in erlang.mk's layout
PROJECT_VERSION = 1.2.0
DEPS = greet

include erlang.mk
EOS
printf '# erlang.mk would be here (fetched with: curl -O https://erlang.mk/erlang.mk)\n' >"$proj/erlang.mk"
cat >"$proj/src/hello_app.erl" <<'EOS'
-module(hello_app).
-behaviour(application).
-export([start/2, stop/1]).
start(_Type, _Args) -> hello_sup:start_link().
stop(_State) -> ok.
EOS
cat >"$proj/src/hello_sup.erl" <<'EOS'
-module(hello_sup).
-behaviour(supervisor).
-export([start_link/0, init/1]).
start_link() -> supervisor:start_link({local, ?MODULE}, ?MODULE, []).
init([]) -> {ok, {#{strategy => one_for_one}, []}}.
EOS
cat >"$proj/src/hello.erl" <<'EOS'
-module(hello).
-export([world/0]).
world() -> greet:greeting("world").
EOS
cat >"$proj/deps/greet/src/greet.erl" <<'EOS'
-module(greet).
-export([greeting/1]).
greeting(Who) -> "hello, " ++ Who.
EOS
erlc -o "$proj/ebin" "$proj"/src/*.erl || fail "erlc failed"
erlc -o "$proj/deps/greet/ebin" "$proj/deps/greet/src/greet.erl" || fail "erlc failed"
cat >"$proj/ebin/hello.app" <<'EOS'
{application, 'hello', [
	{description, "Hello, in erlang.mk's layout"},
	{vsn, "1.2.0"},
	{modules, ['hello','hello_app','hello_sup']},
	{registered, [hello_sup]},
	{applications, [kernel,stdlib,greet]},
	{mod, {hello_app, []}},
	{env, []}
]}.
EOS
cat >"$proj/deps/greet/ebin/greet.app" <<'EOS'
{application, 'greet', [
	{description, "Greetings"},
	{vsn, "0.3.0"},
	{modules, ['greet']},
	{registered, []},
	{applications, [kernel,stdlib]},
	{env, []}
]}.
EOS

out=$(cd "$proj" && "$RELBUILD" init 2>&1) || fail "init exited $?: $out"
assert_contains "$out" "release 'hello' (application 'hello')" "init's output"
grep -qx 'default_release: hello' "$proj/rel/config.yml" || fail "rel/config.yml does not default to hello"
pass "init named the release after the erlang.mk project"

build_release "$proj" --env prod -v
log=$(cat "$T/build.log")
assert_contains "$log" "application greet 0.3.0 permanent" "build -v (the dependency from deps/)"
assert_contains "$log" "application hello 1.2.0 permanent" "build -v (the project itself)"
tarball="$proj/_build/prod/rel/hello/releases/0.1.0/hello.tar.gz"
[ -f "$tarball" ] || fail "no tarball at $tarball"
tar -tzf "$tarball" | grep -q '^lib/greet-0.3.0/ebin/greet.beam$' || fail "greet is not in the tarball"
tar -tzf "$tarball" | grep -q '^lib/hello-1.2.0/ebin/hello.beam$' || fail "hello is not in the tarball"
pass "the erlang.mk project built, with its dependency"

unpack_and_run "$tarball" "$T/rel" 'hello:world().' '"hello, world"'
pass "the release booted from an empty directory, answered rpc and stopped"

# not compiled: the message says what to run
rm -rf "$proj/ebin"
out=$(cd "$proj" && "$RELBUILD" --env prod 2>&1)
st=$?
[ $st -ne 0 ] || fail "a build without ebin/ succeeded: $out"
assert_contains "$out" "the project has not been compiled; run 'make' first" "build without ebin/"
pass "an uncompiled erlang.mk project is named as such"
