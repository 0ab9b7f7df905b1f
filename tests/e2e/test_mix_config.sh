#!/bin/bash
# A mix project's config/config.exs (and the config/<env>.exs it imports)
# becomes the release's sys.config, as mix release makes it, merged over
# rel/sys.config with its ${VAR} placeholders kept; eval sees the values.
# A config that does not evaluate stops the build naming the file; two
# builds give the same sys.config bytes.  config/runtime.exs ships as
# releases/<vsn>/runtime.exs and is read at every boot, as mix release
# reads it: eval and a started node see what it set from the server's
# environment, merged over the rest; one that raises stops the start
# naming the file.
. "$(dirname "$0")/lib.sh"

export SHOP_COOKIE=mix-config-cookie

proj="$T/proj"
copy_example shop "$proj"
mkdir "$proj/config"
cat >"$proj/config/config.exs" <<'EOC'
import Config
config :shop, greeting: "hello"
import_config "#{config_env()}.exs"
EOC
cat >"$proj/config/prod.exs" <<'EOC'
import Config
config :shop, mode: :prod
EOC
cat >"$proj/config/runtime.exs" <<'EOC'
import Config
config :shop, greeting: System.get_env("SHOP_GREETING", "hello")
if config_env() == :prod do
  config :shop, :runtime, env: config_env(), port: String.to_integer(System.get_env("SHOP_PORT", "4000"))
end
if System.get_env("SHOP_BROKEN") do
  raise "SHOP_BROKEN is set"
end
if System.get_env("SHOP_FUN") do
  config :shop, fun: fn -> :no_sys_config_holds_this end
end
EOC
compile_mix "$proj"
build_release "$proj" --env prod -v
assert_contains "$(cat "$T/build.log")" "sys.config from config/config.exs (+ rel/sys.config)" "-v output"
assert_contains "$(cat "$T/build.log")" "config/runtime.exs shipped, read at every boot" "-v output"
pass "-v names the sources of sys.config and runtime.exs"

rel="$proj/_build/prod/rel/shop"
vsn=$(cut -d' ' -f2 "$rel/releases/start_erl.data")
sys="$rel/releases/$vsn/sys.config"
text=$(cat "$sys")
assert_contains "$text" '{greeting,<<"hello">>}' "sys.config (config.exs)"
assert_contains "$text" '{mode,prod}' "sys.config (prod.exs)"
for ph in '{host,"${SHOP_DB_HOST:-127.0.0.1}"}' '{port,"${SHOP_DB_PORT:-5432}"}' \
	'{user,"${SHOP_DB_USER:-shop}"}' '{password,"${SHOP_DB_PASSWORD:-shop}"}' \
	'{database,"${SHOP_DB_NAME:-shop}"}'; do
	assert_contains "$text" "$ph" "sys.config (rel/sys.config)"
done
[ "$(grep -c '^ *\[\?{shop,' "$sys")" = 1 ] || fail "shop is not configured exactly once: $text"
erl -noshell -eval "{ok, [_]} = file:consult(\"$sys\"), halt()." ||
	fail "sys.config is not one Erlang term: $text"
pass "sys.config holds config.exs, prod.exs and rel/sys.config with its placeholders"

cp "$sys" "$T/sys.config.1"
build_release "$proj" --env prod
cmp "$T/sys.config.1" "$sys" || fail "a second build gave another sys.config"
pass "two builds give the same sys.config bytes"

dest="$T/unpacked"
mkdir "$dest"
tar -xzf "$rel/releases/$vsn/shop.tar.gz" -C "$dest" || fail "cannot unpack the tarball"
track_release "$dest"
# eval prints the value of the expression; as in mix release, its node
# loads no application of the release until asked (Application.load/1
# applies the configuration)
out=$(ctl "$dest" eval 'Application.get_env(:shop, :greeting)') ||
	fail "eval failed: $out"
assert_eq "$out" 'nil' "greeting from eval before Application.load(:shop)"
out=$(ctl "$dest" eval 'Application.load(:shop); Application.get_env(:shop, :greeting)') ||
	fail "eval failed: $out"
assert_eq "$out" '"hello"' "greeting from eval"
out=$(EXTRA_ENV="SHOP_DB_HOST=db.example" ctl "$dest" eval \
	'Application.load(:shop); {Application.get_env(:shop, :mode), Application.get_env(:shop, :db)[:host]}') ||
	fail "eval failed: $out"
assert_eq "$out" "{:prod, 'db.example'}" "mode and db host from eval"
pass "eval of the unpacked release sees the configuration"

# config/runtime.exs, read at every boot
cmp "$proj/config/runtime.exs" "$dest/releases/$vsn/runtime.exs" ||
	fail "releases/$vsn/runtime.exs is not config/runtime.exs"
grep -q "  releases/$vsn/runtime.exs\$" "$dest/releases/$vsn/SHA256SUMS" ||
	fail "SHA256SUMS does not list releases/$vsn/runtime.exs"
out=$(EXTRA_ENV="SHOP_GREETING=howdy SHOP_PORT=8080" ctl "$dest" eval \
	'Application.load(:shop); {Application.get_env(:shop, :greeting), Application.get_env(:shop, :runtime), Application.get_env(:shop, :mode)}') ||
	fail "eval with runtime.exs failed: $out"
assert_eq "$out" '{"howdy", [env: :prod, port: 8080], :prod}' "eval: runtime.exs over config.exs, config.exs kept"
out=$(EXTRA_ENV="SHOP_DB_HOST=db.example" ctl "$dest" eval 'Application.load(:shop); Application.get_env(:shop, :db)[:host]') ||
	fail "eval failed: $out"
assert_eq "$out" "'db.example'" "eval: rel/sys.config's \${VAR} still rendered with runtime.exs"
# no PostgreSQL here: the post_start hook that migrates is not for this test
rm -rf "$dest/releases/$vsn/hooks/post_start"
out=$(EXTRA_ENV="SHOP_GREETING=from-start" ctl "$dest" start 2>&1) || fail "start with runtime.exs failed: $out"
out=$(ctl "$dest" rpc 'Application.get_env(:shop, :greeting)') || fail "rpc failed: $out"
assert_eq "$out" '"from-start"' "the started node: runtime.exs read with start's environment"
out=$(ctl "$dest" stop 2>&1) || fail "stop failed: $out"
out=$(EXTRA_ENV="SHOP_BROKEN=1" ctl "$dest" start 2>&1)
status=$?
assert_eq "$status" 1 "exit status of a start whose runtime.exs raises"
assert_contains "$out" "releases/$vsn/runtime.exs: ** (RuntimeError) SHOP_BROKEN is set" "a raising runtime.exs"
assert_contains "$out" "cannot start: $dest/releases/$vsn/runtime.exs failed" "a raising runtime.exs"
out=$(ctl "$dest" ping 2>&1) && fail "a node runs after runtime.exs raised: $out"
out=$(EXTRA_ENV="SHOP_FUN=1" ctl "$dest" eval ':ok' 2>&1)
status=$?
assert_eq "$status" 1 "exit status of an eval whose runtime.exs configures a function"
assert_contains "$out" "releases/$vsn/runtime.exs: the configuration holds values a sys.config cannot" \
	"a runtime.exs that configures a function"
pass "runtime.exs: shipped and listed, read by eval and start from the server's environment over config.exs; a raise, or a function as a value, stops the command naming it"

printf 'import Config\nconfig :shop, greeting: "unterminated\n' >"$proj/config/config.exs"
(cd "$proj" && "$RELBUILD" --env prod) >"$T/bad.log" 2>&1
status=$?
assert_eq "$status" 1 "exit status of a build with a broken config.exs"
msg=$(cat "$T/bad.log")
assert_contains "$msg" "config/config.exs" "error of a broken config.exs"
assert_contains "$msg" "missing terminator" "error of a broken config.exs"
[ "$(wc -l <"$T/bad.log")" = 1 ] || fail "the error is not one line: $msg"
pass "a broken config.exs stops the build: $msg"
