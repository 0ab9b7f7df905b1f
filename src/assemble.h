#ifndef RB_ASSEMBLE_H
#define RB_ASSEMBLE_H

#include "boot.h"
#include "config.h"
#include "error.h"
#include "progress.h"
#include "mixconfig.h"
#include "project.h"
#include "runtime.h"

struct rb_app_list;

/* An assembled release directory. */
struct rb_assembly {
	char *root;     /* where the release is: the stage until committed */
	char *rel_dir;  /* <root>/releases/<vsn> */
	char *final;    /* <output_dir>/<name> */
	int lock_fd;    /* <output_dir>, flock()ed while this build runs */
	char *name;
	char *vsn;
	char *erts_vsn;
	int sys_config_from_mix; /* sys.config made from config/config.exs */
	int runtime_config; /* config/runtime.exs shipped, read at every boot */
	struct rb_boot_vm boot; /* the VM making the boot scripts */
	int boot_started;
	struct rb_mixconfig_run mix; /* elixir making sys.config */
	int mix_started;
	/*
	 * Work for the time the boot scripts are being made, called once
	 * bin/, erts-* and lib/ are complete (the tarball's start); set
	 * before rb_assemble(), NULL for none.
	 */
	int (*meanwhile)(void *data, const struct rb_assembly *rel,
			 struct rb_error *err);
	void *meanwhile_data;
	/*
	 * NULL, or told of the applications copied (as "files"; no bytes),
	 * up to the runtime's copy; set before rb_assemble().
	 */
	const struct rb_progress *progress;
};

/*
 * Start the VMs the assembly will wait for, so that they boot while
 * the project is checked and copied: the one that makes the boot
 * scripts (rb_boot_start()) and, for a mix project with
 * config/config.exs, the elixir that makes sys.config from it
 * (rb_mixconfig_start()).  rb_assemble() starts them itself otherwise.
 * out must be zeroed ({ 0 }) first, and is released with
 * rb_assembly_release() either way.
 */
int rb_assembly_start(const struct rb_plan *plan, const struct rb_project *proj,
		      const struct rb_runtime *rt, struct rb_assembly *out,
		      struct rb_error *err);

/* <output_dir>/<name>, where rb_assemble() lays the release out; caller frees. */
char *rb_release_root(const struct rb_plan *plan, const struct rb_project *proj);

/*
 * Lay the release out: apps, runtime, boot files, control script,
 * configuration, hooks, commands and overlays.  It is made in a stage,
 * <output_dir>/.<name>.tmp-XXXXXX (out->root), which holds hard links
 * to the other versions' releases/<vsn>/ directories of the release
 * already at <output_dir>/<name>, and is removed if the process fails
 * or is interrupted (cleanup.h); rb_assembly_commit() puts it in place.
 * One build at a time per output directory: a second one fails with
 * "another relbuild is building in …".  out must be released with
 * rb_assembly_release() either way.
 */
int rb_assemble(const struct rb_plan *plan, const struct rb_project *proj,
		const struct rb_runtime *rt, const struct rb_app_list *apps,
		struct rb_assembly *out, struct rb_error *err);

/*
 * Swap the stage for <output_dir>/<name> in one rename (the old release
 * is removed after): a reader sees the old release or the new one,
 * never a mix.  out->root and out->rel_dir then name the final place.
 */
int rb_assembly_commit(struct rb_assembly *out, struct rb_error *err);

/* path, a path under out->root, as it will be once committed. */
char *rb_assembly_final_path(const struct rb_assembly *out, const char *path);
void rb_assembly_release(struct rb_assembly *a);

/*
 * Replace each @KEY@ of text whose KEY is in keys[] (a NULL-ended list
 * of key, value pairs); other text is copied as is.
 */
char *rb_render(const char *text, const char *const *keys);

#endif
