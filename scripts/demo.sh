#!/bin/bash
# The main job, end to end, on the bundled example: set up, build
# examples/shop with relbuild, verify its tarball, unpack it into an empty
# directory and start it against a throwaway PostgreSQL; its post_start
# hook runs the migrations.  The tarball is kept in build/demo/.
set -u

cd "$(dirname "$0")/.."
top=$(pwd)
sh scripts/setup.sh || exit 1

export RELBUILD="$top/build/relbuild" SRC_DIR="$top"
. tests/e2e/lib.sh
. tests/e2e/pg.sh

step() { printf '\n==> %s\n' "$*"; }

copy_example shop "$T/shop"
cd "$T/shop" || exit 1
step "MIX_ENV=prod mix compile"
MIX_ENV=prod mix compile || fail "mix compile"
step "relbuild --env prod -v"
"$RELBUILD" --env prod -v || fail "relbuild"

vsn=$(cut -d' ' -f2 _build/prod/rel/shop/releases/start_erl.data)
tarball=_build/prod/rel/shop/releases/$vsn/shop.tar.gz
step "relbuild verify $tarball"
"$RELBUILD" verify "$tarball" || fail "verify"
mkdir -p "$top/build/demo"
cp "$tarball" "$top/build/demo/shop-$vsn.tar.gz"

step "a throwaway PostgreSQL for the migrations"
pg_start
EXTRA_ENV="SHOP_DB_PORT=$PG_PORT SHOP_DB_PASSWORD=$PG_SHOP_PASSWORD"
echo "listening on 127.0.0.1:$PG_PORT"

step "unpack into an empty directory, bin/shop start (post_start migrates)"
srv="$T/srv"
mkdir "$srv"
tar -xzf "$tarball" -C "$srv"
track_release "$srv"
ctl "$srv" start || fail "bin/shop start"
echo "ping: $(ctl "$srv" ping)"
echo "runtime: $(ctl "$srv" rpc ':code.root_dir()')"
echo "migrated: $(psql_shop 'SELECT version FROM schema_migrations ORDER BY 1' | tr '\n' ' ')"
step "bin/shop migrate (the custom command; nothing left to apply)"
ctl "$srv" migrate || fail "bin/shop migrate"
ctl "$srv" stop >/dev/null || fail "bin/shop stop"
step "done: build/demo/shop-$vsn.tar.gz"
