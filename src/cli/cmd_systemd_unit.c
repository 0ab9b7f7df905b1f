/*
 * relbuild systemd-unit [--out FILE]: the systemd unit of a release,
 * the one `systemd: true` ships in it, for any configuration.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "systemd.h"
#include "tty.h"
#include "util.h"

struct unit_opts {
	const char *config;  /* --config */
	const char *env;     /* --env */
	const char *release; /* --release */
	const char *out;     /* --out FILE; NULL: stdout */
};

enum { OPT_ENV = CLI_OPT, OPT_RELEASE, OPT_CONFIG, OPT_OUT };

static const struct cli_opt unit_opts[] = {
	{ "env", OPT_ENV, "ENV", "environment from rel/config.yml (default: default_environment)" },
	{ "release", OPT_RELEASE, "NAME", "release (default: default_release)" },
	{ "config", OPT_CONFIG, "PATH", "configuration file (default: rel/config.yml)" },
	{ "out", OPT_OUT, "FILE", "write the unit to FILE (default: stdout)" },
	{ NULL, 0, NULL, NULL },
};

static int unit_opt(struct cli *cli, void *ctx, int key, const char *arg)
{
	struct unit_opts *o = ctx;

	(void)cli;
	switch (key) {
	case OPT_ENV: o->env = arg; break;
	case OPT_RELEASE: o->release = arg; break;
	case OPT_CONFIG: o->config = arg; break;
	case OPT_OUT: o->out = arg; break;
	}
	return 0;
}

static int run_systemd_unit(struct cli *cli, int argc, char **argv)
{
	struct unit_opts o = { .config = "rel/config.yml" };
	struct rb_config cfg;
	struct rb_plan plan = { 0 };
	struct rb_systemd_unit u;
	struct rb_error err = { 0 };
	char *text = NULL;
	int r, at, ret;

	r = cli_parse(cli, &cli_cmd_systemd_unit, argc, argv, unit_opt, &o, &at);
	if (r >= 0)
		return r;
	if (at < argc)
		return cli_usage(cli, "unexpected argument '%s'", argv[at]);
	memset(&cfg, 0, sizeof(cfg));
	if (rb_config_load(&cfg, o.config, &err) < 0 ||
	    rb_config_resolve(&cfg, o.release, o.env, &plan, &err) < 0 ||
	    rb_plan_systemd_defaults(&plan, cfg.path, &err) < 0)
		goto fail;
	u = (struct rb_systemd_unit){ plan.release, plan.systemd_root,
				      plan.systemd_user, plan.systemd_group };
	if (rb_systemd_render(&u, &text, &err) < 0)
		goto fail;
	if (o.out) {
		if (write_file(o.out, text, strlen(text), 0644, &err) < 0)
			goto fail;
		if (!cli->quiet)
			tty_printf(stderr, "wrote %s\n", o.out);
	} else {
		fputs(text, stdout);
	}
	ret = 0;
	goto out;
fail:
	ret = cli_error(cli, &err);
out:
	free(text);
	rb_plan_release(&plan);
	rb_config_release(&cfg);
	return ret;
}

const struct cli_cmd cli_cmd_systemd_unit = {
	.name = "systemd-unit",
	.summary = "print the release's systemd unit (the one systemd: true ships)",
	.description =
		"Print the systemd unit of the release, <name>.service, as a build with\n"
		"'systemd: true' writes it at the release root, from the configuration's\n"
		"systemd: root, user and group (defaults: /opt/<name>, the release name,\n"
		"the user), whether or not the configuration turns it on.\n",
	.status = "0 printed or written, 1 FILE cannot be written, 2 bad configuration or usage\n",
	.opts = unit_opts,
	.run = run_systemd_unit,
};
