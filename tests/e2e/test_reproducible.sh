#!/bin/bash
# The same project built twice, from two copies with different file
# mtimes and a different umask (022, 002: both let others read; under
# 077 every file is private and ships 0600, see README), and gzip
# compressed on one thread and on two, gives byte-identical tarballs,
# which gzip and tar read.  The first build compiles the control script's
# helper and keeps it in the cache ($HOME/.cache/relbuild), the second
# takes it from there: the same bytes either way.
. "$(dirname "$0")/lib.sh"

export SHOP_COOKIE=reproducible-cookie COUNTER_COOKIE=reproducible-cookie

build_copy() {  # build_copy EXAMPLE KIND DIR UMASK MTIME JOBS
	copy_example "$1" "$3"
	find "$3" -exec touch -h -d "$5" {} +
	(umask "$4" && compile_"$2" "$3" && build_release "$3" --env prod --jobs "$6")
	vsn=$(cut -d' ' -f2 "$3/_build/prod/rel/$1/releases/start_erl.data")
	sha256sum < "$3/_build/prod/rel/$1/releases/$vsn/$1.tar.gz" | cut -d' ' -f1
}

for spec in counter:rebar3 shop:mix; do
	rm -rf "$HOME/.cache/relbuild"
	ex=${spec%%:*}
	kind=${spec#*:}
	a=$(build_copy "$ex" "$kind" "$T/$ex-a" 022 "2001-02-03 04:05:06" 1) || exit 1
	ls "$HOME/.cache/relbuild"/relbuild_ctl-*.beam >/dev/null 2>&1 ||
		fail "$ex: the first build left no compiled helper in $HOME/.cache/relbuild"
	b=$(build_copy "$ex" "$kind" "$T/$ex-b" 002 "2019-12-31 23:59:59" 2) || exit 1
	[ -n "$a" ] || fail "$ex: no tarball hash"
	assert_eq "$b" "$a" "$ex: tarball sha256 of the second copy (2 threads against 1)"
	tgz=$(ls "$T/$ex-b/_build/prod/rel/$ex/releases"/*/"$ex.tar.gz")
	gzip -t "$tgz" || fail "$ex: gzip -t rejects the tarball"
	tar -tzf "$tgz" | grep -qx "bin/$ex" || fail "$ex: tar lists no bin/$ex"
	pass "$ex: both copies give tarball $a, which gzip and tar read"
done
