#!/bin/bash
# bad_input.setup: make, once per ctest run, the good project every case
# of tests/bad_input/cases starts from: `rebar3 new app name=badapp`,
# compiled with `rebar3 compile`, with a short rel/config.yml (below) and
# the files it names.  relbuild must build it (exit 0, a release directory
# and a tarball); the output is then removed, so that each case differs
# from a project that builds in one thing only.
#
# Environment: RELBUILD (the binary), BUILD_DIR (the build tree); the
# project goes to $BUILD_DIR/tests/bad_input/base.
set -eu
: "${RELBUILD:?RELBUILD must name the relbuild binary}"
: "${BUILD_DIR:?BUILD_DIR must name the build tree}"

out="$BUILD_DIR/tests/bad_input"
base="$out/base"
work=$(mktemp -d "${TMPDIR:-/tmp}/relbuild-bi-setup.XXXXXX")
trap 'rm -rf "$work"' EXIT
export HOME="$work/home"
mkdir -p "$HOME" "$out"
rm -rf "$base" "$out/base.new"
unset BADAPP_COOKIE SOURCE_DATE_EPOCH REBAR_PROFILE MIX_ENV 2>/dev/null || true

die() { printf 'bad_input.setup: %s\n' "$*" >&2; exit 1; }

cd "$work"
rebar3 new app name=badapp >"$work/log" 2>&1 || { cat "$work/log" >&2; die "rebar3 new failed"; }
p="$work/badapp"
mkdir -p "$p/priv" "$p/rel/hooks/post_start" "$p/rel/commands"
printf 'data\n' >"$p/priv/data.txt"
(cd "$p" && rebar3 compile) >"$work/log" 2>&1 || { cat "$work/log" >&2; die "rebar3 compile failed"; }
[ -f "$p/_build/default/lib/badapp/ebin/badapp.app" ] || die "rebar3 compile made no badapp.app"

# The configuration.  Its release's own keys come last, so that a case
# may append a release key ("    key: value", line 17 on) to it.
cat >"$p/rel/config.yml" <<'YML'
environments:
  prod:
    include_erts: true
releases:
  badapp:
    version: 0.1.0
    applications: [badapp]
    vm_args: rel/vm.args
    sys_config: rel/sys.config
    env_sh: rel/env.sh
    hooks:
      post_start: rel/hooks/post_start
    commands:
      migrate: rel/commands/migrate.sh
    overlays:
      - mkdir: var/log
YML
cat >"$p/rel/vm.args" <<'ARGS'
## the node's flags
-name badapp@127.0.0.1
+K true
-env ERL_MAX_PORTS 4096
ARGS
cat >"$p/rel/sys.config" <<'CFG'
%% the application environment
[{badapp, [{port, 8080}]},
 {kernel, [{logger_level, info}]}].
CFG
cat >"$p/rel/env.sh" <<'SH'
# sourced by bin/badapp
export BADAPP_MODE="${BADAPP_MODE:-normal}"
SH
cat >"$p/rel/hooks/post_start/10-hello.sh" <<'SH'
#!/bin/sh
echo "badapp started"
SH
cat >"$p/rel/commands/migrate.sh" <<'SH'
#!/bin/sh
echo "migrating"
SH
chmod 755 "$p/rel/hooks/post_start/10-hello.sh" "$p/rel/commands/migrate.sh"

# relbuild must build it as it is.
(cd "$p" && "$RELBUILD" --env prod) >"$work/out" 2>"$work/err" ||
	{ cat "$work/out" "$work/err" >&2; die "relbuild failed on the good base project"; }
rel="$p/_build/prod/rel/badapp"
[ -f "$rel/releases/0.1.0/badapp.tar.gz" ] || { cat "$work/out" "$work/err" >&2; die "no tarball from the good base project"; }
[ -x "$rel/bin/badapp" ] || die "no bin/badapp from the good base project"
rm -rf "$p/_build/prod"
[ -z "$(find "$p" -name '*.tar.gz' -print -quit)" ] || die "a tarball is left in the base project"

mv "$p" "$base"
echo "bad_input.setup: base project ready at $base"
