#!/bin/bash
# examples/counter (rebar3): build, unpack into an empty directory, boot
# with an empty environment, ping, eval, rpc, stop.
EXAMPLE=counter
KIND=rebar3
EVAL_ROOT_DIR='code:root_dir().'
. "$(dirname "$0")/boot_common.sh"
