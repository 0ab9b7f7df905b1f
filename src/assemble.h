#ifndef RB_ASSEMBLE_H
#define RB_ASSEMBLE_H

#include "config.h"
#include "error.h"
#include "project.h"
#include "runtime.h"

struct rb_app_list;

/* An assembled release directory. */
struct rb_assembly {
	char *root;     /* <output_dir>/<name> */
	char *rel_dir;  /* <root>/releases/<vsn> */
	char *name;
	char *vsn;
	char *erts_vsn;
	int sys_config_from_mix; /* sys.config made from config/config.exs */
	int runtime_config; /* config/runtime.exs shipped, read at every boot */
};

/* <output_dir>/<name>, where rb_assemble() lays the release out; caller frees. */
char *rb_release_root(const struct rb_plan *plan, const struct rb_project *proj);

/*
 * Lay the release out under <output_dir>/<name>: apps, runtime, boot
 * files, control script, configuration, hooks, commands and overlays.
 * Other versions' releases/<vsn>/ directories are kept; everything else
 * is made anew.  out must be released with rb_assembly_release().
 */
int rb_assemble(const struct rb_plan *plan, const struct rb_project *proj,
		const struct rb_runtime *rt, const struct rb_app_list *apps,
		struct rb_assembly *out, struct rb_error *err);
void rb_assembly_release(struct rb_assembly *a);

/*
 * Replace each @KEY@ of text whose KEY is in keys[] (a NULL-ended list
 * of key, value pairs); other text is copied as is.
 */
char *rb_render(const char *text, const char *const *keys);

#endif
