#ifndef RB_XREF_H
#define RB_XREF_H

#include <stddef.h>

#include "apps.h"
#include "error.h"
#include "util.h"

/*
 * Calls into applications a release does not have: relx's
 * check_for_undefined_functions, at the level of modules.  The remote
 * calls M:F/A in the import tables (ImpT) of an application's .beam
 * files are looked up among the modules the release provides; a module
 * that nothing in the release provides is a finding (the node would
 * crash with `undef` when the call is made).  Whether M exports F/A is
 * not checked.
 *
 * Checked: every application of the release except the runtime's own —
 * OTP's (listed in <otp_root>/releases/<otp_release>/
 * installed_application_versions) and Elixir's (under elixir_lib) —
 * which call optional parts of OTP by design.  Third-party applications
 * are checked wherever they are, also in <otp_root>/lib, where Debian
 * installs its p1_* (and in /usr/lib/yaws-*, its yaws).
 *
 * Provided: each release application's modules (its .app `modules` and
 * its ebin/ *.beam), the beams in an application's consolidated/
 * (Elixir's protocols, which the release ships), the runtime's preloaded
 * modules (erlang, init, prim_file, … and the erts application's
 * `modules`), and the modules the caller says the release generates.
 *
 * Not findings: a module's calls to itself; calls into the modules the
 * caller says to ignore; and a call from an application into a module
 * of one of its optional_applications that the release lacks (the
 * application copes by design): the module of a discovered optional
 * application, or, for one that is not installed at all, a module named
 * after it (optional jason: Elixir.Jason.Encoder).
 */

struct rb_xref_call {
	char *caller;   /* the calling module */
	char *function; /* "file/2" */
};

/* One calling application and one module the release lacks. */
struct rb_xref_finding {
	char *app;      /* the calling application */
	char *module;   /* the module it calls */
	char *provider; /* a discovered application that has the module, or NULL */
	struct rb_xref_call *calls; /* by caller, then function; no duplicates */
	size_t nr;
	size_t alloc;
};

/* What rb_xref_check() found; rb_xref_result_release() frees it all. */
struct rb_xref_result {
	struct rb_xref_finding *v; /* by application, then module */
	size_t nr;
	size_t alloc;
	struct strvec checked;    /* the applications checked, in release order */
	struct strvec unreadable; /* "path: why" for beams skipped (compressed, malformed) */
	size_t beams;             /* the beams read */
};

void rb_xref_result_init(struct rb_xref_result *res);
void rb_xref_result_release(struct rb_xref_result *res);

struct rb_xref_input {
	const struct rb_app_list *release; /* the release's applications */
	const struct rb_app_index *index;  /* every application discovered: who has a missing module */
	const char *otp_root;              /* the runtime's applications are not checked */
	const char *otp_release;           /* "25": releases/<n>/installed_application_versions */
	const char *elixir_lib;            /* Elixir's lib directory, or NULL */
	const char *const *generated;      /* modules the release adds; NULL-terminated, or NULL */
	const struct strvec *ignored;      /* modules not to report (no_warn_undefined), or NULL */
};

/*
 * The applications that ship with the OTP at otp_root, as "name-vsn"
 * into out (sorted): its releases/<otp_release>/installed_application_versions.
 * Returns 1 when read, 0 when the file does not exist (out left empty),
 * -1 on a read error.
 */
int rb_xref_otp_apps(const char *otp_root, const char *otp_release,
		     struct strvec *out, struct rb_error *err);

/*
 * Check the release (see above) into res, which the caller has
 * initialised and must release either way.  Beams that cannot be read
 * are skipped and listed in res->unreadable; an ebin/ that cannot be
 * listed is an error.  Without installed_application_versions, the
 * applications whose directory is in <otp_root>/lib count as OTP's.
 */
int rb_xref_check(const struct rb_xref_input *in, struct rb_xref_result *res,
		  struct rb_error *err);

#endif
