#!/bin/bash
# Links and modes: a link in a project application's priv/ to a secret
# outside (/etc/shadow, mode 0640 root:shadow) is refused with its name
# and target; under a follow_links_under: root it is followed, and the
# file ships 0600 (others may not read it) in the release, the tarball,
# MODES and an install, and -v says so.  An application the OS
# installed keeps its links: Debian links common_test's
# priv/jquery-latest.js into /usr/share/javascript.
. "$(dirname "$0")/lib.sh"

export COUNTER_COOKIE=links-cookie
P=$T/counter
REL=$P/_build/prod/rel/counter
copy_example counter "$P"
mkdir -p "$P/priv"
echo "public" >"$P/priv/readme.txt"
compile_rebar3 "$P"

# The real /etc/shadow when this user may read it (CI runs as root), else
# a stand-in with its mode.
SECRET=/etc/shadow
SECRET_DIR=/etc
if ! [ -r /etc/shadow ] || [ "$(stat -c %a /etc/shadow)" != 640 ]; then
	SECRET_DIR=$T/etc
	SECRET=$SECRET_DIR/shadow
	mkdir -p "$SECRET_DIR"
	echo "root:x:19000:0:99999:7:::" >"$SECRET"
	chmod 0640 "$SECRET"
fi
ln -s "$SECRET" "$P/priv/shadow"

run() {
	(cd "$P" && "$RELBUILD" "$@") >"$T/out" 2>"$T/err"
	STATUS=$?
	ERR=$(head -n 1 "$T/err")
}

### refused: named with its target, nothing built

run --env prod
assert_eq "$STATUS" 2 "a link to $SECRET: exit status"
assert_eq "$ERR" "relbuild: _build/prod/lib/counter/priv/shadow: links to '$SECRET', outside application 'counter': not shipped; to ship it, list a directory above it in 'follow_links_under:'" \
	"a link to $SECRET"
[ ! -e "$REL" ] || fail "a link to $SECRET: a release directory was made"
[ -z "$(find "$P" -name '*.tar.gz')" ] || fail "a link to $SECRET: a tarball was made"
pass "a link in priv/ to $SECRET is refused: $ERR"

### allowed: followed, and private

sed -i "s|^    cookie: \${COUNTER_COOKIE}|    cookie: \${COUNTER_COOKIE}\n    follow_links_under: [$SECRET_DIR]|" "$P/rel/config.yml"
run --env prod -v
assert_eq "$STATUS" 0 "under follow_links_under: exit status ($ERR)"
shipped=$REL/lib/counter-0.1.0/priv/shadow
[ -f "$shipped" ] && [ ! -L "$shipped" ] || fail "the secret is not a file in the release"
cmp -s "$shipped" "$SECRET" || fail "the shipped file differs from $SECRET"
assert_eq "$(stat -c %a "$shipped")" 600 "the shipped secret's mode"
assert_eq "$(stat -c %a "$REL/lib/counter-0.1.0/priv/readme.txt")" 644 "a public file's mode"
assert_contains "$(cat "$T/out")" "private 0600 lib/counter-0.1.0/priv/shadow (others cannot read it in the project)" "-v"
grep -qx "0600 lib/counter-0.1.0/priv/shadow" "$REL/releases/0.1.0/MODES" ||
	fail "MODES does not list the secret as 0600"
entry=$(tar tvzf "$REL/releases/0.1.0/counter.tar.gz" | grep ' lib/counter-0.1.0/priv/shadow$')
case $entry in
-rw-------*) ;;
*) fail "the tarball entry is not -rw-------: $entry" ;;
esac
"$RELBUILD" verify "$REL/releases/0.1.0/counter.tar.gz" >/dev/null ||
	fail "the tarball does not verify"
"$RELBUILD" install "$REL/releases/0.1.0/counter.tar.gz" --root "$T/root" >/dev/null 2>"$T/err" ||
	fail "install: $(cat "$T/err")"
assert_eq "$(stat -c %a "$T/root/current/lib/counter-0.1.0/priv/shadow")" 600 "the installed secret's mode"
pass "under follow_links_under: [$SECRET_DIR] the link is followed; the file ships and installs 0600, -v says so"

### an application the OS installed keeps today's behaviour

ct=$(ls -d /usr/lib/erlang/lib/common_test-* 2>/dev/null | head -n 1)
if [ -n "$ct" ] && [ -L "$ct/priv/jquery-latest.js" ]; then
	rm "$P/priv/shadow"
	sed -i "s|^      - counter$|      - counter\n      - common_test: load|" "$P/rel/config.yml"
	run --env prod
	assert_eq "$STATUS" 0 "with common_test: exit status ($ERR)"
	js=$(ls "$REL"/lib/common_test-*/priv/jquery-latest.js)
	[ -f "$js" ] && [ ! -L "$js" ] || fail "common_test's jquery-latest.js is not a file in the release"
	cmp -s "$js" "$ct/priv/jquery-latest.js" || fail "jquery-latest.js differs from Debian's"
	pass "common_test (Debian links priv/jquery-latest.js out of it) builds; the file is copied"
else
	fail "common_test with its Debian links is not installed (erlang-common-test)"
fi
