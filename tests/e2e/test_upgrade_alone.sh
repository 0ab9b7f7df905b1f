#!/bin/bash
# Hot upgrade the way Distillery users do it: <name>-<vsn>.tar.gz copied
# alone (no .sha256 sidecar) into the running root's releases/<vsn>/, then
# `bin/counter upgrade <vsn>`.  examples/counter 0.1.0 runs (count 41);
# 0.2.0 is built with --upgrade and --sign, 0.3.0 with --upgrade unsigned:
#   - 0.2.0 with one bit flipped in the middle of the archive, then with
#     one byte of a .beam changed (repacked, so the archive reads): both
#     refused before release_handler sees them: nothing extracted into the
#     root, versions shows 0.1.0 alone, same pid, same count;
#   - RELEASE_PUBKEY names another key: the signed 0.2.0 is refused;
#   - RELEASE_PUBKEY names the signing key: upgrade 0.2.0 succeeds and
#     says it checked the archive against its own SHA256SUMS and its
#     signature; the state was converted;
#   - 0.3.0 (unsigned) with RELEASE_PUBKEY: refused for want of a
#     signature; without a key: upgrade succeeds, saying the archive's own
#     manifest was checked.
. "$(dirname "$0")/lib.sh"

FIX=$SRC_DIR/tests/e2e/fixtures
unset COUNTER_COOKIE

keys="$T/keys"
mkdir "$keys" || fail "mkdir $keys"
"$RELBUILD" keygen --out "$keys/good" >/dev/null || fail "keygen failed"
"$RELBUILD" keygen --out "$keys/other" >/dev/null || fail "keygen failed"

proj="$T/proj"
copy_example counter "$proj"
compile_rebar3 "$proj"
build_release "$proj" --env prod
OUT="$proj/_build/prod/rel/counter"
for v in 0.2.0 0.3.0; do
	cp "$FIX/counter-$v/src/"* "$proj/src/" || fail "cannot copy the $v fixture"
	rm -rf "$proj/_build/prod/lib/counter"
	compile_rebar3 "$proj"
	if [ "$v" = 0.2.0 ]; then
		build_release "$proj" --env prod --upgrade --sign "$keys/good.pem"
	else
		build_release "$proj" --env prod --upgrade
	fi
done
tar -tzf "$OUT/releases/0.2.0/counter-0.2.0.tar.gz" | grep -q -x 'releases/0.2.0/SHA256SUMS.sig' ||
	fail "the signed 0.2.0 tarball has no releases/0.2.0/SHA256SUMS.sig"
pass "built counter 0.1.0, 0.2.0 (--upgrade --sign) and 0.3.0 (--upgrade)"

rel="$T/rel"
mkdir "$rel" && tar -xzf "$OUT/releases/0.1.0/counter.tar.gz" -C "$rel" || fail "cannot unpack 0.1.0"
track_release "$rel"
out=$(ctl "$rel" start 2>&1) || fail "start exited $?: $out"

rpc_is() {
	got=$(ctl "$rel" rpc "$1" 2>&1) || fail "$3: rpc '$1' exited $?: $got"
	assert_eq "$got" "$2" "$3: rpc '$1'"
}
rpc_is 'lists:foreach(fun(_) -> counter_server:increment() end, lists:seq(1, 41)), counter_server:get().' \
	41 "0.1.0"
pid=$(ctl "$rel" pid) || fail "pid exited $?"

# alone VSN [FILE]: FILE (default: VSN's tarball) as releases/VSN/counter-VSN.tar.gz, alone
alone() {
	rm -rf "$rel/releases/$1"
	mkdir -p "$rel/releases/$1" &&
		cp "${2:-$OUT/releases/$1/counter-$1.tar.gz}" "$rel/releases/$1/counter-$1.tar.gz" ||
		fail "cannot copy the $1 tarball into $rel/releases/$1"
}

# untouched WHAT VERSIONS: the refused upgrade changed nothing
untouched() {
	assert_eq "$(ctl "$rel" pid 2>&1)" "$pid" "$1: the node's OS pid"
	out=$(ctl "$rel" versions 2>&1) || fail "$1: versions exited $?: $out"
	assert_eq "$out" "$2" "$1: versions (release_handler never saw the tarball)"
	for d in "$rel"/lib/counter-*; do
		case "$d" in
		"$rel/lib/counter-0.1.0" | "$rel/lib/counter-0.2.0") ;;
		*) fail "$1: $d was extracted into the root" ;;
		esac
	done
	[ -z "$(ls -a "$RELEASE_TMP_DIR" 2>/dev/null | grep '^unpack-')" ] ||
		fail "$1: the staging directory is left: $(ls -a "$RELEASE_TMP_DIR")"
}
RELEASE_TMP_DIR="$rel/tmp"

### one bit flipped in the middle of the archive
t2="$OUT/releases/0.2.0/counter-0.2.0.tar.gz"
cp "$t2" "$T/flipped.tar.gz"
size=$(stat -c %s "$T/flipped.tar.gz")
flip_byte "$T/flipped.tar.gz" $((size / 2))
cmp -s "$t2" "$T/flipped.tar.gz" && fail "the corruption did not change the tarball"
alone 0.2.0 "$T/flipped.tar.gz"
out=$(ctl "$rel" upgrade 0.2.0 2>&1)
st=$?
assert_eq "$st" "1" "upgrade with a corrupted tarball alone: exit status ($out)"
assert_contains "$out" "counter: upgrade 0.2.0: " "upgrade with a corrupted tarball alone"
assert_contains "$out" "refusing it (nothing was unpacked)" "upgrade with a corrupted tarball alone"
[ ! -e "$rel/lib/counter-0.2.0" ] || fail "lib/counter-0.2.0 was extracted from the corrupted tarball"
assert_eq "$(ls "$rel/releases/0.2.0")" "counter-0.2.0.tar.gz" "releases/0.2.0 after the corrupted tarball"
untouched "after the corrupted tarball" "* 0.1.0  permanent"
rpc_is 'counter_server:get().' 41 "after the corrupted tarball"
pass "0.2.0 alone with a bit flipped mid-archive: refused, nothing unpacked, release_handler never saw it"

### one byte of a .beam changed, repacked: the archive reads, its SHA256SUMS does not match
mkdir "$T/tamper" && tar -xzf "$t2" -C "$T/tamper" || fail "cannot unpack 0.2.0 to tamper with it"
beam=lib/counter-0.2.0/ebin/counter_server.beam
[ -f "$T/tamper/$beam" ] || fail "no $beam in the 0.2.0 tarball"
flip_byte "$T/tamper/$beam" 100
(cd "$T/tamper" && tar -czf "$T/tampered.tar.gz" bin erts-* lib releases) || fail "cannot repack"
alone 0.2.0 "$T/tampered.tar.gz"
out=$(ctl "$rel" upgrade 0.2.0 2>&1)
st=$?
assert_eq "$st" "1" "upgrade with a tampered tarball alone: exit status ($out)"
assert_contains "$out" "counter: upgrade 0.2.0: the files unpacked from releases/0.2.0/counter-0.2.0.tar.gz do not match releases/0.2.0/SHA256SUMS (nothing was installed)" \
	"upgrade with a tampered tarball alone"
assert_contains "$out" "$beam: FAILED" "upgrade with a tampered tarball alone names the file"
[ ! -e "$rel/lib/counter-0.2.0" ] || fail "lib/counter-0.2.0 was moved into the root from the tampered tarball"
assert_eq "$(ls "$rel/releases/0.2.0")" "counter-0.2.0.tar.gz" "releases/0.2.0 after the tampered tarball"
untouched "after the tampered tarball" "* 0.1.0  permanent"
pass "0.2.0 alone with one byte of a .beam changed: refused naming $beam, nothing moved into the root"

### signatures: RELEASE_PUBKEY
alone 0.2.0
out=$(EXTRA_ENV="RELEASE_PUBKEY=$keys/other.pub.pem" ctl "$rel" upgrade 0.2.0 2>&1)
st=$?
assert_eq "$st" "1" "upgrade with another key: exit status ($out)"
assert_contains "$out" "counter: upgrade 0.2.0: releases/0.2.0/counter-0.2.0.tar.gz: the signature releases/0.2.0/SHA256SUMS.sig does not verify with RELEASE_PUBKEY $keys/other.pub.pem" \
	"upgrade with another key"
[ ! -e "$rel/lib/counter-0.2.0" ] || fail "lib/counter-0.2.0 was extracted with a signature that does not verify"
untouched "after the wrong key" "* 0.1.0  permanent"
pass "0.2.0 alone, RELEASE_PUBKEY another key: refused, nothing unpacked"

out=$(EXTRA_ENV="RELEASE_PUBKEY=$keys/good.pub.pem" ctl "$rel" upgrade 0.2.0 2>&1) ||
	fail "upgrade 0.2.0 (alone, signed) exited $?: $out"
assert_contains "$out" "counter: upgrade 0.2.0: no sidecar: checked the archive against its own releases/0.2.0/SHA256SUMS and its signature (releases/0.2.0/SHA256SUMS.sig, RELEASE_PUBKEY $keys/good.pub.pem)" \
	"upgrade 0.2.0 alone with RELEASE_PUBKEY"
assert_contains "$out" "counter: 0.1.0 -> 0.2.0: installed, permanent" "upgrade 0.2.0 alone"
assert_eq "$(ctl "$rel" pid)" "$pid" "the pid after upgrade 0.2.0"
rpc_is 'sys:get_state(counter_server).' '#{count => 41,step => 2}' "0.2.0: the state was converted"
rpc_is 'counter_fmt:describe().' '"count 41, step 2 (0.2.0)"' "0.2.0: the new module"
pass "0.2.0 alone, RELEASE_PUBKEY the signing key: upgraded, saying its own SHA256SUMS and signature were checked"

alone 0.3.0
out=$(EXTRA_ENV="RELEASE_PUBKEY=$keys/good.pub.pem" ctl "$rel" upgrade 0.3.0 2>&1)
st=$?
assert_eq "$st" "1" "upgrade of an unsigned tarball with RELEASE_PUBKEY: exit status ($out)"
assert_contains "$out" "counter: upgrade 0.3.0: releases/0.3.0/counter-0.3.0.tar.gz has no releases/0.3.0/SHA256SUMS.sig, but RELEASE_PUBKEY asks for a signature" \
	"upgrade of an unsigned tarball with RELEASE_PUBKEY"
untouched "after the unsigned tarball" "* 0.2.0  permanent
  0.1.0  old"
pass "0.3.0 (unsigned) alone, RELEASE_PUBKEY set: refused for want of a signature"

out=$(ctl "$rel" upgrade 0.3.0 2>&1) || fail "upgrade 0.3.0 (alone) exited $?: $out"
assert_contains "$out" "counter: upgrade 0.3.0: no sidecar: checked the archive against its own releases/0.3.0/SHA256SUMS" \
	"upgrade 0.3.0 alone"
case "$out" in *"signature"*) fail "upgrade 0.3.0 without RELEASE_PUBKEY speaks of a signature: $out" ;; esac
assert_contains "$out" "counter: 0.2.0 -> 0.3.0: installed, permanent" "upgrade 0.3.0 alone"
assert_eq "$(ctl "$rel" pid)" "$pid" "the pid after upgrade 0.3.0"
rpc_is 'sys:get_state(counter_server).' '#{count => 41,step => 3}' "0.3.0"
out=$(ctl "$rel" versions 2>&1) || fail "versions exited $?: $out"
assert_eq "$out" "* 0.3.0  permanent
  0.2.0  old
  0.1.0  old" "versions after upgrade 0.3.0"
out=$("$RELBUILD" verify "$rel" 2>&1) || fail "verify of the upgraded root exited $?: $out"
assert_contains "$out" "$rel: OK (" "verify of the upgraded root"
out=$(ctl "$rel" stop 2>&1) || fail "stop exited $?: $out"
wait_gone "$pid" || fail "the node (pid $pid) still runs after stop"
pass "0.3.0 alone, no key: upgraded, saying the archive's own SHA256SUMS was checked; the root verifies"
