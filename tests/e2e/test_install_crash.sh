#!/bin/bash
# Crash safety of install and rollback: runs of `relbuild install` (of two
# versions of examples/counter, in turn, --force so that each one extracts
# afresh) and `relbuild rollback`, each killed with SIGKILL after a delay
# spread over the length of an uninterrupted run, so that kills land before,
# during and after the extraction, the fsyncs, the rename and the switch.
# After every run DIR/current must resolve to a complete release of one of
# the two versions that passes `relbuild verify`, and DIR/previous to an
# installed one.  Then an install must succeed and clean what the killed
# runs left.
. "$(dirname "$0")/lib.sh"

RUNS=${CRASH_RUNS:-60}
START=$(date +%s)

# --- two versions of counter ----------------------------------------------
export COUNTER_COOKIE=crash-cookie
build_counter 0.1.0
tar1=$tarball
build_counter 0.2.0
tar2=$tarball
pass "built counter 0.1.0 and 0.2.0 ($(du -k "$tar1" | cut -f1) KiB each)"

DIR="$T/srv"
"$RELBUILD" install "$tar1" --root "$DIR" -q || fail "first install failed"
# How long an uninterrupted install and rollback take, in ms: the shorter
# of two of each (a slow outlier would let most runs finish unkilled).
ms() { echo $((($(date +%s%N) - $1) / 1000000)); }
t=$(date +%s%N)
"$RELBUILD" install "$tar2" --root "$DIR" -q || fail "second install failed"
install_ms=$(ms "$t")
t=$(date +%s%N)
"$RELBUILD" install "$tar1" --root "$DIR" -q --force || fail "third install failed"
d=$(ms "$t")
[ "$d" -lt "$install_ms" ] && install_ms=$d
t=$(date +%s%N)
"$RELBUILD" rollback --root "$DIR" -q || fail "rollback failed"
rollback_ms=$(ms "$t")
t=$(date +%s%N)
"$RELBUILD" rollback --root "$DIR" -q || fail "rollback back failed"
d=$(ms "$t")
[ "$d" -lt "$rollback_ms" ] && rollback_ms=$d
[ "$install_ms" -ge 1 ] || install_ms=1
[ "$rollback_ms" -ge 1 ] || rollback_ms=1
pass "an install takes ${install_ms} ms, a rollback ${rollback_ms} ms"

# check_root RUN: DIR/current and DIR/previous after a killed run.
check_root() {
	cur=$(readlink "$DIR/current") || fail "run $1: DIR/current is not a symlink"
	case $cur in
	versions/*) ;;
	*) fail "run $1: DIR/current -> $cur" ;;
	esac
	[ -d "$DIR/current" ] || fail "run $1: DIR/current -> $cur does not exist"
	out=$("$RELBUILD" verify "$DIR/current" 2>&1) ||
		fail "run $1: DIR/current -> $cur does not verify: $out"
	v=$(cut -d' ' -f2 "$DIR/current/releases/start_erl.data")
	case $v in
	0.1.0 | 0.2.0) ;;
	*) fail "run $1: DIR/current -> $cur holds version '$v'" ;;
	esac
	if prev=$(readlink "$DIR/previous"); then
		[ -d "$DIR/$prev" ] || fail "run $1: DIR/previous -> $prev does not exist"
	fi
}

killed=0 finished=0 leftovers=0 switched=0
for i in $(seq 0 $((RUNS - 1))); do
	before=$(readlink "$DIR/current")
	# Two installs (one of each version), then a rollback; each op's
	# delays sweep 0 .. 1.25 x its uninterrupted length, in steps that
	# do not repeat with the pattern.
	case $((i % 3)) in
	0 | 1)
		tb=$tar1
		[ $(((i / 3 + i) % 2)) -eq 0 ] && tb=$tar2
		span=$((install_ms * 5 / 4))
		delay=$(((i * 7919) % (span + 1)))
		"$RELBUILD" install "$tb" --root "$DIR" --force --keep 3 -q >/dev/null 2>&1 &
		what="install $(basename "$tb")"
		;;
	2)
		span=$((rollback_ms * 5 / 4))
		delay=$(((i * 7919) % (span + 1)))
		"$RELBUILD" rollback --root "$DIR" -q >/dev/null 2>&1 &
		what="rollback"
		;;
	esac
	pid=$!
	sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
	if kill -KILL "$pid" 2>/dev/null; then
		wait "$pid" 2>/dev/null
		st=$?
		if [ $st -eq 137 ]; then
			killed=$((killed + 1))
		else
			finished=$((finished + 1))
		fi
	else
		wait "$pid" 2>/dev/null
		st=$?
		finished=$((finished + 1))
	fi
	if ls -A "$DIR/versions" "$DIR" | grep -q '^\.tmp-'; then
		leftovers=$((leftovers + 1))
	fi
	check_root "$i"
	[ "$(readlink "$DIR/current")" = "$before" ] || switched=$((switched + 1))
	log "run $i: $what killed after ${delay} ms (status $st): current -> $(readlink "$DIR/current")"
	if [ $((i % 10)) -eq 9 ]; then
		out=$("$RELBUILD" list --root "$DIR" 2>&1) || fail "run $i: list failed: $out"
		printf '%s\n' "$out" | grep -q '^\* ' || fail "run $i: list marks no current: $out"
	fi
done
pass "$RUNS runs: $killed killed mid-run, $finished finished first, $switched switched current, $leftovers left work in progress; DIR/current always verified"

[ "$killed" -ge $((RUNS / 3)) ] || fail "only $killed of $RUNS runs were killed before they ended"
[ "$leftovers" -ge 1 ] || fail "no kill landed mid-extraction (no .tmp-* was ever left)"
[ "$switched" -ge 1 ] || fail "no run ever switched current"

# A clean install afterwards removes what the killed runs left.
out=$("$RELBUILD" install "$tar1" --root "$DIR" --force --keep 3 2>&1) ||
	fail "install after the crashes failed: $out"
left=$(ls -A "$DIR" "$DIR/versions" | grep '^\.tmp-')
[ -z "$left" ] && pass "the next install cleaned up" || fail "left after a clean install: $left"
n=$(ls "$DIR/versions" | wc -l)
[ "$n" -le 3 ] || fail "--keep 3 left $n versions: $(ls "$DIR/versions")"
check_root final
out=$("$RELBUILD" list --root "$DIR" 2>&1) || fail "list failed: $out"
case $out in
*MODIFIED* | *UNREADABLE*) fail "list after the crashes: $out" ;;
esac
pass "list: $(printf '%s\n' "$out" | tr '\n' ';')"
log "took $(($(date +%s) - START)) s"
