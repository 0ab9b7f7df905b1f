#!/bin/bash
# relbuild install against hostile tarballs, made here by mkhostile.py: one
# per class the installer must refuse (absolute paths, "..", "./../x",
# symlinks leading out, a symlink then a file written through it, a path
# through a symlink of the archive's own, hard links to /etc/passwd, device
# nodes, a FIFO, setuid/setgid/sticky bits, duplicates, a 10,000-entry bomb
# and byte bombs over the limits, a manifest that does not match, none, a
# truncated gzip stream, a sidecar hash that does not match).  Most carry a
# SHA256SUMS matching what they hold, so that the extraction (not only the
# verification) is what refuses them; `relbuild verify` is checked to agree
# on which layer that is.
#
# Before the cases a good release (examples/counter) is installed under
# DIR.  After each case: install exited 1, named the entry and the reason,
# wrote nothing outside DIR (a sentinel next to DIR, a directory a symlink
# would lead to, and a listing of DIR's parent with mtimes are unchanged;
# /etc/passwd too), left DIR exactly as it was (no leftover under
# DIR/versions) with DIR/current pointing where it did; and installing it
# into a root that does not exist yet leaves no root behind.
. "$(dirname "$0")/lib.sh"

# --- a good release, installed --------------------------------------------
proj="$T/proj"
copy_example counter "$proj"
compile_rebar3 "$proj"
build_release "$proj" --env prod
vsn=$(cut -d' ' -f2 "$proj/_build/prod/rel/counter/releases/start_erl.data")
good="$proj/_build/prod/rel/counter/releases/$vsn/counter-$vsn.tar.gz"
[ -f "$good" ] && [ -f "$good.sha256" ] || fail "no tarball and sidecar at $good"

BOX="$T/box"        # DIR's parent: nothing here but DIR may change
DIR="$BOX/srv"
OUTSIDE="$BOX/outside"
mkdir -p "$OUTSIDE" || fail "mkdir $OUTSIDE"
echo "do not touch" >"$BOX/sentinel"
out=$("$RELBUILD" install "$good" --root "$DIR" 2>&1) || fail "install of the good release failed: $out"
assert_eq "$(readlink "$DIR/current")" "versions/$vsn" "DIR/current after the good install"
pass "installed counter $vsn: $out"

cases="$T/cases"
mkdir "$cases" || fail "mkdir $cases"
python3 "$SRC_DIR/tests/e2e/mkhostile.py" "$cases" "$OUTSIDE" "$good" ||
	fail "mkhostile.py failed"
nr=$(grep -vc '^control|' "$cases/cases.txt")
[ "$nr" -ge 25 ] || fail "mkhostile.py made only $nr cases"

# outside_state: everything under DIR's parent but DIR, with mtimes and
# sizes; the sentinel's content; /etc/passwd's hash.
outside_state() {
	find "$BOX" -path "$DIR" -prune -o -printf '%P %y %m %s %T@ %l\n' | sort
	sha256sum "$BOX/sentinel" /etc/passwd
}
# dir_state: everything under DIR (mtimes of directories change as
# temporary names come and go; what is in them must not).
dir_state() {
	find "$DIR" -printf '%P %y %m %s %l\n' | sort
}

# The control: the harness itself can produce an archive that installs.
ctl_root="$T/control-root"
out=$("$RELBUILD" install "$cases/control.tar.gz" --root "$ctl_root" 2>&1) ||
	fail "the control archive (nothing hostile) was refused: $out"
[ -f "$ctl_root/current/lib/ok/data" ] || fail "the control archive did not install lib/ok/data"
pass "the control archive installs: $out"

outside_before=$(outside_state)
dir_before=$(dir_state)
current_before=$(readlink "$DIR/current")

while IFS='|' read -r case tarball extra entry reason layer; do
	[ "$case" = control ] && continue

	# Which layer refuses it: relbuild verify agrees.
	vout=$("$RELBUILD" verify "$tarball" 2>&1)
	vst=$?
	case $layer in
	extract | limit | sidecar)
		[ $vst -eq 0 ] || fail "$case: relbuild verify should pass (the $layer layer must refuse it): $vout" ;;
	verify)
		[ $vst -eq 1 ] || fail "$case: relbuild verify should fail with 1, got $vst: $vout" ;;
	esac

	# shellcheck disable=SC2086 # extra is a list of arguments
	out=$("$RELBUILD" install "$tarball" --root "$DIR" $extra 2>&1)
	st=$?
	[ $st -eq 1 ] || fail "$case: install exited $st, not 1: $out"
	assert_contains "$out" "$entry" "$case: the entry in install's output"
	assert_contains "$out" "$reason" "$case: the reason in install's output"
	assert_contains "$out" "nothing was installed" "$case: install's output"
	assert_eq "$(outside_state)" "$outside_before" "$case: what is outside DIR"
	assert_eq "$(dir_state)" "$dir_before" "$case: what is in DIR"
	assert_eq "$(readlink "$DIR/current")" "$current_before" "$case: DIR/current"
	[ -z "$(ls -A "$OUTSIDE")" ] || fail "$case: something was written to $OUTSIDE: $(ls -A "$OUTSIDE")"

	# A first install refused: the root it would have made is not left.
	# shellcheck disable=SC2086
	"$RELBUILD" install "$tarball" --root "$T/fresh" $extra >/dev/null 2>&1 &&
		fail "$case: install into a new root succeeded"
	[ -e "$T/fresh" ] && fail "$case: a refused first install left $T/fresh: $(find "$T/fresh")"

	pass "$case ($layer): $(printf '%s\n' "$out" | grep -v 'nothing was installed' | tail -n 1)"
done <"$cases/cases.txt"

# After all that, the good release is intact and still current.
out=$("$RELBUILD" verify "$DIR/current" 2>&1) || fail "DIR/current no longer verifies: $out"
out=$("$RELBUILD" list --root "$DIR" 2>&1) || fail "list failed: $out"
assert_eq "$out" "* $vsn  verified" "relbuild list after the hostile cases"
pass "DIR/current -> $current_before still verifies; list: $out"
