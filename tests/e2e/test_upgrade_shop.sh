#!/bin/bash
# A hot upgrade that migrates: examples/shop 0.1.0, started in an empty
# directory against a PostgreSQL cluster of the test's own (its post_start
# hook applies the two migrations), then 0.2.0 (made here: the version in
# mix.exs, a third migration, and a post_upgrade hook that runs
# `bin/shop rpc "Elixir.Shop.ReleaseTasks.migrate"` like the post_start
# one), built with `relbuild --env prod --upgrade`, copied into the
# running root and installed with `bin/shop upgrade 0.2.0`: same OS pid,
# the post_upgrade hook of 0.2.0 ran the new migration (its column
# exists, schema_migrations has three rows), the node runs 0.2.0's code
# from lib/shop-0.2.0 with its sys.config rendered from the environment
# and its config/runtime.exs applied.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg.sh"

tctl() {
	EXTRA_ENV=$DB_ENV ctl "$@"
}

export SHOP_COOKIE=shop-upgrade-cookie
M1=20240101000000
M2=20240102000000
M3=20240103000000

# --- 0.1.0 and 0.2.0 -------------------------------------------------------------
proj="$T/proj"
copy_example shop "$proj"
compile_mix "$proj"
build_release "$proj" --env prod
OUT="$proj/_build/prod/rel/shop"
[ -f "$OUT/releases/0.1.0/shop.tar.gz" ] || fail "no 0.1.0 tarball"

sed -i 's/version: "0\.1\.0"/version: "0.2.0"/' "$proj/mix.exs"
grep -q 'version: "0.2.0"' "$proj/mix.exs" || fail "cannot set the version in mix.exs"
cat >"$proj/priv/repo/migrations/${M3}_add_price.sql" <<'EOF'
ALTER TABLE products ADD COLUMN sale_price_cents integer CHECK (sale_price_cents >= 0);
EOF
mkdir -p "$proj/rel/hooks/post_upgrade"
cat >"$proj/rel/hooks/post_upgrade/migrate.sh" <<'EOF'
set -e

echo "Running migrations after the upgrade to $RELEASE_VSN"
bin/shop rpc "Elixir.Shop.ReleaseTasks.migrate"
echo "Migrations run successfully"
EOF
sed -i 's|^\(      post_start: rel/hooks/post_start\)$|\1\n      post_upgrade: rel/hooks/post_upgrade|' \
	"$proj/rel/config.yml"
grep -q '^      post_upgrade: rel/hooks/post_upgrade$' "$proj/rel/config.yml" ||
	fail "cannot add the post_upgrade hook to rel/config.yml"
# and a config/runtime.exs, read when the upgrade installs 0.2.0
mkdir -p "$proj/config"
cat >"$proj/config/runtime.exs" <<'EOF'
import Config
config :shop, :sale, System.get_env("SHOP_SALE", "none")
EOF
# mix, like rebar3, compares mtimes to the second: start from scratch
rm -rf "$proj/_build/prod/lib/shop"
compile_mix "$proj"
build_release "$proj" --env prod --upgrade
for f in shop.tar.gz shop-0.2.0.tar.gz.sha256 relup hooks/post_upgrade/migrate.sh; do
	[ -f "$OUT/releases/0.2.0/$f" ] || fail "no releases/0.2.0/$f in the 0.2.0 build"
done
pass "built shop 0.1.0, then 0.2.0 with relbuild --upgrade (a third migration, a post_upgrade hook)"

# --- 0.1.0 running, migrated -----------------------------------------------------------
pg_start
DB_ENV="SHOP_DB_HOST=127.0.0.1 SHOP_DB_PORT=$PG_PORT SHOP_DB_USER=shop SHOP_DB_PASSWORD=$PG_SHOP_PASSWORD SHOP_DB_NAME=shop"

rel="$T/rel"
mkdir "$rel" || fail "mkdir $rel"
tar -xzf "$OUT/releases/0.1.0/shop.tar.gz" -C "$rel" || fail "tar cannot unpack 0.1.0"
track_release "$rel"
out=$(tctl "$rel" start 2>&1) || fail "start exited $?: $out"
assert_contains "$out" "2 migration(s) applied, 0 already up" "start's post_start hook"
assert_eq "$(psql_shop "SELECT version FROM schema_migrations ORDER BY 1")" "$M1
$M2" "schema_migrations after start"
out=$(tctl "$rel" rpc 'Shop.Inventory.put("teapot", 7); Shop.Inventory.get("teapot")' 2>&1) ||
	fail "rpc exited $?: $out"
assert_eq "$out" "7" "Shop.Inventory on 0.1.0"
pid=$(tctl "$rel" pid) || fail "pid exited $?"
pass "shop 0.1.0 started (pid $pid), its post_start hook applied $M1 and $M2"

# --- upgrade 0.2.0 ------------------------------------------------------------------------
mkdir "$rel/releases/0.2.0" &&
	cp "$OUT/releases/0.2.0/shop.tar.gz" "$OUT/releases/0.2.0/shop-0.2.0.tar.gz.sha256" \
		"$rel/releases/0.2.0/" || fail "cannot copy the 0.2.0 tarball"
out=$(EXTRA_ENV="$DB_ENV SHOP_SALE=half-price" ctl "$rel" upgrade 0.2.0 2>&1)
st=$?
log "$out"
[ $st -eq 0 ] || fail "upgrade 0.2.0 exited $st: $out"
assert_contains "$out" "Running migrations after the upgrade to 0.2.0" "upgrade's post_upgrade hook"
assert_contains "$out" "== ${M3}_add_price.sql" "upgrade's post_upgrade hook"
assert_contains "$out" "1 migration(s) applied, 2 already up" "upgrade's post_upgrade hook"
assert_contains "$out" "Migrations run successfully" "upgrade's post_upgrade hook (ran to its end)"
assert_contains "$out" "shop: 0.1.0 -> 0.2.0: installed, permanent" "upgrade 0.2.0"

assert_eq "$(tctl "$rel" pid 2>&1)" "$pid" "the node's OS pid after the upgrade"
out=$(tctl "$rel" versions 2>&1) || fail "versions exited $?: $out"
assert_eq "$out" "* 0.2.0  permanent
  0.1.0  old" "versions after the upgrade"
out=$(tctl "$rel" rpc ':code.priv_dir(:shop)' 2>&1) || fail "rpc exited $?: $out"
assert_eq "$out" "'$rel/lib/shop-0.2.0/priv'" "the shop application's priv dir after the upgrade"
out=$(tctl "$rel" rpc 'Application.spec(:shop, :vsn)' 2>&1) || fail "rpc exited $?: $out"
assert_eq "$out" "'0.2.0'" "the shop application's version after the upgrade"
out=$(tctl "$rel" rpc 'Shop.Inventory.get("teapot")' 2>&1) || fail "rpc exited $?: $out"
assert_eq "$out" "7" "Shop.Inventory kept its state"
out=$(tctl "$rel" rpc 'Application.get_env(:shop, :db)[:port]' 2>&1) || fail "rpc exited $?: $out"
assert_eq "$out" "'$PG_PORT'" "the database port in the application environment after the upgrade"
out=$(tctl "$rel" rpc 'Application.get_env(:shop, :sale)' 2>&1) || fail "rpc exited $?: $out"
assert_eq "$out" '"half-price"' "0.2.0's runtime.exs, read with the upgrade's environment"
# sys.config rendered in place for release_handler, the shipped one kept
[ -f "$rel/releases/0.2.0/sys.config.src" ] || fail "no releases/0.2.0/sys.config.src after the upgrade"
out=$("$RELBUILD" verify "$rel" 2>&1) || fail "verify of the upgraded directory exited $?: $out"
assert_contains "$out" "kept from 0.1.0)" "verify of the upgraded directory"
pass "upgrade 0.2.0: same pid $pid, the node runs 0.2.0 (lib/shop-0.2.0), state and rendered configuration kept"

cols=$(psql_shop "SELECT column_name FROM information_schema.columns
	WHERE table_name = 'products' ORDER BY ordinal_position") || fail "psql: $cols"
assert_eq "$(echo $cols)" "id name price_cents inserted_at stock sale_price_cents" "columns of products after the upgrade"
assert_eq "$(psql_shop "SELECT count(*) FROM schema_migrations")" "3" "rows of schema_migrations after the upgrade"
assert_eq "$(psql_shop "SELECT version FROM schema_migrations ORDER BY 1")" "$M1
$M2
$M3" "schema_migrations after the upgrade"
pass "the post_upgrade hook of 0.2.0 applied $M3: products.sale_price_cents exists, schema_migrations has 3 rows"

# sys.config: rendered in place for release_handler (owner-only: it holds
# the password), the shipped template kept beside it
sc="$rel/releases/0.2.0/sys.config"
[ -f "$sc.src" ] || fail "no releases/0.2.0/sys.config.src"
grep -q 'SHOP_DB_PORT' "$sc.src" || fail "sys.config.src is not the shipped template"
grep -q "\"$PG_PORT\"" "$sc" || fail "releases/0.2.0/sys.config was not rendered: $(cat "$sc")"
assert_eq "$(stat -c %a "$sc")" "600" "the mode of the rendered releases/0.2.0/sys.config"

# --- a restart boots 0.2.0 ------------------------------------------------------------------
out=$(tctl "$rel" stop 2>&1) || fail "stop exited $?: $out"
wait_gone "$pid" || fail "the node (pid $pid) still runs after stop"
out=$(tctl "$rel" start 2>&1) || fail "start (0.2.0) exited $?: $out"
assert_contains "$out" "0 migration(s) applied, 3 already up" "start of 0.2.0 (its post_start hook)"
out=$(tctl "$rel" rpc ':init.script_id()' 2>&1) || fail "rpc exited $?: $out"
assert_eq "$out" "{'shop', '0.2.0'}" "the boot script after the restart"
out=$(tctl "$rel" stop 2>&1) || fail "stop exited $?: $out"
pass "stop + start boots 0.2.0; its post_start hook finds the three migrations applied"

# --- relbuild list and bin/shop versions on the hot-upgraded directory ----------------------
check_upgraded_install "$rel" "$OUT/releases/0.1.0/shop-0.1.0.tar.gz"
pass "relbuild list and bin/shop versions: the hot-upgraded install (sys.config rendered in place) is verified"
