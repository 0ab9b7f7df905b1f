/*
 * relbuild init [--name NAME] [--force]: write the reference release
 * configuration (rel/ of relbuild's source, embedded in the binary) into
 * the project in the current directory, named after its application.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "assemble.h"
#include "cmd.h"
#include "config.h"
#include "init.h"
#include "templates.h"
#include "util.h"

struct init_opts {
	const char *name; /* --name NAME: the release name */
	int force;        /* --force: overwrite existing files */
};

static const char init_usage[] =
	"usage: relbuild init [--name NAME] [--force]\n"
	"\n"
	"Write a release configuration into the mix or rebar3 project in the\n"
	"current directory: rel/config.yml, rel/vm.args, rel/sys.config, an\n"
	"example post_start hook (rel/hooks/post_start/) and an example command\n"
	"(rel/commands/migrate.sh).  Existing files are not overwritten.\n"
	"\n"
	"  --name NAME   the release name (default: the project's application,\n"
	"                from mix.exs or src/<app>.app.src)\n"
	"  --force       overwrite files that exist\n";

static int parse_args(struct init_opts *o, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-h") || !strcmp(a, "--help"))
			return 1;
		if (!strcmp(a, "--force")) {
			o->force = 1;
		} else if (!strcmp(a, "--name")) {
			if (i + 1 >= argc)
				return usage_error("init", "init: option '--name' needs a value");
			o->name = argv[++i];
		} else if (has_prefix(a, "--name=")) {
			o->name = a + strlen("--name=");
		} else {
			return usage_error("init", "init: %s '%s'",
					   a[0] == '-' ? "unknown option" :
					   "unexpected argument", a);
		}
	}
	if (o->name && !rb_config_valid_name(o->name))
		return usage_error("init",
				   "init: bad release name '%s' (letters, digits, '_' and '-', not first)",
				   o->name);
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

int cmd_init(int argc, char **argv)
{
	struct init_opts o = { NULL, 0 };
	struct rb_error err = { 0, "" };
	struct rb_project proj;
	char cwd[PATH_MAX];
	char *app = NULL;
	const char *release;
	int existing = 0, ret = 1, r;

	memset(&proj, 0, sizeof(proj));
	if ((r = parse_args(&o, argc, argv))) {
		if (r == 1)
			fputs(init_usage, stdout);
		return r == 1 ? 0 : r;
	}
	if (!getcwd(cwd, sizeof(cwd))) {
		perror("relbuild: init: cannot find the current directory");
		return 1;
	}
	if (rb_project_detect(&proj, cwd, "prod", &err) < 0) {
		fprintf(stderr, "relbuild: init: %s\n", err.msg);
		goto out;
	}
	/* The application is still listed when --name renames the release. */
	if (rb_project_app_name(&proj, &app, &err) < 0) {
		if (!o.name) {
			fprintf(stderr, "relbuild: init: %s: give the release name with --name NAME\n",
				err.msg);
			goto out;
		}
		app = xstrdup(o.name);
	} else if (!rb_config_valid_name(app)) {
		if (!o.name) {
			fprintf(stderr, "relbuild: init: application name '%s' cannot name a release: give one with --name NAME\n",
				app);
			goto out;
		}
	}
	release = o.name ? o.name : app;

	/* Check every file first: refuse before writing anything. */
	for (const struct rb_template *t = rb_templates; t->name; t++) {
		char *path;

		if (!has_prefix(t->name, "rel/"))
			continue;
		path = path_join(cwd, t->name);
		if (path_exists(path) && !o.force) {
			fprintf(stderr, "relbuild: init: '%s' exists\n", t->name);
			existing++;
		}
		free(path);
	}
	if (existing) {
		fprintf(stderr, "relbuild: init: nothing written: use --force to overwrite %s\n",
			existing == 1 ? "it" : "them");
		goto out;
	}
	for (const struct rb_template *t = rb_templates; t->name; t++) {
		char *text;

		if (!has_prefix(t->name, "rel/"))
			continue;
		text = rb_init_render(t->data, release, app);
		r = write_one(cwd, t->name, text, &err);
		free(text);
		if (r < 0) {
			fprintf(stderr, "relbuild: init: %s\n", err.msg);
			goto out;
		}
		printf("wrote %s\n", t->name);
	}
	printf("release '%s' (application '%s'): build it with 'relbuild --env prod'\n",
	       release, app);
	ret = 0;
out:
	free(app);
	rb_project_release(&proj);
	return ret;
}
