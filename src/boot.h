#ifndef RB_BOOT_H
#define RB_BOOT_H

#include "error.h"

/*
 * Boot scripts (and the relup) come from the runtime's own systools, so
 * they are exactly what systools makes for the .rel: relbuild runs erl
 * once per build, twice with --upgrade.
 */
struct rb_boot_job {
	const char *erl;      /* the erl to run */
	const char *rel_dir;  /* releases/<vsn>: holds <name>.rel, start_clean.rel */
	const char *rel_name; /* <name>: <name>.rel gives start.boot */
	const char *lib_dir;  /* the release's lib/, named $RELEASE_LIB in scripts */
	const char *ctl_src;  /* an .erl to compile (deterministic) beside itself, or NULL */
};

/*
 * Write start.{script,boot} from <name>.rel and start_clean.{script,boot}
 * from start_clean.rel, with every path under lib_dir written as
 * $RELEASE_LIB, then compile ctl_src.  systools' own message is the
 * error on failure.
 */
int rb_boot_make(const struct rb_boot_job *job, struct rb_error *err);

/* The relup from one earlier release to a new one, both laid out. */
struct rb_relup_job {
	const char *erl;         /* the erl to run */
	const char *rel;         /* the new release's .rel, without ".rel" */
	const char *old_rel;     /* the old release's .rel, without ".rel" */
	const char *lib_dir;     /* the new release's lib/ */
	const char *old_lib_dir; /* the old release's lib/ */
	const char *outdir;      /* where relup is written: releases/<vsn> */
};

/*
 * Write <outdir>/relup (mode 0644) with systools:make_relup/4: the
 * upgrade from old_rel and the downgrade back to it, from the appups of
 * the applications whose version changed.  systools' own message, on
 * one line, is the error on failure.
 */
int rb_relup_make(const struct rb_relup_job *job, struct rb_error *err);

#endif
