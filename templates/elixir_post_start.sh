#!/bin/sh
# A post_start hook: run after `bin/myapp start` once the node answers,
# from the release root with bin/ first on PATH.  Every script of this
# directory runs, in name order; a failing one stops the node again.
# RELEASE_ROOT, RELEASE_NAME, RELEASE_VSN and RELEASE_NODE are set.
#
# For example, migrate on the running node (lib/myapp/release_tasks.ex):
#   bin/myapp rpc "Elixir.MyApp.ReleaseTasks.migrate"
exit 0
