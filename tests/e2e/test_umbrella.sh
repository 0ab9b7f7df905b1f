#!/bin/bash
# A mix umbrella, made by `mix new --umbrella` with two applications (b
# depends on a): relbuild init finds the umbrella and lists both, the
# release builds, unpacks into an empty directory, boots, answers rpc
# with both applications started, runs the release tasks init wrote, and
# stops.
. "$(dirname "$0")/lib.sh"

proj="$T/shelf"
(cd "$T" && mix new shelf --umbrella >/dev/null 2>&1) || fail "mix new --umbrella failed"
(cd "$proj/apps" && mix new a >/dev/null 2>&1 && mix new b --sup >/dev/null 2>&1) ||
	fail "mix new a, b failed"
sed -i "s/^      # {:sibling_app_in_umbrella, in_umbrella: true}/      {:a, in_umbrella: true}/" \
	"$proj/apps/b/mix.exs"
grep -q '{:a, in_umbrella: true}' "$proj/apps/b/mix.exs" || fail "could not make b depend on a"
cat >"$proj/apps/b/lib/b.ex" <<'EOS'
defmodule B do
  def hello, do: {:b, A.hello()}
end
EOS

out=$(cd "$proj" && "$RELBUILD" init 2>&1) || fail "init exited $?: $out"
assert_contains "$out" "found a mix umbrella with 2 applications under apps/: a b" "init's output"
assert_contains "$out" "release 'shelf' (applications 'a', 'b')" "init's output"
assert_contains "$out" "wrote apps/a/lib/a/release_tasks.ex (A.ReleaseTasks" "init's output"
apps=$(sed -n '/^    applications:/,/^    [a-z_]*:/p' "$proj/rel/config.yml" | grep -E '^ +- ' | awk '{print $2}' | tr '\n' ' ')
assert_eq "$apps" "a b runtime_tools: " "applications in rel/config.yml"
grep -q 'Elixir.A.ReleaseTasks seed' "$proj/rel/commands/migrate.sh" ||
	fail "rel/commands/migrate.sh does not call A.ReleaseTasks: $(cat "$proj/rel/commands/migrate.sh")"
pass "init found the umbrella and wrote a release of a and b"

compile_mix "$proj"
build_release "$proj" --env prod -v
assert_contains "$(cat "$T/build.log")" "application b 0.1.0 permanent" "build -v"
tarball="$proj/_build/prod/rel/shelf/releases/0.1.0/shelf.tar.gz"
[ -f "$tarball" ] || fail "no tarball at $tarball"
tar -tzf "$tarball" | grep -q '^releases/0.1.0/consolidated/Elixir.Enumerable.beam$' ||
	fail "the umbrella's consolidated protocols (_build/prod/consolidated) are not in the tarball"
pass "the umbrella built, with its consolidated protocols"

rel="$T/rel"
unpack_and_run "$tarball" "$rel" 'B.hello()' '{:b, :world}'
out=$(ctl "$rel" migrate 2>&1) || fail "bin/shelf migrate exited $?: $out"
assert_contains "$out" "a: no Ecto repos" "bin/shelf migrate (A.ReleaseTasks.seed/0)"
assert_contains "$out" "Success!" "bin/shelf migrate"
pass "the release booted from an empty directory, answered rpc, ran its migrate command and stopped"
