# sh -c "$(cat connect.sh)" BIN PEER...: connect the node of BIN to each
# PEER node it is not connected to yet; one line per peer.
bin=$0
known=$("$bin" rpc erlang nodes) || exit
for peer in "$@"; do
	case "$known" in
	*"'$peer'"* | *"\"$peer\""*)
		echo "known $peer"
		continue
		;;
	esac
	ok=$("$bin" rpc net_kernel connect_node "'$peer'") || exit
	if [ "$ok" = true ]; then
		echo "connected $peer"
	else
		echo "down $peer"
	fi
done
