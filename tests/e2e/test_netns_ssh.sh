#!/bin/bash
# The test-host harness (netns.sh) itself, before any test builds on it:
# three hosts, each reached over ssh in its own namespace with only its
# own address, from the root namespace and from another host; Ansible
# pings all three through the inventory, which maps each name to its
# address and install root; processes started over ssh in h2 (a sleep
# and, when installed, epmd -daemon) and one through in_host in h3 run in
# that host's namespace; netns_down leaves no namespace, interface,
# route, sshd, control master or process behind and may be called again;
# and a run killed with SIGTERM (a child test with two hosts) cleans up
# the same way.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netns.sh"

command -v ansible >/dev/null || { log "SKIP: no ansible (ansible-core)"; exit 77; }

E2E_DIR=$(cd "$(dirname "$0")" && pwd)

# rsh I CMD: CMD (one string) run over ssh on host I, bounded.
rsh() {
	timeout -k 5 60 ssh -F "$NETNS_SSH_CONFIG" "root@${HOST_ADDRS[$(($1 - 1))]}" "$2" </dev/null
}

# Is PID a live process (a zombie has ended: our test did not start its
# parent, which may not reap it at once)?
alive() {
	st=$(awk '{ sub(/^.*\) /, ""); print $1 }' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "$st" != Z ]
}

# leftovers NAMES LINKS SUBNET PIDS: print what is still there of a run
# (namespaces, root-namespace interfaces, the subnet's route, processes
# by pid), one line each; nothing when all is gone.
leftovers() {
	nslist=$(ip netns list | awk '{ print $1 }')
	for ns in $1; do
		printf '%s\n' "$nslist" | grep -qxF -- "$ns" && echo "namespace $ns"
	done
	for link in $2; do
		ip link show dev "$link" >/dev/null 2>&1 && echo "interface $link"
	done
	[ -z "$(ip -4 route show to exact "$3")" ] || echo "route to $3"
	for pid in $4; do
		alive "$pid" && echo "process $pid: $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)"
	done
	return 0
}

# procs_using DIR: "process PID ARGS" for each process whose command line
# names a file under DIR (ps is read before awk, which carries DIR, runs).
procs_using() {
	all=$(ps -eo pid=,args=)
	printf '%s\n' "$all" | awk -v d="$1/" 'index($0, d) { print "process " $0 }'
}

netns_up 3
[ ${#NETNS_NAMES[@]} -eq 3 ] && [ ${#HOST_ADDRS[@]} -eq 3 ] ||
	fail "netns_up 3 set ${#NETNS_NAMES[@]} names and ${#HOST_ADDRS[@]} addresses"
pass "3 hosts up on $NETNS_SUBNET: ${HOST_ADDRS[*]}"

root_ns=$(readlink /proc/self/ns/net)
for i in 1 2 3; do
	addr=${HOST_ADDRS[$((i - 1))]}
	out=$(rsh $i 'ip -4 -o addr show') || fail "ssh to h$i ($addr) exited $?: $out"
	got=$(printf '%s\n' "$out" | awk '{ print $2, $4 }' | sort)
	want=$(printf 'eth0 %s/24\nlo 127.0.0.1/8\n' "$addr" | sort)
	assert_eq "$got" "$want" "IPv4 addresses seen over ssh in h$i"
	via_ssh=$(rsh $i 'readlink /proc/self/ns/net') || fail "ssh to h$i: readlink exited $?"
	via_in_host=$(in_host $i readlink /proc/self/ns/net) || fail "in_host $i readlink exited $?"
	assert_eq "$via_ssh" "$via_in_host" "h$i's namespace, over ssh and through in_host"
	[ "$via_ssh" != "$root_ns" ] || fail "ssh to h$i lands in the root namespace"
	listening=$(in_host $i ss -Htln | awk '{ print $4 }')
	assert_eq "$listening" "$addr:22" "TCP sockets listening in h$i"
	pass "ssh root@$addr runs in ${NETNS_NAMES[$((i - 1))]} ($via_ssh), addresses: $(echo $got)"
done
[ "$(rsh 1 'readlink /proc/self/ns/net')" != "$(rsh 2 'readlink /proc/self/ns/net')" ] ||
	fail "h1 and h2 share a namespace"

# host to host, across the bridge
out=$(in_host 1 timeout -k 5 60 ssh -F "$NETNS_SSH_CONFIG" "root@${HOST_ADDRS[2]}" \
	'readlink /proc/self/ns/net' </dev/null 2>&1) || fail "ssh from h1 to h3 exited $?: $out"
assert_eq "$out" "$(in_host 3 readlink /proc/self/ns/net)" "namespace reached from h1 at h3's address"
pass "h1 reaches h3 over ssh"

out=$(timeout -k 10 300 ansible -i "$NETNS_INVENTORY" relbuild -m ping -o 2>&1) ||
	fail "ansible ping exited $?: $out"
for h in h1 h2 h3; do
	assert_contains "$out" "$h | SUCCESS" "ansible ping of $h"
done
pass "ansible -m ping: all three answer"

out=$(timeout -k 10 300 ansible -i "$NETNS_INVENTORY" relbuild -o -m shell \
	-a 'echo root={{ relbuild_root }}; ip -4 -o addr show dev eth0' 2>&1) ||
	fail "ansible shell exited $?: $out"
for i in 1 2 3; do
	line=$(printf '%s\n' "$out" | grep "^h$i | ") || fail "no line for h$i in: $out"
	assert_contains "$line" "root=$T/hosts/h$i/root" "h$i's relbuild_root"
	assert_contains "$line" "inet ${HOST_ADDRS[$((i - 1))]}/24" "h$i's address through Ansible"
done
pass "the inventory maps h1..h3 to their own addresses and install roots"

# processes left running by an ssh session in h2, one through in_host in h3
bg=$(rsh 2 'nohup sleep 300 >/dev/null 2>&1 </dev/null & echo $!') || fail "ssh h2: nohup sleep exited $?"
[ -n "$bg" ] && alive "$bg" || fail "the sleep started over ssh in h2 is not running (pid '$bg')"
# (nohup may not have run sleep yet)
n=0
while [ "$(cat "/proc/$bg/comm" 2>/dev/null)" != sleep ] && [ $n -lt 50 ]; do
	sleep 0.1
	n=$((n + 1))
done
assert_eq "$(cat "/proc/$bg/comm")" sleep "process $bg's name"
assert_eq "$(ip netns identify "$bg")" "${NETNS_NAMES[1]}" "namespace of the sleep started over ssh in h2"
ip netns pids "${NETNS_NAMES[1]}" | grep -qx "$bg" || fail "ip netns pids ${NETNS_NAMES[1]} does not list $bg"
bg3=$(in_host 3 sh -c 'sleep 300 >/dev/null 2>&1 </dev/null & echo $!') || fail "in_host 3 sleep exited $?"
assert_eq "$(ip netns identify "$bg3")" "${NETNS_NAMES[2]}" "namespace of the sleep started by in_host 3"
pass "sleep $bg runs in ${NETNS_NAMES[1]}, sleep $bg3 in ${NETNS_NAMES[2]}"
# a daemon (epmd detaches itself), on the default port: h2's own 4369
epmd_pid=""
if command -v epmd >/dev/null; then
	# epmd -daemon returns before the daemon listens: ask for a while
	# shellcheck disable=SC2016
	out=$(rsh 2 'epmd -daemon || exit; n=0
		until epmd -names; do n=$((n + 1)); [ $n -lt 100 ] || exit 1; sleep 0.1; done' 2>&1) ||
		fail "ssh h2: epmd -daemon, then epmd -names, exited $?: $out"
	assert_contains "$out" "up and running on port 4369" "epmd -names in h2"
	for pid in $(ip netns pids "${NETNS_NAMES[1]}"); do
		[ "$(cat "/proc/$pid/comm" 2>/dev/null)" != epmd ] || epmd_pid="$epmd_pid $pid"
	done
	[ -n "$epmd_pid" ] || fail "no epmd among the processes of ${NETNS_NAMES[1]}"
	pass "epmd$epmd_pid runs in ${NETNS_NAMES[1]}"
fi

sshd_pids=$(cat "$T"/ssh/h[123].pid) || fail "no sshd pid files"
[ "$(printf '%s\n' $sshd_pids | wc -l)" -eq 3 ] || fail "sshd pid files: $sshd_pids"
for pid in $sshd_pids; do
	assert_eq "$(readlink "/proc/$pid/exe")" /usr/sbin/sshd "process $pid from a pid file"
done
names="${NETNS_NAMES[*]}"
links="${NETNS_LINKS[*]}"
subnet=$NETNS_SUBNET
[ -n "$(ip -4 route show to exact "$subnet")" ] || fail "no route to $subnet while up"

netns_down || fail "netns_down reported something it could not remove"
# and Ansible's control masters, or anything else using the test's files
left=$(leftovers "$names" "$links" "$subnet" "$sshd_pids $bg $bg3 $epmd_pid"; procs_using "$T")
[ -z "$left" ] || fail "netns_down left:$(printf '\n%s' "$left")"
pass "netns_down removed $names, $links, the route to $subnet, sshd $(echo $sshd_pids), sleeps $bg $bg3${epmd_pid:+, epmd$epmd_pid}"
netns_down || fail "netns_down, called again, exited $?"
pass "netns_down again: nothing to do, exit 0"

# An interrupted run: a child test brings up two hosts (and a process in
# h1), reports what it made, and waits; SIGTERM must undo it all.
cat >"$T/interrupted.sh" <<-'EOF'
	. "$E2E_DIR/lib.sh"
	. "$E2E_DIR/netns.sh"
	netns_up 2
	bgp=$(in_host 1 sh -c 'sleep 300 >/dev/null 2>&1 </dev/null & echo $!')
	{
		printf 'c_T=%q\n' "$T"
		printf 'c_names=%q\n' "${NETNS_NAMES[*]}"
		printf 'c_links=%q\n' "${NETNS_LINKS[*]}"
		printf 'c_subnet=%q\n' "$NETNS_SUBNET"
		printf 'c_sshd=%q\n' "$(cat "$T"/ssh/h[12].pid)"
		printf 'c_sleep=%q\n' "$bgp"
	} >"$INFO.tmp" && mv "$INFO.tmp" "$INFO"
	n=0
	while [ $n -lt 1500 ]; do
		sleep 0.2
		n=$((n + 1))
	done
	exit 3
EOF
INFO="$T/interrupted.info"
c_T="" c_names="" c_links="" c_subnet="" c_sshd="" c_sleep=""
# (KEEP_TMP would keep its directory: it exits 130)
KEEP_TMP="" E2E_DIR=$E2E_DIR INFO=$INFO bash "$T/interrupted.sh" </dev/null >"$T/interrupted.log" 2>&1 &
child=$!

# If this test stops early: end the child (its own cleanup runs), then
# remove whatever of its hosts is still there.
stop_child() {
	if [ -n "$child" ] && alive "$child"; then
		kill -TERM "$child" 2>/dev/null
		n=0
		while alive "$child" && [ $n -lt 600 ]; do
			sleep 0.1
			n=$((n + 1))
		done
		kill -KILL "$child" 2>/dev/null
	fi
	for ns in $c_names; do
		ip netns list | awk '{ print $1 }' | grep -qxF -- "$ns" || continue
		# shellcheck disable=SC2046
		kill -KILL $(ip netns pids "$ns") 2>/dev/null
		ip netns del "$ns"
	done
	for link in $c_links; do
		ip link show dev "$link" >/dev/null 2>&1 && ip link del dev "$link"
	done
	return 0
}
CLEANUP_HOOKS="$CLEANUP_HOOKS stop_child"

n=0
until [ -f "$INFO" ]; do
	alive "$child" || { cat "$T/interrupted.log" >&2; fail "the child test ended before its hosts were up"; }
	n=$((n + 1))
	[ $n -lt 600 ] || { cat "$T/interrupted.log" >&2; fail "the child test did not bring up its hosts in 120 s"; }
	sleep 0.2
done
. "$INFO"
set -- $c_names
[ $# -eq 2 ] || fail "the child test reports namespaces '$c_names'"
for ns in $c_names; do
	ip netns list | awk '{ print $1 }' | grep -qxF -- "$ns" || fail "the child's namespace $ns is not there"
done
for pid in $c_sshd $c_sleep; do
	alive "$pid" || fail "the child's process $pid is not running"
done
[ -d "$c_T" ] || fail "the child's test directory $c_T is not there"
pass "child test $child: $c_names up, sshd $(echo $c_sshd), sleep $c_sleep in h1"

kill -TERM "$child"
wait "$child"
status=$?
child=""
assert_eq "$status" 130 "exit status of the child test killed with SIGTERM"
left=$(leftovers "$c_names" "$c_links" "$c_subnet" "$c_sshd $c_sleep"; procs_using "$c_T"
	[ ! -d "$c_T" ] || echo "directory $c_T")
[ -z "$left" ] || { cat "$T/interrupted.log" >&2; fail "the interrupted run left:$(printf '\n%s' "$left")"; }
pass "SIGTERM: the child exited 130 and removed $c_names, $c_links, sshd, sleep and $c_T"
