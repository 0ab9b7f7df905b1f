#ifndef RB_MIXCONFIG_H
#define RB_MIXCONFIG_H

#include "error.h"

/* A mix project's build-time configuration, relative to its root. */
#define RB_MIX_CONFIG "config/config.exs"
#define RB_MIX_RUNTIME_CONFIG "config/runtime.exs"

/* Whether the project at root has config/config.exs. */
int rb_mixconfig_exists(const char *root);

/*
 * Write dst, a sys.config made as mix release makes it: config/config.exs
 * evaluated by the elixir on PATH with Config.Reader for env (target
 * :host), deep-merged per application and key over base (a sys.config
 * relative to root, or NULL for none).  ${VAR} placeholders of base are
 * kept as written.  The same input gives the same bytes.
 */
int rb_mixconfig_write(const char *root, const char *env, const char *base,
		       const char *dst, struct rb_error *err);

#endif
