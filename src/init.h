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
 * The application a project is about: for mix, app: in mix.exs; for
 * rebar3, the name in its only src/<app>.app.src.  *out is the caller's
 * to free.  Fails, saying why, when the name cannot be found.
 */
int rb_project_app_name(const struct rb_project *p, char **out,
			struct rb_error *err);

/*
 * A reference file with its placeholders replaced: "myapp" where an
 * application is meant (a list item "- myapp", "from_app: myapp",
 * "[myapp", "{myapp") becomes app, any other "myapp" becomes release,
 * and "MYAPP" (environment variables) the release name in upper case
 * with '-' as '_'.  The caller frees the result.
 */
char *rb_init_render(const char *text, const char *release, const char *app);

#endif
