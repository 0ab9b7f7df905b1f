#!/bin/bash
# relbuild install, switch and rollback with the real shop release: build
# examples/shop 0.1.0 and 0.2.0, install 0.1.0 under DIR and run it from
# DIR/current/bin/shop (its post_start hook migrates against a PostgreSQL of
# the test's own), install 0.2.0 and run that, roll back and run 0.1.0
# again; each time ping answers pong and the running node reports the
# version DIR/current points to.  relbuild list shows both, current marked,
# both still verified after they ran.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pg.sh"

export SHOP_COOKIE=shop-install-cookie
DIR="$T/srv"

# The nodes run from DIR; their pid files and rendered configuration go
# to DIR/shared/tmp, as for any release installed by relbuild.
tctl() {
	EXTRA_ENV="$DB_ENV RELEASE_TMP=$DIR/shared/tmp" ctl "$@"
}

# Stop what runs from any installed version (lib.sh's stop_everything
# does not know RELEASE_TMP), on success, failure or interrupt.
stop_installed() {
	for v in "$DIR"/versions/*; do
		[ -x "$v/bin/shop" ] || continue
		pid=$(CTL_TIMEOUT=30 tctl "$v" pid 2>/dev/null) || continue
		kill_node "$pid"
	done
	return 0
}
CLEANUP_HOOKS="$CLEANUP_HOOKS stop_installed"

# build_shop VSN: a copy of examples/shop at version VSN; sets tarball
build_shop() {
	p="$T/shop-$1"
	copy_example shop "$p"
	sed -i "s/version: \"[^\"]*\"/version: \"$1\"/" "$p/mix.exs"
	grep -q "version: \"$1\"" "$p/mix.exs" || fail "cannot set the version in $p/mix.exs"
	compile_mix "$p"
	build_release "$p" --env prod
	tarball="$p/_build/prod/rel/shop/releases/$1/shop-$1.tar.gz"
	[ -f "$tarball" ] && [ -f "$tarball.sha256" ] || fail "no tarball and sidecar at $tarball"
}
build_shop 0.1.0
tar1=$tarball
build_shop 0.2.0
tar2=$tarball
pass "built shop 0.1.0 and 0.2.0"

pg_start
DB_ENV="SHOP_DB_HOST=127.0.0.1 SHOP_DB_PORT=$PG_PORT SHOP_DB_USER=shop SHOP_DB_PASSWORD=$PG_SHOP_PASSWORD SHOP_DB_NAME=shop"

# run_current VSN: start DIR/current/bin/shop, check it is VSN, stop it.
run_current() {
	root="$DIR/current"
	track_release "$root"
	out=$(tctl "$root" start 2>&1) || fail "$1: bin/shop start from DIR/current failed: $out"
	out=$(tctl "$root" ping 2>&1) || fail "$1: ping failed: $out"
	assert_eq "$out" "pong" "$1: ping"
	out=$(tctl "$root" rpc ':application.get_key(:shop, :vsn)' 2>&1) ||
		fail "$1: rpc failed: $out"
	assert_eq "$out" "{:ok, '$1'}" "$1: the running node's shop version"
	out=$(tctl "$root" rpc 'List.to_string(:code.root_dir())' 2>&1) || fail "$1: rpc failed: $out"
	assert_eq "$out" "\"$(readlink -f "$root")\"" "$1: the running node's root"
	out=$(tctl "$root" versions 2>&1) || fail "$1: versions failed: $out"
	assert_contains "$out" "$1" "$1: bin/shop versions"
	out=$(tctl "$root" describe 2>&1) || fail "$1: describe failed: $out"
	assert_contains "$out" "$1" "$1: bin/shop describe"
	out=$(tctl "$root" stop 2>&1) || fail "$1: stop failed: $out"
	if out=$(tctl "$root" ping 2>&1); then
		fail "$1: ping succeeded after stop: $out"
	fi
	pass "$1 started from DIR/current/bin/shop, answered ping and stopped"
}

# --- 0.1.0 ------------------------------------------------------------------
out=$("$RELBUILD" install "$tar1" --root "$DIR" 2>&1) || fail "install 0.1.0 failed: $out"
assert_contains "$out" "sha-256 from $tar1.sha256" "install 0.1.0 checked the sidecar"
assert_eq "$(readlink "$DIR/current")" "versions/0.1.0" "DIR/current after installing 0.1.0"
[ -d "$DIR/shared/log" ] && [ -d "$DIR/shared/tmp" ] || fail "no DIR/shared/{log,tmp}"
pass "installed 0.1.0: $out"
run_current 0.1.0
tables=$(psql_shop "SELECT version FROM schema_migrations ORDER BY 1") || fail "psql: $tables"
[ -n "$tables" ] || fail "0.1.0's post_start hook did not migrate"

# --- 0.2.0 ------------------------------------------------------------------
out=$("$RELBUILD" install "$tar2" --root "$DIR" 2>&1) || fail "install 0.2.0 failed: $out"
assert_eq "$(readlink "$DIR/current")" "versions/0.2.0" "DIR/current after installing 0.2.0"
assert_eq "$(readlink "$DIR/previous")" "versions/0.1.0" "DIR/previous after installing 0.2.0"
pass "installed 0.2.0: $out"
run_current 0.2.0

out=$("$RELBUILD" list --root "$DIR" 2>&1) || fail "list failed: $out"
assert_eq "$out" "* 0.2.0  verified
  0.1.0  verified  previous" "relbuild list with 0.2.0 current"

# installing it again is refused, and changes nothing
if out=$("$RELBUILD" install "$tar2" --root "$DIR" 2>&1); then
	fail "installing 0.2.0 twice succeeded: $out"
fi
assert_contains "$out" "already installed" "second install of 0.2.0"
assert_eq "$(readlink "$DIR/current")" "versions/0.2.0" "DIR/current after a refused install"

# --- rollback -----------------------------------------------------------------
out=$("$RELBUILD" rollback --root "$DIR" 2>&1) || fail "rollback failed: $out"
assert_eq "$out" "current -> versions/0.1.0 (was 0.2.0)" "rollback's output"
assert_eq "$(readlink "$DIR/current")" "versions/0.1.0" "DIR/current after rollback"
assert_eq "$(readlink "$DIR/previous")" "versions/0.2.0" "DIR/previous after rollback"
run_current 0.1.0

out=$("$RELBUILD" list --root "$DIR" 2>&1) || fail "list failed: $out"
# newest install first, whichever is current
assert_eq "$out" "  0.2.0  verified  previous
* 0.1.0  verified" "relbuild list after rollback"
out=$("$RELBUILD" list --root "$DIR" --json 2>&1) || fail "list --json failed: $out"
assert_contains "$out" '{"name":"0.1.0","version":"0.1.0","current":true' "list --json"
pass "list: current marked, both verified after running"

# and forward again, by name
out=$("$RELBUILD" rollback --root "$DIR" 0.2.0 2>&1) || fail "rollback 0.2.0 failed: $out"
assert_eq "$(readlink "$DIR/current")" "versions/0.2.0" "DIR/current after rollback 0.2.0"
pass "rollback 0.2.0 switched forward again"
