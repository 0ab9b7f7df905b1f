#include "upgrade.h"

#include <fcntl.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "apps.h"
#include "beam.h"
#include "boot.h"
#include "cleanup.h"
#include "extract.h"
#include "manifest.h"
#include "tarball.h"

/* .rel files */

static int rel_error(const char *path, const struct rb_term *t,
		     const char *what, struct rb_error *err)
{
	if (t && t->line)
		return rb_error_at(err, RB_EFAIL, path, t->line, t->col, "%s", what);
	return rb_fail(err, "%s: %s", path, what);
}

/* {Name, Vsn} or {erts, Vsn}: the strings of a pair. */
static int string_pair(const struct rb_term *t, const char **a,
		       const char **b)
{
	if (!t || t->type != RB_TERM_TUPLE || t->nr != 2)
		return -1;
	*a = rb_term_string(t->items[0]);
	if (!*a)
		*a = rb_term_atom(t->items[0]);
	*b = rb_term_string(t->items[1]);
	return *a && *b ? 0 : -1;
}

int rb_rel_read(struct rb_rel *rel, const char *path, struct rb_error *err)
{
	struct rb_terms terms = RB_TERMS_INIT;
	const struct rb_term *t, *apps;
	const char *name, *vsn, *erts, *erts_vsn;
	int ret = -1;

	memset(rel, 0, sizeof(*rel));
	if (rb_term_consult(&terms, path, err) < 0)
		goto out;
	if (terms.nr != 1) {
		rel_error(path, NULL, "one {release, ...} term expected", err);
		goto out;
	}
	t = terms.v[0];
	if (t->type != RB_TERM_TUPLE || t->nr != 4 ||
	    !rb_term_is_atom(t->items[0], "release") ||
	    string_pair(t->items[1], &name, &vsn) < 0 ||
	    string_pair(t->items[2], &erts, &erts_vsn) < 0 ||
	    strcmp(erts, "erts") || t->items[3]->type != RB_TERM_LIST) {
		rel_error(path, t, "not {release, {Name, Vsn}, {erts, Vsn}, Apps}", err);
		goto out;
	}
	rel->name = xstrdup(name);
	rel->vsn = xstrdup(vsn);
	rel->erts_vsn = xstrdup(erts_vsn);
	apps = t->items[3];
	for (size_t i = 0; i < apps->nr; i++) {
		const struct rb_term *a = apps->items[i];
		const char *app, *app_vsn;

		if (a->type != RB_TERM_TUPLE || a->nr < 2 || a->nr > 4 ||
		    !(app = rb_term_atom(a->items[0])) ||
		    !(app_vsn = rb_term_string(a->items[1]))) {
			rel_error(path, a, "not {App, Vsn, ...}", err);
			goto out;
		}
		strvec_push(&rel->apps, app);
		strvec_push(&rel->vsns, app_vsn);
	}
	ret = 0;
out:
	rb_terms_release(&terms);
	return ret;
}

void rb_rel_release(struct rb_rel *rel)
{
	free(rel->name);
	free(rel->vsn);
	free(rel->erts_vsn);
	strvec_clear(&rel->apps);
	strvec_clear(&rel->vsns);
	memset(rel, 0, sizeof(*rel));
}

const char *rb_rel_app_vsn(const struct rb_rel *rel, const char *name)
{
	for (size_t i = 0; i < rel->apps.nr; i++)
		if (!strcmp(rel->apps.v[i], name))
			return rel->vsns.v[i];
	return NULL;
}

/* Modules */

void rb_module_diff_release(struct rb_module_diff *d)
{
	strvec_clear(&d->added);
	strvec_clear(&d->changed);
	strvec_clear(&d->deleted);
	strvec_clear(&d->advanced);
}

int rb_module_diff_any(const struct rb_module_diff *d)
{
	return d->added.nr || d->changed.nr || d->deleted.nr;
}

/* The modules of dir/ebin (from its .beam files), sorted. */
static int list_modules(const char *dir, struct strvec *out,
			struct rb_error *err)
{
	struct strvec names = STRVEC_INIT;
	char *ebin = path_join(dir, "ebin");
	int ret = -1;

	if (!is_dir(ebin)) {
		rb_fail(err, "'%s' does not exist", ebin);
		goto out;
	}
	if (list_dir(ebin, &names, err) < 0)
		goto out;
	for (size_t i = 0; i < names.nr; i++) {
		size_t n = strlen(names.v[i]);

		if (n > 5 && has_suffix(names.v[i], ".beam"))
			strvec_pushf(out, "%.*s", (int)(n - 5), names.v[i]);
	}
	strvec_sort(out);
	ret = 0;
out:
	strvec_clear(&names);
	free(ebin);
	return ret;
}

/* Whether the beam exports code_change/3 or /4: a process that needs it. */
static int wants_code_change(const char *path, const char *data, size_t len,
			     int *yes, struct rb_error *err)
{
	struct rb_beam beam = RB_BEAM_INIT;
	struct rb_beam_info info = RB_BEAM_INFO_INIT;
	struct rb_error e;
	int ret = -1;

	if (rb_beam_parse(&beam, data, len, &e) < 0 ||
	    rb_beam_read_info(&beam, &info, &e) < 0) {
		rb_fail(err, "cannot read the exports of '%s': %s", path, e.msg);
		goto out;
	}
	*yes = rb_beam_info_exports(&info, "code_change", 3) ||
	       rb_beam_info_exports(&info, "code_change", 4);
	ret = 0;
out:
	rb_beam_info_release(&info);
	rb_beam_release(&beam);
	return ret;
}

static int compare_module(const char *old_dir, const char *new_dir,
			  const char *mod, struct rb_module_diff *d,
			  struct rb_error *err)
{
	char *old_path = xasprintf("%s/ebin/%s.beam", old_dir, mod);
	char *new_path = xasprintf("%s/ebin/%s.beam", new_dir, mod);
	char *old_data = NULL, *new_data = NULL;
	size_t old_len, new_len;
	struct rb_error e;
	int same, advanced, ret = -1;

	if (read_file(old_path, &old_data, &old_len, err) < 0 ||
	    read_file(new_path, &new_data, &new_len, err) < 0)
		goto out;
	same = rb_beam_same_code(old_data, old_len, new_data, new_len, &e);
	if (same < 0) {
		rb_fail(err, "cannot compare '%s' with '%s': %s", old_path,
			new_path, e.msg);
		goto out;
	}
	if (!same) {
		if (wants_code_change(new_path, new_data, new_len, &advanced,
				      err) < 0)
			goto out;
		strvec_push(&d->changed, mod);
		if (advanced)
			strvec_push(&d->advanced, mod);
	}
	ret = 0;
out:
	free(old_path);
	free(new_path);
	free(old_data);
	free(new_data);
	return ret;
}

int rb_module_diff(const char *old_dir, const char *new_dir,
		   struct rb_module_diff *d, struct rb_error *err)
{
	struct strvec old = STRVEC_INIT, new = STRVEC_INIT;
	size_t i = 0, j = 0;
	int ret = -1;

	if (list_modules(old_dir, &old, err) < 0 ||
	    list_modules(new_dir, &new, err) < 0)
		goto out;
	while (i < old.nr || j < new.nr) {
		int c = i == old.nr ? 1 : j == new.nr ? -1 :
			strcmp(old.v[i], new.v[j]);

		if (c < 0) {
			strvec_push(&d->deleted, old.v[i++]);
		} else if (c > 0) {
			strvec_push(&d->added, new.v[j++]);
		} else {
			if (compare_module(old_dir, new_dir, old.v[i], d, err) < 0)
				goto out;
			i++;
			j++;
		}
	}
	ret = 0;
out:
	strvec_clear(&old);
	strvec_clear(&new);
	return ret;
}

int rb_app_diff(const char *name, const char *old_vsn, const char *old_dir,
		const char *new_vsn, const char *new_dir,
		struct rb_module_diff *d, struct rb_error *err)
{
	if (rb_module_diff(old_dir, new_dir, d, err) < 0)
		return -1;
	/* systools would take the old code for the new: nothing loads it */
	if (!strcmp(old_vsn, new_vsn) && rb_module_diff_any(d))
		return rb_fail(err, "application '%s' changed but its version is still %s: bump vsn in its .app",
			       name, new_vsn);
	return 0;
}

/* Appups */

static struct rb_term *instr(const char *op, const char *mod)
{
	return rb_term_tuple(2, rb_term_new_atom(op), rb_term_new_atom(mod));
}

static struct rb_term *change_instr(const struct rb_module_diff *d,
				    const char *mod)
{
	if (strvec_contains(&d->advanced, mod))
		return rb_term_tuple(3, rb_term_new_atom("update"),
				     rb_term_new_atom(mod),
				     rb_term_tuple(2, rb_term_new_atom("advanced"),
						   rb_term_new(RB_TERM_LIST)));
	return instr("load_module", mod);
}

/* [{Vsn, Instructions}]: add first, changes, deletes last. */
static struct rb_term *appup_entry(const char *vsn,
				   const struct strvec *adds,
				   const struct rb_module_diff *d,
				   const struct strvec *deletes)
{
	struct rb_term *list = rb_term_new(RB_TERM_LIST);
	struct rb_term *entries = rb_term_new(RB_TERM_LIST);

	for (size_t i = 0; i < adds->nr; i++)
		rb_term_push(list, instr("add_module", adds->v[i]));
	for (size_t i = 0; i < d->changed.nr; i++)
		rb_term_push(list, change_instr(d, d->changed.v[i]));
	for (size_t i = 0; i < deletes->nr; i++)
		rb_term_push(list, instr("delete_module", deletes->v[i]));
	return rb_term_push(entries, rb_term_tuple(2, rb_term_new_string(vsn), list));
}

struct rb_term *rb_appup_term(const char *old_vsn, const char *new_vsn,
			      const struct rb_module_diff *d)
{
	return rb_term_tuple(3, rb_term_new_string(new_vsn),
			     appup_entry(old_vsn, &d->added, d, &d->deleted),
			     appup_entry(old_vsn, &d->deleted, d, &d->added));
}

char *rb_appup_text(const char *old_vsn, const char *new_vsn,
		    const struct rb_module_diff *d)
{
	struct rb_term *t = rb_appup_term(old_vsn, new_vsn, d);
	struct strbuf sb = STRBUF_INIT;

	rb_term_format_pretty(t, &sb, 0);
	sb_adds(&sb, ".\n");
	rb_term_free(t);
	return sb_detach(&sb);
}

/*
 * re:run(Vsn, Re) in POSIX terms: the first match must be all of vsn.
 * Erlang's expressions are PCRE; the two constructs OTP's own appups use
 * that POSIX lacks are translated: "(?:" groups and "\d".
 */
static int regex_matches(const struct rb_term *re_term, const char *vsn)
{
	struct strbuf pat = STRBUF_INIT;
	const char *p = re_term->text;
	regex_t re;
	regmatch_t m;
	int ok = 0;

	if (memchr(p, 0, re_term->len))
		return 0;
	while (*p) {
		if (!strncmp(p, "(?:", 3)) {
			sb_addc(&pat, '(');
			p += 3;
		} else if (!strncmp(p, "\\d", 2)) {
			sb_adds(&pat, "[0-9]");
			p += 2;
		} else if (*p == '\\' && p[1]) {
			sb_add(&pat, p, 2);
			p += 2;
		} else {
			sb_addc(&pat, *p++);
		}
	}
	if (regcomp(&re, sb_str(&pat), REG_EXTENDED) == 0) {
		ok = regexec(&re, vsn, 1, &m, 0) == 0 && m.rm_so == 0 &&
		     (size_t)m.rm_eo == strlen(vsn);
		regfree(&re);
	}
	sb_release(&pat);
	return ok;
}

static int list_covers(const struct rb_term *list, const char *vsn)
{
	if (!list || list->type != RB_TERM_LIST)
		return 0;
	for (size_t i = 0; i < list->nr; i++) {
		const struct rb_term *e = list->items[i];
		const char *s;

		if (e->type != RB_TERM_TUPLE || e->nr != 2)
			continue;
		s = rb_term_string(e->items[0]);
		if (s && !strcmp(s, vsn))
			return 1;
		if (e->items[0]->type == RB_TERM_BINARY &&
		    regex_matches(e->items[0], vsn))
			return 1;
	}
	return 0;
}

int rb_appup_covers(const struct rb_term *appup, const char *old_vsn,
		    const char *new_vsn)
{
	const char *top;

	if (!appup || appup->type != RB_TERM_TUPLE || appup->nr != 3)
		return 0;
	top = rb_term_string(appup->items[0]);
	return top && !strcmp(top, new_vsn) &&
	       list_covers(appup->items[1], old_vsn) &&
	       list_covers(appup->items[2], old_vsn);
}

/*
 * Read an appup file: 1 when it covers old_vsn -> new_vsn, 0 when not;
 * with text not NULL, *text and *len get its bytes (caller frees).
 */
static int read_appup(const char *path, const char *old_vsn,
		      const char *new_vsn, char **text, size_t *len,
		      struct rb_error *err)
{
	struct rb_term *t = NULL;
	char *buf = NULL;
	size_t n;
	int ret = -1;

	if (read_file(path, &buf, &n, err) < 0 ||
	    rb_term_parse_one(&t, path, buf, n, err) < 0)
		goto out;
	ret = rb_appup_covers(t, old_vsn, new_vsn);
	if (text) {
		*text = buf;
		*len = n;
		buf = NULL;
	}
out:
	rb_term_free(t);
	free(buf);
	return ret;
}

/* Upgrades */

void rb_upgrade_summary_init(struct rb_upgrade_summary *s)
{
	memset(s, 0, sizeof(*s));
}

void rb_upgrade_summary_release(struct rb_upgrade_summary *s)
{
	for (size_t i = 0; i < s->nr; i++) {
		free(s->apps[i].name);
		free(s->apps[i].old_vsn);
		free(s->apps[i].new_vsn);
		free(s->apps[i].appup);
	}
	free(s->apps);
	free(s->old_tarball);
	free(s->old_vsn);
	free(s->new_vsn);
	free(s->old_erts);
	free(s->new_erts);
	free(s->relup);
	memset(s, 0, sizeof(*s));
}

static struct rb_app_change *add_change(struct rb_upgrade_summary *s,
					const char *name, const char *old_vsn,
					const char *new_vsn)
{
	struct rb_app_change *c;

	ALLOC_GROW(s->apps, s->nr + 1, s->alloc);
	c = &s->apps[s->nr++];
	memset(c, 0, sizeof(*c));
	c->name = xstrdup(name);
	c->old_vsn = old_vsn ? xstrdup(old_vsn) : NULL;
	c->new_vsn = new_vsn ? xstrdup(new_vsn) : NULL;
	return c;
}

void rb_upgrade_describe(const struct rb_upgrade_summary *s,
			 struct strbuf *out)
{
	char *pre = xasprintf("upgrade %s -> %s: ", s->old_vsn, s->new_vsn);

	sb_addf(out, "%sfrom %s\n", pre, s->old_tarball);
	if (!strcmp(s->old_erts, s->new_erts))
		sb_addf(out, "%serts %s (unchanged)\n", pre, s->new_erts);
	else
		sb_addf(out, "%serts %s -> %s\n", pre, s->old_erts, s->new_erts);
	for (size_t i = 0; i < s->nr; i++) {
		const struct rb_app_change *c = &s->apps[i];

		sb_addf(out, "%sapp %s ", pre, c->name);
		if (!c->old_vsn)
			sb_addf(out, "%s (added)\n", c->new_vsn);
		else if (!c->new_vsn)
			sb_addf(out, "%s (removed)\n", c->old_vsn);
		else if (c->source == RB_APPUP_GENERATED)
			sb_addf(out, "%s -> %s (generated appup: %zu added, %zu changed, %zu deleted)\n",
				c->old_vsn, c->new_vsn, c->nr_added,
				c->nr_changed, c->nr_deleted);
		else
			sb_addf(out, "%s -> %s (appup %s)\n", c->old_vsn,
				c->new_vsn, c->appup);
	}
	if (s->relup)
		sb_addf(out, "%srelup %s\n", pre, s->relup);
	free(pre);
}

/* The old release */

static int is_tarball_arg(const char *s)
{
	return strchr(s, '/') || has_suffix(s, ".tar") ||
	       has_suffix(s, ".tar.gz") || has_suffix(s, ".tar.zst");
}

/* releases/<vsn>/<name>.tar.gz (or another compression's), or NULL. */
static char *find_tarball(const char *releases, const char *vsn,
			  const char *name)
{
	static const enum rb_compression kinds[] = {
		RB_COMPRESS_GZIP, RB_COMPRESS_ZSTD, RB_COMPRESS_NONE,
	};

	for (size_t i = 0; i < sizeof(kinds) / sizeof(*kinds); i++) {
		char *path = xasprintf("%s/%s/%s%s", releases, vsn, name,
				       rb_compression_ext(kinds[i]));

		if (is_file(path))
			return path;
		free(path);
	}
	return NULL;
}

/* The highest version under releases/ with a tarball, other than skip. */
static int newest_tarball(const char *releases, const char *name,
			  const char *skip, char **tarball, char **vsn,
			  struct rb_error *err)
{
	struct strvec names = STRVEC_INIT;

	*tarball = *vsn = NULL;
	if (is_dir(releases) && list_dir(releases, &names, err) < 0)
		return -1;
	for (size_t i = 0; i < names.nr; i++) {
		char *t;

		if ((skip && !strcmp(names.v[i], skip)) ||
		    (*vsn && rb_vsn_cmp(names.v[i], *vsn) <= 0))
			continue;
		t = find_tarball(releases, names.v[i], name);
		if (!t)
			continue;
		free(*tarball);
		free(*vsn);
		*tarball = t;
		*vsn = xstrdup(names.v[i]);
	}
	strvec_clear(&names);
	if (!*tarball)
		return rb_fail(err, "no earlier release to upgrade from in '%s': build the old version first, or give --upfrom TARBALL",
			       releases);
	return 0;
}

/* Which tarball: sets old->tarball and, when known, *vsn. */
static int pick_tarball(struct rb_old_release *old, const char *root,
			const char *name, const char *upfrom,
			const char *new_vsn, char **vsn, struct rb_error *err)
{
	char *releases = path_join(root, "releases");
	int ret = -1;

	*vsn = NULL;
	if (!upfrom) {
		ret = newest_tarball(releases, name, new_vsn, &old->tarball, vsn,
				     err);
	} else if (is_tarball_arg(upfrom)) {
		if (is_file(upfrom)) {
			old->tarball = xstrdup(upfrom);
			ret = 0;
		} else {
			rb_error(err, RB_ECONFIG, "--upfrom: '%s' does not exist",
				 upfrom);
		}
	} else if (new_vsn && !strcmp(upfrom, new_vsn)) {
		rb_error(err, RB_ECONFIG,
			 "--upfrom %s: that is the version being built; upgrade from an earlier one",
			 upfrom);
	} else {
		old->tarball = find_tarball(releases, upfrom, name);
		if (old->tarball) {
			*vsn = xstrdup(upfrom);
			ret = 0;
		} else {
			rb_fail(err, "no release %s to upgrade from: '%s/%s/%s.tar.gz' does not exist (build %s first, or give --upfrom TARBALL)",
				upfrom, releases, upfrom, name, upfrom);
		}
	}
	free(releases);
	return ret;
}

/* The tarball must be what its SHA256SUMS says before it is believed. */
static int check_tarball(const char *tarball, struct rb_error *err)
{
	struct rb_verify_result res;
	int ret = -1;

	rb_verify_result_init(&res);
	if (rb_verify_tarball(tarball, &res, err) < 0)
		goto out;
	if (res.nr_problems) {
		rb_fail(err, "'%s' does not match its SHA256SUMS (%s '%s'%s): run 'relbuild verify' on it",
			tarball, rb_problem_kind_name(res.problems[0].kind),
			res.problems[0].path,
			res.nr_problems > 1 ? " and more" : "");
		goto out;
	}
	ret = 0;
out:
	rb_verify_result_release(&res);
	return ret;
}

static int unpack(struct rb_old_release *old, const char *root,
		  struct rb_error *err)
{
	/* beside the release directory, out of its manifest's way */
	char *out_dir = path_dir(root);
	int fd = -1, ret = -1;

	if (mkdir_p(out_dir, err) < 0)
		goto out;
	old->dir = xasprintf("%s/.relbuild-upgrade-XXXXXX", out_dir);
	if (!mkdtemp(old->dir)) {
		rb_fail_errno(err, "cannot create a directory in '%s'", out_dir);
		free(old->dir);
		old->dir = NULL;
		goto out;
	}
	rb_cleanup_add(old->dir);
	fd = open(old->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		rb_fail_errno(err, "cannot open '%s'", old->dir);
		goto out;
	}
	if (rb_extract(old->tarball, fd, NULL, err) < 0) {
		char msg[sizeof(err->msg)];

		memcpy(msg, err->msg, sizeof(msg));
		rb_fail(err, "cannot unpack '%s': %s", old->tarball, msg);
		goto out;
	}
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	free(out_dir);
	return ret;
}

/* The version releases/start_erl.data ("<erts> <vsn>") names. */
static char *start_erl_vsn(const char *dir, const char *tarball,
			   struct rb_error *err)
{
	char *path = path_join(dir, "releases/start_erl.data");
	char *vsn = rb_start_erl_vsn(dir);

	if (!vsn && !is_file(path))
		rb_fail(err, "'%s' is not a release tarball: it has no releases/start_erl.data",
			tarball);
	else if (!vsn)
		rb_fail(err, "'%s': releases/start_erl.data is not \"ERTS_VSN VSN\"",
			tarball);
	free(path);
	return vsn;
}

int rb_old_release_open(struct rb_old_release *old, const char *root,
			const char *name, const char *upfrom,
			const char *new_vsn, struct rb_error *err)
{
	char *vsn = NULL, *rel_path = NULL;
	int ret = -1;

	memset(old, 0, sizeof(*old));
	if (pick_tarball(old, root, name, upfrom, new_vsn, &vsn, err) < 0 ||
	    check_tarball(old->tarball, err) < 0 || unpack(old, root, err) < 0)
		goto out;
	if (!vsn && !(vsn = start_erl_vsn(old->dir, old->tarball, err)))
		goto out;
	if (new_vsn && !strcmp(vsn, new_vsn)) {
		rb_error(err, RB_ECONFIG,
			 "--upfrom: '%s' is %s, the version being built; upgrade from an earlier one",
			 old->tarball, vsn);
		goto out;
	}
	old->lib_dir = path_join(old->dir, "lib");
	old->rel_base = xasprintf("%s/releases/%s/%s", old->dir, vsn, name);
	rel_path = xasprintf("%s.rel", old->rel_base);
	if (!is_file(rel_path)) {
		rb_fail(err, "'%s' holds no release %s %s (no releases/%s/%s.rel)",
			old->tarball, name, vsn, vsn, name);
		goto out;
	}
	if (rb_rel_read(&old->rel, rel_path, err) < 0)
		goto out;
	ret = 0;
out:
	free(vsn);
	free(rel_path);
	return ret;
}

void rb_old_release_release(struct rb_old_release *old)
{
	if (old->dir) {
		struct rb_error e;

		remove_tree(old->dir, &e);
		rb_cleanup_forget(old->dir);
	}
	free(old->tarball);
	free(old->dir);
	free(old->lib_dir);
	free(old->rel_base);
	rb_rel_release(&old->rel);
	memset(old, 0, sizeof(*old));
}

/* Copy a hand-written appup into place, once it is known to fit. */
static int use_appup(const char *from, const char *to, const char *old_vsn,
		     const char *new_vsn, struct rb_error *err)
{
	char *text = NULL;
	size_t len;
	int r = read_appup(from, old_vsn, new_vsn, &text, &len, err);

	if (r == 0)
		r = rb_fail(err, "%s: not an appup from %s to %s: {\"%s\", [{\"%s\", Up}], [{\"%s\", Down}]} expected",
			    from, old_vsn, new_vsn, new_vsn, old_vsn, old_vsn);
	else if (r > 0)
		r = write_file(to, text, len, 0644, err);
	free(text);
	return r;
}

/* The appup of an application whose version changed; see rb_appup_source. */
static int upgrade_app(const struct rb_upgrade_job *job, const char *name,
		       const char *old_vsn, const char *old_dir,
		       const char *new_vsn, const char *new_dir,
		       struct rb_app_change *c, struct rb_error *err)
{
	struct rb_module_diff d = RB_MODULE_DIFF_INIT;
	char *file = xasprintf("%s_to_%s.appup", old_vsn, new_vsn);
	char *project = xasprintf("%s/rel/appups/%s/%s", job->project, name, file);
	char *priv = xasprintf("%s/priv/appups/%s", new_dir, file);
	char *dest = xasprintf("%s/ebin/%s.appup", new_dir, name);
	char *text = NULL;
	int ret = -1, r;

	if (is_file(project)) {
		c->source = RB_APPUP_PROJECT;
		c->appup = xasprintf("rel/appups/%s/%s", name, file);
		ret = use_appup(project, dest, old_vsn, new_vsn, err);
		goto out;
	}
	if (is_file(priv)) {
		c->source = RB_APPUP_PRIV;
		c->appup = xasprintf("lib/%s-%s/priv/appups/%s", name, new_vsn, file);
		ret = use_appup(priv, dest, old_vsn, new_vsn, err);
		goto out;
	}
	if (is_file(dest)) {
		r = read_appup(dest, old_vsn, new_vsn, NULL, NULL, err);
		if (r < 0)
			goto out;
		if (r > 0) {
			c->source = RB_APPUP_SHIPPED;
			c->appup = xasprintf("lib/%s-%s/ebin/%s.appup", name,
					     new_vsn, name);
			ret = 0;
			goto out;
		}
	}
	c->source = RB_APPUP_GENERATED;
	if (rb_app_diff(name, old_vsn, old_dir, new_vsn, new_dir, &d, err) < 0)
		goto out;
	c->nr_added = d.added.nr;
	c->nr_changed = d.changed.nr;
	c->nr_deleted = d.deleted.nr;
	text = rb_appup_text(old_vsn, new_vsn, &d);
	ret = write_file(dest, text, strlen(text), 0644, err);
out:
	rb_module_diff_release(&d);
	free(file);
	free(project);
	free(priv);
	free(dest);
	free(text);
	return ret;
}

int rb_upgrade_make(const struct rb_upgrade_job *job,
		    struct rb_upgrade_summary *out, struct rb_error *err)
{
	struct rb_old_release old = { 0 };
	struct rb_rel rel = { 0 };
	char *rel_base = xasprintf("%s/releases/%s/%s", job->root, job->vsn,
				   job->name);
	char *rel_path = xasprintf("%s.rel", rel_base);
	char *lib = path_join(job->root, "lib");
	char *outdir = xasprintf("%s/releases/%s", job->root, job->vsn);
	int ret = -1;

	if (rb_old_release_open(&old, job->old_root ? job->old_root : job->root,
				job->name, job->upfrom,
				job->vsn, err) < 0 ||
	    rb_rel_read(&rel, rel_path, err) < 0)
		goto out;
	out->old_tarball = xstrdup(old.tarball);
	out->old_vsn = xstrdup(old.rel.vsn);
	out->new_vsn = xstrdup(rel.vsn);
	out->old_erts = xstrdup(old.rel.erts_vsn);
	out->new_erts = xstrdup(rel.erts_vsn);

	for (size_t i = 0; i < rel.apps.nr; i++) {
		const char *name = rel.apps.v[i], *vsn = rel.vsns.v[i];
		const char *old_vsn = rb_rel_app_vsn(&old.rel, name);
		char *new_dir, *old_dir;
		int r;

		if (!old_vsn) {
			add_change(out, name, NULL, vsn);
			continue;
		}
		new_dir = xasprintf("%s/%s-%s", lib, name, vsn);
		old_dir = xasprintf("%s/%s-%s", old.lib_dir, name, old_vsn);
		if (!strcmp(old_vsn, vsn)) {
			struct rb_module_diff d = RB_MODULE_DIFF_INIT;

			r = rb_app_diff(name, old_vsn, old_dir, vsn, new_dir, &d, err);
			rb_module_diff_release(&d);
		} else {
			r = upgrade_app(job, name, old_vsn, old_dir, vsn, new_dir,
					add_change(out, name, old_vsn, vsn), err);
		}
		free(new_dir);
		free(old_dir);
		if (r < 0)
			goto out;
	}
	for (size_t i = 0; i < old.rel.apps.nr; i++)
		if (!rb_rel_app_vsn(&rel, old.rel.apps.v[i]))
			add_change(out, old.rel.apps.v[i], old.rel.vsns.v[i], NULL);

	{
		struct rb_relup_job rj = {
			.erl = job->erl,
			.rel = rel_base,
			.old_rel = old.rel_base,
			.lib_dir = lib,
			.old_lib_dir = old.lib_dir,
			.outdir = outdir,
		};

		if (rb_relup_make(&rj, err) < 0)
			goto out;
	}
	out->relup = path_join(outdir, "relup");
	ret = 0;
out:
	rb_old_release_release(&old);
	rb_rel_release(&rel);
	free(rel_base);
	free(rel_path);
	free(lib);
	free(outdir);
	return ret;
}

const char *rb_appup_source_name(enum rb_appup_source s)
{
	switch (s) {
	case RB_APPUP_GENERATED:
		return "generated";
	case RB_APPUP_PROJECT:
		return "project";
	case RB_APPUP_PRIV:
		return "priv";
	case RB_APPUP_SHIPPED:
		return "shipped";
	}
	return "generated";
}
