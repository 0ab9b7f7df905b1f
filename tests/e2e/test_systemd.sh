#!/bin/bash
# systemd: true writes <name>.service at the release root, listed in
# SHA256SUMS and MODES and packed in the tarball like any release file;
# `systemd-analyze verify` passes on it once the release is installed
# where the unit points (and fails on a broken unit: the check can
# fail).  Then the release boots the way the unit runs it: ExecStart
# with the unit's Environment= and WorkingDirectory=, in a sandbox that
# leaves writable only the unit's RuntimeDirectory, StateDirectory and
# LogsDirectory (ProtectSystem=strict), and ExecStop stops it.
#
# systemd-analyze verify needs no running systemd; it checks the syntax
# (a bad value is a warning and exit 0: any output counts as a failure
# here) and that ExecStart's program exists.  Skipped (77) only without
# systemd-analyze; the sandbox part needs bwrap (bubblewrap) and is
# skipped, said in the log, without it.
. "$(dirname "$0")/lib.sh"

command -v systemd-analyze >/dev/null || { log "SKIP: systemd-analyze is not installed"; exit 77; }

proj="$T/proj"
copy_example counter "$proj"
compile_rebar3 "$proj"
config="$proj/rel/config.yml"
cp "$config" "$T/config.yml.orig"

# set_prod_systemd VALUE: the prod environment's systemd: setting.
set_prod_systemd() {
	cp "$T/config.yml.orig" "$config"
	sed -i "s|^  prod:\$|  prod:\n    systemd: $1|" "$config"
	grep -q -F -x "    systemd: $1" "$config" || fail "cannot set systemd: $1 in $config"
}

rel="$proj/_build/prod/rel/counter"

########################################################### in the release

set_prod_systemd true
build_release "$proj" --env prod
vsn=$(cut -d' ' -f2 "$rel/releases/start_erl.data")
tarball="$rel/releases/$vsn/counter-$vsn.tar.gz"
unit="$rel/counter.service"

[ -f "$unit" ] || fail "no counter.service at the release root"
assert_eq "$(stat -c %a "$unit")" "644" "mode of counter.service"
assert_eq "$(grep '^ExecStart=' "$unit")" "ExecStart=/opt/counter/current/bin/counter foreground" "ExecStart"
assert_eq "$(grep '^ExecStop=' "$unit")" "ExecStop=-/opt/counter/current/bin/counter stop" "ExecStop"
assert_eq "$(grep '^User=' "$unit")" "User=counter" "User"
assert_eq "$(grep '^Group=' "$unit")" "Group=counter" "Group"
assert_eq "$(grep '^Type=' "$unit")" "Type=exec" "Type"
pass "counter.service at the release root, for /opt/counter and user counter"

line=$(grep '  counter\.service$' "$rel/releases/$vsn/SHA256SUMS") ||
	fail "SHA256SUMS does not list counter.service"
assert_eq "$line" "$(cd "$rel" && sha256sum counter.service)" "SHA256SUMS line of counter.service"
grep -q -x '0644 counter.service' "$rel/releases/$vsn/MODES" ||
	fail "MODES does not list counter.service 0644"
pass "SHA256SUMS and MODES list counter.service: $line"

tar -tzf "$tarball" | grep -q -x 'counter.service' || fail "the tarball holds no counter.service"
tar -xzOf "$tarball" counter.service | cmp -s - "$unit" ||
	fail "the tarball's counter.service differs from the release's"
out=$("$RELBUILD" verify "$tarball" 2>&1) || fail "verify of the tarball failed: $out"
pass "the tarball holds counter.service, and verifies: $out"

# relbuild systemd-unit prints the same unit, and writes it with --out
(cd "$proj" && "$RELBUILD" systemd-unit --env prod) >"$T/printed.service" ||
	fail "relbuild systemd-unit exited $?"
cmp -s "$T/printed.service" "$unit" || fail "relbuild systemd-unit differs from the shipped unit"
(cd "$proj" && "$RELBUILD" systemd-unit --env prod --out "$T/written.service" -q) ||
	fail "relbuild systemd-unit --out exited $?"
cmp -s "$T/written.service" "$unit" || fail "relbuild systemd-unit --out wrote another unit"
(cd "$proj" && "$RELBUILD" systemd-unit --env nope) >/dev/null 2>"$T/err" &&
	fail "relbuild systemd-unit --env nope exited 0"
assert_contains "$(cat "$T/err")" "relbuild: systemd-unit: " "systemd-unit error"
pass "relbuild systemd-unit prints and writes the unit the release ships"

###################################################### systemd-analyze verify

# verify_unit ARGS…: systemd-analyze verify ARGS, which passes only with
# exit status 0 and no output at all (warnings come with status 0).
verify_unit() {
	verify_out=$(cd / && systemd-analyze verify "$@" 2>&1)
	verify_status=$?
	[ $verify_status -eq 0 ] && [ -z "$verify_out" ]
}

# The unit as built, for /opt/counter: verified inside a root directory
# (--root) that holds the release installed at /opt/counter, the unit in
# /etc/systemd/system and, for the units every service depends on
# (sysinit.target…), a copy of this system's own (a link to them would
# be followed inside the root).
sysroot="$T/sysroot"
mkdir -p "$sysroot/opt" "$sysroot/etc/systemd/system" "$sysroot/usr/lib/systemd"
out=$("$RELBUILD" install "$tarball" --root "$sysroot/opt/counter" 2>&1) || fail "install exited $?: $out"
cmp -s "$sysroot/opt/counter/current/counter.service" "$unit" ||
	fail "the installed counter.service differs from the release's"
for units in /usr/lib/systemd/system /lib/systemd/system; do
	[ -f "$units/sysinit.target" ] && break
done
[ -f "$units/sysinit.target" ] || fail "no sysinit.target in /usr/lib/systemd/system or /lib/systemd/system"
cp -a "$units" "$sysroot/usr/lib/systemd/system" || fail "cannot copy $units"
sysunit="$sysroot/etc/systemd/system/counter.service"
cp "$unit" "$sysunit"
verify_unit --root="$sysroot" "$sysunit" ||
	fail "systemd-analyze verify of counter.service (exit $verify_status): $verify_out"
pass "systemd-analyze verify passes on counter.service, installed at /opt/counter"

# broken: a program that is not there, a value systemd does not know
sed 's|^ExecStart=/opt/counter/current/bin/counter |ExecStart=/opt/counter/current/bin/nosuch |' "$unit" >"$sysunit"
grep -q '^ExecStart=/opt/counter/current/bin/nosuch ' "$sysunit" || fail "cannot break ExecStart"
if verify_unit --root="$sysroot" "$sysunit"; then
	fail "systemd-analyze verify passes a unit whose ExecStart does not exist"
fi
assert_contains "$verify_out" "/opt/counter/current/bin/nosuch" "verify of a missing ExecStart"
pass "a unit whose program is missing fails verify (exit $verify_status)"
sed 's|^Type=exec$|Type=exce|' "$unit" >"$sysunit"
if verify_unit --root="$sysroot" "$sysunit"; then
	fail "systemd-analyze verify passes Type=exce"
fi
assert_contains "$verify_out" "exce" "verify of Type=exce"
pass "a unit with Type=exce fails verify: $verify_out"
cp "$unit" "$sysunit"
mv "$sysroot/opt/counter/current/bin/counter" "$T/counter.moved"
if verify_unit --root="$sysroot" "$sysunit"; then
	fail "systemd-analyze verify passes with bin/counter gone from the install"
fi
mv "$T/counter.moved" "$sysroot/opt/counter/current/bin/counter"
pass "the unit fails verify when the install lacks bin/counter"

# root, user and group from the config: verified where it points, no --root
root="$T/srv/counter"
set_prod_systemd "{ root: $root, user: ctr, group: ctrg }"
build_release "$proj" --env prod
assert_eq "$(grep '^ExecStart=' "$unit")" "ExecStart=$root/current/bin/counter foreground" "ExecStart with root:"
assert_eq "$(grep '^User=' "$unit")" "User=ctr" "User with user:"
assert_eq "$(grep '^Group=' "$unit")" "Group=ctrg" "Group with group:"
mkdir -p "$T/srv"
out=$("$RELBUILD" install "$tarball" --root "$root" 2>&1) || fail "install exited $?: $out"
verify_unit "$root/current/counter.service" ||
	fail "systemd-analyze verify of $root/current/counter.service (exit $verify_status): $verify_out"
pass "systemd-analyze verify passes on the unit for $root, user ctr, group ctrg"

# systemd: false: no unit
set_prod_systemd false
build_release "$proj" --env prod
[ ! -e "$rel/counter.service" ] || fail "systemd: false still wrote counter.service"
if tar -tzf "$tarball" | grep -q 'service'; then
	fail "systemd: false still packed counter.service"
fi
pass "systemd: false writes no unit"

######################################### booted as the unit runs it

if ! command -v bwrap >/dev/null || ! bwrap --ro-bind / / true 2>/dev/null; then
	log "SKIP (part): no working bwrap: the release is not booted in the unit's sandbox"
	exit 0
fi

iunit="$root/current/counter.service"
# the unit's settings, read from it: what follows runs what it says
envs=$(sed -n 's/^Environment=//p' "$iunit" | tr '\n' ' ')
workdir=$(sed -n 's/^WorkingDirectory=//p' "$iunit")
start=$(sed -n 's/^ExecStart=//p' "$iunit")
stop=$(sed -n 's/^ExecStop=-//p' "$iunit")
for d in RuntimeDirectory StateDirectory LogsDirectory; do
	assert_eq "$(sed -n "s/^$d=//p" "$iunit")" "counter" "$d"
done
assert_eq "$workdir" "/var/lib/counter" "WorkingDirectory"
case "$envs" in
*"RELEASE_TMP=/run/counter "*) ;;
*) fail "the unit's Environment= has no RELEASE_TMP=/run/counter: $envs" ;;
esac

# sandbox CMD…: CMD as the unit runs it, as far as this machine can
# without systemd: systemd's PATH, the unit's Environment= only (and our
# epmd port), in its WorkingDirectory; everything read-only
# (ProtectSystem=strict) but the unit's directories, kept in $T/dirs;
# /tmp, /home and /root private and empty (PrivateTmp, ProtectHome);
# /dev minimal (PrivateDevices).  As root, not as User=: a read-only
# file system refuses root as well.
dirs="$T/dirs"
mkdir -p "$dirs/run" "$dirs/lib" "$dirs/log"
sandbox() {
	# shellcheck disable=SC2086 # envs: VAR=value words without spaces
	timeout -k 10 "$CTL_TIMEOUT" bwrap --ro-bind / / --dev /dev --proc /proc \
		--tmpfs /tmp --ro-bind "$T/srv" "$T/srv" --tmpfs /home --tmpfs /root \
		--tmpfs /run --bind "$dirs/run" /run/counter \
		--tmpfs /var/lib --bind "$dirs/lib" /var/lib/counter \
		--tmpfs /var/log --bind "$dirs/log" /var/log/counter \
		--chdir "$workdir" --die-with-parent \
		env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		ERL_EPMD_PORT="$ERL_EPMD_PORT" $envs "$@"
}

FG=""
VM=""
stop_sandboxed() {
	[ -z "$VM" ] || kill_node "$VM"
	[ -z "$FG" ] || kill_node "$FG"
}
CLEANUP_HOOKS="$CLEANUP_HOOKS stop_sandboxed"

# boot: ExecStart in the background (FG), until the node answers (VM)
boot() {
	# shellcheck disable=SC2086 # the unit's ExecStart: program and words
	sandbox $start >"$T/foreground.log" 2>&1 &
	FG=$!
	n=0
	until sandbox "$root/current/bin/counter" ping >/dev/null 2>&1; do
		kill -0 "$FG" 2>/dev/null || { cat "$T/foreground.log" >&2; fail "ExecStart exited before the node answered"; }
		n=$((n + 1))
		[ $n -lt 120 ] || fail "the node did not answer within 60 s"
		sleep 0.5
	done
	VM=$(sandbox "$root/current/bin/counter" pid) || fail "pid failed"
}

# wait_fg: ExecStart's exit status, in fg_status (bounded by sandbox's
# timeout).
wait_fg() {
	wait "$FG"
	fg_status=$?
	FG=""
	VM=""
}

boot
out=$(sandbox "$root/current/bin/counter" rpc 'counter_server:increment(), counter_server:get().' 2>&1) ||
	fail "rpc exited $?: $out"
assert_eq "$out" "1" "rpc on the node the unit's ExecStart started"
[ -s "$dirs/run/COOKIE" ] || fail "no cookie in the RuntimeDirectory (/run/counter/COOKIE)"
assert_eq "$(stat -c %a "$dirs/run/COOKIE")" "400" "mode of the cookie made at first need"
[ -f "$dirs/run/$vsn/sys.config" ] || fail "no rendered sys.config in RELEASE_TMP"
pass "ExecStart boots the release read-only, the cookie and the rendered config in /run/counter"

# shellcheck disable=SC2086 # the unit's ExecStop: program and words
out=$(sandbox $stop 2>&1) || fail "ExecStop exited $?: $out"
wait_fg
assert_eq "$fg_status" "0" "ExecStart's exit status after ExecStop"
pass "ExecStop stops the node; ExecStart exits 0: $out"

# nothing written into the install but what relbuild install put there
[ ! -e "$root/current/tmp" ] || fail "the release wrote $root/current/tmp"
[ ! -e "$root/current/releases/RELEASES" ] || fail "the release wrote releases/RELEASES"
out=$(find "$root/shared" -mindepth 1 ! -path "$root/shared/tmp" ! -path "$root/shared/log")
[ -z "$out" ] || fail "the release wrote into $root/shared: $out"
out=$("$RELBUILD" verify "$root/current" 2>&1) || fail "verify of the install after a run: $out"
pass "the install is as installed: $out"

# a crash: non-zero (Restart=on-failure), the dump in the LogsDirectory
boot
sandbox "$root/current/bin/counter" rpc 'erlang:halt("boom").' >/dev/null 2>&1
wait_fg
[ "$fg_status" -ne 0 ] || fail "ExecStart exited 0 after the VM crashed"
grep -q -x 'Slogan: boom' "$dirs/log/erl_crash.dump" ||
	fail "no erl_crash.dump with 'Slogan: boom' in the LogsDirectory (/var/log/counter)"
pass "a crash exits $fg_status and writes /var/log/counter/erl_crash.dump"
