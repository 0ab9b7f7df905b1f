#ifndef RB_CMD_PROJECT_H
#define RB_CMD_PROJECT_H

#include "apps.h"
#include "assemble.h"
#include "config.h"
#include "runtime.h"
#include "util.h"

/*
 * What the commands that work on a compiled project (build, appup)
 * share: the configuration read and resolved, the project and its
 * runtime found, its applications discovered.
 */
struct project {
	struct rb_config cfg;
	struct rb_plan plan;
	struct rb_project proj;
	struct rb_runtime rt;
	struct rb_app_index index;
	struct strvec dirs; /* where applications are looked up, in order */
};

/*
 * Open the project in the current directory with the configuration
 * file config, for release and env (NULL: the defaults).  p must be
 * released with project_release() either way.
 */
int project_open(struct project *p, const char *config, const char *release,
		 const char *env, struct rb_error *err);
void project_release(struct project *p);

/*
 * The release's version: configured, or the vsn of its from_app, looked
 * up in apps (the release's closure) or, when NULL, among all discovered.
 */
const char *project_version(const struct project *p,
			    const struct rb_app_list *apps, const char *config,
			    struct rb_error *err);

#endif
