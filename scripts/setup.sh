#!/bin/sh
# Install what relbuild needs on Debian 12 (as root), then build it into
# build/ (the default build type, warnings as errors: this is the
# developers' and CI's build).  Safe to run again: it installs only what is
# missing.
set -eu

cd "$(dirname "$0")/.."

PACKAGES="cmake gcc make pkg-config libarchive-dev libyaml-dev libssl-dev zlib1g-dev
libisal-dev libcmocka-dev erlang-nox erlang-dev elixir rebar3 erlang-p1-pgsql erlang-p1-utils postgresql
dash busybox zstd clang python3 devscripts erlang-yaws valgrind gawk
original-awk erlang-common-test hyperfine time libjson-c-dev scdoc man-db groff-base
tmux systemd bash-completion zsh bubblewrap
openssh-server openssh-client ansible-core iproute2 procps"

missing=""
for p in $PACKAGES; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "setup: installing$missing"
	if [ "$(id -u)" -ne 0 ]; then
		echo "setup: run as root (or with sudo) to install packages" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	# Packages such as openssh-server and postgresql would start their
	# services; the tests start their own (on addresses and ports of
	# their own) and stop them: no daemon is started by the install.
	policy=""
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		policy=/usr/sbin/policy-rc.d
		printf '#!/bin/sh\nexit 101\n' >"$policy"
		chmod 755 "$policy"
	fi
	status=0
	apt-get install -y -q --no-install-recommends $missing || status=$?
	[ -z "$policy" ] || rm -f "$policy"
	[ "$status" -eq 0 ] || exit "$status"
fi

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRELBUILD_WERROR=ON >/dev/null
cmake --build build -j"$(nproc)"
