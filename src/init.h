#ifndef RB_INIT_H
#define RB_INIT_H

#include "assemble.h"
#include "error.h"

/*
 * What `relbuild init` needs to write the reference configuration (rel/
 * of relbuild's source, embedded as the "rel/..." templates) into a
 * project: the project's application name, and the reference with its
 * placeholder names replaced.
 */

/*
 * The application name in a mix.exs: the atom after the first "app:"
 * keyword outside comments and strings ("app: :shop" -> "shop").  NULL
 * when there is none; the caller frees the result.
 */
char *rb_mix_app_name(const char *text);

/*
 * The Elixir module prefix of a mix.exs ("defmodule Shop.MixProject" ->
 * "Shop"), or NULL; the caller frees the result.
 */
char *rb_mix_module(const char *text);

/*
 * The applications a project is about, in out (sorted by name for
 * several): for mix, app: in mix.exs, or for an umbrella (apps_path:)
 * the app: of each apps/<dir>/mix.exs; for rebar3, the name in its only
 * src/<app>.app.src, or those of apps/<dir>/src/ (a rebar3 umbrella);
 * for erlang.mk, ebin/<app>.app or PROJECT in the Makefile.  Fails,
 * saying why, when there is none.
 */
int rb_project_apps(const struct rb_project *p, struct strvec *out,
		    struct rb_error *err);

/* What the reference's placeholders become. */
struct rb_init_names {
	const char *release;      /* the release name */
	const char *const *apps;  /* the release's applications, at least one */
	size_t nr_apps;
	const char *module;       /* "MyApp" becomes this (Elixir), or NULL */
};

/*
 * A reference file with its placeholders replaced: "myapp" where an
 * application is meant (a list item "- myapp", which becomes one item a
 * application, "from_app: myapp", "[myapp", "{myapp") becomes the first
 * application, any other "myapp" the release, "MYAPP" (environment
 * variables) the release name in upper case with '-' as '_', and
 * "MyApp" the module prefix.  The caller frees the result.
 */
char *rb_init_render(const char *text, const struct rb_init_names *n);

#endif
