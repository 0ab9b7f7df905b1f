#!/bin/bash
# The migration scenario of Distillery's boot hooks, for real: the shop
# release, unpacked into an empty directory, runs its PostgreSQL migrations
# from a post_start hook (rel/hooks/post_start/migrate.sh, which calls
# `nodetool ping` and `bin/shop rpc Elixir.Shop.ReleaseTasks.migrate`) and
# from a custom command (`bin/shop migrate` → `bin/shop command
# Elixir.Shop.ReleaseTasks seed`, the seeds' seed/0 as written, starting
# with `:ok = Application.load(:shop)`), against a PostgreSQL cluster of the
# test's own.  Then a release with a broken migration: start fails, names
# the hook and its status, the failed migration leaves nothing behind, and
# the node is stopped again.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg.sh"

tctl() {
	EXTRA_ENV=$DB_ENV ctl "$@"
}

# Any process (beam, run_erl, epmd, postgres…) still running from DIR?
procs_under() {
	all=$(ps -eo pid=,args=)
	printf '%s\n' "$all" | awk -v d="$1/" 'index($0, d) { print }'
}

# build_shop DIR: compile the project in DIR and build its prod release
# (cookie: SHOP_COOKIE); sets vsn and tarball.
build_shop() {
	compile_mix "$1"
	build_release "$1" --env prod
	vsn=$(cut -d' ' -f2 "$1/_build/prod/rel/shop/releases/start_erl.data")
	tarball="$1/_build/prod/rel/shop/releases/$vsn/shop.tar.gz"
	[ -f "$tarball" ] || fail "no tarball at $tarball"
}

# unpack TARBALL DEST
unpack() {
	mkdir "$2" || fail "mkdir $2"
	tar -xzf "$1" -C "$2" || fail "tar cannot unpack $1"
	track_release "$2"
	[ -x "$2/bin/shop" ] || fail "no bin/shop in $1"
}

export SHOP_COOKIE=shop-migrations-cookie

# --- the release -----------------------------------------------------------
proj="$T/proj"
copy_example shop "$proj"
build_shop "$proj"
rel="$T/rel"
unpack "$tarball" "$rel"
[ -f "$rel/releases/$vsn/hooks/post_start/migrate.sh" ] ||
	fail "no hooks/post_start/migrate.sh in the release"
[ -f "$rel/releases/$vsn/commands/migrate" ] || fail "no commands/migrate in the release"
pass "built and unpacked shop $vsn"

pg_start
DB_ENV="SHOP_DB_HOST=127.0.0.1 SHOP_DB_PORT=$PG_PORT SHOP_DB_USER=shop SHOP_DB_PASSWORD=$PG_SHOP_PASSWORD SHOP_DB_NAME=shop"
M1=20240101000000
M2=20240102000000

# --- start: the post_start hook migrates -----------------------------------
out=$(tctl "$rel" start 2>&1)
st=$?
[ $st -eq 0 ] || fail "bin/shop start exited $st: $out"
assert_contains "$out" "Running migrations" "start's output (the hook ran)"
assert_contains "$out" "Migrations run successfully" "start's output (the hook ran to its end)"
assert_contains "$out" "2 migration(s) applied, 0 already up" "start's output (migrate/0 applied both)"
pass "start ran the post_start hook, which migrated"

out=$(tctl "$rel" ping) || fail "ping failed after start: $out"
assert_eq "$out" "pong" "ping after start"

tables=$(psql_shop "SELECT table_name FROM information_schema.tables
	WHERE table_schema = 'public' ORDER BY 1") || fail "psql: $tables"
assert_eq "$tables" "products
schema_migrations" "tables after start"
cols=$(psql_shop "SELECT column_name FROM information_schema.columns
	WHERE table_name = 'products' ORDER BY ordinal_position") || fail "psql: $cols"
assert_eq "$(echo $cols)" "id name price_cents inserted_at stock" "columns of products"
versions=$(psql_shop "SELECT version FROM schema_migrations ORDER BY 1") || fail "psql: $versions"
assert_eq "$versions" "$M1
$M2" "schema_migrations after start"
pass "the migrations' tables exist and schema_migrations lists $M1 and $M2"

# --- the custom command: nothing left to migrate, then the seeds -----------
before=$(psql_shop "SELECT version, inserted_at FROM schema_migrations ORDER BY 1")
out=$(tctl "$rel" migrate 2>&1)
st=$?
[ $st -eq 0 ] || fail "bin/shop migrate exited $st: $out"
assert_contains "$out" "Loading shop.." "migrate's output (the seeds' seed/0, whose Application.load(:shop) must return :ok)"
assert_contains "$out" "Running migrations for shop" "migrate's output"
assert_contains "$out" "0 migration(s) applied, 2 already up" "migrate's output"
assert_contains "$out" "Running seed script.." "migrate's output (priv/repo/seeds.exs)"
assert_contains "$out" "Success!" "migrate's output (seed/0 ran to its end)"
after=$(psql_shop "SELECT version, inserted_at FROM schema_migrations ORDER BY 1")
assert_eq "$after" "$before" "schema_migrations after bin/shop migrate"
products=$(psql_shop "SELECT name, stock FROM products ORDER BY name")
assert_eq "$products" "mug|40
teapot|10" "products after the seeds"
pass "bin/shop migrate applied no migration (schema_migrations unchanged) and seeded"

# a second run changes nothing either (the seeds are idempotent)
out=$(tctl "$rel" migrate 2>&1) || fail "bin/shop migrate (again) exited $?: $out"
assert_eq "$(psql_shop "SELECT version, inserted_at FROM schema_migrations ORDER BY 1")" \
	"$before" "schema_migrations after a second bin/shop migrate"
assert_eq "$(psql_shop "SELECT count(*) FROM products")" "2" "products after a second seeding"

# --- rpc and eval print their results --------------------------------------
out=$(tctl "$rel" rpc 'Shop.Migrator.migrations(:shop)' 2>&1) || fail "rpc EXPR failed: $out"
assert_eq "$out" "[$M1, $M2]" "rpc 'Shop.Migrator.migrations(:shop)'"
out=$(tctl "$rel" rpc Elixir.Shop.Migrator migrations shop 2>&1) || fail "rpc MOD FUN failed: $out"
assert_eq "$out" "[$M1, $M2]" "rpc Elixir.Shop.Migrator migrations shop"
out=$(tctl "$rel" rpc 'Shop.Inventory.put("teapot", 3); Shop.Inventory.get("teapot")' 2>&1) ||
	fail "rpc with state failed: $out"
assert_eq "$out" "3" "rpc on the running node's Shop.Inventory"
out=$(tctl "$rel" eval '1 + 2' 2>&1) || fail "eval failed: $out"
assert_eq "$out" "3" "eval '1 + 2'"
# as in mix release: eval's node has every code path and nothing but
# kernel and stdlib loaded, so the seeds' `:ok = Application.load(:myapp)` holds
out=$(tctl "$rel" eval 'Application.load(:shop)' 2>&1) || fail "eval failed: $out"
assert_eq "$out" ":ok" "eval 'Application.load(:shop)'"
pass "rpc (EXPR and MOD FUN) and eval print their results"

# --- stop --------------------------------------------------------------------
rpid=$(tctl "$rel" pid) || fail "pid failed"
out=$(tctl "$rel" stop 2>&1) || fail "stop exited $?: $out"
if out=$(tctl "$rel" pid 2>&1); then
	fail "pid succeeded after stop: $out"
fi
if out=$(tctl "$rel" ping 2>&1); then
	fail "ping succeeded after stop: $out"
fi
i=0
while kill -0 "$rpid" 2>/dev/null && [ $i -lt 50 ]; do
	sleep 0.2
	i=$((i + 1))
done
kill -0 "$rpid" 2>/dev/null && fail "the node (pid $rpid) still runs after stop"
pass "stop ended the node; pid and ping fail afterwards"

# --- a broken migration --------------------------------------------------------
# Each migration goes in with its schema_migrations row in one transaction:
# the broken one leaves neither its table nor its row, the two before it
# stay applied.
proj2="$T/proj2"
copy_example shop "$proj2"
cat >"$proj2/priv/repo/migrations/20240103000000_broken.sql" <<'EOF'
CREATE TABLE half (id int);
SELECT * FROM no_such_table;
EOF
build_shop "$proj2"
rel2="$T/rel2"
unpack "$tarball" "$rel2"
pg_reset_db
assert_eq "$(psql_shop "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")" \
	"0" "tables in the fresh database"

out=$(tctl "$rel2" start 2>&1)
st=$?
log "$out"
[ $st -eq 124 ] && fail "start with a broken migration did not return within ${CTL_TIMEOUT}s"
[ $st -ne 0 ] || fail "start with a broken migration exited 0: $out"
assert_contains "$out" "Running migrations" "start's output (the hook ran)"
assert_contains "$out" 'relation "no_such_table" does not exist' "start's output (the migration's error)"
assert_contains "$out" "hook post_start/migrate.sh failed with exit status 1" "start's output"
case "$out" in
*"Migrations run successfully"*) fail "the hook went on after the failed rpc: $out" ;;
esac
pass "start exited $st and named the failed hook and its status"

half=$(psql_shop "SELECT count(*) FROM information_schema.tables WHERE table_name = 'half'")
assert_eq "$half" "0" "table half after the failed migration"
versions=$(psql_shop "SELECT version FROM schema_migrations ORDER BY 1") || fail "psql: $versions"
assert_eq "$versions" "$M1
$M2" "schema_migrations after the failed migration"
pass "the broken migration left nothing behind; $M1 and $M2 are applied"

if out=$(tctl "$rel2" ping 2>&1); then
	fail "the node still answers after its post_start hook failed: $out"
fi
i=0
while [ -n "$(procs_under "$rel2" | grep -v '/epmd')" ] && [ $i -lt 50 ]; do
	sleep 0.2
	i=$((i + 1))
done
left=$(procs_under "$rel2" | grep -v '/epmd')
[ -z "$left" ] || fail "processes of the release left after the failed start: $left"
pass "the node was stopped again after the failed post_start hook"
