#!/bin/bash
# examples/shop (mix): build, unpack into an empty directory, boot with an
# empty environment, ping, eval, rpc, stop.  Its post_start hook runs the
# migrations, so a PostgreSQL of the test's own is up.
EXAMPLE=shop
KIND=mix
EVAL_ROOT_DIR=':code.root_dir()'
NEEDS_PG=1
. "$(dirname "$0")/boot_common.sh"
