#!/bin/bash
# A mix project's config/config.exs (and the config/<env>.exs it imports)
# becomes the release's sys.config, as mix release makes it, merged over
# rel/sys.config with its ${VAR} placeholders kept; eval sees the values.
# A config that does not evaluate stops the build naming the file; two
# builds give the same sys.config bytes.
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
compile_mix "$proj"
build_release "$proj" --env prod -v
assert_contains "$(cat "$T/build.log")" "sys.config from config/config.exs (+ rel/sys.config)" "-v output"
pass "-v names the sources of sys.config"

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
# eval prints the value of the expression
out=$(ctl "$dest" eval 'Application.get_env(:shop, :greeting)') ||
	fail "eval failed: $out"
assert_eq "$out" '"hello"' "greeting from eval"
out=$(EXTRA_ENV="SHOP_DB_HOST=db.example" ctl "$dest" eval \
	'{Application.get_env(:shop, :mode), Application.get_env(:shop, :db)[:host]}') ||
	fail "eval failed: $out"
assert_eq "$out" "{:prod, 'db.example'}" "mode and db host from eval"
pass "eval of the unpacked release sees the configuration"

printf 'import Config\nconfig :shop, greeting: "unterminated\n' >"$proj/config/config.exs"
(cd "$proj" && "$RELBUILD" --env prod) >"$T/bad.log" 2>&1
status=$?
assert_eq "$status" 1 "exit status of a build with a broken config.exs"
msg=$(cat "$T/bad.log")
assert_contains "$msg" "config/config.exs" "error of a broken config.exs"
assert_contains "$msg" "missing terminator" "error of a broken config.exs"
[ "$(wc -l <"$T/bad.log")" = 1 ] || fail "the error is not one line: $msg"
pass "a broken config.exs stops the build: $msg"
