#ifndef RB_BOOT_H
#define RB_BOOT_H

#include "error.h"

#include "util.h"

/*
 * Boot scripts (and the relup) come from the runtime's own systools, so
 * they are exactly what systools makes for the .rel: relbuild runs erl
 * once per build, twice with --upgrade.  The VM for the boot scripts is
 * started as soon as the build knows its runtime (rb_boot_start()): it
 * boots and compiles the control script's helper (or takes it from the
 * cache, $XDG_CACHE_HOME/relbuild, where the same source compiled by
 * the same compiler went before) while the release is checked and
 * copied, gets its job once lib/ and the .rel files are there
 * (rb_boot_send()), and does it while the rest is copied.
 */
struct rb_boot_job {
	const char *rel_dir;  /* releases/<vsn>: holds <name>.rel, start_clean.rel */
	const char *rel_name; /* <name>: <name>.rel gives start.boot */
	const char *lib_dir;  /* the release's lib/, named $RELEASE_LIB in scripts */
	const char *ctl_dir;  /* where the compiled relbuild_ctl.beam goes */
};

/* The VM, waiting for its job. */
struct rb_boot_vm {
	struct rb_child child;
	char *tmp; /* a directory holding the helper's source */
	struct rb_boot_job job; /* once sent: borrowed strings */
};

/* Start erl on the helper's source, to wait for a job. */
int rb_boot_start(struct rb_boot_vm *vm, const char *erl, struct rb_error *err);

/*
 * Give the VM its job: start.{script,boot} from <name>.rel and
 * start_clean.{script,boot} from start_clean.rel, with every path under
 * lib_dir written as $RELEASE_LIB, and relbuild_ctl.beam.  The job's
 * strings must live until rb_boot_wait(), which reports any failure,
 * a VM that died before it got the job included.
 */
void rb_boot_send(struct rb_boot_vm *vm, const struct rb_boot_job *job);

/*
 * Wait for the job to be done, and make what it wrote 0644.  systools'
 * or the compiler's own message is the error on failure.  vm is done
 * with either way.
 */
int rb_boot_wait(struct rb_boot_vm *vm, struct rb_error *err);

/* A VM never given a job: stopped and cleaned up.  Idempotent. */
void rb_boot_abort(struct rb_boot_vm *vm);

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
