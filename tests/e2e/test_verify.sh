#!/bin/bash
# relbuild verify: passes on a fresh tarball; fails, naming the file, when
# one byte of one file is changed, a file is removed, or a file is added.
. "$(dirname "$0")/lib.sh"

proj="$T/proj"
copy_example counter "$proj"
compile_rebar3 "$proj"
build_release "$proj" --env prod
vsn=$(cut -d' ' -f2 "$proj/_build/prod/rel/counter/releases/start_erl.data")
tarball="$proj/_build/prod/rel/counter/releases/$vsn/counter.tar.gz"

out=$("$RELBUILD" verify "$tarball" 2>&1) || fail "verify of a fresh tarball failed: $out"
pass "fresh tarball verifies: $out"

(cd "$(dirname "$tarball")" && sha256sum -c --quiet "counter-$vsn.tar.gz.sha256") ||
	fail "sha256sum -c rejects the sidecar"
pass "sha256sum -c accepts the sidecar"

unpacked="$T/unpacked"
mkdir "$unpacked"
tar -xzf "$tarball" -C "$unpacked"
(cd "$unpacked" && sha256sum -c --quiet "releases/$vsn/SHA256SUMS") ||
	fail "sha256sum -c rejects the manifest inside the tarball"
pass "sha256sum -c accepts releases/$vsn/SHA256SUMS"

# tamper CASE: copy the unpacked tree, change it, pack it again
tamper() {
	rm -rf "$T/t"
	cp -a "$unpacked" "$T/t"
	(cd "$T/t" && eval "$1")
	(cd "$T/t" && tar -czf "$T/tampered.tar.gz" .)
	out=$("$RELBUILD" verify "$T/tampered.tar.gz" 2>&1)
	status=$?
	[ $status -ne 0 ] || fail "verify accepted a tarball where: $1"
	assert_contains "$out" "$2" "verify output for: $1"
	pass "verify exit $status naming $2"
}

beam=$(cd "$unpacked" && ls lib/counter-*/ebin/counter_server.beam)
tamper "flip_byte $beam 100" "changed: $beam"
tamper "rm $beam" "missing: $beam"
tamper "echo extra > lib/extra.txt" "extra: lib/extra.txt"
