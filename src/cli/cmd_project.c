/*
 * Shared by the commands that work on a compiled project: reading its
 * configuration, finding it and its runtime, and where its applications
 * are looked up.
 */
#include "cmd_project.h"

#include <glob.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * A lib_dirs entry, relative to the project root, with shell wildcards
 * expanded (Debian's /usr/lib/yaws-*): each match is a directory of
 * applications or one application directory.  A pattern that matches
 * nothing is kept as it is, to be named where applications were looked
 * for.
 */
static void push_lib_dir(struct project *p, const char *entry)
{
	char *path = entry[0] == '/' ? xstrdup(entry) :
		     path_join(p->proj.root, entry);
	glob_t g;

	if (!strpbrk(path, "*?[")) {
		strvec_push(&p->dirs, path);
	} else {
		if (glob(path, 0, NULL, &g) == 0)
			for (size_t i = 0; i < g.gl_pathc; i++)
				strvec_push(&p->dirs, g.gl_pathv[i]);
		else
			strvec_push(&p->dirs, path);
		globfree(&g);
	}
	free(path);
}

/* The application directories, in the order a name is looked up. */
static void search_dirs(struct project *p)
{
	for (size_t i = 0; i < p->proj.lib_dirs.nr; i++)
		strvec_push(&p->dirs, p->proj.lib_dirs.v[i]);
	for (size_t i = 0; i < p->plan.lib_dirs.nr; i++)
		push_lib_dir(p, p->plan.lib_dirs.v[i]);
	if (p->rt.elixir_lib)
		strvec_push(&p->dirs, p->rt.elixir_lib);
	strvec_pushf(&p->dirs, "%s/lib", p->rt.otp_root);
}

int project_open(struct project *p, const char *config, const char *release,
		 const char *env, struct rb_error *err)
{
	char cwd[PATH_MAX];

	memset(p, 0, sizeof(*p));
	rb_app_index_init(&p->index);
	if (!getcwd(cwd, sizeof(cwd)))
		return rb_fail_errno(err, "cannot read the current directory");
	if (rb_config_load(&p->cfg, config, err) < 0 ||
	    rb_config_resolve(&p->cfg, release, env, &p->plan, err) < 0 ||
	    rb_project_detect(&p->proj, cwd, p->plan.env, err) < 0 ||
	    rb_runtime_find(&p->rt, p->plan.erts_path,
			    p->proj.kind == RB_PROJECT_MIX, err) < 0)
		return -1;
	if (!rb_project_compiled(&p->proj, p->plan.env, err))
		return -1;
	search_dirs(p);
	return rb_apps_discover(&p->index, &p->dirs, err);
}

void project_release(struct project *p)
{
	strvec_clear(&p->dirs);
	rb_app_index_release(&p->index);
	rb_runtime_release(&p->rt);
	rb_project_release(&p->proj);
	rb_plan_release(&p->plan);
	rb_config_release(&p->cfg);
}

const char *project_version(const struct project *p,
			    const struct rb_app_list *apps, const char *config,
			    struct rb_error *err)
{
	const char *from = p->plan.version_from_app;
	const struct rb_app *app;

	if (p->plan.version)
		return p->plan.version;
	app = apps ? rb_app_list_find(apps, from) : rb_app_index_find(&p->index, from);
	if (!app)
		rb_error(err, RB_ECONFIG,
			 "%s: version: application '%s' is not in release '%s'",
			 config, from, p->plan.release);
	return app ? app->vsn : NULL;
}
