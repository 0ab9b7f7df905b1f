#!/bin/bash
# Signed releases: relbuild keygen, relbuild --sign, verify --pubkey on the
# tarball, the build directory and an unpacked directory; a wrong key, a
# corrupted and a missing signature fail; so do, on both the tarball and an
# unpacked directory, one changed byte, a removed file, an added file and a
# changed mode bit, each named.  verify --json is parsed by python3.  A
# build directory holding two versions is checked against start_erl.data's.
. "$(dirname "$0")/lib.sh"

export COUNTER_COOKIE=sign-cookie

proj="$T/proj"
rel="$proj/_build/prod/rel/counter"
keys="$T/keys"
mkdir "$keys"
copy_example counter "$proj"
compile_rebar3 "$proj"

# --- keys -----------------------------------------------------------------
out=$("$RELBUILD" keygen --out "$keys/release" 2>&1) || fail "keygen failed: $out"
assert_eq "$out" "private $keys/release.pem
public  $keys/release.pub.pem" "keygen output"
assert_eq "$(stat -c %a "$keys/release.pem")" 600 "private key mode"
out=$("$RELBUILD" keygen --out "$keys/release" 2>&1)
assert_eq "$?" 2 "keygen over existing keys: exit status"
assert_contains "$out" "already exists" "keygen over existing keys"
pass "keygen writes a 0600 private key and refuses to overwrite it"
priv="$keys/release.pem"
pub="$keys/release.pub.pem"
"$RELBUILD" keygen --out "$keys/wrong" >/dev/null || fail "keygen of a second pair failed"
openssl genpkey -algorithm ec -pkeyopt ec_paramgen_curve:P-256 -out "$keys/ec.pem" 2>/dev/null ||
	fail "openssl cannot make an EC key"

# --- a bad key stops the build before anything is built --------------------
for bad in "$keys/nope.pem:cannot open key" "$keys/ec.pem:not an Ed25519 key (it is EC)" \
	"$pub:is a public key"; do
	key=${bad%%:*}
	want=${bad#*:}
	out=$(cd "$proj" && "$RELBUILD" --env prod --sign "$key" 2>&1)
	status=$?
	[ $status -eq 2 ] || fail "--sign $key: exit $status, expected 2: $out"
	assert_contains "$out" "$want" "--sign $key"
	[ ! -e "$rel" ] || fail "--sign $key: the release was built anyway"
	pass "--sign $(basename "$key"): exit 2 before building: $out"
done

# --- a signed build ---------------------------------------------------------
build_release "$proj" --env prod --sign "$priv"
vsn=$(cut -d' ' -f2 "$rel/releases/start_erl.data")
tarball="$rel/releases/$vsn/counter.tar.gz"
sig="releases/$vsn/SHA256SUMS.sig"
assert_contains "$(cat "$T/build.log")" "signed  $rel/$sig" "build output"
assert_eq "$(stat -c %s "$rel/$sig")" 64 "size of $sig"
tar -tzf "$tarball" | grep -qx "$sig" || fail "the tarball does not carry $sig"
tar -tzf "$tarball" | grep -qx "releases/$vsn/MODES" || fail "the tarball does not carry MODES"
grep -q "  releases/$vsn/MODES\$" "$rel/releases/$vsn/SHA256SUMS" ||
	fail "SHA256SUMS does not list MODES"
grep -q "^0755 bin/counter\$" "$rel/releases/$vsn/MODES" || fail "MODES: bin/counter is not 0755"
grep -q "^0600 releases/COOKIE\$" "$rel/releases/$vsn/MODES" || fail "MODES: COOKIE is not 0600"
pass "the build signs SHA256SUMS; the tarball carries the signature and MODES"

# plain OpenSSL checks the signature: the raw signature of SHA256SUMS's bytes
out=$(cd "$rel/releases/$vsn" && openssl pkeyutl -verify -pubin -inkey "$pub" -rawin \
	-in SHA256SUMS -sigfile SHA256SUMS.sig 2>&1) || fail "openssl pkeyutl rejects the signature: $out"
if (cd "$rel/releases/$vsn" && openssl pkeyutl -verify -pubin -inkey "$keys/wrong.pub.pem" \
	-rawin -in SHA256SUMS -sigfile SHA256SUMS.sig >/dev/null 2>&1); then
	fail "openssl pkeyutl accepts the signature with the wrong key"
fi
pass "openssl pkeyutl -verify -rawin accepts the signature: $out"

unpacked="$T/unpacked"
mkdir "$unpacked"
tar -xzf "$tarball" -C "$unpacked"

for target in "$tarball" "$unpacked" "$rel"; do
	out=$("$RELBUILD" verify --pubkey "$pub" "$target" 2>&1) ||
		fail "verify --pubkey of $target failed: $out"
	assert_contains "$out" "signature valid" "verify --pubkey $target"
	pass "verify --pubkey passes: $out"
done

# expect_fail TARGET WANT WHAT [verify options]: exit 1, naming WANT
expect_fail() {
	target=$1
	want=$2
	what=$3
	shift 3
	out=$("$RELBUILD" verify "$@" "$target" 2>&1)
	status=$?
	[ $status -eq 1 ] || fail "$what: verify exit $status, expected 1: $out"
	assert_contains "$out" "$want" "$what"
	pass "$what: exit 1, '$want'"
}

# --- the signature: wrong key, corrupted, missing --------------------------
expect_fail "$tarball" "signature: invalid: $sig" "tarball, wrong key" --pubkey "$keys/wrong.pub.pem"
expect_fail "$unpacked" "signature: invalid: $sig" "directory, wrong key" --pubkey "$keys/wrong.pub.pem"

# copy_unpacked: a fresh copy of the unpacked release in $T/t
copy_unpacked() {
	rm -rf "$T/t"
	cp -a "$unpacked" "$T/t"
}
repack() { (cd "$T/t" && tar -czf "$T/repacked.tar.gz" .) || fail "tar -czf failed"; }

copy_unpacked
flip_byte "$T/t/$sig" 17
repack
expect_fail "$T/t" "signature: invalid: $sig" "directory, corrupted signature" --pubkey "$pub"
expect_fail "$T/repacked.tar.gz" "signature: invalid: $sig" "tarball, corrupted signature" --pubkey "$pub"

copy_unpacked
rm "$T/t/$sig"
repack
expect_fail "$T/t" "signature: missing: $sig" "directory, missing signature" --pubkey "$pub"
expect_fail "$T/repacked.tar.gz" "signature: missing: $sig" "tarball, missing signature" --pubkey "$pub"
"$RELBUILD" verify "$T/repacked.tar.gz" >/dev/null 2>&1 ||
	fail "without --pubkey a missing signature is not checked"

# A forger who rewrites SHA256SUMS to match a changed file passes the
# hashes, not the signature.
copy_unpacked
beam=$(cd "$unpacked" && ls lib/counter-*/ebin/counter_server.beam)
flip_byte "$T/t/$beam" 100
(cd "$T/t" && grep -v "  releases/$vsn/SHA256SUMS" "releases/$vsn/SHA256SUMS" | cut -c67- |
	xargs sha256sum >"$T/sums" && mv "$T/sums" "releases/$vsn/SHA256SUMS")
"$RELBUILD" verify "$T/t" >/dev/null 2>&1 || fail "the forged SHA256SUMS does not even match"
expect_fail "$T/t" "signature: invalid: $sig" "directory, forged SHA256SUMS" --pubkey "$pub"

# --- tampering, on the unpacked directory and on the repacked tarball -------
# tamper WHAT COMMAND WANT: COMMAND runs in a fresh copy of the release
tamper() {
	copy_unpacked
	(cd "$T/t" && eval "$2") || fail "$1: '$2' failed"
	expect_fail "$T/t" "$3" "directory, $1" --pubkey "$pub"
	repack
	expect_fail "$T/repacked.tar.gz" "$3" "tarball, $1" --pubkey "$pub"
}

# first, untouched: both pass, so that the failures below mean something
copy_unpacked
repack
"$RELBUILD" verify --pubkey "$pub" "$T/t" >/dev/null 2>&1 || fail "an untouched copy fails"
"$RELBUILD" verify --pubkey "$pub" "$T/repacked.tar.gz" >/dev/null 2>&1 ||
	fail "an untouched repacked tarball fails"

tamper "one changed byte" "flip_byte $beam 100" \
	"changed: $beam"
tamper "a removed file" "rm $beam" "missing: $beam"
tamper "an added file" "echo extra > lib/extra.txt" "extra: lib/extra.txt"
tamper "chmod +x on a .beam" "chmod +x $beam" "mode: $beam (0755, expected 0644)"
tamper "chmod -x on bin/counter" "chmod -x bin/counter" "mode: bin/counter (0644, expected 0755)"

# --- JSON -------------------------------------------------------------------
json=$("$RELBUILD" verify --json --pubkey "$pub" "$tarball" 2>"$T/json.err") ||
	fail "verify --json of the good tarball failed: $json"
[ ! -s "$T/json.err" ] || fail "verify --json wrote to stderr: $(cat "$T/json.err")"
nfiles=$(wc -l <"$rel/releases/$vsn/SHA256SUMS")
printf '%s' "$json" | python3 -c '
import json, sys
o = json.loads(sys.stdin.read())
assert o["target"] == sys.argv[1], o
assert o["manifest"] == "releases/%s/SHA256SUMS" % sys.argv[2], o
assert o["ok"] is True and o["problems"] == [], o
assert o["signature"] == "valid" and o["modes"] is True, o
assert o["files"] == int(sys.argv[3]), o
' "$tarball" "$vsn" "$nfiles" || fail "verify --json, good tarball: $json"
pass "verify --json of the good tarball: ok, signature valid, $nfiles files"

copy_unpacked
flip_byte "$T/t/$sig" 17
flip_byte "$T/t/$beam" 100
chmod -x "$T/t/bin/counter"
json=$("$RELBUILD" verify --json --pubkey "$pub" "$T/t" 2>/dev/null)
status=$?
[ $status -eq 1 ] || fail "verify --json of a bad directory: exit $status"
printf '%s' "$json" | python3 -c '
import json, sys
o = json.loads(sys.stdin.read())
beam, sig = sys.argv[1], sys.argv[2]
assert o["ok"] is False and o["signature"] == "invalid", o
want = [{"kind": "changed", "path": beam},
        {"kind": "mode", "path": "bin/counter", "mode": "0644", "expected": "0755"},
        {"kind": "signature", "path": sig, "signature": "invalid"}]
for p in want:
    assert p in o["problems"], (p, o["problems"])
assert len(o["problems"]) == len(want), o["problems"]
' "$beam" "$sig" || fail "verify --json, bad directory: $json"
pass "verify --json of a bad directory names the changed file, the mode and the signature"

# --- a build directory after a version bump ---------------------------------
old=$vsn
sed -i "s/{vsn, *\"$old\"}/{vsn, \"9.9.9\"}/" "$proj"/src/counter.app.src
grep -q '"9.9.9"' "$proj"/src/counter.app.src || fail "cannot bump the version"
compile_rebar3 "$proj"
build_release "$proj" --env prod --sign "$priv"
[ -d "$rel/releases/$old" ] && [ -d "$rel/releases/9.9.9" ] || fail "expected two versions in $rel/releases"
out=$("$RELBUILD" verify --pubkey "$pub" "$rel" 2>&1) || fail "verify of the build directory after a bump: $out"
json=$("$RELBUILD" verify --json "$rel") || fail "verify --json of the build directory after a bump: $json"
printf '%s' "$json" | python3 -c '
import json, sys
o = json.loads(sys.stdin.read())
assert o["ok"] is True and o["manifest"] == "releases/9.9.9/SHA256SUMS", o
' || fail "verify after a bump used the wrong manifest: $json"
pass "a build directory with $old and 9.9.9 is verified against 9.9.9 (start_erl.data): $out"
