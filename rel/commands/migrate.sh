#!/bin/sh
# `bin/myapp migrate ARGS…` runs this script from the release root, with
# bin/ first on PATH.  RELEASE_ROOT, RELEASE_NAME, RELEASE_VSN and
# RELEASE_NODE are set.
#
# For example, on the running node:
#   bin/myapp rpc 'myapp_release:migrate().'
# or in a node of its own, before the release starts:
#   bin/myapp eval 'myapp_release:migrate().'
echo "myapp: no migrations yet: edit rel/commands/migrate.sh" >&2
exit 0
