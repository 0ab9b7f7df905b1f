#!/bin/bash
# examples/ansible against three real SSH hosts (netns.sh: a network
# namespace each, with its own sshd, address and install root), run as a
# user runs it: ansible-playbook, an inventory, a vaulted cookie.
#   1. deploy.yml of counter 0.1.0 (signed, its distribution ports pinned
#      in rel/vm.args): each ROOT/current verifies, each node answers,
#      nodes() on each lists the other two; the cookie is in no output;
#   2. upgrade.yml to 0.2.0 (relbuild --upgrade --upfrom 0.1.0): the same
#      OS pid on every host, the new code answers with the old state;
#   3. deploy.yml, then upgrade.yml, of a 0.3.0 tarball with one byte
#      changed: relbuild install and bin/counter upgrade refuse it on h1,
#      nothing switched, the node not restarted, the play stops there;
#   4. deploy.yml of a 0.3.0 whose post_start hook fails: the play stops
#      at h1, which is rolled back and runs 0.2.0 again, in the cluster;
#      h2 and h3 were never touched;
#   5. deploy.yml of a 0.3.0 that ships another cookie: refused on h1
#      after the switch and before the node stops, switched back, the node
#      not restarted;
#   6. deploy.yml of 0.2.0 again: the recap says changed=0 on every host;
#   7. deploy.yml of a good 0.3.0, then rollback.yml: every host runs
#      0.2.0 again, in one cluster.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netns.sh"

ANS=$SRC_DIR/examples/ansible
FIX=$SRC_DIR/tests/e2e/fixtures
REL=_build/prod/rel/counter
RB=$(readlink -f "$RELBUILD")
# no cookie in the tarballs: the role writes ROOT/shared/COOKIE
unset COUNTER_COOKIE
export ANSIBLE_NOCOLOR=1

netns_up 3
ADDR=("${HOST_ADDRS[@]}")

# hctl I ARGS…: host I's ROOT/current/bin/counter, in its namespace, as a
# server runs it (empty environment: the node name comes from
# ROOT/shared/env.sh, the cookie from ROOT/shared/COOKIE, epmd is the
# namespace's own on 4369).
hctl() {
	local i=$1
	shift
	in_host "$i" timeout -k 5 60 env -i PATH=/usr/bin:/bin HOME="$HOME" \
		"$T/hosts/h$i/root/current/bin/counter" "$@"
}

# Teardown, before netns_down (which kills whatever is left): each node
# stopped by its own control script.
stop_nodes() {
	local i
	for i in 1 2 3; do
		[ -x "$T/hosts/h$i/root/current/bin/counter" ] || continue
		hctl "$i" stop >/dev/null 2>&1
	done
	return 0
}
CLEANUP_HOOKS="stop_nodes $CLEANUP_HOOKS"

# --- the releases -------------------------------------------------------
mkdir "$T/keys"
"$RB" keygen --out "$T/keys/release" >/dev/null || fail "relbuild keygen"
P=$T/counter
copy_example counter "$P"
cat >"$P/rel/vm.args" <<'EOF'
## the distribution ports a firewall between the hosts allows (and epmd's 4369)
-kernel inet_dist_listen_min 9100 inet_dist_listen_max 9105
EOF
printf '    vm_args: rel/vm.args\n' >>"$P/rel/config.yml"
compile_rebar3 "$P"
build_release "$P" --env prod --sign "$T/keys/release.pem"
T1=$P/$REL/releases/0.1.0/counter-0.1.0.tar.gz
cp "$FIX"/counter-0.2.0/src/* "$P/src/"
rm -rf "$P/_build/prod/lib/counter"
compile_rebar3 "$P"
build_release "$P" --env prod --upgrade --upfrom 0.1.0 --sign "$T/keys/release.pem"
T2=$P/$REL/releases/0.2.0/counter-0.2.0.tar.gz
# 0.3.0: a post_start hook that fails, in this build's config only
P3=$T/counter3
cp -R "$P" "$P3"
cp "$FIX"/counter-0.3.0/src/* "$P3/src/"
rm -rf "$P3/_build/prod/lib/counter"
mkdir -p "$P3/rel/hooks/post_start"
printf '#!/bin/sh\necho "0.3.0 cannot start here" >&2\nexit 1\n' >"$P3/rel/hooks/post_start/fail.sh"
chmod 755 "$P3/rel/hooks/post_start/fail.sh"
printf '    hooks:\n      post_start: rel/hooks/post_start\n' >>"$P3/rel/config.yml"
compile_rebar3 "$P3"
build_release "$P3" --env prod --sign "$T/keys/release.pem"
T3=$P3/$REL/releases/0.3.0/counter-0.3.0.tar.gz
for t in "$T1" "$T2" "$T3"; do
	if [ ! -f "$t" ] || [ ! -f "$t.sha256" ]; then
		fail "no $t with its sidecar"
	fi
done
pass "counter 0.1.0, 0.2.0 (upgrade from 0.1.0) and 0.3.0 (failing post_start) built, signed"

# --- the vault: the cookie, encrypted, as group_vars would hold it -------
COOKIE="e2e-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$T/vault-pass"
ansible-vault encrypt_string --vault-password-file "$T/vault-pass" \
	--name relbuild_cookie "$COOKIE" >"$T/vault.yml" 2>"$T/vault.err" ||
	{ cat "$T/vault.err" >&2; fail "ansible-vault encrypt_string"; }
grep -q '!vault' "$T/vault.yml" || fail "the vault file holds no vaulted value"
grep -qF "$COOKIE" "$T/vault.yml" && fail "the vault file holds the cookie in clear"

# play PLAYBOOK LOG ARGS…: ansible-playbook as a user runs it, bounded;
# its output in LOG; its exit status.
play() {
	local pb=$1 log=$2
	shift 2
	timeout -k 10 300 ansible-playbook -i "$NETNS_INVENTORY" "$ANS/$pb" \
		--vault-password-file "$T/vault-pass" -e @"$T/vault.yml" \
		-e relbuild_name=counter -e relbuild_bin="$RB" \
		-e relbuild_pubkey="$T/keys/release.pub.pem" -e relbuild_dist_ports=9100-9105 \
		-e '{"relbuild_ready_rpc": ["counter_server", "get"], "relbuild_ready_regex": "^[0-9]+$"}' \
		-e relbuild_ready_delay=1 \
		"$@" >"$log" 2>&1
}

# recap LOG HOST: HOST's line of LOG's PLAY RECAP ("" when it is not there)
recap() {
	sed -n '/^PLAY RECAP/,$p' "$1" | awk -v h="$2" '$1 == h && $2 == ":" { $1 = $2 = ""; sub(/^ +/, ""); print }'
}

# recap_field LOG HOST FIELD: FIELD's number in HOST's recap line
recap_field() {
	recap "$1" "$2" | tr ' ' '\n' | sed -n "s/^$3=//p"
}

no_cookie_in() {
	! grep -qF "$COOKIE" "$1" || fail "the cookie appears in $1"
}

# play_fails PLAYBOOK LOG ARGS…: play, which must fail (not time out),
# the cookie in none of its output; sets status and log (the output).
play_fails() {
	play "$@"
	status=$?
	[ $status -ne 0 ] || { cat "$2" >&2; fail "$1 ${*:3} exited 0"; }
	case $status in 124 | 137) cat "$2" >&2; fail "$1 ${*:3} timed out" ;; esac
	no_cookie_in "$2"
	log=$(cat "$2")
}

# stopped_at_h1 LOG: the play never reached h2 and h3 (no recap line)
stopped_at_h1() {
	[ -z "$(recap "$1" h2)$(recap "$1" h3)" ] ||
		fail "the play went past h1: $(sed -n '/^PLAY RECAP/,$p' "$1")"
}

# others I: what nodes() on host I must say, sorted
others() {
	local i j out=""
	for j in 1 2 3; do
		[ "$j" = "$1" ] && continue
		out="$out${out:+,}'counter@${ADDR[$((j - 1))]}'"
	done
	printf '[%s]' "$out"
}

check_cluster() {
	local i out
	for i in 1 2 3; do
		out=$(hctl "$i" rpc 'lists:sort(nodes()).' 2>&1) || fail "h$i: rpc nodes() exited $?: $out"
		assert_eq "$out" "$(others "$i")" "h$i: nodes() ($1)"
	done
}

# --- 1. deploy 0.1.0 to three hosts -------------------------------------
# -v: every task's result is shown, but for the no_log ones
play deploy.yml "$T/deploy1.log" -v -e relbuild_tarball="$T1" ||
	{ s=$?; cat "$T/deploy1.log" >&2; fail "deploy.yml of 0.1.0 exited $s"; }
no_cookie_in "$T/deploy1.log"
for i in 1 2 3; do
	root=$T/hosts/h$i/root
	assert_eq "$(recap_field "$T/deploy1.log" "h$i" failed)" 0 "h$i: failed= in the recap"
	out=$("$RB" verify --pubkey "$T/keys/release.pub.pem" "$root/current" 2>&1) ||
		fail "h$i: relbuild verify ROOT/current: $out"
	assert_eq "$(readlink "$root/current")" versions/0.1.0 "h$i: ROOT/current"
	out=$(hctl "$i" ping 2>&1) || fail "h$i: ping exited $?: $out"
	assert_eq "$out" pong "h$i: ping"
	assert_eq "$(hctl "$i" rpc 'node().')" "'counter@${ADDR[$((i - 1))]}'" "h$i: node name"
	assert_eq "$(stat -c %a "$root/shared/COOKIE")" 400 "h$i: COOKIE mode"
	assert_eq "$(cat "$root/shared/COOKIE")" "$COOKIE" "h$i: COOKIE"
	grep -qxF "export RELEASE_NODE=counter@${ADDR[$((i - 1))]}" "$root/shared/env.sh" ||
		fail "h$i: env.sh does not set RELEASE_NODE: $(cat "$root/shared/env.sh")"
	# the node (beam.smp) listens on one port, in the pinned range
	ports=$(in_host "$i" ss -Htlnp | awk '/"beam.smp"/ { n = split($4, a, ":"); print a[n] }' | tr '\n' ' ')
	case $ports in
	9[1][0][0-5]" ") ;;
	*) fail "h$i: the node listens on '$ports', not on one port of 9100-9105" ;;
	esac
	# some state, for the upgrade to carry over
	hctl "$i" rpc counter_server increment >/dev/null || fail "h$i: increment"
done
check_cluster "after the deploy"
pass "deploy 0.1.0: three hosts verify, answer, pin ports 9100-9105 and form one cluster; the cookie is in no output"

# --- 2. rolling hot upgrade to 0.2.0 ------------------------------------
declare -a PID
for i in 1 2 3; do
	PID[i]=$(hctl "$i" pid) || fail "h$i: pid"
done
play upgrade.yml "$T/upgrade.log" -e relbuild_tarball="$T2" ||
	{ s=$?; cat "$T/upgrade.log" >&2; fail "upgrade.yml to 0.2.0 exited $s"; }
no_cookie_in "$T/upgrade.log"
for i in 1 2 3; do
	assert_eq "$(hctl "$i" pid)" "${PID[$i]}" "h$i: OS pid after the hot upgrade"
	out=$(hctl "$i" rpc 'counter_fmt:describe().' 2>&1) || fail "h$i: counter_fmt:describe() exited $?: $out"
	assert_eq "$out" '"count 1, step 2 (0.2.0)"' "h$i: the new code, with the old state"
	out=$(hctl "$i" rpc 'element(2, hd(release_handler:which_releases(permanent))).')
	assert_eq "$out" '"0.2.0"' "h$i: the permanent release"
	out=$("$RB" verify "$T/hosts/h$i/root/current" 2>&1) || fail "h$i: verify after the upgrade: $out"
done
check_cluster "after the hot upgrade"
pass "hot upgrade to 0.2.0, one host at a time: same OS pids (${PID[*]}), counter_fmt answers with the old state"

# untouched HOST PID-INDEX…: each host I given still has PID[I] and 0.2.0
untouched() {
	local i out
	for i in "$@"; do
		assert_eq "$(hctl "$i" pid)" "${PID[$i]}" "h$i: OS pid"
		out=$(hctl "$i" rpc 'counter_fmt:describe().')
		assert_eq "$out" '"count 1, step 2 (0.2.0)"' "h$i: still 0.2.0, with its state"
	done
}

# --- 3. a tarball changed on its way: refused, nothing switched ---------
mkdir "$T/bad"
cp "$T3" "$T3.sha256" "$T/bad/"
flip_byte "$T/bad/counter-0.3.0.tar.gz" $(($(stat -c %s "$T3") / 2))
play_fails deploy.yml "$T/deploy-bad.log" -e relbuild_tarball="$T/bad/counter-0.3.0.tar.gz"
assert_contains "$log" "deploy of counter 0.3.0 failed on h1" "the play's output"
assert_contains "$log" "task 'Install the release (relbuild install, verified first)' failed: relbuild: install:" "the play's output"
assert_contains "$log" "ROOT/current was not switched." "the play's output"
assert_contains "$log" "The node runs 0.2.0 and answers." "the play's output"
stopped_at_h1 "$T/deploy-bad.log"
assert_eq "$(readlink "$T/hosts/h1/root/current")" versions/0.1.0 "h1: ROOT/current after the refused tarball"
[ ! -e "$T/hosts/h1/root/versions/0.3.0" ] || fail "h1: the refused tarball left versions/0.3.0"
[ -z "$(ls -A "$T/hosts/h1/root/incoming")" ] || fail "h1: the refused tarball stays in ROOT/incoming: $(ls -A "$T/hosts/h1/root/incoming")"
untouched 1 2 3
# the same tarball as a hot upgrade: refused by bin/counter upgrade on h1,
# downgrade finds the node on 0.2.0 still, the copies go, the play stops
play_fails upgrade.yml "$T/upgrade-bad.log" -e relbuild_tarball="$T/bad/counter-0.3.0.tar.gz"
assert_contains "$log" "hot upgrade of counter from 0.2.0 to 0.3.0 failed on h1, task 'Upgrade the node (bin/<name> upgrade <vsn>)' failed:" "the play's output"
assert_contains "$log" "The node runs 0.2.0 (pid ${PID[1]}) and answers." "the play's output"
stopped_at_h1 "$T/upgrade-bad.log"
[ -z "$(ls -A "$T/hosts/h1/root/current/releases/0.3.0" 2>/dev/null)" ] ||
	fail "h1: the refused upgrade left $(ls -A "$T/hosts/h1/root/current/releases/0.3.0")"
untouched 1 2 3
pass "a changed tarball: refused by relbuild install (deploy.yml) and by bin/counter upgrade (upgrade.yml) on h1, nothing switched, no node restarted, the play stopped"

# --- 4. a 0.3.0 whose post_start hook fails -----------------------------
play_fails deploy.yml "$T/deploy3.log" -v -e relbuild_tarball="$T3"
assert_contains "$log" "hook post_start/fail.sh failed with exit status 1" "the play's output"
assert_contains "$log" "deploy of counter 0.3.0 failed on h1" "the play's output"
assert_contains "$log" "The node runs 0.2.0 and answers." "the play's output"
assert_eq "$(recap_field "$T/deploy3.log" h1 failed)" 1 "h1: failed= in the recap"
assert_eq "$(recap_field "$T/deploy3.log" h1 rescued)" 1 "h1: rescued= in the recap"
stopped_at_h1 "$T/deploy3.log"
# h1: back on the 0.2.0 it ran (the hot-upgraded versions/0.1.0), in the cluster
assert_eq "$(readlink "$T/hosts/h1/root/current")" versions/0.1.0 "h1: ROOT/current after the rollback"
assert_eq "$(readlink "$T/hosts/h1/root/previous")" versions/0.3.0 "h1: ROOT/previous after the rollback"
out=$(hctl 1 rpc 'element(2, hd(release_handler:which_releases(permanent))).')
assert_eq "$out" '"0.2.0"' "h1: the release it runs"
out=$(hctl 1 rpc 'counter_fmt:describe().' 2>&1) || fail "h1: counter_fmt:describe() exited $?: $out"
assert_contains "$out" "(0.2.0)" "h1: the code it runs"
out=$(hctl 1 versions 2>&1) || fail "h1: versions exited $?: $out"
assert_eq "$out" "  0.3.0  verified  previous
* 0.1.0  verified" "h1: bin/counter versions"
[ "$(hctl 1 pid)" != "${PID[1]}" ] || fail "h1: the node was not restarted"
PID[1]=$(hctl 1 pid)
untouched 2 3
for i in 2 3; do
	[ ! -e "$T/hosts/h$i/root/versions/0.3.0" ] || fail "h$i: 0.3.0 was installed"
	[ -z "$(ls -A "$T/hosts/h$i/root/incoming" 2>/dev/null)" ] || fail "h$i: 0.3.0 was copied there"
done
check_cluster "after the failed deploy"
pass "failing 0.3.0: the play stopped at h1 (exit $status), h1 rolled back to 0.2.0 and rejoined; h2, h3 untouched"

# --- 5. a release that ships another cookie: refused before the stop ---
# releases/COOKIE wins over ROOT/shared/COOKIE: this node would never
# meet the others.  The check runs after the switch, before the node
# stops: switched back, the node as it was.
# (rel/config.yml: cookie: ${COUNTER_COOKIE})
COUNTER_COOKIE=not-the-vaulted-one build_release "$P3" --env prod --sign "$T/keys/release.pem"
[ -f "$P3/$REL/releases/COOKIE" ] || fail "counter 0.3.0 with cookie: ships no releases/COOKIE"
play_fails deploy.yml "$T/deploy-cookie.log" -e relbuild_tarball="$T3"
! grep -qF not-the-vaulted-one "$T/deploy-cookie.log" || fail "the shipped cookie appears in the play's output"
assert_contains "$log" "deploy of counter 0.3.0 failed on h1" "the play's output"
assert_contains "$log" "ROOT/current is back on 0.2.0" "the play's output"
assert_contains "$log" "The node runs 0.2.0 and answers." "the play's output"
stopped_at_h1 "$T/deploy-cookie.log"
assert_eq "$(readlink "$T/hosts/h1/root/current")" versions/0.1.0 "h1: ROOT/current after the refused cookie"
# h1's node was restarted by step 4 (its count is 0 since)
assert_eq "$(hctl 1 pid)" "${PID[1]}" "h1: OS pid after the refused cookie"
assert_eq "$(hctl 1 rpc 'counter_fmt:describe().')" '"count 0, step 2 (0.2.0)"' "h1: still 0.2.0"
untouched 2 3
check_cluster "after the refused cookie"
pass "a release shipping another cookie: switched back on h1 before its node stopped, the play stopped"

# --- 6. nothing new: no change ------------------------------------------
play deploy.yml "$T/deploy4.log" -e relbuild_tarball="$T2" ||
	{ s=$?; cat "$T/deploy4.log" >&2; fail "the second deploy.yml of 0.2.0 exited $s"; }
no_cookie_in "$T/deploy4.log"
for i in 1 2 3; do
	line=$(recap "$T/deploy4.log" "h$i")
	[ -n "$line" ] || fail "h$i: no recap line"
	assert_eq "$(recap_field "$T/deploy4.log" "h$i" changed)" 0 "h$i: changed= ($line)"
	assert_eq "$(recap_field "$T/deploy4.log" "h$i" failed)" 0 "h$i: failed= ($line)"
	assert_eq "$(hctl "$i" pid)" "${PID[$i]}" "h$i: OS pid after a deploy with nothing new"
	assert_contains "$(cat "$T/deploy4.log")" "counter on h$i: ROOT/current 0.2.0 (verified), node up, pid ${PID[$i]}, from $T/hosts/h$i/root/versions/0.1.0: up to date, nothing to change" "the play's output"
done
pass "deploy.yml with nothing new: changed=0 on h1, h2, h3"

# --- 7. rollback.yml: a good 0.3.0 everywhere, then back ----------------
# 0.3.0 again, its post_start hook passing now, no cookie shipped
printf '#!/bin/sh\nexit 0\n' >"$P3/rel/hooks/post_start/fail.sh"
build_release "$P3" --env prod --sign "$T/keys/release.pem"
[ ! -e "$P3/$REL/releases/COOKIE" ] || fail "counter 0.3.0 still ships a cookie"
play deploy.yml "$T/deploy5.log" -e relbuild_tarball="$T3" ||
	{ s=$?; cat "$T/deploy5.log" >&2; fail "deploy.yml of a good 0.3.0 exited $s"; }
for i in 1 2 3; do
	out=$(hctl "$i" rpc 'element(2, hd(release_handler:which_releases(permanent))).')
	assert_eq "$out" '"0.3.0"' "h$i: the release it runs after the deploy of 0.3.0"
	[ "$(hctl "$i" pid)" != "${PID[$i]}" ] || fail "h$i: the node was not restarted for 0.3.0"
done
check_cluster "after the deploy of 0.3.0"
play rollback.yml "$T/rollback.log" ||
	{ s=$?; cat "$T/rollback.log" >&2; fail "rollback.yml exited $s"; }
no_cookie_in "$T/rollback.log"
for i in 1 2 3; do
	assert_eq "$(recap_field "$T/rollback.log" "h$i" failed)" 0 "h$i: failed= in the rollback's recap"
	assert_eq "$(readlink "$T/hosts/h$i/root/current")" versions/0.1.0 "h$i: ROOT/current after rollback.yml"
	out=$(hctl "$i" rpc 'element(2, hd(release_handler:which_releases(permanent))).')
	assert_eq "$out" '"0.2.0"' "h$i: the release it runs after rollback.yml"
	out=$(hctl "$i" rpc 'counter_fmt:describe().' 2>&1) || fail "h$i: counter_fmt:describe() exited $?: $out"
	assert_contains "$out" "(0.2.0)" "h$i: the code it runs after rollback.yml"
done
check_cluster "after rollback.yml"
pass "rollback.yml: from a good 0.3.0 on every host back to 0.2.0, one host at a time, in one cluster"
