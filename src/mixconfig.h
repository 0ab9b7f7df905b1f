#ifndef RB_MIXCONFIG_H
#define RB_MIXCONFIG_H

#include "error.h"
#include "util.h"

/* A mix project's build-time configuration, relative to its root. */
#define RB_MIX_CONFIG "config/config.exs"
#define RB_MIX_RUNTIME_CONFIG "config/runtime.exs"

/* Whether the project at root has config/config.exs. */
int rb_mixconfig_exists(const char *root);

/*
 * A sys.config made as mix release makes it: config/config.exs evaluated
 * by the elixir on PATH with Config.Reader for env (target :host),
 * deep-merged per application and key over base (a sys.config relative
 * to root, or NULL for none).  ${VAR} placeholders of base are kept as
 * written.  The same input gives the same bytes.  Started early
 * (rb_mixconfig_start()), so that elixir runs while the release is
 * copied; written into place by rb_mixconfig_finish().
 */
struct rb_mixconfig_run {
	struct rb_child child;
	char *tmp; /* the directory elixir writes sys.config into */
};

int rb_mixconfig_start(struct rb_mixconfig_run *r, const char *root,
		       const char *env, const char *base, struct rb_error *err);

/* Wait for it, and write what it made to dst (0644).  r is done with. */
int rb_mixconfig_finish(struct rb_mixconfig_run *r, const char *dst,
			struct rb_error *err);

/* A run never finished: stopped and cleaned up.  Idempotent. */
void rb_mixconfig_abort(struct rb_mixconfig_run *r);

#endif
