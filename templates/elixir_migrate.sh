#!/bin/sh
# `bin/myapp migrate ARGS…` runs this script from the release root, with
# bin/ first on PATH.  RELEASE_ROOT, RELEASE_NAME, RELEASE_VSN and
# RELEASE_NODE are set.
#
# As in Distillery's guide, the command runs MyApp.ReleaseTasks.seed/0
# (lib/myapp/release_tasks.ex: migrations, then priv/repo/seeds.exs) in a
# node of its own: the release need not be running.  Other tasks:
#   bin/myapp rpc "Elixir.MyApp.ReleaseTasks.migrate"     # on the running node
#   bin/myapp eval "MyApp.ReleaseTasks.rollback(MyApp.Repo, 20240101000000)"
exec "$RELEASE_ROOT/bin/myapp" command Elixir.MyApp.ReleaseTasks seed
