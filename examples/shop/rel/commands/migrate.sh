#!/bin/sh

$RELEASE_ROOT_DIR/bin/shop command Elixir.Shop.ReleaseTasks seed
