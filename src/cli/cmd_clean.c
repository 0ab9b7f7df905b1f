/*
 * relbuild clean [--all]: remove what a build wrote, the release
 * directory _build/<env>/rel/<name> (or output_dir/<name>) with its
 * tarball, and any stage a killed build left beside it; with --all,
 * that of every release in every environment of the configuration.
 * Nothing else of the project is touched: `mix clean` and
 * `rebar3 clean` are for the compiled code.
 */
#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "assemble.h"
#include "cli.h"
#include "config.h"
#include "project.h"
#include "tty.h"
#include "util.h"

struct clean_opts {
	const char *config;  /* --config */
	const char *env;     /* --env */
	const char *release; /* --release */
	int all;             /* --all */
};

enum { OPT_ALL = CLI_OPT, OPT_ENV, OPT_RELEASE, OPT_CONFIG };

static const struct cli_opt clean_opts[] = {
	{ "all", OPT_ALL, NULL, "every release in every environment of the configuration" },
	{ "env", OPT_ENV, "ENV", "environment from rel/config.yml (default: default_environment)" },
	{ "release", OPT_RELEASE, "NAME", "release (default: default_release)" },
	{ "config", OPT_CONFIG, "PATH", "configuration file (default: rel/config.yml)" },
	{ NULL, 0, NULL, NULL },
};

static int clean_opt(struct cli *cli, void *ctx, int key, const char *arg)
{
	struct clean_opts *o = ctx;

	(void)cli;
	switch (key) {
	case OPT_ALL: o->all = 1; break;
	case OPT_ENV: o->env = arg; break;
	case OPT_RELEASE: o->release = arg; break;
	case OPT_CONFIG: o->config = arg; break;
	}
	return 0;
}

/* Remove path when it exists; 1 removed, 0 not there, -1 failed. */
static int remove_one(struct cli *cli, const char *path, struct rb_error *err)
{
	if (!path_exists(path))
		return 0;
	if (remove_tree(path, err) < 0)
		return -1;
	if (!cli->quiet)
		tty_printf(stdout, "removed %s\n", path);
	return 1;
}

/* root, and the stages (".<name>.tmp-*") beside it. */
static int clean_root(struct cli *cli, const char *root, struct rb_error *err)
{
	char *dir = xstrdup(root), *base = strrchr(dir, '/') + 1;
	char *stage = xasprintf(".%s.tmp-", base);
	struct dirent *de;
	DIR *d;
	int n = 0, r;

	if ((r = remove_one(cli, root, err)) < 0)
		goto out;
	n += r;
	base[-1] = '\0';
	if ((d = opendir(dir))) {
		while ((de = readdir(d))) {
			char *p;

			if (!has_prefix(de->d_name, stage))
				continue;
			p = path_join(dir, de->d_name);
			r = remove_one(cli, p, err);
			free(p);
			if (r < 0)
				break;
			n += r;
		}
		closedir(d);
	}
out:
	free(dir);
	free(stage);
	return r < 0 ? -1 : n;
}

/* The release directory of one release in one environment. */
static int clean_one(struct cli *cli, const struct rb_config *cfg,
		     const char *cwd, const char *release, const char *env,
		     struct rb_error *err)
{
	struct rb_plan plan = { 0 };
	struct rb_project proj;
	char *root = NULL;
	int ret = -1;

	memset(&proj, 0, sizeof(proj));
	if (rb_config_resolve(cfg, release, env, &plan, err) < 0 ||
	    rb_project_detect(&proj, cwd, plan.env, err) < 0)
		goto out;
	root = rb_release_root(&plan, &proj);
	ret = clean_root(cli, root, err);
out:
	free(root);
	rb_project_release(&proj);
	rb_plan_release(&plan);
	return ret;
}

static int run_clean(struct cli *cli, int argc, char **argv)
{
	struct clean_opts o = { .config = "rel/config.yml" };
	struct rb_config cfg;
	struct rb_error err = { 0 };
	char cwd[PATH_MAX];
	int r, at, n = 0;

	r = cli_parse(cli, &cli_cmd_clean, argc, argv, clean_opt, &o, &at);
	if (r >= 0)
		return r;
	if (at < argc)
		return cli_usage(cli, "unexpected argument '%s'", argv[at]);
	if (o.all && (o.env || o.release))
		return cli_usage(cli, "--all cleans every release and environment: no --env or --release with it");
	memset(&cfg, 0, sizeof(cfg));
	if (!getcwd(cwd, sizeof(cwd))) {
		rb_fail_errno(&err, "cannot read the current directory");
		return cli_error(cli, &err);
	}
	if (rb_config_load(&cfg, o.config, &err) < 0)
		goto fail;
	if (!o.all) {
		if ((r = clean_one(cli, &cfg, cwd, o.release, o.env, &err)) < 0)
			goto fail;
		n += r;
	}
	for (size_t i = 0; o.all && i < cfg.nr_releases; i++)
		for (size_t j = 0; j < cfg.nr_envs; j++) {
			r = clean_one(cli, &cfg, cwd, cfg.releases[i].name,
				      cfg.envs[j].name, &err);
			if (r < 0)
				goto fail;
			n += r;
		}
	if (!n && !cli->quiet)
		tty_printf(stdout, "nothing to remove\n");
	rb_config_release(&cfg);
	return 0;
fail:
	rb_config_release(&cfg);
	return cli_error(cli, &err);
}

const struct cli_cmd cli_cmd_clean = {
	.name = "clean",
	.summary = "remove the release directories builds wrote",
	.description =
		"Remove the release directory a build writes, _build/<env>/rel/<name>\n"
		"(or output_dir/<name>), with the tarball in it, and any stage a\n"
		"killed build left beside it (.<name>.tmp-*); with --all, those of\n"
		"every release in every environment of the configuration.  The\n"
		"compiled project is not touched (mix clean, rebar3 clean).\n",
	.status = "0 removed (or nothing to remove), 1 failed, 2 bad configuration or usage\n",
	.opts = clean_opts,
	.run = run_clean,
};
