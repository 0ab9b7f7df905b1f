# Test hosts for the end-to-end tests that need real SSH servers (the
# Ansible role): sourced after lib.sh, not run.  Root only.
#
#   netns_up N      N hosts h1..hN, each a network namespace of its own
#                   with one sshd in it; sets NETNS_NAMES, HOST_ADDRS
#                   (index 0..N-1), NETNS_INVENTORY, NETNS_SSH_CONFIG;
#                   exits 77 (skip) when ip netns, sshd, ssh or
#                   ansible-playbook is missing
#   in_host I CMD…  run CMD inside host I's namespace (1-based)
#   netns_down      the teardown (also the cleanup hook); safe to call
#                   again; false if something could not be removed
#
# The network: a bridge in the root namespace holding .1 of a private
# 10.<x>.<y>.0/24 (derived from the pid, the next one if any address or
# route on the machine overlaps it), one veth pair per host whose inner
# end, eth0, carries .11, .12, … in the host's namespace (with lo up).
# Traffic stays on that subnet: no forwarding, no default route.  Every
# name carries the pid (rb<pid>b for the bridge, rb<pid>v<i> for the
# outer veth ends, rb<pid>h<i> for the namespaces; a letter is appended
# when a leftover of an earlier run holds one of them), so a run only
# ever creates and removes its own; also exported NETNS_LINKS (the
# interfaces made in the root namespace) and NETNS_SUBNET.
#
# Each host runs `sshd -D` listening only on its own address, port 22,
# from one config under $T/ssh/ (the address, pid file and host key go on
# the command line): root logs in with the test's key only, no PAM, no
# passwords, StrictModes off (the test directory's modes), sftp built in
# (Ansible copies files with it), no environment accepted.  The client
# side is $T/ssh/client_config (no known_hosts, no prompts) and an
# ansible.cfg of the test's own (exported as ANSIBLE_CONFIG: temp dirs
# under $T, pipelining, SSH control sockets under $T).  The namespaces
# share the file system, so each host gets its own install root in the
# inventory: relbuild_root=$T/hosts/hN/root ($T/hosts/hN is created, the
# root itself is not).  The only thing made outside $T is /run/sshd,
# sshd's privilege separation directory, when it is missing (and the
# namespaces' mount points that `ip netns add` makes under /run/netns).
#
# netns_down is registered in CLEANUP_HOOKS before anything is created,
# and every object is recorded before it is created (its name was checked
# free), so an interrupt or a failure halfway through netns_up still
# removes what was made.  It stops each sshd by its pid file, then every
# process left in the namespaces (`ip netns pids`: what the test started
# there over ssh or in_host) with SIGTERM, then SIGKILL after 5 s, and
# waits until none is left; then Ansible's SSH control masters (found by
# their socket directory under $T), then the veths, the bridge and the
# namespaces.

: "${T:?source lib.sh before netns.sh}"

NETNS_NAMES=()
HOST_ADDRS=()
NETNS_LINKS=()
NETNS_SUBNET=""
NETNS_INVENTORY=""
NETNS_SSH_CONFIG=""
# What netns_up made, or was about to make, for netns_down.
_NETNS_MADE_NS=()
_NETNS_MADE_LINKS=()
_NETNS_SSHD_PIDS=()
_NETNS_SSHD=/usr/sbin/sshd
_NETNS_CP_DIR="$T/ansible/cp"

_netns_has_ns() {
	ip netns list 2>/dev/null | awk '{ print $1 }' | grep -qxF -- "$1"
}

_netns_has_link() {
	ip link show dev "$1" >/dev/null 2>&1
}

# Is PID a live process (a zombie is not: it has ended, its parent, maybe
# not us, has just not reaped it)?
_netns_alive() {
	local state
	state=$(awk '{ sub(/^.*\) /, ""); print $1 }' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$state" ] && [ "$state" != Z ]
}

_netns_ip2int() {
	local a b c d
	IFS=. read -r a b c d <<<"$1"
	echo $(((a << 24) | (b << 16) | (c << 8) | d))
}

# Is 10.X.Y.0/24 ($1 = "10.X.Y") clear of every IPv4 address and route on
# the machine (the default route aside)?
_netns_subnet_free() {
	local net p addr len m mask
	net=$(_netns_ip2int "$1.0")
	while read -r p; do
		[ -n "$p" ] || continue
		case $p in
		*/*) addr=${p%/*} len=${p#*/} ;;
		*) addr=$p len=32 ;;
		esac
		[ "$len" -gt 0 ] || continue
		m=$((len < 24 ? len : 24))
		mask=$(((0xffffffff << (32 - m)) & 0xffffffff))
		[ $(($(_netns_ip2int "$addr") & mask)) -ne $((net & mask)) ] || return 1
	done < <(
		ip -4 -o addr show | awk '{ print $4 }'
		ip -4 route show table all | awk '
			$1 ~ /^(unicast|local|broadcast|multicast|anycast|blackhole|unreachable|prohibit|throw|nat)$/ { print $2; next }
			$1 != "default" { print $1 }'
	)
}

# Every process in our namespaces (none once they are gone).
_netns_all_pids() {
	local ns
	for ns in "${_NETNS_MADE_NS[@]}"; do
		_netns_has_ns "$ns" && ip netns pids "$ns" 2>/dev/null
	done
}

# Ansible's SSH control masters ("ssh: $T/ansible/cp/… [mux]"); ps is
# read before awk starts, so awk, which carries the text, is not listed.
_netns_mux_pids() {
	local all
	all=$(ps -eo pid=,args=)
	printf '%s\n' "$all" | awk -v d="$_NETNS_CP_DIR/" 'index($0, d) { print $1 }'
}

# Microseconds since the epoch.
_netns_now() {
	echo "${EPOCHREALTIME/[.,]/}"
}

# _netns_stop WHAT LISTER: SIGTERM what LISTER prints, wait up to 5 s,
# then SIGKILL what is left until nothing is (giving up after 10 s more).
_netns_stop() {
	local pids end
	pids=$($2)
	[ -n "$pids" ] || return 0
	# shellcheck disable=SC2086
	kill -TERM $pids 2>/dev/null
	end=$(($(_netns_now) + 5000000))
	while pids=$($2) && [ -n "$pids" ] && [ "$(_netns_now)" -lt $end ]; do
		sleep 0.1
	done
	[ -n "$pids" ] || return 0
	log "netns: $1 left after SIGTERM, killing:" $pids
	end=$(($(_netns_now) + 10000000))
	while [ -n "$pids" ] && [ "$(_netns_now)" -lt $end ]; do
		# shellcheck disable=SC2086
		kill -KILL $pids 2>/dev/null
		sleep 0.1
		pids=$($2)
	done
	[ -z "$pids" ] || { log "netns: $1 still running after SIGKILL:" $pids; return 1; }
}

netns_down() {
	local i pid ns link ok=0
	# each sshd by its pid file (or the pid it was started with), if that
	# is still our sshd, in our namespace
	for i in "${!_NETNS_MADE_NS[@]}"; do
		ns=${_NETNS_MADE_NS[$i]}
		for pid in "$(cat "$T/ssh/h$((i + 1)).pid" 2>/dev/null)" "${_NETNS_SSHD_PIDS[$i]:-}"; do
			[ -n "$pid" ] && _netns_alive "$pid" || continue
			[ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$_NETNS_SSHD" ] || continue
			[ "$(ip netns identify "$pid" 2>/dev/null)" = "$ns" ] || continue
			kill -TERM "$pid" 2>/dev/null
		done
	done
	_netns_stop "processes in ${_NETNS_MADE_NS[*]:-no namespace}" _netns_all_pids || ok=1
	_netns_stop "ssh control masters" _netns_mux_pids || ok=1
	for link in "${_NETNS_MADE_LINKS[@]}"; do
		_netns_has_link "$link" || continue
		ip link del dev "$link" || { log "netns: cannot delete interface $link"; ok=1; }
	done
	for ns in "${_NETNS_MADE_NS[@]}"; do
		_netns_has_ns "$ns" || continue
		ip netns del "$ns" || { log "netns: cannot delete namespace $ns"; ok=1; }
	done
	if [ $ok -eq 0 ]; then
		_NETNS_MADE_NS=()
		_NETNS_MADE_LINKS=()
		_NETNS_SSHD_PIDS=()
	fi
	return $ok
}

# _netns_pick_names N: an id (the pid, then the pid and a letter) whose
# bridge, veths and namespaces are all free.
_netns_pick_names() {
	local id i suffix
	for suffix in "" a b c d e f g h i j k l m n o p q r s t u v w x y z; do
		id="rb$$$suffix"
		_netns_has_link "${id}b" && continue
		for ((i = 1; i <= $1; i++)); do
			_netns_has_link "${id}v$i" && continue 2
			_netns_has_ns "${id}h$i" && continue 2
		done
		echo "$id"
		return 0
	done
	return 1
}

# _netns_pick_subnet: "10.X.Y", from the pid, else one of the 63 next
# candidates, clear of the machine's addresses and routes.
_netns_pick_subnet() {
	local try k
	for ((try = 0; try < 64; try++)); do
		k=$(($$ + try * 257))
		if _netns_subnet_free "10.$((100 + (k / 256) % 100)).$((k % 256))"; then
			echo "10.$((100 + (k / 256) % 100)).$((k % 256))"
			return 0
		fi
	done
	return 1
}

netns_up() {
	local n=${1:-} i id net ns veth addr key sshd_cfg tries mux missing=""
	[[ $n =~ ^[1-9][0-9]?$ ]] && [ "$n" -le 50 ] || fail "netns_up: want 1..50 hosts, got '$n'"
	[ ${#_NETNS_MADE_NS[@]} -eq 0 ] || fail "netns_up: hosts are already up (netns_down first)"

	command -v ip >/dev/null && ip netns list >/dev/null 2>&1 || missing="$missing ip-netns"
	[ -x "$_NETNS_SSHD" ] || missing="$missing sshd(openssh-server)"
	command -v ssh >/dev/null && command -v ssh-keygen >/dev/null || missing="$missing ssh(openssh-client)"
	command -v ansible-playbook >/dev/null || missing="$missing ansible-playbook(ansible-core)"
	if [ -n "$missing" ]; then
		log "SKIP: missing:$missing (scripts/setup.sh installs them)"
		exit 77
	fi
	[ "$(id -u)" -eq 0 ] || fail "netns.sh needs root (ip netns, sshd)"
	id sshd >/dev/null 2>&1 || fail "no 'sshd' user (the openssh-server package makes it)"
	case $T in
	*[!A-Za-z0-9/._-]*) fail "netns.sh: the test directory '$T' has characters the configs cannot carry" ;;
	esac

	id=$(_netns_pick_names "$n") || fail "netns: every name rb$$*… is taken by a leftover"
	net=$(_netns_pick_subnet) || fail "netns: no free 10.x.y.0/24 (every candidate overlaps an address or route)"

	# From here on, everything made is undone on any exit.
	case " $CLEANUP_HOOKS " in
	*" netns_down "*) ;;
	*) CLEANUP_HOOKS="$CLEANUP_HOOKS netns_down" ;;
	esac

	NETNS_SUBNET="$net.0/24"
	log "netns: $n hosts on $NETNS_SUBNET, bridge ${id}b"
	_NETNS_MADE_LINKS+=("${id}b")
	NETNS_LINKS=("${id}b")
	ip link add "${id}b" type bridge || fail "netns: cannot create bridge ${id}b"
	ip addr add "$net.1/24" dev "${id}b" || fail "netns: cannot address bridge ${id}b"
	ip link set "${id}b" up || fail "netns: cannot bring up bridge ${id}b"
	for ((i = 1; i <= n; i++)); do
		ns="${id}h$i"
		veth="${id}v$i"
		addr="$net.$((10 + i))"
		_NETNS_MADE_NS+=("$ns")
		NETNS_NAMES+=("$ns")
		ip netns add "$ns" || fail "netns: cannot create namespace $ns"
		_NETNS_MADE_LINKS+=("$veth")
		NETNS_LINKS+=("$veth")
		ip link add "$veth" type veth peer name eth0 netns "$ns" ||
			fail "netns: cannot create veth $veth"
		ip link set "$veth" master "${id}b" up || fail "netns: cannot attach $veth"
		ip -n "$ns" link set lo up || fail "netns: lo in $ns"
		ip -n "$ns" addr add "$addr/24" dev eth0 || fail "netns: cannot address eth0 in $ns"
		ip -n "$ns" link set eth0 up || fail "netns: eth0 in $ns"
		HOST_ADDRS+=("$addr")
		mkdir -p "$T/hosts/h$i" || fail "mkdir $T/hosts/h$i"
	done

	mkdir -p "$T/ssh" "$T/sshhome" "$T/ansible/local" "$T/ansible/remote" || fail "mkdir $T/ssh"
	[ -d /run/sshd ] || mkdir -m 0755 /run/sshd 2>/dev/null || [ -d /run/sshd ] ||
		fail "cannot create /run/sshd"
	key="$T/ssh/id_ed25519"
	ssh-keygen -q -t ed25519 -N '' -C "relbuild-e2e-client" -f "$key" </dev/null ||
		fail "ssh-keygen (client key)"
	cp "$key.pub" "$T/ssh/authorized_keys" || fail "cannot write authorized_keys"
	sshd_cfg="$T/ssh/sshd_config"
	cat >"$sshd_cfg" <<-EOF
	# relbuild e2e test host (netns.sh); ListenAddress, PidFile, HostKey
	# come from the command line.
	Port 22
	AddressFamily inet
	AuthorizedKeysFile $T/ssh/authorized_keys
	PermitRootLogin prohibit-password
	AllowUsers root
	PubkeyAuthentication yes
	PasswordAuthentication no
	KbdInteractiveAuthentication no
	UsePAM no
	StrictModes no
	UseDNS no
	PrintMotd no
	PrintLastLog no
	X11Forwarding no
	MaxStartups 50:30:100
	Subsystem sftp internal-sftp
	# the test host's own HOME: not root's dotfiles on the machine running the test
	SetEnv HOME=$T/sshhome
	EOF
	NETNS_SSH_CONFIG="$T/ssh/client_config"
	cat >"$NETNS_SSH_CONFIG" <<-EOF
	Host *
	  User root
	  IdentityFile $key
	  IdentitiesOnly yes
	  BatchMode yes
	  StrictHostKeyChecking no
	  UserKnownHostsFile /dev/null
	  GlobalKnownHostsFile /dev/null
	  LogLevel ERROR
	  ConnectTimeout 10
	EOF

	for ((i = 1; i <= n; i++)); do
		ssh-keygen -q -t ed25519 -N '' -C "relbuild-e2e-h$i" -f "$T/ssh/h${i}_host_ed25519_key" </dev/null ||
			fail "ssh-keygen (host key of h$i)"
	done
	"$_NETNS_SSHD" -t -f "$sshd_cfg" -o "HostKey=$T/ssh/h1_host_ed25519_key" \
		-o "ListenAddress=${HOST_ADDRS[0]}:22" -o "PidFile=$T/ssh/h1.pid" >"$T/ssh/check.log" 2>&1 ||
		{ cat "$T/ssh/check.log" >&2; fail "sshd -t rejects $sshd_cfg"; }
	for ((i = 1; i <= n; i++)); do
		# `ip netns exec` and env exec: $! is sshd itself
		ip netns exec "${NETNS_NAMES[$((i - 1))]}" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
			"$_NETNS_SSHD" -D -f "$sshd_cfg" -E "$T/ssh/h$i.log" \
			-o "HostKey=$T/ssh/h${i}_host_ed25519_key" -o "ListenAddress=${HOST_ADDRS[$((i - 1))]}:22" \
			-o "PidFile=$T/ssh/h$i.pid" </dev/null >"$T/ssh/h$i.out" 2>&1 &
		_NETNS_SSHD_PIDS+=("$!")
	done
	for ((i = 1; i <= n; i++)); do
		tries=0
		until ssh -F "$NETNS_SSH_CONFIG" -o ConnectTimeout=2 "root@${HOST_ADDRS[$((i - 1))]}" true \
			</dev/null >/dev/null 2>"$T/ssh/h$i.probe"; do
			tries=$((tries + 1))
			if ! _netns_alive "${_NETNS_SSHD_PIDS[$((i - 1))]}" || [ $tries -ge 150 ]; then
				cat "$T/ssh/h$i.out" "$T/ssh/h$i.log" "$T/ssh/h$i.probe" >&2 2>/dev/null
				fail "sshd of h$i (${HOST_ADDRS[$((i - 1))]}) does not answer"
			fi
			sleep 0.2
		done
	done

	NETNS_INVENTORY="$T/inventory.ini"
	{
		echo "[relbuild]"
		for ((i = 1; i <= n; i++)); do
			echo "h$i ansible_host=${HOST_ADDRS[$((i - 1))]} ansible_user=root" \
				"ansible_ssh_private_key_file=$key" \
				"ansible_ssh_common_args='-F $NETNS_SSH_CONFIG'" \
				"ansible_python_interpreter=/usr/bin/python3 relbuild_root=$T/hosts/h$i/root"
		done
	} >"$NETNS_INVENTORY" || fail "cannot write $NETNS_INVENTORY"
	# A control socket's path must fit in 108 bytes (Ansible adds /<10
	# hex digits>); under a long TMPDIR, one connection per command.
	mux="-o ControlMaster=auto -o ControlPersist=60s"
	[ ${#_NETNS_CP_DIR} -le 80 ] || mux="-o ControlMaster=no"
	cat >"$T/ansible.cfg" <<-EOF
	[defaults]
	inventory = $NETNS_INVENTORY
	host_key_checking = False
	retry_files_enabled = False
	local_tmp = $T/ansible/local
	remote_tmp = $T/ansible/remote
	interpreter_python = /usr/bin/python3
	forks = 5
	nocows = True

	[ssh_connection]
	pipelining = True
	ssh_args = $mux
	control_path_dir = $_NETNS_CP_DIR
	EOF
	ANSIBLE_CONFIG="$T/ansible.cfg"
	ANSIBLE_HOST_KEY_CHECKING=False
	export ANSIBLE_CONFIG ANSIBLE_HOST_KEY_CHECKING
	return 0
}

in_host() {
	local i=${1:-}
	shift
	[[ $i =~ ^[1-9][0-9]*$ ]] && [ "$i" -le ${#NETNS_NAMES[@]} ] ||
		fail "in_host: no host '$i' (there are ${#NETNS_NAMES[@]})"
	ip netns exec "${NETNS_NAMES[$((i - 1))]}" "$@"
}
