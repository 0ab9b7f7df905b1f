# The boot test for one example: sourced by test_boot_*.sh with EXAMPLE,
# KIND (mix|rebar3) and EVAL_ROOT_DIR (the expression for code:root_dir()).
. "$(dirname "$0")/lib.sh"
if [ -n "${NEEDS_PG:-}" ]; then
	. "$(dirname "$0")/pg.sh"
	pg_start
	EXTRA_ENV="SHOP_DB_PORT=$PG_PORT SHOP_DB_PASSWORD=$PG_SHOP_PASSWORD"
fi

proj="$T/proj"
copy_example "$EXAMPLE" "$proj"
compile_$KIND "$proj"
build_release "$proj" --env prod
tarball="$proj/_build/prod/rel/$EXAMPLE/releases/$(cut -d' ' -f2 "$proj/_build/prod/rel/$EXAMPLE/releases/start_erl.data")/$EXAMPLE.tar.gz"
[ -f "$tarball" ] || fail "no tarball at $tarball"
pass "built $tarball"

dest="$T/unpacked"
mkdir "$dest"
tar -xzf "$tarball" -C "$dest" || fail "tar cannot unpack $tarball"
track_release "$dest"
[ -x "$dest/bin/$EXAMPLE" ] || fail "no bin/$EXAMPLE in the tarball"
ls -d "$dest"/erts-* >/dev/null 2>&1 || fail "no bundled runtime in the tarball"

if ctl "$dest" ping >/dev/null 2>&1; then
	fail "ping answered before start"
fi
ctl "$dest" start || fail "bin/$EXAMPLE start exited $?"
out=$(ctl "$dest" ping) || fail "ping failed after start"
assert_eq "$out" "pong" "ping"
pass "ping answers pong"

root=$(ctl "$dest" eval "$EVAL_ROOT_DIR") || fail "eval failed: $root"
real=$(cd "$dest" && pwd -P)
assert_contains "$root" "$real" "code:root_dir() from eval"
pass "eval shows code:root_dir() inside the unpacked release: $root"

rpid=$(ctl "$dest" pid) || fail "pid failed"
[ -n "$rpid" ] && kill -0 "$rpid" || fail "pid '$rpid' is not a live process"
rroot=$(ctl "$dest" rpc "$EVAL_ROOT_DIR") || fail "rpc failed: $rroot"
assert_contains "$rroot" "$real" "code:root_dir() on the running node"
pass "the running node uses the bundled runtime"

ctl "$dest" stop >/dev/null || fail "stop failed"
wait_gone "$rpid" || fail "the node (pid $rpid) is still running after stop"
if ctl "$dest" ping >/dev/null 2>&1; then
	fail "ping still answers after stop"
fi
pass "stop ended the node"
