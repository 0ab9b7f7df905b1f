#!/bin/sh
# Set up, then build examples/shop as a release with relbuild, unpack its
# tarball into an empty directory and boot it: the main job, end to end.
set -eu

cd "$(dirname "$0")/.."
top=$(pwd)
sh scripts/setup.sh

# Everything lands in build/demo/, kept for a look afterwards.
work="$top/build/demo"
rm -rf "$work"
mkdir -p "$work"
export ERL_EPMD_PORT=$((20000 + $$ % 20000))
cleanup() {
	if "$work/srv/bin/shop" ping >/dev/null 2>&1; then
		"$work/srv/bin/shop" stop >/dev/null 2>&1 || :
	fi
	for e in "$work"/srv/erts-*/bin/epmd; do
		if [ -x "$e" ]; then "$e" -kill >/dev/null 2>&1 || :; fi
	done
}
trap cleanup EXIT

cp -R examples/shop "$work/shop"
cd "$work/shop"
echo "==> MIX_ENV=prod mix compile"
MIX_ENV=prod mix compile
echo "==> relbuild --env prod -v"
"$top/build/relbuild" --env prod -v

vsn=$(cut -d' ' -f2 _build/prod/rel/shop/releases/start_erl.data)
tarball=_build/prod/rel/shop/releases/$vsn/shop.tar.gz
echo "==> relbuild verify $tarball"
"$top/build/relbuild" verify "$tarball"

echo "==> unpack into an empty directory and boot"
mkdir "$work/srv"
tar -xzf "$tarball" -C "$work/srv"
"$work/srv/bin/shop" start
echo "ping: $("$work/srv/bin/shop" ping)"
echo "runtime root: $("$work/srv/bin/shop" rpc ':code.root_dir()')"
"$work/srv/bin/shop" stop
echo "==> done: $work/shop/$tarball (unpacked in $work/srv)"
