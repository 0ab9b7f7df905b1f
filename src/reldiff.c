#include "reldiff.h"

#include <stdlib.h>
#include <string.h>

const char *rb_change_name(enum rb_change c)
{
	switch (c) {
	case RB_CHANGE_ADDED:
		return "added";
	case RB_CHANGE_REMOVED:
		return "removed";
	case RB_CHANGE_CHANGED:
		return "changed";
	}
	return "changed";
}

const char *rb_appup_status_name(enum rb_appup_status s)
{
	switch (s) {
	case RB_APPUP_STATUS_NONE:
		return "none";
	case RB_APPUP_STATUS_MADE:
		return "made";
	case RB_APPUP_STATUS_UNBUMPED:
		return "unbumped";
	case RB_APPUP_STATUS_UNREADABLE:
		return "unreadable";
	}
	return "none";
}

void rb_reldiff_init(struct rb_reldiff *d)
{
	memset(d, 0, sizeof(*d));
}

static void file_release(struct rb_reldiff_file *f)
{
	free(f->old_path);
	free(f->new_path);
	free(f->old_link);
	free(f->new_link);
}

static void files_release(struct rb_reldiff_file *v, size_t nr)
{
	for (size_t i = 0; i < nr; i++)
		file_release(&v[i]);
	free(v);
}

void rb_reldiff_release(struct rb_reldiff *d)
{
	for (size_t i = 0; i < d->nr_apps; i++) {
		struct rb_reldiff_app *a = &d->apps[i];

		free(a->name);
		free(a->old_vsn);
		free(a->new_vsn);
		free(a->old_start_type);
		free(a->new_start_type);
		rb_module_diff_release(&a->modules);
		files_release(a->files, a->nr_files);
		rb_term_free(a->appup);
		free(a->appup_file);
		free(a->appup_error);
	}
	free(d->apps);
	files_release(d->files, d->nr_files);
	free(d->old_target);
	free(d->new_target);
	free(d->old_name);
	free(d->new_name);
	free(d->old_vsn);
	free(d->new_vsn);
	free(d->erts.old_vsn);
	free(d->erts.new_vsn);
	rb_reldiff_init(d);
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

/* What of path lies below dir, or NULL. */
static const char *below(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (strncmp(path, dir, n) || path[n] != '/')
		return NULL;
	return path + n + 1;
}

/*
 * A release's entries of one kind, each with its place: its path with
 * the version directory it lies in (lib/<app>-<vsn>, erts-<vsn>,
 * releases/<vsn>) cut off, so that the two releases' places compare.
 */
struct place {
	int in_vsn_dir; /* below releases/<vsn>/ (other files only) */
	const char *key;
	const struct rb_inspect_entry *e;
};

struct places {
	struct place *v;
	size_t nr, alloc;
};

static void places_add(struct places *p, int in_vsn_dir, const char *key,
		       const struct rb_inspect_entry *e)
{
	ALLOC_GROW(p->v, p->nr + 1, p->alloc);
	p->v[p->nr].in_vsn_dir = in_vsn_dir;
	p->v[p->nr].key = key;
	p->v[p->nr++].e = e;
}

static int cmp_place(const struct place *a, const struct place *b)
{
	if (a->in_vsn_dir != b->in_vsn_dir)
		return a->in_vsn_dir < b->in_vsn_dir ? -1 : 1;
	return strcmp(a->key, b->key);
}

static int cmp_place_q(const void *a, const void *b)
{
	return cmp_place(a, b);
}

/* Whether two entries at the same place differ, and how. */
static int entries_differ(const struct rb_inspect_entry *a,
			  const struct rb_inspect_entry *b, int *content,
			  int *mode)
{
	*content = a->type != b->type ||
		   (a->type == RB_ENTRY_FILE && strcmp(a->hash, b->hash)) ||
		   (a->type == RB_ENTRY_LINK && strcmp(a->link, b->link));
	*mode = a->mode != b->mode;
	return *content || *mode;
}

static void add_file(struct rb_reldiff_file **v, size_t *nr, size_t *alloc,
		     const struct rb_inspect_entry *o,
		     const struct rb_inspect_entry *n)
{
	struct rb_reldiff_file *f;

	ALLOC_GROW(*v, *nr + 1, *alloc);
	f = &(*v)[(*nr)++];
	memset(f, 0, sizeof(*f));
	f->change = !o ? RB_CHANGE_ADDED : !n ? RB_CHANGE_REMOVED
					      : RB_CHANGE_CHANGED;
	f->role = n ? n->role : o->role;
	if (o) {
		f->old_path = xstrdup(o->path);
		f->old_type = o->type;
		f->old_mode = o->mode;
		f->old_size = o->size;
		memcpy(f->old_hash, o->hash, sizeof(f->old_hash));
		f->old_link = dup_or_null(o->link);
	}
	if (n) {
		f->new_path = xstrdup(n->path);
		f->new_type = n->type;
		f->new_mode = n->mode;
		f->new_size = n->size;
		memcpy(f->new_hash, n->hash, sizeof(f->new_hash));
		f->new_link = dup_or_null(n->link);
	}
	if (o && n)
		entries_differ(o, n, &f->content_changed, &f->mode_changed);
}

/*
 * Walk two sorted place lists side by side: each place in one only,
 * or in both, is handed to fn (the absent side NULL).
 */
static void merge(const struct places *a, const struct places *b,
		  void (*fn)(void *data, const struct place *o,
			     const struct place *n),
		  void *data)
{
	size_t i = 0, j = 0;

	while (i < a->nr || j < b->nr) {
		int c = i == a->nr ? 1 : j == b->nr ? -1 :
			cmp_place(&a->v[i], &b->v[j]);

		if (c < 0)
			fn(data, &a->v[i++], NULL);
		else if (c > 0)
			fn(data, NULL, &b->v[j++]);
		else
			fn(data, &a->v[i++], &b->v[j++]);
	}
}

/* The runtime */

static void erts_step(void *data, const struct place *o, const struct place *n)
{
	struct rb_reldiff_erts *x = data;
	int content, mode;

	if (!o)
		x->nr_added++;
	else if (!n)
		x->nr_removed++;
	else if (entries_differ(o->e, n->e, &content, &mode))
		x->nr_changed++;
}

/* The non-directory entries of one role, below dir (a version directory). */
static void role_places(const struct rb_inspect *in, enum rb_file_role role,
			const char *dir, struct places *out)
{
	for (size_t i = 0; i < in->nr_files; i++) {
		const struct rb_inspect_entry *e = &in->files[i];
		const char *key = below(e->path, dir);

		if (e->role == role && e->type != RB_ENTRY_DIR && key)
			places_add(out, 0, key, e);
	}
	if (out->nr)
		qsort(out->v, out->nr, sizeof(*out->v), cmp_place_q);
}

static void diff_erts(const struct rb_inspect *old,
		      const struct rb_inspect *new_, struct rb_reldiff_erts *x)
{
	char *od = xasprintf("erts-%s", old->erts_vsn);
	char *nd = xasprintf("erts-%s", new_->erts_vsn);
	struct places a = { 0 }, b = { 0 };

	x->old_vsn = xstrdup(old->erts_vsn);
	x->new_vsn = xstrdup(new_->erts_vsn);
	x->old_included = old->erts_included;
	x->new_included = new_->erts_included;
	role_places(old, RB_ROLE_ERTS, od, &a);
	role_places(new_, RB_ROLE_ERTS, nd, &b);
	merge(&a, &b, erts_step, x);
	x->changed = strcmp(x->old_vsn, x->new_vsn) ||
		     x->old_included != x->new_included || x->nr_added ||
		     x->nr_removed || x->nr_changed;
	free(a.v);
	free(b.v);
	free(od);
	free(nd);
}

/* Applications */

/* lib/<app>-<vsn>/ebin/<m>.beam, by its place below the app directory. */
static char *module_of(const char *key)
{
	const char *m = below(key, "ebin");
	size_t n;

	if (!m || strchr(m, '/') || !has_suffix(m, ".beam"))
		return NULL;
	n = strlen(m) - strlen(".beam");
	return n ? xstrndup(m, n) : NULL;
}

struct app_walk {
	struct rb_reldiff_app *app;
	size_t alloc;
	const struct rb_inspect_entry *unreadable; /* a changed module's new beam */
};

static void app_step(void *data, const struct place *o, const struct place *n)
{
	struct app_walk *w = data;
	struct rb_reldiff_app *a = w->app;
	char *mod = module_of((o ? o : n)->key);
	int content = 1, mode = 0;

	if (o && n && !entries_differ(o->e, n->e, &content, &mode)) {
		free(mod);
		return;
	}
	a->content_changed = 1;
	if (!mod || (o && o->e->type != RB_ENTRY_FILE) ||
	    (n && n->e->type != RB_ENTRY_FILE)) {
		add_file(&a->files, &a->nr_files, &w->alloc, o ? o->e : NULL,
			 n ? n->e : NULL);
	} else if (!o) {
		strvec_push(&a->modules.added, mod);
	} else if (!n) {
		strvec_push(&a->modules.deleted, mod);
	} else if (content) {
		strvec_push(&a->modules.changed, mod);
		if (n->e->code_change)
			strvec_push(&a->modules.advanced, mod);
		if (n->e->beam_error && !w->unreadable)
			w->unreadable = n->e;
	} else {
		/* the same code, another mode: a file change */
		add_file(&a->files, &a->nr_files, &w->alloc, o->e, n->e);
	}
	free(mod);
}

static void app_places(const struct rb_inspect *in, size_t app,
		       struct places *out)
{
	const char *dir = in->apps[app].dir;

	for (size_t i = 0; i < in->nr_files; i++) {
		const struct rb_inspect_entry *e = &in->files[i];
		const char *key;

		if (e->role != RB_ROLE_APP || e->app != app ||
		    e->type == RB_ENTRY_DIR || !(key = below(e->path, dir)))
			continue;
		places_add(out, 0, key, e);
	}
	if (out->nr)
		qsort(out->v, out->nr, sizeof(*out->v), cmp_place_q);
}

static const struct rb_inspect_app *find_app(const struct rb_inspect *in,
					     const char *name, size_t *idx)
{
	for (size_t i = 0; i < in->nr_apps; i++) {
		if (!strcmp(in->apps[i].name, name)) {
			if (idx)
				*idx = i;
			return &in->apps[i];
		}
	}
	return NULL;
}

static struct rb_reldiff_app *add_app(struct rb_reldiff *d, size_t *alloc,
				      const struct rb_inspect_app *o,
				      const struct rb_inspect_app *n)
{
	struct rb_reldiff_app *a;

	ALLOC_GROW(d->apps, d->nr_apps + 1, *alloc);
	a = &d->apps[d->nr_apps++];
	memset(a, 0, sizeof(*a));
	a->modules = (struct rb_module_diff)RB_MODULE_DIFF_INIT;
	a->name = xstrdup((n ? n : o)->name);
	a->change = !o ? RB_CHANGE_ADDED : !n ? RB_CHANGE_REMOVED
					      : RB_CHANGE_CHANGED;
	if (o) {
		a->old_vsn = xstrdup(o->vsn);
		a->old_start_type = xstrdup(o->start_type);
	}
	if (n) {
		a->new_vsn = xstrdup(n->vsn);
		a->new_start_type = xstrdup(n->start_type);
	}
	return a;
}

/*
 * Where a build would take the appup from, as far as the new release
 * tells (upgrade.c's upgrade_app(): a project's rel/appups/ first,
 * which no release holds).
 */
static void appup_source(const struct rb_inspect *new_,
			 const struct rb_inspect_app *n,
			 struct rb_reldiff_app *a)
{
	char *priv = xasprintf("%s/priv/appups/%s_to_%s.appup", n->dir,
			       a->old_vsn, a->new_vsn);
	char *shipped = xasprintf("%s/ebin/%s.appup", n->dir, n->name);
	const struct rb_inspect_entry *e = rb_inspect_find(new_, priv);
	const struct strbuf *text = rb_inspect_kept(new_, shipped);
	struct rb_term *t = NULL;
	struct rb_error err;

	a->appup_source = RB_APPUP_GENERATED;
	if (e && e->type == RB_ENTRY_FILE) {
		a->appup_source = RB_APPUP_PRIV;
		a->appup_file = priv;
		priv = NULL;
	} else if (text &&
		   rb_term_parse_one(&t, shipped, sb_str(text), text->len, &err) == 0 &&
		   rb_appup_covers(t, a->old_vsn, a->new_vsn)) {
		a->appup_source = RB_APPUP_SHIPPED;
		a->appup_file = shipped;
		shipped = NULL;
	}
	rb_term_free(t);
	free(priv);
	free(shipped);
}

static void sort_modules(struct rb_module_diff *m)
{
	strvec_sort(&m->added);
	strvec_sort(&m->changed);
	strvec_sort(&m->deleted);
	strvec_sort(&m->advanced);
}

/* An application in both releases: its diff, or nothing when it is the same. */
static void diff_app(struct rb_reldiff *d, size_t *alloc,
		     const struct rb_inspect *old, size_t oi,
		     const struct rb_inspect *new_, size_t ni)
{
	const struct rb_inspect_app *o = &old->apps[oi], *n = &new_->apps[ni];
	struct rb_reldiff_app tmp;
	struct app_walk w = { &tmp, 0, NULL };
	struct places a = { 0 }, b = { 0 };

	memset(&tmp, 0, sizeof(tmp));
	tmp.modules = (struct rb_module_diff)RB_MODULE_DIFF_INIT;
	app_places(old, oi, &a);
	app_places(new_, ni, &b);
	merge(&a, &b, app_step, &w);
	free(a.v);
	free(b.v);
	sort_modules(&tmp.modules);
	tmp.vsn_changed = strcmp(o->vsn, n->vsn) != 0;
	tmp.start_type_changed = strcmp(o->start_type, n->start_type) != 0;
	if (!tmp.vsn_changed && !tmp.start_type_changed && !tmp.content_changed) {
		d->nr_unchanged_apps++;
		rb_module_diff_release(&tmp.modules);
		return;
	}

	{
		struct rb_reldiff_app *x = add_app(d, alloc, o, n);

		x->vsn_changed = tmp.vsn_changed;
		x->start_type_changed = tmp.start_type_changed;
		x->content_changed = tmp.content_changed;
		x->modules = tmp.modules;
		x->files = tmp.files;
		x->nr_files = tmp.nr_files;
		if (tmp.vsn_changed && w.unreadable) {
			x->appup_status = RB_APPUP_STATUS_UNREADABLE;
			x->appup_error = xasprintf("cannot read the exports of '%s': %s",
						   w.unreadable->path,
						   w.unreadable->beam_error);
		} else if (tmp.vsn_changed) {
			x->appup_status = RB_APPUP_STATUS_MADE;
			x->appup = rb_appup_term(x->old_vsn, x->new_vsn, &x->modules);
			appup_source(new_, n, x);
		} else if (rb_module_diff_any(&x->modules)) {
			x->appup_status = RB_APPUP_STATUS_UNBUMPED;
		}
	}
}

static void diff_apps(const struct rb_inspect *old,
		      const struct rb_inspect *new_, struct rb_reldiff *d)
{
	size_t alloc = 0, oi;

	for (size_t ni = 0; ni < new_->nr_apps; ni++) {
		if (!find_app(old, new_->apps[ni].name, &oi))
			add_app(d, &alloc, NULL, &new_->apps[ni]);
		else
			diff_app(d, &alloc, old, oi, new_, ni);
	}
	for (oi = 0; oi < old->nr_apps; oi++)
		if (!find_app(new_, old->apps[oi].name, NULL))
			add_app(d, &alloc, &old->apps[oi], NULL);
}

/* Other files */

/* The entries that are neither an application's nor the runtime's. */
static void other_places(const struct rb_inspect *in, struct places *out)
{
	char *vdir = xasprintf("releases/%s", in->vsn);

	for (size_t i = 0; i < in->nr_files; i++) {
		const struct rb_inspect_entry *e = &in->files[i];
		const char *rest = below(e->path, vdir);

		if (e->role == RB_ROLE_APP || e->role == RB_ROLE_ERTS ||
		    e->type == RB_ENTRY_DIR)
			continue;
		places_add(out, rest != NULL, rest ? rest : e->path, e);
	}
	if (out->nr)
		qsort(out->v, out->nr, sizeof(*out->v), cmp_place_q);
	free(vdir);
}

struct files_walk {
	struct rb_reldiff *d;
	size_t alloc;
};

static void files_step(void *data, const struct place *o, const struct place *n)
{
	struct files_walk *w = data;
	int content, mode;

	if (o && n && !entries_differ(o->e, n->e, &content, &mode))
		return;
	add_file(&w->d->files, &w->d->nr_files, &w->alloc, o ? o->e : NULL,
		 n ? n->e : NULL);
}

static const char *file_place(const struct rb_reldiff_file *f)
{
	return f->new_path ? f->new_path : f->old_path;
}

static int cmp_file(const void *a, const void *b)
{
	return strcmp(file_place(a), file_place(b));
}

static void diff_files(const struct rb_inspect *old,
		       const struct rb_inspect *new_, struct rb_reldiff *d)
{
	struct places a = { 0 }, b = { 0 };
	struct files_walk w = { d, 0 };

	other_places(old, &a);
	other_places(new_, &b);
	merge(&a, &b, files_step, &w);
	if (d->nr_files)
		qsort(d->files, d->nr_files, sizeof(*d->files), cmp_file);
	free(a.v);
	free(b.v);
}

/* Whether every regular file was hashed (rb_inspect_opts.hash). */
static int hashed(const struct rb_inspect *in, struct rb_error *err)
{
	for (size_t i = 0; i < in->nr_files; i++)
		if (in->files[i].type == RB_ENTRY_FILE && !in->files[i].hash[0])
			return rb_fail(err, "'%s' was inspected without hashing its files",
				       in->target);
	return 0;
}

int rb_reldiff_inspected(const struct rb_inspect *old,
			 const struct rb_inspect *new_,
			 struct rb_reldiff *out, struct rb_error *err)
{
	if (hashed(old, err) < 0 || hashed(new_, err) < 0)
		return -1;
	out->old_target = xstrdup(old->target);
	out->new_target = xstrdup(new_->target);
	out->old_name = xstrdup(old->name);
	out->new_name = xstrdup(new_->name);
	out->old_vsn = xstrdup(old->vsn);
	out->new_vsn = xstrdup(new_->vsn);
	diff_erts(old, new_, &out->erts);
	diff_apps(old, new_, out);
	diff_files(old, new_, out);
	return 0;
}

int rb_reldiff(const char *old_path, const char *new_path,
	       struct rb_reldiff *out, struct rb_error *err)
{
	/* hashes on both sides; the exports only where the appup needs them */
	const struct rb_inspect_opts oo = { NULL, 0, 1, 0 };
	const struct rb_inspect_opts no = { NULL, 0, 1, 1 };
	struct rb_inspect old, new_;
	int ret = -1;

	rb_inspect_init(&old);
	rb_inspect_init(&new_);
	if (rb_inspect_with(old_path, &oo, &old, err) < 0 ||
	    rb_inspect_with(new_path, &no, &new_, err) < 0)
		goto out;
	ret = rb_reldiff_inspected(&old, &new_, out, err);
out:
	rb_inspect_release(&old);
	rb_inspect_release(&new_);
	return ret;
}
