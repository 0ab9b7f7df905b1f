#ifndef RB_PROJECT_H
#define RB_PROJECT_H

#include "error.h"
#include "util.h"

/*
 * What kind of project relbuild runs in, and where its compiled
 * applications are.  The kind is decided by the files at the root, in
 * this order: mix.exs; rebar.config; erlang.mk (the file, or a Makefile
 * that includes it); otherwise a plain directory whose applications all
 * come from the config's lib_dirs (and the runtime).
 */
enum rb_project_kind {
	RB_PROJECT_MIX,       /* mix.exs (an umbrella too, see umbrella) */
	RB_PROJECT_REBAR3,    /* rebar.config */
	RB_PROJECT_ERLANG_MK, /* erlang.mk: ebin/<app>.app at the root, deps/ */
	RB_PROJECT_PLAIN,     /* none of these: only rel/config.yml */
};

struct rb_project {
	char *root;          /* absolute project directory */
	enum rb_project_kind kind;
	int umbrella;        /* a mix umbrella (apps_path: in mix.exs) */
	/* mix and rebar3: _build/<env>/lib (or rebar3's default profile),
	 * which must exist; erlang.mk: deps/; plain: NULL */
	char *build_lib;
	/* Where the project's own applications are looked up, in order:
	 * build_lib for mix and rebar3; the root itself (an application
	 * directory), apps/ and deps/ for erlang.mk; nothing for plain. */
	struct strvec lib_dirs;
};

/* Look at dir (absolute) and find its kind and build directories for env. */
int rb_project_detect(struct rb_project *p, const char *dir, const char *env,
		      struct rb_error *err);
void rb_project_release(struct rb_project *p);

/*
 * The first keyword "key:" of a mix.exs text at or after from (NULL: its
 * start) that stands outside comments, strings and charlists and is not
 * the end of a longer key (app: is not my_app: nor ::app:), or NULL.
 * Returns where the keyword starts.
 */
const char *rb_mix_keyword(const char *text, const char *from, const char *key);

/* "mix", "rebar3", "erlang.mk" or "plain". */
const char *rb_project_kind_name(enum rb_project_kind kind);

/* The command that compiles the project, for messages; NULL for plain. */
const char *rb_project_compile_hint(const struct rb_project *p,
				    const char *env);

/*
 * Whether the project has been compiled: its build directory exists
 * (mix, rebar3) or ebin/ holds its .app (erlang.mk).  A plain project
 * always has.  On 0, err says what is missing and how to make it.
 */
int rb_project_compiled(const struct rb_project *p, const char *env,
			struct rb_error *err);

#endif
