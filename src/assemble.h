#ifndef RB_ASSEMBLE_H
#define RB_ASSEMBLE_H

#include "config.h"
#include "error.h"
#include "runtime.h"

struct rb_app_list;

/* What kind of project relbuild runs in. */
enum rb_project_kind {
	RB_PROJECT_MIX,    /* mix.exs */
	RB_PROJECT_REBAR3, /* rebar.config */
};

struct rb_project {
	char *root;         /* absolute project directory */
	enum rb_project_kind kind;
	char *build_lib;    /* _build/<env>/lib (or rebar3's default profile) */
};

/* Look at dir (absolute) and find its kind and build directory for env. */
int rb_project_detect(struct rb_project *p, const char *dir, const char *env,
		      struct rb_error *err);
void rb_project_release(struct rb_project *p);
/* The command that compiles the project, for error messages. */
const char *rb_project_compile_hint(const struct rb_project *p,
				    const char *env);

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
