#ifndef RB_CMD_PROJECT_H
#define RB_CMD_PROJECT_H

#include "assemble.h"
#include "config.h"
#include "runtime.h"
#include "util.h"

/* What the commands that work on a compiled project (build, appup) share. */

/* The application directories, in the order a name is looked up. */
void project_search_dirs(struct strvec *dirs, const struct rb_project *proj,
			 const struct rb_plan *plan,
			 const struct rb_runtime *rt);

#endif
