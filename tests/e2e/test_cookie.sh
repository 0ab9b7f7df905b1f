#!/bin/bash
# No secret in the artifact; reproducible with the default configuration.
#   - a counter project that `relbuild init` configured (cookie:
#     ${COUNTER_COOKIE}, unset): two builds give byte-identical tarballs,
#     with no releases/COOKIE in them nor in the release directory;
#   - examples/counter 0.1.0 and 0.2.0 (--upgrade), no cookie configured,
#     installed with `relbuild install` into one root: the first command
#     that needs a cookie makes DIR/shared/COOKIE (0400), the node runs
#     with it; a hot upgrade to 0.2.0 and the 0.2.0 install
#     (DIR/current/bin/counter reaches the node started from 0.1.0), a
#     stop and a start from 0.2.0 all use that one cookie, unchanged;
#     relbuild list and bin/counter versions do not count a runtime-made
#     releases/COOKIE;
#   - an unpacked root: releases/COOKIE made at first need (0400), kept
#     by verify; RELEASE_COOKIE overrides it; commands that race to make
#     it leave one cookie and no temporary file;
#   - a read-only root (run by nobody): the cookie goes to RELEASE_TMP.
. "$(dirname "$0")/lib.sh"

unset COUNTER_COOKIE
FIX=$SRC_DIR/tests/e2e/fixtures

### the default configuration: reproducible, no cookie shipped
iproj="$T/init"
copy_example counter "$iproj"
rm -rf "$iproj/rel"
out=$(cd "$iproj" && "$RELBUILD" init 2>&1) || fail "init exited $?: $out"
grep -q '^ *cookie: \${COUNTER_COOKIE}' "$iproj/rel/config.yml" ||
	fail "init's config has no cookie: \${COUNTER_COOKIE}"
compile_rebar3 "$iproj"
build_release "$iproj" --env prod
iout="$iproj/_build/prod/rel/counter"
cp "$iout/releases/0.1.0/counter.tar.gz" "$T/first.tar.gz"
[ ! -e "$iout/releases/COOKIE" ] || fail "the build wrote releases/COOKIE"
tar -tzf "$T/first.tar.gz" | grep -q 'COOKIE' && fail "the tarball holds a cookie: $(tar -tzf "$T/first.tar.gz" | grep COOKIE)"
rm -rf "$iproj/_build"
compile_rebar3 "$iproj"
build_release "$iproj" --env prod
cmp "$T/first.tar.gz" "$iout/releases/0.1.0/counter.tar.gz" ||
	fail "two builds with init's configuration differ"
pass "init's configuration, cookie variable unset: no releases/COOKIE shipped; two builds byte-identical"

### counter 0.1.0 and 0.2.0, no cookie configured
proj="$T/proj"
copy_example counter "$proj"
compile_rebar3 "$proj"
build_release "$proj" --env prod
OUT="$proj/_build/prod/rel/counter"
cp "$FIX/counter-0.2.0/src/"* "$proj/src/" || fail "cannot copy the 0.2.0 fixture"
rm -rf "$proj/_build/prod/lib/counter"
compile_rebar3 "$proj"
build_release "$proj" --env prod --upgrade
tar1="$OUT/releases/0.1.0/counter-0.1.0.tar.gz"
tar2="$OUT/releases/0.2.0/counter-0.2.0.tar.gz"
for t in "$tar1" "$tar2"; do
	tar -tzf "$t" | grep -q COOKIE && fail "$t holds a cookie"
done
pass "built counter 0.1.0 and 0.2.0 (--upgrade) without a cookie"

### two versions installed in one root and a hot upgrade share one cookie
DIR="$T/srv"
stop_installed() {
	for v in "$DIR"/versions/*; do
		[ -x "$v/bin/counter" ] || continue
		pid=$(CTL_TIMEOUT=30 ctl "$v" pid 2>/dev/null) || continue
		kill_node "$pid"
	done
	return 0
}
CLEANUP_HOOKS="$CLEANUP_HOOKS stop_installed"
out=$("$RELBUILD" install "$tar1" --root "$DIR" 2>&1) || fail "install 0.1.0 exited $?: $out"
[ -d "$DIR/shared" ] || fail "install made no $DIR/shared"
[ ! -e "$DIR/shared/COOKIE" ] || fail "install made a cookie"
cur="$DIR/current"
track_release "$cur"
out=$(ctl "$cur" start 2>&1) || fail "start of 0.1.0 exited $?: $out"
[ -f "$DIR/shared/COOKIE" ] || fail "start made no $DIR/shared/COOKIE: $(ls -la "$DIR/shared")"
assert_eq "$(stat -c %a "$DIR/shared/COOKIE")" "400" "the mode of shared/COOKIE"
[ ! -e "$DIR/versions/0.1.0/releases/COOKIE" ] || fail "start made a cookie inside versions/0.1.0"
cookie=$(cat "$DIR/shared/COOKIE")
[ ${#cookie} -ge 32 ] || fail "the cookie '$cookie' is short"
ls -a "$DIR/shared" | grep -q '^\.COOKIE' && fail "a temporary cookie file is left: $(ls -a "$DIR/shared")"
got=$(ctl "$cur" rpc 'erlang:get_cookie().' 2>&1) || fail "rpc exited $?: $got"
case "$got" in
"$cookie" | "'$cookie'") ;;
*) fail "the node's cookie is $got, not shared/COOKIE's $cookie" ;;
esac
pid=$(ctl "$cur" pid) || fail "pid exited $?"
pass "0.1.0 installed and started: $DIR/shared/COOKIE made (0400), the node runs with it"

mkdir -p "$cur/releases/0.2.0" && cp "$tar2" "$tar2.sha256" "$cur/releases/0.2.0/" ||
	fail "cannot copy the 0.2.0 tarball into $cur/releases/0.2.0"
out=$(ctl "$cur" upgrade 0.2.0 2>&1) || fail "upgrade 0.2.0 exited $?: $out"
assert_contains "$out" "counter: 0.1.0 -> 0.2.0: installed, permanent" "upgrade 0.2.0"
got=$(ctl "$cur" rpc 'counter_server:step().' 2>&1) || fail "rpc after the upgrade exited $?: $got"
assert_eq "$got" "2" "the node runs 0.2.0's code"
assert_eq "$(ctl "$cur" pid)" "$pid" "the node's pid after the hot upgrade"
assert_eq "$(cat "$DIR/shared/COOKIE")" "$cookie" "shared/COOKIE after the hot upgrade"
[ ! -e "$DIR/versions/0.1.0/releases/COOKIE" ] || fail "the upgrade put a cookie inside versions/0.1.0"
pass "hot upgrade 0.1.0 -> 0.2.0 with the same cookie"

out=$("$RELBUILD" install "$tar2" --root "$DIR" 2>&1) || fail "install 0.2.0 exited $?: $out"
assert_eq "$(readlink "$DIR/current")" "versions/0.2.0" "current after install 0.2.0"
out=$(ctl "$cur" ping 2>&1) || fail "ping from versions/0.2.0 exited $?: $out"
assert_eq "$out" "pong" "bin/counter of versions/0.2.0 reaches the node started from versions/0.1.0"
out=$(ctl "$cur" stop 2>&1) || fail "stop from versions/0.2.0 exited $?: $out"
wait_gone "$pid" || fail "the node (pid $pid) still runs after stop"
out=$(ctl "$cur" start 2>&1) || fail "start of 0.2.0 exited $?: $out"
got=$(ctl "$cur" rpc 'erlang:get_cookie().' 2>&1) || fail "rpc exited $?: $got"
case "$got" in
"$cookie" | "'$cookie'") ;;
*) fail "0.2.0's node has cookie $got, not shared/COOKIE's $cookie" ;;
esac
assert_eq "$(cat "$DIR/shared/COOKIE")" "$cookie" "shared/COOKIE after 0.2.0 started"
assert_eq "$(stat -c %a "$DIR/shared/COOKIE")" "400" "the mode of shared/COOKIE"
for v in 0.1.0 0.2.0; do
	[ ! -e "$DIR/versions/$v/releases/COOKIE" ] || fail "a cookie inside versions/$v"
done
pid=$(ctl "$cur" pid) || fail "pid exited $?"
out=$(ctl "$cur" stop 2>&1) || fail "stop exited $?: $out"
wait_gone "$pid" || fail "the node (pid $pid) still runs after stop"
pass "0.2.0 installed in the same root: reaches the running node, stops it, starts with the same cookie (0400)"

# a releases/COOKIE the manifest does not list is the runtime's
(umask 077 && printf 'runtime-made' >"$DIR/versions/0.2.0/releases/COOKIE") || fail "cannot write a cookie"
out=$("$RELBUILD" list --root "$DIR" 2>&1) || fail "list exited $?: $out"
assert_eq "$out" "* 0.2.0  verified
  0.1.0  verified  previous" "relbuild list with a runtime-made releases/COOKIE"
out=$(ctl "$cur" versions 2>&1) || fail "versions exited $?: $out"
assert_eq "$out" "* 0.2.0  verified
  0.1.0  verified  previous" "bin/counter versions with a runtime-made releases/COOKIE"
rm -f "$DIR/versions/0.2.0/releases/COOKIE"
pass "relbuild list and bin/counter versions: both versions verified, a runtime-made releases/COOKIE not counted"

### an unpacked root: releases/COOKIE; RELEASE_COOKIE overrides
rel="$T/rel"
mkdir "$rel" && tar -xzf "$tar1" -C "$rel" || fail "cannot unpack $tar1"
track_release "$rel"
for i in 1 2 3 4; do
	ctl "$rel" ping >/dev/null 2>&1 &
done
wait
[ -f "$rel/releases/COOKIE" ] || fail "four racing commands made no releases/COOKIE"
assert_eq "$(stat -c %a "$rel/releases/COOKIE")" "400" "the mode of releases/COOKIE"
assert_eq "$(ls -a "$rel/releases" | grep -c COOKIE)" "1" "cookie files after four racing commands"
rcookie=$(cat "$rel/releases/COOKIE")
[ "$rcookie" != "$cookie" ] || fail "two roots made the same cookie"
out=$(EXTRA_ENV="RELEASE_COOKIE=override-cookie" ctl "$rel" start 2>&1) || fail "start with RELEASE_COOKIE exited $?: $out"
got=$(EXTRA_ENV="RELEASE_COOKIE=override-cookie" ctl "$rel" rpc 'erlang:get_cookie().' 2>&1) ||
	fail "rpc with RELEASE_COOKIE exited $?: $got"
assert_eq "$got" "'override-cookie'" "the node's cookie with RELEASE_COOKIE"
out=$(ctl "$rel" ping 2>&1) && fail "ping with releases/COOKIE reached the node started with RELEASE_COOKIE: $out"
assert_eq "$(cat "$rel/releases/COOKIE")" "$rcookie" "releases/COOKIE after a start with RELEASE_COOKIE"
out=$(EXTRA_ENV="RELEASE_COOKIE=override-cookie" ctl "$rel" stop 2>&1) || fail "stop with RELEASE_COOKIE exited $?: $out"
out=$(ctl "$rel" start 2>&1) || fail "start exited $?: $out"
out=$(ctl "$rel" ping 2>&1) || fail "ping exited $?: $out"
assert_eq "$out" "pong" "ping with releases/COOKIE"
out=$("$RELBUILD" verify "$rel" 2>&1) || fail "verify of a root with a runtime-made releases/COOKIE exited $?: $out"
assert_contains "$out" "$rel: OK" "verify of a root with a runtime-made releases/COOKIE"
out=$(ctl "$rel" stop 2>&1) || fail "stop exited $?: $out"
pass "unpacked root: one releases/COOKIE (0400) from four racing commands, not counted by verify; RELEASE_COOKIE overrides it"

### a read-only root: the cookie goes to RELEASE_TMP
if id nobody >/dev/null 2>&1 && command -v runuser >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
	RO_DIR=$(mktemp -d /tmp/relbuild-cookie-ro.XXXXXX) || fail "mktemp"
	ro_pid=""
	ro_teardown() {
		[ -z "$ro_pid" ] || kill_node "$ro_pid"
		rm -rf "$RO_DIR"
	}
	CLEANUP_HOOKS="$CLEANUP_HOOKS ro_teardown"
	chmod 755 "$RO_DIR"
	nrel="$RO_DIR/rel"
	mkdir "$nrel" && tar -xzf "$tar1" -C "$nrel" || fail "cannot unpack $tar1"
	chmod -R go-w "$nrel"
	chmod 755 "$nrel"
	ntmp="$RO_DIR/tmp"
	mkdir "$ntmp" "$RO_DIR/home" && chown nobody: "$ntmp" "$RO_DIR/home" || fail "cannot make $ntmp"
	run_nobody() {
		timeout -k 10 "$CTL_TIMEOUT" runuser -u nobody -- env -i PATH=/usr/bin:/bin \
			HOME="$RO_DIR/home" ERL_EPMD_PORT="$ERL_EPMD_PORT" RELEASE_TMP="$ntmp" \
			"$nrel/bin/counter" "$@"
	}
	out=$(run_nobody start 2>&1) || fail "start as nobody exited $?: $out"
	ro_pid=$(run_nobody pid 2>&1) || fail "pid as nobody exited $?: $ro_pid"
	[ -f "$ntmp/COOKIE" ] || fail "no cookie in RELEASE_TMP: $(ls -la "$ntmp")"
	[ ! -e "$nrel/releases/COOKIE" ] || fail "a cookie in the read-only root"
	assert_eq "$(stat -c '%a %U' "$ntmp/COOKIE")" "400 nobody" "RELEASE_TMP/COOKIE"
	out=$(run_nobody ping 2>&1) || fail "ping as nobody exited $?: $out"
	assert_eq "$out" "pong" "ping as nobody"
	out=$(run_nobody stop 2>&1) || fail "stop as nobody exited $?: $out"
	wait_gone "$ro_pid" || fail "the node (pid $ro_pid) still runs after stop"
	ro_pid=""
	pass "a root nobody cannot write: the cookie is made in RELEASE_TMP (0400), start, ping and stop use it"
else
	log "note: no user nobody or no runuser, or not root: skipping the read-only root"
fi
