/*
 * Shared by the commands that work on a compiled project: where its
 * applications are looked up, and where its release goes.
 */
#include "cmd_project.h"

#include <stdlib.h>

void project_search_dirs(struct strvec *dirs, const struct rb_project *proj,
			 const struct rb_plan *plan,
			 const struct rb_runtime *rt)
{
	strvec_push(dirs, proj->build_lib);
	for (size_t i = 0; i < plan->lib_dirs.nr; i++) {
		if (plan->lib_dirs.v[i][0] == '/')
			strvec_push(dirs, plan->lib_dirs.v[i]);
		else
			strvec_pushf(dirs, "%s/%s", proj->root, plan->lib_dirs.v[i]);
	}
	if (rt->elixir_lib)
		strvec_push(dirs, rt->elixir_lib);
	strvec_pushf(dirs, "%s/lib", rt->otp_root);
}
