#!/bin/bash
# A project that is nothing but rel/config.yml: its applications are the
# ones Debian installed (yaws, from /usr/lib/yaws-*, a lib_dirs pattern;
# p1_utils from the OTP root).  relbuild init has no application to name
# the release after and says so; the release builds, unpacks into an
# empty directory, boots (yaws embedded, as an application of the
# release), answers rpc and stops.
. "$(dirname "$0")/lib.sh"

ls -d /usr/lib/yaws-*/ebin >/dev/null 2>&1 || fail "no /usr/lib/yaws-*: install erlang-yaws (scripts/setup.sh)"
proj="$T/web"
mkdir -p "$proj"
out=$(cd "$proj" && "$RELBUILD" init 2>&1)
[ $? -eq 1 ] || fail "init in an empty directory did not exit 1: $out"
assert_contains "$out" "no mix.exs, rebar.config or erlang.mk here" "init in an empty directory"
pass "init in a directory with no project says so"

mkdir -p "$proj/rel"
cat >"$proj/rel/config.yml" <<'EOS'
releases:
  web:
    version: 1.0.0
    applications:
      - yaws
      - p1_utils
    lib_dirs:
      - /usr/lib/yaws-*
    sys_config: rel/sys.config
    undefined_calls: ignore
EOS
printf '[{yaws, [{embedded, true}]}].\n' >"$proj/rel/sys.config"
build_release "$proj" -v
log=$(cat "$T/build.log")
yaws_vsn=$(sed -n 's/^application yaws \([^ ]*\) permanent$/\1/p' "$T/build.log")
[ -n "$yaws_vsn" ] || fail "build -v does not list yaws: $log"
assert_contains "$log" "application p1_utils " "build -v"
tarball="$proj/_build/prod/rel/web/releases/1.0.0/web.tar.gz"
[ -f "$tarball" ] || fail "no tarball at $tarball"
tar -tzf "$tarball" | grep -q "^lib/yaws-$yaws_vsn/ebin/yaws.app$" || fail "yaws is not in the tarball"
pass "the rel/config.yml-only project built yaws $yaws_vsn from /usr/lib/yaws-*"

unpack_and_run "$tarball" "$T/rel" 'element(1, lists:keyfind(yaws, 1, application:which_applications())).' 'yaws'
pass "the release booted from an empty directory with yaws started, answered rpc and stopped"
