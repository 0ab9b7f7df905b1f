#include "apps.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* struct rb_app */

void rb_app_init(struct rb_app *app)
{
	memset(app, 0, sizeof(*app));
	app->type = RB_START_PERMANENT;
}

void rb_app_release(struct rb_app *app)
{
	free(app->name);
	free(app->vsn);
	free(app->dir);
	free(app->app_file);
	free(app->description);
	strvec_clear(&app->applications);
	strvec_clear(&app->included_applications);
	strvec_clear(&app->optional_applications);
	strvec_clear(&app->modules);
	rb_term_free(app->term);
	rb_app_init(app);
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static void copy_strvec(struct strvec *dst, const struct strvec *src)
{
	*dst = (struct strvec)STRVEC_INIT;
	for (size_t i = 0; i < src->nr; i++)
		strvec_push(dst, src->v[i]);
}

void rb_app_copy(struct rb_app *dst, const struct rb_app *src)
{
	dst->name = dup_or_null(src->name);
	dst->vsn = dup_or_null(src->vsn);
	dst->dir = dup_or_null(src->dir);
	dst->app_file = dup_or_null(src->app_file);
	dst->description = dup_or_null(src->description);
	copy_strvec(&dst->applications, &src->applications);
	copy_strvec(&dst->included_applications, &src->included_applications);
	copy_strvec(&dst->optional_applications, &src->optional_applications);
	copy_strvec(&dst->modules, &src->modules);
	dst->term = src->term ? rb_term_dup(src->term) : NULL;
	dst->type = src->type;
}

/* Reading a .app file */

static int bad_value(struct rb_error *err, const char *path,
		     const struct rb_term *at, const char *key,
		     const char *want)
{
	return rb_error_at(err, RB_EFAIL, path, at->line, at->col, "'%s' must be %s", key, want);
}

static int valid_vsn(const char *vsn, size_t len)
{
	if (len > 255 || strlen(vsn) != len || vsn[0] == '.')
		return 0;
	for (const unsigned char *p = (const unsigned char *)vsn; *p; p++)
		if (*p == '/' || *p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

/* An optional list of atoms under key; absent means empty. */
static int read_atoms(const char *path, const struct rb_term *props,
		      const char *key, struct strvec *out,
		      struct rb_error *err)
{
	const struct rb_term *v = rb_term_proplist_get(props, key);

	if (!v)
		return 0;
	if (rb_term_atoms(v, out) < 0)
		return bad_value(err, path, v, key, "a list of atoms");
	return 0;
}

int rb_app_read(struct rb_app *app, const char *dir, const char *name,
		struct rb_error *err)
{
	struct rb_terms terms = RB_TERMS_INIT;
	const struct rb_term *t, *props, *v;
	char *file = xasprintf("%s.app", name);
	char *path = NULL;
	int ret = -1;

	path = xasprintf("%s/ebin/%s", dir, file);
	if (rb_term_consult(&terms, path, err) < 0)
		goto out;
	if (terms.nr != 1) {
		rb_fail(err, "%s: expected one term {application, Name, [...]}, found %zu",
			path, terms.nr);
		goto out;
	}
	t = terms.v[0];
	if (t->type != RB_TERM_TUPLE || t->nr != 3 ||
	    !rb_term_is_atom(t->items[0], "application") ||
	    !rb_term_atom(t->items[1]) || t->items[2]->type != RB_TERM_LIST) {
		rb_error_at(err, RB_EFAIL, path, t->line, t->col, "not an application resource file (expected {application, Name, [...]})");
		goto out;
	}
	if (strcmp(rb_term_atom(t->items[1]), name)) {
		rb_error_at(err, RB_EFAIL, path, t->items[1]->line, t->items[1]->col, "defines application '%s', expected '%s'",
			rb_term_atom(t->items[1]), name);
		goto out;
	}
	props = t->items[2];
	v = rb_term_proplist_get(props, "vsn");
	if (!v) {
		rb_error_at(err, RB_EFAIL, path, t->line, t->col, "no {vsn, \"...\"} in application '%s'", name);
		goto out;
	}
	if (!rb_term_string(v) || !*rb_term_string(v)) {
		bad_value(err, path, v, "vsn", "a non-empty string");
		goto out;
	}
	/* It names lib/<name>-<vsn>/ and releases/<vsn>/: one path component. */
	if (!valid_vsn(rb_term_string(v), v->len)) {
		bad_value(err, path, v, "vsn",
			  "a version without '/', control characters or a leading '.', at most 255 bytes");
		goto out;
	}
	app->name = xstrdup(name);
	app->vsn = xstrdup(rb_term_string(v));
	app->dir = xstrdup(dir);
	app->app_file = path;
	path = NULL;
	v = rb_term_proplist_get(props, "description");
	if (v && !rb_term_string(v)) {
		bad_value(err, app->app_file, v, "description", "a string");
		goto out;
	}
	app->description = xstrdup(v ? rb_term_string(v) : "");
	if (read_atoms(app->app_file, props, "applications", &app->applications, err) < 0 ||
	    read_atoms(app->app_file, props, "included_applications",
		       &app->included_applications, err) < 0 ||
	    read_atoms(app->app_file, props, "optional_applications",
		       &app->optional_applications, err) < 0 ||
	    read_atoms(app->app_file, props, "modules", &app->modules, err) < 0)
		goto out;
	app->term = terms.v[0];
	terms.v[0] = NULL;
	ret = 0;
out:
	rb_terms_release(&terms);
	free(path);
	free(file);
	return ret;
}

/* struct rb_app_list */

void rb_app_list_init(struct rb_app_list *list)
{
	list->v = NULL;
	list->nr = list->alloc = 0;
}

void rb_app_list_release(struct rb_app_list *list)
{
	for (size_t i = 0; i < list->nr; i++)
		rb_app_release(&list->v[i]);
	free(list->v);
	rb_app_list_init(list);
}

/* Append a new, initialised element and return it. */
static struct rb_app *list_add(struct rb_app_list *list)
{
	ALLOC_GROW(list->v, list->nr + 1, list->alloc);
	rb_app_init(&list->v[list->nr]);
	return &list->v[list->nr++];
}

static long list_index(const struct rb_app_list *list, const char *name)
{
	if (!name)
		return -1;
	for (size_t i = 0; i < list->nr; i++)
		if (!strcmp(list->v[i].name, name))
			return (long)i;
	return -1;
}

const struct rb_app *rb_app_list_find(const struct rb_app_list *list,
				      const char *name)
{
	long i = list_index(list, name);

	return i < 0 ? NULL : &list->v[i];
}

/* struct rb_app_index */

void rb_app_index_init(struct rb_app_index *idx)
{
	rb_app_list_init(&idx->apps);
	idx->lib_dirs = (struct strvec)STRVEC_INIT;
	idx->bad_names = (struct strvec)STRVEC_INIT;
	idx->bad_errors = (struct strvec)STRVEC_INIT;
}

void rb_app_index_release(struct rb_app_index *idx)
{
	rb_app_list_release(&idx->apps);
	strvec_clear(&idx->lib_dirs);
	strvec_clear(&idx->bad_names);
	strvec_clear(&idx->bad_errors);
}

static long index_pos(const struct rb_app_index *idx, const char *name)
{
	size_t lo = 0, hi = idx->apps.nr;

	if (!name)
		return -1;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(idx->apps.v[mid].name, name);

		if (!c)
			return (long)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

const struct rb_app *rb_app_index_find(const struct rb_app_index *idx,
				       const char *name)
{
	long i = index_pos(idx, name);

	return i < 0 ? NULL : &idx->apps.v[i];
}

/* Versions */

static int is_sep(char c)
{
	return c == '.' || c == '-';
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Compare the digit runs a[0..la) and b[0..lb) as numbers. */
static int cmp_num(const char *a, size_t la, const char *b, size_t lb)
{
	int c;

	while (la > 1 && *a == '0')
		a++, la--;
	while (lb > 1 && *b == '0')
		b++, lb--;
	if (la != lb)
		return la < lb ? -1 : 1;
	c = memcmp(a, b, la);
	return c < 0 ? -1 : c > 0;
}

static int cmp_bytes(const char *a, size_t la, const char *b, size_t lb)
{
	int c = memcmp(a, b, la < lb ? la : lb);

	if (c)
		return c < 0 ? -1 : 1;
	return la == lb ? 0 : la < lb ? -1 : 1;
}

static int cmp_segment(const char *a, size_t la, const char *b, size_t lb)
{
	size_t da = 0, db = 0;
	int c;

	while (da < la && is_digit(a[da]))
		da++;
	while (db < lb && is_digit(b[db]))
		db++;
	if (da && db) {
		c = cmp_num(a, da, b, db);
		if (c)
			return c;
		/* "3" above "3rc1", as a release is above its candidates. */
		if ((da == la) != (db == lb))
			return da == la ? 1 : -1;
		return cmp_bytes(a + da, la - da, b + db, lb - db);
	}
	if (da || db)
		return da ? 1 : -1;
	return cmp_bytes(a, la, b, lb);
}

/*
 * One version ran out and the other has rest left: more numbers make a
 * later version (1.0.1 > 1.0), text a pre-release (1.0-rc < 1.0).
 */
static int cmp_rest(const char *rest, int a_longer)
{
	int longer_wins;

	if (is_sep(*rest))
		rest++;
	longer_wins = is_digit(*rest);
	return (a_longer ? 1 : -1) * (longer_wins ? 1 : -1);
}

int rb_vsn_cmp(const char *a, const char *b)
{
	for (;;) {
		size_t la, lb;
		int c;

		if (!*a || !*b)
			return !*a && !*b ? 0 : cmp_rest(*a ? a : b, !!*a);
		la = strcspn(a, ".-");
		lb = strcspn(b, ".-");
		c = cmp_segment(a, la, b, lb);
		if (c)
			return c;
		a += la;
		b += lb;
		if (!*a || !*b)
			continue;
		a++;
		b++;
	}
}

/* Discovery */

/*
 * The name of the application in dir: ebin/<entry>.app, or with the
 * "-vsn" suffix taken off the entry's name, or the only .app in ebin/.
 * NULL when there is none.
 */
static char *find_app_name(const char *dir, const char *entry)
{
	struct strvec files = STRVEC_INIT;
	char *ebin = path_join(dir, "ebin"), *name = xstrdup(entry), *dash;
	char *found = NULL;

	if (!is_dir(ebin))
		goto out;
	for (;;) {
		char *f = xasprintf("%s/%s.app", ebin, name);
		int ok = is_file(f);

		free(f);
		if (ok) {
			found = xstrdup(name);
			goto out;
		}
		dash = strrchr(name, '-');
		if (!dash || dash == name)
			break;
		*dash = '\0';
	}
	if (list_dir(ebin, &files, NULL) == 0) {
		char *only = NULL;
		int n = 0;

		for (size_t i = 0; i < files.nr; i++) {
			if (has_suffix(files.v[i], ".app") &&
			    strlen(files.v[i]) > 4) {
				only = files.v[i];
				n++;
			}
		}
		if (n == 1)
			found = xstrndup(only, strlen(only) - 4);
	}
out:
	strvec_clear(&files);
	free(ebin);
	free(name);
	return found;
}

static int is_bad(const struct rb_app_index *idx, const char *name)
{
	return strvec_contains(&idx->bad_names, name);
}

static int cmp_app_name(const void *a, const void *b)
{
	return strcmp(((const struct rb_app *)a)->name,
		      ((const struct rb_app *)b)->name);
}

/*
 * path made absolute without resolving symlinks, so that an app's dir
 * starts with the lib directory the caller gave.
 */
static char *absolute(const char *path)
{
	char cwd[PATH_MAX];
	size_t n = strlen(path);

	while (n > 1 && path[n - 1] == '/')
		n--;
	if (path[0] == '/' || !getcwd(cwd, sizeof(cwd)))
		return xstrndup(path, n);
	while (n >= 2 && path[0] == '.' && path[1] == '/') {
		path += 2;
		n -= 2;
	}
	if (n == 1 && path[0] == '.')
		return xstrdup(cwd);
	return xasprintf("%s/%.*s", cwd, (int)n, path);
}

/*
 * The application in dir, called name, added to found (the highest
 * version wins, but two versions in one directory are remembered in
 * twins: name, then the message); an unreadable .app is remembered in
 * bad_names.
 */
static void add_app(const char *dir, const char *name,
		    struct rb_app_list *found, struct strvec *bad_names,
		    struct strvec *bad_errors, struct strvec *twins)
{
	struct rb_app app;
	struct rb_error app_err = { 0 };
	long at;

	rb_app_init(&app);
	if (rb_app_read(&app, dir, name, &app_err) < 0) {
		rb_app_release(&app);
		if (!strvec_contains(bad_names, name)) {
			strvec_push(bad_names, name);
			strvec_push(bad_errors, app_err.msg);
		}
		return;
	}
	at = list_index(found, name);
	if (at >= 0 && !strvec_contains(twins, name)) {
		/* which one the release would get depends on a guess */
		strvec_push(twins, name);
		strvec_pushf(twins, "%s and %s: two versions of application '%s' (%s, %s) in one directory; keep one",
			     found->v[at].dir, dir, name, found->v[at].vsn, app.vsn);
	}
	if (at < 0) {
		*list_add(found) = app;
	} else if (rb_vsn_cmp(app.vsn, found->v[at].vsn) > 0) {
		rb_app_release(&found->v[at]);
		found->v[at] = app;
	} else {
		rb_app_release(&app);
	}
}

/*
 * The applications of one lib directory, appended to found.  A lib
 * directory that is itself an application directory (an erlang.mk
 * project's root, a lib_dirs entry such as /usr/lib/yaws-2.1.1) is that
 * one application.
 */
static int scan_lib_dir(const char *lib, struct rb_app_list *found,
			struct strvec *bad_names, struct strvec *bad_errors,
			struct strvec *twins, struct rb_error *err)
{
	struct strvec entries = STRVEC_INIT;
	char *abs = NULL, *name;
	int ret = -1;

	if (!is_dir(lib))
		return 0;
	abs = absolute(lib);
	name = find_app_name(abs, strrchr(abs, '/') ? strrchr(abs, '/') + 1 : abs);
	if (name) {
		add_app(abs, name, found, bad_names, bad_errors, twins);
		free(name);
		ret = 0;
		goto out;
	}
	if (list_dir(lib, &entries, err) < 0)
		goto out;
	for (size_t i = 0; i < entries.nr; i++) {
		char *dir = path_join(abs, entries.v[i]);

		if (entries.v[i][0] != '.' && is_dir(dir) &&
		    (name = find_app_name(dir, entries.v[i]))) {
			add_app(dir, name, found, bad_names, bad_errors, twins);
			free(name);
		}
		free(dir);
	}
	ret = 0;
out:
	free(abs);
	strvec_clear(&entries);
	return ret;
}

int rb_apps_discover(struct rb_app_index *idx, const struct strvec *lib_dirs,
		     struct rb_error *err)
{
	for (size_t d = 0; d < lib_dirs->nr; d++) {
		struct rb_app_list found;
		struct strvec bad_names = STRVEC_INIT, bad_errors = STRVEC_INIT;
		struct strvec twins = STRVEC_INIT;
		size_t before = idx->apps.nr;

		strvec_push(&idx->lib_dirs, lib_dirs->v[d]);
		rb_app_list_init(&found);
		if (scan_lib_dir(lib_dirs->v[d], &found, &bad_names, &bad_errors,
				 &twins, err) < 0) {
			rb_app_list_release(&found);
			strvec_clear(&bad_names);
			strvec_clear(&bad_errors);
			strvec_clear(&twins);
			return -1;
		}
		/* Twins of a name no earlier directory has: an error if needed. */
		for (size_t i = 0; i + 1 < twins.nr; i += 2) {
			if (list_index(&idx->apps, twins.v[i]) >= 0 ||
			    is_bad(idx, twins.v[i]))
				continue;
			strvec_push(&idx->bad_names, twins.v[i]);
			strvec_push(&idx->bad_errors, twins.v[i + 1]);
		}
		/* Earlier directories win, also over their broken apps. */
		for (size_t i = 0; i < found.nr; i++) {
			struct rb_app *app = &found.v[i];

			if (list_index(&idx->apps, app->name) >= 0 ||
			    is_bad(idx, app->name)) {
				rb_app_release(app);
				continue;
			}
			*list_add(&idx->apps) = *app;
		}
		/* A broken .app only matters when nothing else has the name. */
		for (size_t i = 0; i < bad_names.nr; i++) {
			if (list_index(&idx->apps, bad_names.v[i]) >= 0 ||
			    is_bad(idx, bad_names.v[i]))
				continue;
			strvec_push(&idx->bad_names, bad_names.v[i]);
			strvec_push(&idx->bad_errors, bad_errors.v[i]);
		}
		free(found.v);
		strvec_clear(&bad_names);
		strvec_clear(&bad_errors);
		strvec_clear(&twins);
		if (idx->apps.nr != before)
			qsort(idx->apps.v, idx->apps.nr, sizeof(*idx->apps.v),
			      cmp_app_name);
	}
	return 0;
}

/* The closure */

enum { UNSEEN, VISITING, DONE };

struct closure {
	const struct rb_app_index *idx;
	const char *config;  /* the file the roots' line:col are in */
	int *state;          /* per index entry */
	int *explicit_type;  /* per index entry: -1 or enum rb_start_type */
	int *is_root;
	size_t *order;       /* index positions, dependencies first */
	size_t nr_order;
	struct strvec stack; /* names being visited, for cycle messages */
	const char *hint;
	struct rb_error *err;
};

static void searched(struct strbuf *sb, const struct rb_app_index *idx)
{
	for (size_t i = 0; i < idx->lib_dirs.nr; i++)
		sb_addf(sb, "%s%s", i ? ", " : "", idx->lib_dirs.v[i]);
	if (!idx->lib_dirs.nr)
		sb_adds(sb, "no directories");
}

/*
 * Where dep is named in app's .app ("FILE:LINE:COL: "), in its
 * applications, included_applications or optional_applications.
 */
static void dep_where(struct strbuf *sb, const struct rb_app *app,
		      const char *dep)
{
	static const char *const keys[] = {
		"applications", "included_applications", "optional_applications",
		NULL,
	};
	const struct rb_term *props;

	if (!app->term || app->term->nr != 3)
		return;
	props = app->term->items[2];
	for (const char *const *k = keys; *k; k++) {
		const struct rb_term *list = rb_term_proplist_get(props, *k);

		for (size_t i = 0; list && list->type == RB_TERM_LIST &&
				   i < list->nr; i++) {
			if (rb_term_is_atom(list->items[i], dep)) {
				sb_addf(sb, "%s:%d:%d: ", app->app_file,
					list->items[i]->line, list->items[i]->col);
				return;
			}
		}
	}
	sb_addf(sb, "%s: ", app->app_file);
}

/* "CONFIG:LINE:COL: " for a root the config names, or nothing. */
static void root_where(struct strbuf *sb, const struct closure *c,
		       const struct rb_app_ref *ref)
{
	if (c->config && ref && ref->line)
		sb_addf(sb, "%s:%d:%d: ", c->config, ref->line, ref->col);
}

/*
 * name is nowhere (needed by needer, or a root named by ref).  A
 * directory of that name without its .app is named: "a compiled
 * application has ebin/<name>.app".
 */
static int missing(struct closure *c, const char *name,
		   const struct rb_app *needer, const struct rb_app_ref *ref)
{
	struct strbuf sb = STRBUF_INIT, dirs = STRBUF_INIT;
	int ret;

	for (size_t i = 0; i < c->idx->bad_names.nr; i++)
		if (!strcmp(c->idx->bad_names.v[i], name))
			return rb_fail(c->err, "%s", c->idx->bad_errors.v[i]);
	for (size_t i = 0; i < c->idx->lib_dirs.nr; i++) {
		char *dir = path_join(c->idx->lib_dirs.v[i], name);

		if (is_dir(dir)) {
			ret = rb_fail(c->err, "%s/ebin/%s.app: no such file: the directory of application '%s' holds no compiled .app",
				      dir, name, name);
			free(dir);
			return ret;
		}
		free(dir);
	}
	searched(&dirs, c->idx);
	if (needer)
		dep_where(&sb, needer, name);
	else
		root_where(&sb, c, ref);
	if (needer)
		ret = rb_fail(c->err, "%sapplication '%s' needed by '%s' was not found (searched: %s)",
			      sb_str(&sb), name, needer->name, sb_str(&dirs));
	else if (c->hint)
		ret = rb_fail(c->err, "%sapplication '%s' was not found (searched: %s); has the project been compiled? run '%s'",
			      sb_str(&sb), name, sb_str(&dirs), c->hint);
	else
		ret = rb_fail(c->err, "%sapplication '%s' was not found (searched: %s)",
			      sb_str(&sb), name, sb_str(&dirs));
	sb_release(&sb);
	sb_release(&dirs);
	return ret;
}

/* needer: the app whose .app names name; ref: the root's config entry */
static int visit(struct closure *c, const char *name,
		 const struct rb_app *needer, const struct rb_app_ref *ref,
		 int optional)
{
	long at = index_pos(c->idx, name);
	const struct rb_app *app;
	const struct strvec *lists[3];

	if (at < 0) {
		if (optional && !is_bad(c->idx, name))
			return 0;
		return missing(c, name, needer, ref);
	}
	if (c->state[at] == DONE)
		return 0;
	if (c->state[at] == VISITING) {
		struct strbuf sb = STRBUF_INIT;
		size_t from = 0;

		/* named where the edge that closes the circle is */
		if (needer)
			dep_where(&sb, needer, name);
		for (size_t i = 0; i < c->stack.nr; i++)
			if (!strcmp(c->stack.v[i], name))
				from = i;
		sb_adds(&sb, "circular dependency between applications: ");
		for (size_t i = from; i < c->stack.nr; i++)
			sb_addf(&sb, "'%s' -> ", c->stack.v[i]);
		rb_fail(c->err, "%s'%s'", sb_str(&sb), name);
		sb_release(&sb);
		return -1;
	}
	app = &c->idx->apps.v[at];
	c->state[at] = VISITING;
	strvec_push(&c->stack, name);
	lists[0] = &app->applications;
	lists[1] = &app->included_applications;
	lists[2] = &app->optional_applications;
	for (size_t l = 0; l < 3; l++) {
		for (size_t i = 0; i < lists[l]->nr; i++) {
			const char *dep = lists[l]->v[i];
			int opt = strvec_contains(&app->optional_applications, dep);

			if (visit(c, dep, app, NULL, opt) < 0)
				return -1;
		}
	}
	free(c->stack.v[--c->stack.nr]);
	c->stack.v[c->stack.nr] = NULL;
	c->state[at] = DONE;
	c->order[c->nr_order++] = (size_t)at;
	return 0;
}

/* permanent 4 … none 0: the strongest way an app is reached wins. */
static int strength(enum rb_start_type t)
{
	switch (t) {
	case RB_START_PERMANENT: return 4;
	case RB_START_TRANSIENT: return 3;
	case RB_START_TEMPORARY: return 2;
	case RB_START_LOAD: return 1;
	case RB_START_NONE: return 0;
	}
	return 0;
}

/* What a dependency inherits from a parent of type t. */
static enum rb_start_type inherited(enum rb_start_type t, int included)
{
	enum rb_start_type child;

	if (t == RB_START_NONE)
		return RB_START_NONE;
	child = t == RB_START_LOAD ? RB_START_LOAD : RB_START_PERMANENT;
	if (included && child == RB_START_PERMANENT)
		child = RB_START_LOAD;
	return child;
}

static void raise_to(int *cur, enum rb_start_type t)
{
	if (*cur < 0 || strength(t) > strength((enum rb_start_type)*cur))
		*cur = (int)t;
}

/* Give every app in the order its start type; parents before children. */
static void start_types(struct closure *c, int *type)
{
	const struct rb_app_index *idx = c->idx;

	for (size_t i = 0; i < idx->apps.nr; i++) {
		type[i] = -1;
		if (c->is_root[i])
			type[i] = RB_START_PERMANENT;
	}
	for (size_t k = c->nr_order; k-- > 0;) {
		size_t at = c->order[k];
		const struct rb_app *app = &idx->apps.v[at];
		enum rb_start_type t;

		if (c->explicit_type[at] >= 0)
			type[at] = c->explicit_type[at];
		if (!strcmp(app->name, "kernel") || !strcmp(app->name, "stdlib"))
			type[at] = RB_START_PERMANENT;
		if (type[at] < 0)
			type[at] = RB_START_PERMANENT; /* not reached: roots set it */
		t = (enum rb_start_type)type[at];
		for (size_t i = 0; i < app->applications.nr; i++) {
			long d = index_pos(idx, app->applications.v[i]);

			if (d >= 0)
				raise_to(&type[d], inherited(t, 0));
		}
		for (size_t i = 0; i < app->optional_applications.nr; i++) {
			long d = index_pos(idx, app->optional_applications.v[i]);

			if (d >= 0)
				raise_to(&type[d], inherited(t, 0));
		}
		for (size_t i = 0; i < app->included_applications.nr; i++) {
			long d = index_pos(idx, app->included_applications.v[i]);

			if (d >= 0)
				raise_to(&type[d], inherited(t, 1));
		}
	}
}

int rb_apps_closure(const struct rb_app_index *idx,
		    const struct rb_app_ref *roots, size_t nr_roots,
		    const char *config, const char *compile_hint,
		    struct rb_app_list *out, struct rb_error *err)
{
	static const char *const base[] = { "kernel", "stdlib" };
	size_t n = idx->apps.nr;
	struct closure c = {
		.idx = idx,
		.config = config,
		.state = xcalloc(n, sizeof(int)),
		.explicit_type = xmalloc((n ? n : 1) * sizeof(int)),
		.is_root = xcalloc(n, sizeof(int)),
		.order = xmalloc((n ? n : 1) * sizeof(size_t)),
		.stack = STRVEC_INIT,
		.hint = compile_hint,
		.err = err,
	};
	int *type = xmalloc((n ? n : 1) * sizeof(int));
	int ret = -1;

	for (size_t i = 0; i < n; i++)
		c.explicit_type[i] = -1;
	for (size_t r = 0; r < nr_roots; r++) {
		const struct rb_app_ref *ref = &roots[r];
		long at;

		if (ref->has_type && ref->type != RB_START_PERMANENT &&
		    (!strcmp(ref->name, "kernel") || !strcmp(ref->name, "stdlib"))) {
			rb_error(err, RB_ECONFIG, "application '%s' must be permanent, not %s",
				 ref->name, rb_start_type_name(ref->type));
			goto out;
		}
		at = index_pos(idx, ref->name);
		if (at < 0)
			continue; /* reported in order below */
		c.is_root[at] = 1;
		if (ref->has_type && c.explicit_type[at] < 0)
			c.explicit_type[at] = (int)ref->type;
	}
	for (size_t i = 0; i < 2; i++) {
		long at = index_pos(idx, base[i]);

		if (at >= 0)
			c.is_root[at] = 1;
		/* Not the project's fault: no compile hint. */
		c.hint = NULL;
		if (visit(&c, base[i], NULL, NULL, 0) < 0)
			goto out;
	}
	c.hint = compile_hint;
	for (size_t r = 0; r < nr_roots; r++)
		if (visit(&c, roots[r].name, NULL, &roots[r], 0) < 0)
			goto out;
	start_types(&c, type);
	for (size_t k = 0; k < c.nr_order; k++) {
		struct rb_app *app = list_add(out);

		rb_app_copy(app, &idx->apps.v[c.order[k]]);
		app->type = (enum rb_start_type)type[c.order[k]];
	}
	ret = 0;
out:
	strvec_clear(&c.stack);
	free(c.state);
	free(c.explicit_type);
	free(c.is_root);
	free(c.order);
	free(type);
	return ret;
}
