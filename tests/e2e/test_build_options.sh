#!/bin/bash
# relbuild's options and settings, each checked on what it makes: one
# compiled copy of examples/counter, rel/config.yml edited between builds.
. "$(dirname "$0")/lib.sh"

proj="$T/proj"
copy_example counter "$proj"
compile_rebar3 "$proj"
cfg="$proj/rel/config.yml"
cp "$cfg" "$T/config.yml"
rel="$proj/_build/prod/rel/counter"
dir="$rel/releases/0.1.0"
unset SOURCE_DATE_EPOCH
export COUNTER_COOKIE=options-cookie
export TZ=UTC

reset_config() { cp "$T/config.yml" "$cfg"; }

# set_key OLD NEW: replace the config line that is exactly OLD.
set_key() {
	grep -q -x -F -- "$1" "$cfg" || fail "test setup: no line '$1' in $cfg"
	awk -v o="$1" -v n="$2" '$0 == o { print n; next } { print }' "$cfg" >"$cfg.new" &&
		mv "$cfg.new" "$cfg"
}

# add_release_lines LINE…: append settings to the counter release (the
# last block of the file).
add_release_lines() { printf '%s\n' "$@" >>"$cfg"; }

# build ARGS…: relbuild in the project, which must succeed; OUT is stdout.
build() {
	OUT=$(cd "$proj" && "$RELBUILD" "$@" 2>"$T/err") ||
		{ cat "$T/err" >&2; fail "relbuild $* failed"; }
}

tarballs() { ls -A "$1" | grep -E '\.tar(\.gz|\.zst)?(\.sha256)?$'; }

# erl_eval EXPR: run EXPR (which prints) on the system runtime.
erl_eval() { erl -noshell -eval "$1, halt()."; }

### the default: release, tarball, hard link, sidecar, what is printed

reset_config
build
[ -f "$dir/counter.tar.gz" ] || fail "no tarball at $dir/counter.tar.gz"
hash=$(sha256sum <"$dir/counter.tar.gz" | cut -d' ' -f1)
assert_eq "$OUT" "release counter 0.1.0 (prod) at $(cd "$rel" && pwd -P)
tarball $(cd "$dir" && pwd -P)/counter.tar.gz
sha256  $hash" "what a build prints"
cmp -s "$dir/counter.tar.gz" "$dir/counter-0.1.0.tar.gz" ||
	fail "counter-0.1.0.tar.gz differs from counter.tar.gz"
assert_eq "$(cat "$dir/counter-0.1.0.tar.gz.sha256")" "$hash  counter-0.1.0.tar.gz" "the sidecar"
(cd "$dir" && sha256sum -c --quiet counter-0.1.0.tar.gz.sha256) ||
	fail "sha256sum -c rejects counter-0.1.0.tar.gz.sha256"
"$RELBUILD" verify "$dir/counter.tar.gz" >/dev/null || fail "relbuild verify rejects the tarball"
pass "default build: tarball, versioned link and sidecar agree with what is printed"

build -q
assert_eq "$OUT" "" "-q: stdout"
[ -f "$dir/counter.tar.gz" ] || fail "-q: no tarball"
pass "-q prints nothing and still builds"

### no tarball: --no-tar, tar: false

build --no-tar
[ -z "$(tarballs "$dir")" ] || fail "--no-tar: tarballs left: $(tarballs "$dir")"
[ -f "$dir/SHA256SUMS" ] || fail "--no-tar: no SHA256SUMS"
[ -x "$rel/bin/counter" ] || fail "--no-tar: no bin/counter"
case "$OUT" in *tarball*) fail "--no-tar: prints a tarball: $OUT" ;; esac
(cd "$rel" && sha256sum -c --quiet releases/0.1.0/SHA256SUMS) ||
	fail "--no-tar: SHA256SUMS does not match the release"
pass "--no-tar: release directory and SHA256SUMS, no tarball (not even the last build's)"

build
set_key "    tar: { compression: gzip }" "    tar: false"
build build
[ -z "$(tarballs "$dir")" ] || fail "tar: false: tarballs left: $(tarballs "$dir")"
[ -f "$dir/SHA256SUMS" ] || fail "tar: false: no SHA256SUMS"
pass "tar: false: no tarball"

### compression

reset_config
set_key "    tar: { compression: gzip }" "    tar: { compression: zstd }"
build
assert_eq "$(tarballs "$dir" | tr '\n' ' ')" \
	"counter-0.1.0.tar.zst counter-0.1.0.tar.zst.sha256 counter.tar.zst " "zstd: the files"
assert_contains "$OUT" "tarball $(cd "$dir" && pwd -P)/counter.tar.zst" "zstd: what is printed"
"$RELBUILD" verify "$dir/counter.tar.zst" >"$T/verify.out" 2>&1 ||
	{ cat "$T/verify.out" >&2; fail "relbuild verify rejects the .tar.zst"; }
tar --zstd -tf "$dir/counter.tar.zst" | grep -q -x 'bin/counter' ||
	fail "tar --zstd -tf does not list bin/counter"
(cd "$dir" && sha256sum -c --quiet counter-0.1.0.tar.zst.sha256) || fail "zstd: sidecar rejected"
pass "tar: { compression: zstd }: counter.tar.zst verifies and unpacks with tar --zstd"

set_key "    tar: { compression: zstd }" "    tar: { compression: none }"
build
assert_eq "$(tarballs "$dir" | tr '\n' ' ')" \
	"counter-0.1.0.tar counter-0.1.0.tar.sha256 counter.tar " "none: the files"
tar -tf "$dir/counter.tar" | grep -q -x 'bin/counter' || fail "tar -tf does not list bin/counter"
head -c 512 "$dir/counter.tar" | od -A n -c | tr -d ' \n' | grep -q 'ustar' ||
	fail "counter.tar is not a plain tar"
"$RELBUILD" verify "$dir/counter.tar" >/dev/null || fail "relbuild verify rejects the .tar"
pass "tar: { compression: none }: a plain counter.tar"

### include_src, strip_debug_info

reset_config
set_key "    include_src: false" "    include_src: true"
set_key "    strip_debug_info: true" "    strip_debug_info: false"
build
[ -f "$rel/lib/counter-0.1.0/src/counter_server.erl" ] ||
	fail "include_src: true: no lib/counter-0.1.0/src/counter_server.erl"
tar -tzf "$dir/counter.tar.gz" | grep -q -x 'lib/counter-0.1.0/src/counter_server.erl' ||
	fail "include_src: true: the source is not in the tarball"
chunks=$(erl_eval "{ok, _, C} = beam_lib:all_chunks(\"$rel/lib/counter-0.1.0/ebin/counter_server.beam\"), io:format(\"~s~n\", [[[I, \$ ] || {I, _} <- C]])")
assert_contains "$chunks" "Dbgi" "strip_debug_info: false: the chunks"
pass "include_src: true and strip_debug_info: false: sources and Dbgi kept"

reset_config
build
[ ! -e "$rel/lib/counter-0.1.0/src" ] || fail "include_src: false: lib/counter-0.1.0/src exists"
chunks=$(erl_eval "{ok, _, C} = beam_lib:all_chunks(\"$rel/lib/counter-0.1.0/ebin/counter_server.beam\"), io:format(\"~s~n\", [[[I, \$ ] || {I, _} <- C]])")
case "$chunks" in *Dbgi*) fail "strip_debug_info: true: Dbgi still there: $chunks" ;; esac
assert_contains "$chunks" "Code" "strip_debug_info: true: the chunks"
dbgi=$(erl_eval "io:format(\"~p~n\", [beam_lib:chunks(\"$rel/lib/counter-0.1.0/ebin/counter_server.beam\", [debug_info])])")
assert_contains "$dbgi" "missing_chunk" "strip_debug_info: true: beam_lib:chunks(debug_info)"
pass "include_src: false and strip_debug_info: true: no sources, no Dbgi"

### overlays

reset_config
mkdir -p "$proj/rel/etc"
echo 'a = 1' >"$proj/rel/etc/a.conf"
cat >"$proj/rel/app.conf.in" <<'EOF'
name=@RELEASE_NAME@ vsn=@RELEASE_VSN@
erts=@ERTS_VSN@ env=@RELEASE_ENV@
mail=ops@example.com @NOT_A_KEY@ ${HOME}
EOF
printf '#!/bin/sh\necho @RELEASE_NAME@\n' >"$proj/rel/run.sh.in"
chmod 755 "$proj/rel/run.sh.in"
add_release_lines "    overlays:" \
	"      - mkdir: var/log" \
	"      - copy: { from: rel/etc, to: etc }" \
	"      - template: { from: rel/app.conf.in, to: etc/app.conf }" \
	"      - template: { from: rel/run.sh.in, to: bin/run.sh }"
build
erts=$(cut -d' ' -f1 "$rel/releases/start_erl.data")
[ -d "$rel/var/log" ] || fail "mkdir: no var/log"
assert_eq "$(cat "$rel/etc/a.conf")" "a = 1" "copy: etc/a.conf"
assert_eq "$(cat "$rel/etc/app.conf")" "name=counter vsn=0.1.0
erts=$erts env=prod
mail=ops@example.com @NOT_A_KEY@ \${HOME}" "template: etc/app.conf"
assert_eq "$(stat -c %a "$rel/bin/run.sh")" "755" "template of an executable: mode"
assert_eq "$(stat -c %a "$rel/etc/app.conf")" "644" "template: mode"
listing=$(tar -tzf "$dir/counter.tar.gz")
for f in var/log/ etc/a.conf etc/app.conf bin/run.sh; do
	printf '%s\n' "$listing" | grep -q -x -F "$f" || fail "overlay: $f is not in the tarball"
done
for f in etc/a.conf etc/app.conf bin/run.sh; do
	want=$(cd "$rel" && sha256sum "$f")
	grep -q -x -F "$want" "$dir/SHA256SUMS" || fail "overlay: SHA256SUMS lacks '$want'"
done
"$RELBUILD" verify "$dir/counter.tar.gz" >/dev/null || fail "overlay: verify rejects the tarball"
pass "overlays: mkdir, copy, template (@KEY@ rendered, the rest kept) in the release, tarball and SHA256SUMS"
rm -r "$proj/rel/etc" "$proj/rel/app.conf.in" "$proj/rel/run.sh.in"

### vm_args, sys_config

reset_config
build
assert_eq "$(cat "$dir/sys.config")" "[]." "default sys.config"
[ -s "$dir/vm.args" ] || fail "no default vm.args"
grep -v -e '^#' -e '^$' "$dir/vm.args" && fail "default vm.args sets flags"
erl_eval "{ok, [[]]} = file:consult(\"$dir/sys.config\"), io:format(\"ok~n\")" | grep -q -x ok ||
	fail "default sys.config does not parse as []"
pass "defaults: sys.config is [], vm.args only comments"

printf -- '-env COUNTER_MODE options\n+sbwt none\n' >"$proj/rel/vm.args"
printf '[{counter, [{start, 42}]}].\n' >"$proj/rel/sys.config"
add_release_lines "    vm_args: rel/vm.args" "    sys_config: rel/sys.config"
build
cmp -s "$proj/rel/vm.args" "$dir/vm.args" || fail "vm_args: releases/0.1.0/vm.args differs"
cmp -s "$proj/rel/sys.config" "$dir/sys.config" || fail "sys_config: releases/0.1.0/sys.config differs"
pass "vm_args and sys_config land at releases/0.1.0/"
rm "$proj/rel/vm.args" "$proj/rel/sys.config"

### the cookie

reset_config
build
assert_eq "$(cat "$rel/releases/COOKIE")" "options-cookie" "configured cookie"
assert_eq "$(stat -c %a "$rel/releases/COOKIE")" "600" "releases/COOKIE mode"
entry=$(tar -tvzf "$dir/counter.tar.gz" releases/COOKIE)
case "$entry" in -rw-------*) ;; *) fail "releases/COOKIE in the tarball: $entry" ;; esac
pass "cookie: \${COUNTER_COOKIE} expanded, releases/COOKIE mode 0600 in the release and the tarball"

(
	unset COUNTER_COOKIE
	build
	[ ! -e "$rel/releases/COOKIE" ] || fail "cookie unset: the build wrote releases/COOKIE"
	tar -tzf "$dir/counter.tar.gz" | grep -q COOKIE && fail "cookie unset: the tarball holds a cookie"
	c1=$(sha256sum <"$dir/counter.tar.gz")
	build
	assert_eq "$(sha256sum <"$dir/counter.tar.gz")" "$c1" "cookie unset: the tarball of a second build"
	set_key "    cookie: \${COUNTER_COOKIE}" "    cookie: \${COUNTER_COOKIE:-fallback-cookie}"
	build
	assert_eq "$(cat "$rel/releases/COOKIE")" "fallback-cookie" "\${VAR:-default} cookie"
) || exit 1
pass "cookie unset: no releases/COOKIE, in the release or the tarball, and the same tarball twice; \${VAR:-default} applies"

### tarball metadata: SOURCE_DATE_EPOCH, owners

reset_config
SOURCE_DATE_EPOCH=1234567890 build
times=$(tar --full-time -tvzf "$dir/counter.tar.gz" | awk '{ print $4, $5 }' | sort -u)
assert_eq "$times" "2009-02-13 23:31:30" "SOURCE_DATE_EPOCH=1234567890: entry times"
owners=$(tar --numeric-owner -tvzf "$dir/counter.tar.gz" | awk '{ print $2 }' | sort -u)
assert_eq "$owners" "0/0" "entry owners"
build
times=$(tar --full-time -tvzf "$dir/counter.tar.gz" | awk '{ print $4, $5 }' | sort -u)
assert_eq "$times" "2000-01-01 00:00:00" "no SOURCE_DATE_EPOCH: entry times"
pass "every entry has mtime SOURCE_DATE_EPOCH (else 2000-01-01) and owner 0/0"

### --release, output_dir

reset_config
add_release_lines "  counter_lite:" "    version: 0.2.0" "    applications: [counter]"
build --release counter_lite
lite="$proj/_build/prod/rel/counter_lite"
[ -x "$lite/bin/counter_lite" ] || fail "--release counter_lite: no bin/counter_lite"
[ -f "$lite/releases/0.2.0/counter_lite.tar.gz" ] || fail "--release counter_lite: no tarball"
assert_eq "$(cat "$lite/releases/start_erl.data")" "$erts 0.2.0" "counter_lite start_erl.data"
apps=$(ls "$lite/lib" | sed 's/-[0-9.]*$//' | tr '\n' ' ')
assert_eq "$apps" "counter kernel stdlib " "counter_lite applications"
assert_contains "$OUT" "release counter_lite 0.2.0 (prod)" "--release: what is printed"
(cd "$proj" && "$RELBUILD" --release=counter_nope) >/dev/null 2>"$T/err" && fail "unknown --release built"
status=$?
assert_eq "$status" 2 "unknown --release: exit status"
assert_eq "$(cat "$T/err")" "relbuild: rel/config.yml: unknown release 'counter_nope' (known: counter, counter_lite)" \
	"unknown --release: stderr"
pass "--release picks the second release; an unknown one exits 2 naming those there are"

reset_config
add_release_lines "    output_dir: out"
build
[ -f "$proj/out/counter/releases/0.1.0/counter.tar.gz" ] || fail "output_dir: out: no tarball in out/counter"
rm -r "$proj/out"
pass "output_dir: the release is made there"

### a new version beside the last one

reset_config
build
set_key "    version: { from_app: counter }" "    version: 0.2.0"
build
[ -f "$rel/releases/0.1.0/counter.rel" ] || fail "the 0.1.0 release directory was not kept"
new="$rel/releases/0.2.0/counter.tar.gz"
old=$(tar -tzf "$new" | grep '^releases/0\.1\.0')
[ -z "$old" ] || fail "the 0.2.0 tarball carries the old release: $(echo "$old" | head -n 3)"
grep -q 'releases/0\.1\.0' "$rel/releases/0.2.0/SHA256SUMS" && fail "the 0.2.0 SHA256SUMS lists releases/0.1.0"
"$RELBUILD" verify "$new" >"$T/verify.out" 2>&1 ||
	{ cat "$T/verify.out" >&2; fail "relbuild verify rejects the 0.2.0 tarball"; }
pass "a new version: releases/0.1.0 kept in the directory, not in the 0.2.0 tarball, which verifies"
rm -r "$rel"

### include_erts

reset_config
set_key "    include_erts: true" "    include_erts: false"
build
ls -d "$rel"/erts-* >/dev/null 2>&1 && fail "include_erts: false: erts-* in the release"
tar -tzf "$dir/counter.tar.gz" | grep -q '^erts-' && fail "include_erts: false: erts-* in the tarball"
sysroot=$(env PATH=/usr/bin:/bin erl -noshell -eval 'io:format("~s", [code:root_dir()]), halt().')
nerts="$T/no-erts"
mkdir "$nerts"
tar -xzf "$dir/counter.tar.gz" -C "$nerts" || fail "include_erts: false: cannot unpack"
track_release "$nerts"
out=$(ctl "$nerts" eval 'code:root_dir().') || fail "include_erts: false: eval failed: $out"
assert_eq "$out" "\"$sysroot\"" "include_erts: false: code:root_dir()"
ctl "$nerts" start || fail "include_erts: false: start failed"
assert_eq "$(ctl "$nerts" ping)" "pong" "include_erts: false: ping"
out=$(ctl "$nerts" rpc 'code:root_dir().')
assert_eq "$out" "\"$sysroot\"" "include_erts: false: code:root_dir() on the node"
ctl "$nerts" stop >/dev/null || fail "include_erts: false: stop failed"
ctl "$nerts" ping >/dev/null 2>&1 && fail "include_erts: false: ping answers after stop"
pass "include_erts: false: no erts-*; the unpacked release runs on $sysroot from PATH"

set_key "    include_erts: false" "    include_erts: $sysroot"
build
[ -x "$rel/erts-$erts/bin/erlexec" ] || fail "include_erts: $sysroot: no erts-$erts/bin/erlexec"
tar -tzf "$dir/counter.tar.gz" | grep -q -x "erts-$erts/bin/erlexec" ||
	fail "include_erts: $sysroot: erts not in the tarball"
pass "include_erts: $sysroot bundles erts-$erts"

# Another OTP root: its runtime is bundled, not the one of erl on PATH.
otp="$T/otp"
mkdir "$otp"
cp -as "$sysroot/erts-$erts" "$otp/erts-$erts"
ln -s "$sysroot/lib" "$otp/lib"
echo "from $otp" >"$otp/erts-$erts/bin/MARKER"
set_key "    include_erts: $sysroot" "    include_erts: $otp"
build
assert_eq "$(cat "$rel/erts-$erts/bin/MARKER" 2>/dev/null)" "from $otp" "include_erts: another root: its runtime"
[ -f "$rel/erts-$erts/bin/beam.smp" ] && [ ! -L "$rel/erts-$erts/bin/beam.smp" ] ||
	fail "include_erts: another root: beam.smp not copied as a file"
pass "include_erts: PATH bundles that root's runtime"

### dev mode: --dev, dev_mode: true, --env dev

reset_config
build --dev
[ -L "$rel/lib/counter-0.1.0" ] || fail "--dev: lib/counter-0.1.0 is not a symlink"
assert_eq "$(readlink -f "$rel/lib/counter-0.1.0")" "$(readlink -f "$proj/_build/prod/lib/counter")" \
	"--dev: lib/counter-0.1.0 target"
for d in "$rel"/lib/*; do
	[ -L "$d" ] || fail "--dev: $d is not a symlink"
done
[ -z "$(tarballs "$dir")" ] || fail "--dev: tarballs: $(tarballs "$dir")"
case "$OUT" in *tarball*) fail "--dev: prints a tarball: $OUT" ;; esac
track_release "$rel"
ctl "$rel" start || fail "--dev: start failed"
assert_eq "$(ctl "$rel" ping)" "pong" "--dev: ping"
where=$(ctl "$rel" rpc 'code:which(counter_server).')
assert_contains "$where" "/lib/counter-0.1.0/ebin/counter_server.beam" "--dev: the node's counter_server"
ctl "$rel" stop >/dev/null || fail "--dev: stop failed"
ctl "$rel" ping >/dev/null 2>&1 && fail "--dev: ping answers after stop"
pass "--dev: applications are symlinks into the build, no tarball, and the release boots"

build
[ -d "$rel/lib/counter-0.1.0" ] && [ ! -L "$rel/lib/counter-0.1.0" ] ||
	fail "a build after --dev: lib/counter-0.1.0 is still a link"
[ -f "$proj/_build/prod/lib/counter/ebin/counter_server.beam" ] ||
	fail "a build after --dev removed the build directory's files"
[ -d "$sysroot/lib/kernel-$(ls "$rel/lib" | sed -n 's/^kernel-//p')/ebin" ] ||
	fail "a build after --dev removed the system's kernel"
[ -f "$dir/counter.tar.gz" ] || fail "a build after --dev: no tarball"
pass "a build after --dev copies again and leaves the link targets alone"

set_key "    include_erts: true" "    dev_mode: true"
build
[ -L "$rel/lib/counter-0.1.0" ] || fail "dev_mode: true: lib/counter-0.1.0 is not a symlink"
[ -z "$(tarballs "$dir")" ] || fail "dev_mode: true: tarballs: $(tarballs "$dir")"
pass "dev_mode: true: symlinks, no tarball"

reset_config
compile_rebar3 "$proj" dev
build --env dev
devrel="$proj/_build/dev/rel/counter"
assert_contains "$OUT" "release counter 0.1.0 (dev) at" "--env dev: what is printed"
assert_eq "$(readlink -f "$devrel/lib/counter-0.1.0")" "$(readlink -f "$proj/_build/dev/lib/counter")" \
	"--env dev: lib/counter-0.1.0 target"
ls -d "$devrel"/erts-* >/dev/null 2>&1 && fail "--env dev: erts-* bundled"
[ -z "$(tarballs "$devrel/releases/0.1.0")" ] || fail "--env dev: a tarball"
pass "--env dev: dev_mode and include_erts: false from the environment"
