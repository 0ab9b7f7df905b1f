#!/bin/bash
# ROOT/shared/env.sh: a server's own variables for every version of an
# install root (what a deploy tool writes: the node name from the host's
# address, the cookie's home stays ROOT/shared), sourced by bin/<name>
# before the release's env.sh, for every command; the installed release
# itself stays as built (relbuild verify), and a release that is not
# under an install root does not read it.
. "$(dirname "$0")/lib.sh"

build_counter 0.1.0
root=$T/root
"$RELBUILD" install "$tarball" --root "$root" -q || fail "install"
cur=$root/current
track_release "$cur"

cat >"$root/shared/env.sh" <<'SH'
export RELEASE_NODE="shared_node@127.0.0.1"
export DEPLOY_COLOR=blue
SH
out=$(ctl "$cur" start 2>&1) || fail "start exited $?: $out"
out=$(ctl "$cur" rpc 'io:format("~s ~s~n", [node(), os:getenv("DEPLOY_COLOR")]).' 2>&1) ||
	fail "rpc exited $?: $out"
out=$(printf '%s\n' "$out" | head -n 1) # what it printed, before the result
assert_eq "$out" "shared_node@127.0.0.1 blue" "the node shared/env.sh named, with its variable"
out=$(ctl "$cur" ping 2>&1) || fail "ping of the shared/env.sh node: $out"
assert_eq "$out" "pong" "ping"
out=$("$RELBUILD" verify "$cur" 2>&1) || fail "verify after a start with shared/env.sh: $out"
stop_release "$cur"
pass "ROOT/shared/env.sh names the node and sets the environment for start, rpc, ping and stop"

# outside an install root (the build's own directory) it is not read
rel="$T/counter-0.1.0/_build/prod/rel/counter"
mkdir -p "$rel/../shared" && cp "$root/shared/env.sh" "$rel/../shared/env.sh"
out=$(ctl "$rel" eval 'io:format("~s~n", [os:getenv("DEPLOY_COLOR", "unset")]).' 2>&1) ||
	fail "eval in the build directory: $out"
out=$(printf '%s\n' "$out" | head -n 1)
assert_eq "$out" "unset" "a release that is not under ROOT/versions/ reads no shared/env.sh"
pass "only releases under an install root read it"
