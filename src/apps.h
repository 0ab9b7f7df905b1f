#ifndef RB_APPS_H
#define RB_APPS_H

#include <stddef.h>

#include "config.h"
#include "error.h"
#include "term.h"
#include "util.h"

/*
 * Application discovery and the dependency closure of a release.
 *
 * An application directory is a directory holding ebin/<name>.app; it
 * may be called "name-vsn" (OTP, rebar3 releases) or just "name" (mix's
 * _build, Debian's Elixir).  The name and version come from the .app
 * file, never from the directory name.
 *
 * Ownership: struct rb_app, struct rb_app_list and struct rb_app_index
 * own everything they point to; their _release() functions free it.
 * Pointers returned by the _find() functions belong to the list or index
 * and are valid until it changes or is released.
 */

struct rb_app {
	char *name;
	char *vsn;
	char *dir;          /* absolute path of the application directory */
	char *app_file;     /* <dir>/ebin/<name>.app */
	char *description;  /* "" when the .app has none */
	struct strvec applications;          /* started before this one */
	struct strvec included_applications;
	struct strvec optional_applications; /* skipped when missing */
	struct strvec modules;
	struct rb_term *term; /* the whole {application, Name, Props} term */
	enum rb_start_type type; /* in a closure: how the release starts it */
};

void rb_app_init(struct rb_app *app);
void rb_app_release(struct rb_app *app);
/* A deep copy into dst (which is overwritten, not released). */
void rb_app_copy(struct rb_app *dst, const struct rb_app *src);

/*
 * Read dir/ebin/<name>.app into app (after rb_app_init).  Errors name the
 * file, with line:col for syntax errors and bad values.  app must be
 * released either way.
 */
int rb_app_read(struct rb_app *app, const char *dir, const char *name,
		struct rb_error *err);

/* An array of applications, each owned by the list. */
struct rb_app_list {
	struct rb_app *v;
	size_t nr;
	size_t alloc;
};

void rb_app_list_init(struct rb_app_list *list);
void rb_app_list_release(struct rb_app_list *list);
/* The application called name, or NULL (also for a NULL name). */
const struct rb_app *rb_app_list_find(const struct rb_app_list *list,
				      const char *name);

/* Every application found in a set of lib directories. */
struct rb_app_index {
	struct rb_app_list apps;  /* one per name, sorted by name */
	struct strvec lib_dirs;   /* the directories searched, in order */
	/* Applications whose .app could not be read: the name (from the
	 * file name) and the error, reported only if the app is needed. */
	struct strvec bad_names;
	struct strvec bad_errors;
};

void rb_app_index_init(struct rb_app_index *idx);
void rb_app_index_release(struct rb_app_index *idx);
const struct rb_app *rb_app_index_find(const struct rb_app_index *idx,
				       const char *name);

/*
 * Find the applications in lib_dirs, earlier directories winning when a
 * name appears in several; within one directory the highest version
 * wins.  Directories that do not exist are skipped; symlinks are
 * followed.  A broken .app is not an error here (see bad_names).
 */
int rb_apps_discover(struct rb_app_index *idx, const struct strvec *lib_dirs,
		     struct rb_error *err);

/*
 * The applications a release needs: roots (the release's applications),
 * their applications, included_applications and (when present)
 * optional_applications, transitively, plus kernel and stdlib.  out gets
 * copies in .rel order: dependencies before dependents, kernel and
 * stdlib first, otherwise in the order of the config and the .app files.
 *
 * Start types, as mix release does: an explicit type in the config wins;
 * a root defaults to permanent; a dependency of a permanent, transient
 * or temporary application is permanent, of a load one load, of a none
 * one none; an included application is at most load; the strongest way
 * an application is reached wins.  kernel and stdlib are permanent, and
 * asking otherwise is an RB_ECONFIG error.
 *
 * A missing application is an error naming who needs it and where it
 * was looked for; for a missing root, compile_hint (a command such as
 * "mix compile", or NULL) is suggested.  Circular dependencies are an
 * error.  out must be released either way.
 */
int rb_apps_closure(const struct rb_app_index *idx,
		    const struct rb_app_ref *roots, size_t nr_roots,
		    const char *config, const char *compile_hint,
		    struct rb_app_list *out, struct rb_error *err);

/*
 * Compare two versions segment by segment ('.' and '-' separate them):
 * numbers numerically, other text by bytes, a number above text, and a
 * version above its own pre-releases ("1.0.0" > "1.0.0-rc.1").  Returns
 * <0, 0 or >0.
 */
int rb_vsn_cmp(const char *a, const char *b);

#endif
