# rel/env.sh: sourced by bin/myapp (POSIX sh) before every command, as
# mix release's rel/env.sh.eex.  Shipped as releases/<vsn>/env.sh
# (env_sh: rel/env.sh in rel/config.yml).  Set here:
#   RELEASE_COMMAND  the command as typed: start, daemon, stop, rpc, remote…
#   RELEASE_ROOT     the release's directory
#   RELEASE_NAME     myapp
#   RELEASE_VSN      the version that runs
# What it exports reaches every command, the node that `start` runs
# included.  Variables it does not set keep their values from the
# environment; an unset variable expands to nothing here.

# The node name decided on the server, at run time: every command (start,
# ping, rpc, remote, stop) reaches the same node.
# export RELEASE_DISTRIBUTION=name       # name | sname | none
# export RELEASE_NODE="myapp@$(hostname -i)"

# The cookie from a secret store (otherwise: cookie: in the config, or one
# made on the server at first need).
# export RELEASE_COOKIE="$(cat /run/secrets/myapp_cookie)"

# Another vm.args or sys.config than the release's, or flags for the
# short-lived nodes of rpc, remote and eval.
# export RELEASE_VM_ARGS=/etc/myapp/vm.args
# export RELEASE_SYS_CONFIG=/etc/myapp/sys.config
# export RELEASE_REMOTE_VM_ARGS=/etc/myapp/remote.vm.args

# Only for the commands that start the node.
# case $RELEASE_COMMAND in
# start* | daemon* | foreground | console)
# 	export MYAPP_MAX_PORTS=262144
# 	;;
# esac

# Check hot-upgrade tarballs against a signature (relbuild --sign).
# export RELEASE_PUBKEY=/etc/myapp/release-key.pub.pem
