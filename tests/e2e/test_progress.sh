#!/usr/bin/env bash
# The progress line: on a terminal (a tmux pane, CI unset) the build
# (assemble, then tarball), verify and install each leave "<stage>: N
# files, ... in S s" on stderr; through
# a pipe, with CI set, --quiet or --json, there is none; NO_COLOR and
# --color decide the colour of an error.
. "$(dirname "$0")/lib.sh"

command -v tmux >/dev/null || { log "skip: no tmux"; exit 77; }

build_counter 0.1.0
proj="$T/counter-0.1.0"

SOCK="relbuild-test-$$"
tmux_stop() { tmux -L "$SOCK" kill-server 2>/dev/null || true; }
CLEANUP_HOOKS="$CLEANUP_HOOKS tmux_stop"

# on_tty SCRIPT: run a shell script in a fresh tmux pane, 200 columns
# wide, without CI in its environment; waits for it and prints the pane.
on_tty() {
	printf '%s\necho "::done $?"\n' "$1" >"$T/tty.sh"
	tmux_stop
	tmux -L "$SOCK" -f /dev/null new-session -d -x 200 -y 50 \
		"env -u CI TERM=xterm bash $T/tty.sh; sleep 600" ||
		fail "tmux cannot start"
	n=0
	until tmux -L "$SOCK" capture-pane -p -J -S - | grep -q '^::done'; do
		n=$((n + 1))
		[ $n -lt 600 ] || { tmux -L "$SOCK" capture-pane -p -J -S -; fail "the pane never finished"; }
		sleep 0.2
	done
	tmux -L "$SOCK" capture-pane -p -J -S -
	tmux_stop
}

tarball="$proj/_build/prod/rel/counter/releases/0.1.0/counter-0.1.0.tar.gz"

# 1. On a terminal: one line per stage, ending with its time.
pane=$(on_tty "cd '$proj' && '$RELBUILD' --env prod && '$RELBUILD' verify '$tarball' && '$RELBUILD' install '$tarball' --root '$T/root'")
assert_contains "$pane" "::done 0" "the commands on a terminal"
printf '%s\n' "$pane" | grep -Eq '^assemble: 4 applications in [0-9.]+ s$' ||
	fail "no finished assemble progress line on the terminal: $pane"
printf '%s\n' "$pane" | grep -Eq '^tarball: [0-9]+ files, [0-9.]+ of [0-9.]+ MiB \(100%\) in [0-9.]+ s$' ||
	fail "no finished tarball progress line on the terminal: $pane"
printf '%s\n' "$pane" | grep -Eq '^verify: [0-9]+ files, [0-9.]+ of [0-9.]+ MiB \(100%\) in [0-9.]+ s$' ||
	fail "no finished verify progress line on the terminal: $pane"
printf '%s\n' "$pane" | grep -Eq '^install: [0-9]+ files, [0-9.]+ of [0-9.]+ MiB \(100%\) in [0-9.]+ s$' ||
	fail "no finished install progress line on the terminal: $pane"
pass "a progress line for assemble, the tarball, verify and install on a terminal"

# 2. --quiet on a terminal: nothing at all.
pane=$(on_tty "cd '$proj' && '$RELBUILD' --env prod --quiet && '$RELBUILD' verify -q '$tarball'")
assert_contains "$pane" "::done 0" "--quiet on a terminal"
printf '%s\n' "$pane" | grep -Eq 'files,' && fail "--quiet printed progress: $pane"
pass "--quiet: no progress line"

# 3. CI set, on a terminal: none either.
pane=$(on_tty "cd '$proj' && CI=true '$RELBUILD' verify '$tarball'")
printf '%s\n' "$pane" | grep -Eq 'files,' && fail "CI=true printed progress: $pane"
pass "CI set: no progress line"

# 4. A pipe gets none: stderr and stdout are the build's messages only.
(cd "$proj" && env -u CI "$RELBUILD" --env prod 2>"$T/err" | cat >"$T/out") || fail "build through a pipe"
[ ! -s "$T/err" ] || fail "a build through a pipe wrote to stderr: $(cat "$T/err")"
grep -q '^tarball ' "$T/out" || fail "the build's own output is missing: $(cat "$T/out")"
env -u CI "$RELBUILD" verify "$tarball" 2>"$T/err" >/dev/null || fail "verify through a pipe"
[ ! -s "$T/err" ] || fail "verify through a pipe wrote to stderr: $(cat "$T/err")"
pass "a pipe: no progress line, and no escape sequence"

# 5. Colour: an error is red on a terminal, plain with NO_COLOR or
# --color=never, red with --color=always even through a pipe.
"$RELBUILD" verify --color=always "$T/nope.tar.gz" 2>"$T/err"
grep -q $'\033\\[1;31m' "$T/err" || fail "--color=always through a pipe: no colour: $(od -c "$T/err" | head)"
"$RELBUILD" verify "$T/nope.tar.gz" 2>"$T/err"
grep -q $'\033' "$T/err" && fail "an error through a pipe has an escape sequence"
script -qec "NO_COLOR=1 '$RELBUILD' verify '$T/nope.tar.gz'" /dev/null >"$T/tty-out"
grep -q $'\033' "$T/tty-out" && fail "NO_COLOR on a terminal: an escape sequence: $(od -c "$T/tty-out" | head)"
script -qec "'$RELBUILD' verify '$T/nope.tar.gz'" /dev/null >"$T/tty-out"
grep -q $'\033\\[1;31m' "$T/tty-out" || fail "on a terminal an error is not red: $(od -c "$T/tty-out" | head)"
pass "colour: red on a terminal and with --color=always, none with NO_COLOR or through a pipe"
