/*
 * relbuild init [--name NAME] [--force]: write the reference release
 * configuration (rel/ of relbuild's source, embedded in the binary) into
 * the project in the current directory, named after its application.
 */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "assemble.h"
#include "cli.h"
#include "config.h"
#include "init.h"
#include "templates.h"
#include "tty.h"
#include "util.h"

struct init_opts {
	const char *name; /* --name NAME: the release name */
	int force;        /* --force: overwrite existing files */
};

enum { OPT_NAME = CLI_OPT, OPT_FORCE };

static const struct cli_opt init_opts[] = {
	{ "name", OPT_NAME, "NAME",
	  "the release name (default: the project's application,\nfrom mix.exs, src/<app>.app.src or ebin/<app>.app; for\nan umbrella, the project directory's name)" },
	{ "force", OPT_FORCE, NULL, "overwrite files that exist" },
	{ NULL, 0, NULL, NULL },
};

static int init_opt(struct cli *cli, void *ctx, int key, const char *arg)
{
	struct init_opts *o = ctx;

	if (key == OPT_FORCE)
		o->force = 1;
	if (key != OPT_NAME)
		return 0;
	if (!rb_config_valid_name(arg))
		return cli_usage(cli, "bad release name '%s' (letters, digits, '_' and '-', not first)",
				 arg);
	o->name = arg;
	return 0;
}

/* Hooks and commands are run by the control script: make them executable. */
static mode_t file_mode(const char *path)
{
	return has_prefix(path, "rel/hooks/") || has_prefix(path, "rel/commands/") ?
		0755 : 0644;
}

static int write_one(const char *root, const char *rel_path, const char *text,
		     struct rb_error *err)
{
	char *path = path_join(root, rel_path);
	char *dir = xstrdup(path);
	int ret;

	*strrchr(dir, '/') = '\0';
	ret = mkdir_p(dir, err);
	if (!ret)
		ret = write_file(path, text, strlen(text), file_mode(rel_path), err);
	free(dir);
	free(path);
	return ret;
}

/*
 * The file init writes for a reference file name: in a mix project the
 * hook and command examples speak Elixir.
 */
static const struct rb_template *reference(const struct rb_template *t,
					   const struct rb_project *proj)
{
	static const char *const elixir[][2] = {
		{ "rel/commands/migrate.sh", "elixir_migrate.sh" },
		{ "rel/hooks/post_start/10-example.sh", "elixir_post_start.sh" },
	};

	if (proj->kind != RB_PROJECT_MIX)
		return t;
	for (size_t i = 0; i < sizeof(elixir) / sizeof(*elixir); i++)
		if (!strcmp(t->name, elixir[i][0]))
			return rb_template_find(elixir[i][1]);
	return t;
}

/*
 * The Elixir module prefix of the mix project in dir (its mix.exs), else
 * app camelized.
 */
static char *module_prefix(const char *dir, const char *app)
{
	char *path = path_join(dir, "mix.exs"), *text = NULL, *mod = NULL;

	if (read_file(path, &text, NULL, NULL) == 0)
		mod = rb_mix_module(text);
	free(path);
	free(text);
	if (!mod) {
		struct strbuf sb = STRBUF_INIT;
		int up = 1;

		for (const char *c = app; *c; c++) {
			if (*c == '_') {
				up = 1;
				continue;
			}
			sb_addc(&sb, up ? (char)toupper((unsigned char)*c) : *c);
			up = 0;
		}
		mod = sb_detach(&sb);
	}
	return mod;
}

/*
 * Where a mix project's release tasks module goes: the project's lib/,
 * or in an umbrella the first application's (apps/<app>/, found by its
 * mix.exs).  The caller frees *dir.
 */
static char *tasks_dir(const struct rb_project *proj, const char *app)
{
	struct strvec dirs = STRVEC_INIT;
	char *apps = path_join(proj->root, "apps"), *found = NULL;

	if (!proj->umbrella) {
		free(apps);
		return xstrdup(proj->root);
	}
	if (list_dir(apps, &dirs, NULL) == 0) {
		for (size_t i = 0; i < dirs.nr && !found; i++) {
			char *mix = xasprintf("%s/%s/mix.exs", apps, dirs.v[i]);
			char *text = NULL, *name = NULL;

			if (read_file(mix, &text, NULL, NULL) == 0 &&
			    (name = rb_mix_app_name(text)) && !strcmp(name, app))
				found = xasprintf("%s/%s", apps, dirs.v[i]);
			free(name);
			free(text);
			free(mix);
		}
	}
	strvec_clear(&dirs);
	free(apps);
	return found;
}

/* A release name for an umbrella: its directory's name. */
static char *dir_release_name(const char *root)
{
	const char *base = strrchr(root, '/');

	return xstrdup(base && base[1] ? base + 1 : root);
}

static int run_init(struct cli *cli, int argc, char **argv)
{
	struct init_opts o = { NULL, 0 };
	struct rb_error err = { 0 };
	struct rb_project proj;
	struct strvec apps = STRVEC_INIT;
	struct rb_init_names names;
	char cwd[PATH_MAX];
	char *release = NULL, *module = NULL, *app_dir = NULL;
	int existing = 0, ret = 1, r, at;

	memset(&proj, 0, sizeof(proj));
	r = cli_parse(cli, &cli_cmd_init, argc, argv, init_opt, &o, &at);
	if (r >= 0)
		return r;
	if (at < argc)
		return cli_usage(cli, "unexpected argument '%s'", argv[at]);
	if (!getcwd(cwd, sizeof(cwd))) {
		rb_fail_errno(&err, "cannot find the current directory");
		return cli_error(cli, &err);
	}
	if (rb_project_detect(&proj, cwd, "prod", &err) < 0) {
		ret = cli_error(cli, &err);
		goto out;
	}
	/* The applications are still listed when --name renames the release. */
	if (rb_project_apps(&proj, &apps, &err) < 0) {
		if (!o.name) {
			cli_note(cli, "%s: give the release name with --name NAME",
				 err.msg);
			goto out;
		}
		strvec_clear(&apps);
		strvec_push(&apps, o.name);
	}
	if (o.name)
		release = xstrdup(o.name);
	else if (proj.umbrella || apps.nr > 1)
		release = dir_release_name(cwd);
	else
		release = xstrdup(apps.v[0]);
	if (!rb_config_valid_name(release)) {
		cli_note(cli, "'%s' cannot name a release: give one with --name NAME",
			 release);
		goto out;
	}
	if (apps.nr > 1 && !cli->quiet) {
		tty_printf(stdout, "found %s umbrella with %zu applications under apps/:",
		       proj.kind == RB_PROJECT_MIX ? "a mix" : "a rebar3", apps.nr);
		for (size_t i = 0; i < apps.nr; i++)
			tty_printf(stdout, " %s", apps.v[i]);
		tty_printf(stdout, "\n");
	}
	if (proj.kind == RB_PROJECT_MIX && (app_dir = tasks_dir(&proj, apps.v[0])))
		module = module_prefix(app_dir, apps.v[0]);
	names = (struct rb_init_names){ release, (const char *const *)apps.v,
					apps.nr, module };

	/* Check every file first: refuse before writing anything. */
	for (const struct rb_template *t = rb_templates; t->name; t++) {
		char *path;

		if (!has_prefix(t->name, "rel/"))
			continue;
		path = path_join(cwd, t->name);
		if (path_exists(path) && !o.force) {
			cli_note(cli, "'%s' exists", t->name);
			existing++;
		}
		free(path);
	}
	if (existing) {
		cli_note(cli, "nothing written: use --force to overwrite %s",
			 existing == 1 ? "it" : "them");
		goto out;
	}
	for (const struct rb_template *t = rb_templates; t->name; t++) {
		char *text;

		if (!has_prefix(t->name, "rel/"))
			continue;
		text = rb_init_render(reference(t, &proj)->data, &names);
		r = write_one(cwd, t->name, text, &err);
		free(text);
		if (r < 0) {
			ret = cli_error(cli, &err);
			goto out;
		}
		if (!cli->quiet)
			tty_printf(stdout, "wrote %s\n", t->name);
	}
	/*
	 * The release tasks module the Elixir hook and command call, unless
	 * the project has it: never overwritten, not even with --force, for
	 * it is the project's code.
	 */
	if (app_dir) {
		/* in the module, "myapp" is the application, not the release */
		struct rb_init_names in_app = { apps.v[0], names.apps, 1, module };
		char *rel = xasprintf("lib/%s/release_tasks.ex", apps.v[0]);
		char *path = path_join(app_dir, rel);

		if (!path_exists(path)) {
			char *text = rb_init_render(rb_template_find("release_tasks.ex")->data,
						    &in_app);

			r = write_one(app_dir, rel, text, &err);
			free(text);
			if (r < 0)
				ret = cli_error(cli, &err);
			else if (!cli->quiet)
				tty_printf(stdout, "wrote %s%s%s (%s.ReleaseTasks: migrate/0, rollback/2, seed/0)\n",
				       proj.umbrella ? app_dir + strlen(cwd) + 1 : "",
				       proj.umbrella ? "/" : "", rel, module);
		}
		free(path);
		free(rel);
		if (r < 0)
			goto out;
	}
	if (cli->quiet)
		;
	else if (apps.nr > 1)
		tty_printf(stdout, "release '%s' (applications", release);
	else
		tty_printf(stdout, "release '%s' (application", release);
	for (size_t i = 0; !cli->quiet && i < apps.nr; i++)
		tty_printf(stdout, "%s'%s'", i ? ", " : " ", apps.v[i]);
	if (!cli->quiet)
		tty_printf(stdout, "): build it with 'relbuild --env prod'\n");
	ret = 0;
out:
	free(release);
	free(module);
	free(app_dir);
	strvec_clear(&apps);
	rb_project_release(&proj);
	return ret;
}

const struct cli_cmd cli_cmd_init = {
	.name = "init",
	.summary = "write rel/config.yml and the files it uses into the project",
	.description =
		"Write a release configuration into the mix, rebar3 or erlang.mk project\n"
		"in the current directory: rel/config.yml, rel/vm.args, rel/sys.config,\n"
		"rel/env.sh, an example post_start hook (rel/hooks/post_start/) and an\n"
		"example command (rel/commands/migrate.sh); in a mix project also\n"
		"lib/<app>/release_tasks.ex, unless it exists.  Existing files are not\n"
		"overwritten.\n",
	.status = "0 written, 1 nothing written (a file exists, or no project), 2 a usage error\n",
	.opts = init_opts,
	.run = run_init,
};
