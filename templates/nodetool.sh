#!/bin/sh
# nodetool: what hook scripts call to reach the release's node.
#   nodetool ping | pid | stop | rpc EXPR | rpc MOD FUN [ARGS...]
self=$0
while [ -L "$self" ]; do
	link=$(readlink "$self") || break
	case "$link" in
	/*) self=$link ;;
	*)
		case "$self" in
		*/*) self=${self%/*}/$link ;;
		*) self=./$link ;;
		esac
		;;
	esac
done
case "$self" in
*/*) self=${self%/*} ;;
*) self=. ;;
esac
exec "$self/@REL_NAME@" nodetool "$@"
