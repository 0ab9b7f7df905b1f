#include "systemd.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "assemble.h"
#include "config.h"
#include "util.h"

/*
 * The unit.  Type=exec, not notify: OTP has no sd_notify, so the VM
 * cannot say it has booted, and `foreground` execs the VM itself when
 * the release has no post_start hooks, leaving no process to say it
 * either (see the README, "systemd").  The values are checked to need
 * no quoting or escaping: no spaces, '%', '$', '\\' or quotes.
 */
static const char unit_template[] =
	"# @NAME@.service: the systemd unit of the @NAME@ release, written by relbuild.\n"
	"#\n"
	"# It runs @ROOT@/current, the version `relbuild install --root @ROOT@`\n"
	"# made current, as the user @USER@ and the group @GROUP@, which must exist:\n"
	"#\n"
	"#   systemctl link @ROOT@/current/@NAME@.service\n"
	"#   systemctl enable --now @NAME@.service\n"
	"#\n"
	"# Every install brings this file anew: change settings with\n"
	"# `systemctl edit @NAME@.service` (a drop-in), not here.\n"
	"\n"
	"[Unit]\n"
	"Description=@NAME@ (OTP release)\n"
	"Wants=network-online.target\n"
	"After=network-online.target\n"
	"# The system's epmd, where there is one (Debian's erlang-base): without\n"
	"# it the VM starts its own, which stopping this service ends.\n"
	"Wants=epmd.socket\n"
	"After=epmd.socket\n"
	"\n"
	"[Service]\n"
	"# Started once the control script runs: the VM cannot tell systemd it\n"
	"# has booted.  `foreground` runs the post_start hooks once it has; when\n"
	"# one fails, it stops the node and exits 1, and the service fails.\n"
	"Type=exec\n"
	"User=@USER@\n"
	"Group=@GROUP@\n"
	"ExecStart=@ROOT@/current/bin/@NAME@ foreground\n"
	"# pre_stop and post_stop hooks around init:stop(); what still runs\n"
	"# then gets SIGTERM, which the VM takes as init:stop() too.  A failure\n"
	"# (the node has stopped on its own) must not count as the service's.\n"
	"ExecStop=-@ROOT@/current/bin/@NAME@ stop\n"
	"Restart=on-failure\n"
	"RestartSec=5\n"
	"\n"
	"# Where the release writes (the rest of the system is read-only):\n"
	"# - /run/@NAME@ (RELEASE_TMP): the rendered vm.args and sys.config,\n"
	"#   the cookie made at first need, the node's private home;\n"
	"# - /var/lib/@NAME@: HOME and the working directory (Mnesia's\n"
	"#   default directory, relative paths);\n"
	"# - /var/log/@NAME@: RELEASE_LOG_DIR and erl_crash.dump.\n"
	"# Commands run by hand need the same RELEASE_TMP:\n"
	"#   sudo -u @USER@ env RELEASE_TMP=/run/@NAME@ @ROOT@/current/bin/@NAME@ remote\n"
	"RuntimeDirectory=@NAME@\n"
	"RuntimeDirectoryMode=0700\n"
	"StateDirectory=@NAME@\n"
	"StateDirectoryMode=0700\n"
	"LogsDirectory=@NAME@\n"
	"LogsDirectoryMode=0750\n"
	"WorkingDirectory=/var/lib/@NAME@\n"
	"Environment=HOME=/var/lib/@NAME@\n"
	"Environment=RELEASE_TMP=/run/@NAME@\n"
	"Environment=RELEASE_LOG_DIR=/var/log/@NAME@\n"
	"Environment=ERL_CRASH_DUMP=/var/log/@NAME@/erl_crash.dump\n"
	"# the VM's number of ports and sockets follows this limit\n"
	"LimitNOFILE=65536\n"
	"\n"
	"# Hardening\n"
	"NoNewPrivileges=yes\n"
	"ProtectSystem=strict\n"
	"ProtectHome=yes\n"
	"PrivateTmp=yes\n"
	"PrivateDevices=yes\n"
	"ProtectKernelTunables=yes\n"
	"ProtectKernelModules=yes\n"
	"ProtectControlGroups=yes\n"
	"RestrictSUIDSGID=yes\n"
	"LockPersonality=yes\n"
	"\n"
	"[Install]\n"
	"WantedBy=multi-user.target\n";

/* systemd's UNIT_NAME_MAX (255) less ".service" */
#define MAX_NAME 247
#define MAX_ROOT 1024
/* systemd's strict user names: 31 bytes, what utmp holds */
#define MAX_USER 31

char *rb_systemd_default_root(const char *name)
{
	return xasprintf("/opt/%s", name);
}

char *rb_systemd_unit_file(const char *name)
{
	return xasprintf("%s.service", name);
}

int rb_systemd_valid_root(const char *s)
{
	size_t len = strlen(s);

	if (s[0] != '/' || len < 2 || len > MAX_ROOT || s[len - 1] == '/')
		return 0;
	for (const char *c = s; *c; c++)
		if (!isalnum((unsigned char)*c) && !strchr("/._-+@", *c))
			return 0;
	/* each component: not empty, not "." nor ".." */
	for (const char *c = s + 1; *c;) {
		size_t n = strcspn(c, "/");

		if (n == 0 || (n == 1 && c[0] == '.') ||
		    (n == 2 && c[0] == '.' && c[1] == '.'))
			return 0;
		c += n;
		if (*c == '/')
			c++;
	}
	return 1;
}

int rb_systemd_valid_user(const char *s)
{
	size_t len = strlen(s);

	if (!len || len > MAX_USER ||
	    (!isalpha((unsigned char)s[0]) && s[0] != '_'))
		return 0;
	for (const char *c = s; *c; c++)
		if (!isalnum((unsigned char)*c) && *c != '_' && *c != '-')
			return 0;
	return 1;
}

int rb_systemd_render(const struct rb_systemd_unit *u, char **out,
		      struct rb_error *err)
{
	*out = NULL;
	if (!rb_config_valid_name(u->name) || strlen(u->name) > MAX_NAME)
		return rb_error(err, RB_ECONFIG,
			"'%s' cannot name a systemd unit: letters, digits, '_' and '-', at most %d",
			u->name, MAX_NAME);
	if (!rb_systemd_valid_root(u->root))
		return rb_error(err, RB_ECONFIG,
			"invalid install root '%s' for the systemd unit: an absolute path of letters, digits and '/._-+@', without '.' or '..' components",
			u->root);
	if (!rb_systemd_valid_user(u->user))
		return rb_error(err, RB_ECONFIG,
			"invalid user '%s' for the systemd unit: a letter or '_', then letters, digits, '_' or '-', at most %d",
			u->user, MAX_USER);
	if (!rb_systemd_valid_user(u->group))
		return rb_error(err, RB_ECONFIG,
			"invalid group '%s' for the systemd unit: a letter or '_', then letters, digits, '_' or '-', at most %d",
			u->group, MAX_USER);
	{
		const char *keys[] = {
			"NAME", u->name,
			"ROOT", u->root,
			"USER", u->user,
			"GROUP", u->group,
			NULL,
		};

		*out = rb_render(unit_template, keys);
	}
	return 0;
}
