#ifndef RB_RUNTIME_H
#define RB_RUNTIME_H

#include "error.h"

/* Where the Erlang runtime (and Elixir, for mix projects) lives. */
struct rb_runtime {
	char *otp_root;    /* /usr/lib/erlang: has lib/ and erts-<vsn>/ */
	char *erts_vsn;    /* "13.1.5" */
	char *otp_release; /* "25", from releases/<n>/ */
	char *erl;         /* the erl used to run systools at build time */
	char *elixir_lib;  /* /usr/lib/elixir/lib, or NULL */
};

/*
 * Find the OTP root: otp_root when given (include_erts: PATH), else the
 * root of the first erl on PATH.  With want_elixir, also find Elixir's
 * lib directory from the elixir on PATH.  rt must be released with
 * rb_runtime_release() either way.
 */
int rb_runtime_find(struct rb_runtime *rt, const char *otp_root,
		    int want_elixir, struct rb_error *err);
void rb_runtime_release(struct rb_runtime *rt);

#endif
