#!/bin/bash
# examples/shop (mix): build, unpack into an empty directory, boot with an
# empty environment, ping, eval, rpc, stop.
EXAMPLE=shop
KIND=mix
EVAL_ROOT_DIR=':code.root_dir()'
. "$(dirname "$0")/boot_common.sh"
