#include "inspect.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "beam.h"
#include "config.h"
#include "sign.h"
#include "tarball.h"
#include "tarread.h"
#include "term.h"
#include "upgrade.h"

/* The most of a small file (.rel, .app, appup, start_erl.data) kept whole. */
#define SMALL_MAX (16 * 1024 * 1024)
#define BUF_SIZE 65536

const char *rb_entry_type_name(enum rb_entry_type t)
{
	switch (t) {
	case RB_ENTRY_FILE:
		return "file";
	case RB_ENTRY_DIR:
		return "dir";
	case RB_ENTRY_LINK:
		return "link";
	case RB_ENTRY_OTHER:
		return "other";
	}
	return "other";
}

const char *rb_file_role_name(enum rb_file_role r)
{
	switch (r) {
	case RB_ROLE_APP:
		return "app";
	case RB_ROLE_ERTS:
		return "erts";
	case RB_ROLE_GENERATED:
		return "generated";
	case RB_ROLE_HOOK:
		return "hook";
	case RB_ROLE_COMMAND:
		return "command";
	case RB_ROLE_OTHER_VERSION:
		return "other_version";
	case RB_ROLE_OVERLAY:
		return "overlay";
	}
	return "overlay";
}

const char *rb_inspect_sig_name(enum rb_inspect_sig s)
{
	switch (s) {
	case RB_INSPECT_SIG_NONE:
		return "none";
	case RB_INSPECT_SIG_PRESENT:
		return "present";
	case RB_INSPECT_SIG_VALID:
		return "valid";
	case RB_INSPECT_SIG_INVALID:
		return "invalid";
	}
	return "none";
}

const char *rb_inspect_sums_name(enum rb_inspect_sums s)
{
	switch (s) {
	case RB_SUMS_OK:
		return "ok";
	case RB_SUMS_MISMATCH:
		return "mismatch";
	case RB_SUMS_NONE:
		return "none";
	case RB_SUMS_ERROR:
		return "error";
	case RB_SUMS_UNCHECKED:
		return "unchecked";
	}
	return "unchecked";
}

void rb_inspect_init(struct rb_inspect *out)
{
	memset(out, 0, sizeof(*out));
	rb_verify_result_init(&out->verify);
	out->sums = RB_SUMS_UNCHECKED;
}

static void entry_release(struct rb_inspect_entry *e)
{
	free(e->path);
	free(e->link);
	free(e->beam_error);
}

void rb_inspect_release(struct rb_inspect *out)
{
	for (size_t i = 0; i < out->nr_apps; i++) {
		struct rb_inspect_app *a = &out->apps[i];

		free(a->name);
		free(a->vsn);
		free(a->start_type);
		free(a->dir);
		free(a->link);
		free(a->app_vsn);
		free(a->description);
		rb_migration_list_release(&a->migrations);
	}
	for (size_t i = 0; i < out->nr_hooks; i++) {
		free(out->hooks[i].event);
		free(out->hooks[i].scripts);
	}
	for (size_t i = 0; i < out->nr_commands; i++)
		free(out->commands[i].name);
	for (size_t i = 0; i < out->nr_files; i++)
		entry_release(&out->files[i]);
	free(out->apps);
	free(out->hooks);
	free(out->commands);
	free(out->files);
	free(out->overlays);
	free(out->target);
	free(out->name);
	free(out->vsn);
	free(out->rel);
	free(out->erts_vsn);
	free(out->sums_error);
	strvec_clear(&out->other_versions);
	rb_verify_result_release(&out->verify);
	rb_tar_record_release(&out->kept);
	rb_inspect_init(out);
}

/* Paths */

/* The number of components of a path: "a" 1, "a/b" 2. */
static size_t depth(const char *p)
{
	size_t n = 1;

	for (; *p; p++)
		n += *p == '/';
	return n;
}

/* What of path lies below dir ("a/b" below "a" is "b"), or NULL. */
static const char *below(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (strncmp(path, dir, n) || path[n] != '/')
		return NULL;
	return path + n + 1;
}

/* Whether path is dir or lies below it. */
static int within(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return !strncmp(path, dir, n) && (path[n] == '\0' || path[n] == '/');
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* lib/<dir>/<sub>/<file>: the part after lib/<dir>/, or NULL. */
static const char *in_app_dir(const char *path)
{
	const char *slash;

	if (!has_prefix(path, "lib/"))
		return NULL;
	slash = strchr(path + 4, '/');
	return slash ? slash + 1 : NULL;
}

/* lib/<dir>/ebin/<m>.beam: a module of an application directory. */
static int is_module(const char *path)
{
	const char *rest = in_app_dir(path);

	return rest && has_prefix(rest, "ebin/") && depth(rest) == 2 &&
	       has_suffix(rest, ".beam") && strlen(rest) > strlen("ebin/.beam");
}

/*
 * The small files read whole: releases/start_erl.data, the .rel files,
 * the .app files and appups of the application directories.
 */
static int is_small(const char *path)
{
	const char *rest;

	if (!strcmp(path, "releases/start_erl.data"))
		return 1;
	if (has_prefix(path, "releases/"))
		return depth(path) == 3 && has_suffix(path, ".rel");
	rest = in_app_dir(path);
	if (!rest)
		return 0;
	if (has_prefix(rest, "ebin/") && depth(rest) == 2)
		return has_suffix(rest, ".app") || has_suffix(rest, ".appup");
	return has_prefix(rest, "priv/appups/") && depth(rest) == 3 &&
	       has_suffix(rest, ".appup");
}

/* Reading one file's bytes: hashed, kept, or read for its exports. */

struct sink {
	const char *path;
	int hashing;
	struct rb_sha256 sha;
	int keeping;       /* keep: the bytes so far, while they fit */
	int keep_required; /* a manifest file: too large is an error */
	size_t keep_max;
	struct strbuf keep;
	int beaming;       /* beam: a .beam read for its exports */
	int beam_too_large;
	struct strbuf beam;
	uint64_t size;
};

static int sink_start(struct sink *s, const char *path,
		      const struct rb_inspect_opts *o, int tarball,
		      struct rb_error *err)
{
	memset(s, 0, sizeof(*s));
	s->path = path;
	s->hashing = tarball || o->hash;
	s->keep_required = tarball && rb_is_meta_path(path);
	s->keeping = s->keep_required || is_small(path);
	s->keep_max = s->keep_required ? RB_KEPT_MAX : SMALL_MAX;
	s->beaming = o->beams && is_module(path);
	if (s->hashing && rb_sha256_init(&s->sha, err) < 0)
		return -1;
	return 0;
}

/* Whether a file's bytes need reading at all. */
static int sink_wanted(const char *path, const struct rb_inspect_opts *o)
{
	return o->hash || is_small(path) || (o->beams && is_module(path));
}

static int sink_add(struct sink *s, const void *buf, size_t len,
		    const char *target, struct rb_error *err)
{
	s->size += len;
	if (s->hashing && rb_sha256_update(&s->sha, buf, len, err) < 0)
		return -1;
	if (s->keeping) {
		if (s->keep.len + len > s->keep_max) {
			if (s->keep_required)
				return rb_fail(err, "'%s': '%s' is too large",
					       target, s->path);
			s->keeping = 0;
			sb_release(&s->keep);
		} else {
			sb_add(&s->keep, buf, len);
		}
	}
	if (s->beaming) {
		if (s->beam.len + len > RB_KEPT_MAX) {
			s->beaming = 0;
			s->beam_too_large = 1;
			sb_release(&s->beam);
		} else {
			sb_add(&s->beam, buf, len);
		}
	}
	return 0;
}

/* Whether the module exports code_change/3 or /4, else why not known. */
static void beam_exports(const struct strbuf *data, int too_large,
			 struct rb_inspect_entry *e)
{
	struct rb_beam beam = RB_BEAM_INIT;
	struct rb_beam_info info = RB_BEAM_INFO_INIT;
	struct rb_error be = { 0 };

	if (too_large) {
		e->beam_error = xstrdup("too large to be read");
		return;
	}
	if (rb_beam_parse(&beam, sb_str(data), data->len, &be) < 0 ||
	    rb_beam_read_info(&beam, &info, &be) < 0)
		e->beam_error = xstrdup(be.msg);
	else
		e->code_change = rb_beam_info_exports(&info, "code_change", 3) ||
				 rb_beam_info_exports(&info, "code_change", 4);
	rb_beam_info_release(&info);
	rb_beam_release(&beam);
}

static int sink_finish(struct sink *s, struct rb_inspect *out,
		       struct rb_inspect_entry *e, struct rb_error *err)
{
	if (s->hashing && rb_sha256_final(&s->sha, e->hash, err) < 0)
		return -1;
	e->size = s->size;
	if (s->keeping) {
		struct strbuf *k = rb_tar_record_keep(&out->kept, s->path);

		sb_add(k, sb_str(&s->keep), s->keep.len);
	}
	if (s->beaming || s->beam_too_large)
		beam_exports(&s->beam, s->beam_too_large, e);
	return 0;
}

static void sink_release(struct sink *s)
{
	rb_sha256_release(&s->sha);
	sb_release(&s->keep);
	sb_release(&s->beam);
}

static struct rb_inspect_entry *push_entry(struct rb_inspect *out,
					   const struct rb_inspect_entry *e,
					   size_t *alloc)
{
	ALLOC_GROW(out->files, out->nr_files + 1, *alloc);
	out->files[out->nr_files] = *e;
	return &out->files[out->nr_files++];
}

/* Tarballs */

struct tar_pass {
	struct rb_inspect *out;
	const struct rb_inspect_opts *opts;
	struct archive *a;
	char *buf;
	size_t alloc;
};

/*
 * A hard link with no data of its own: the file it names, seen before,
 * gives its bytes.  0 when it does not name one.
 */
static int hard_link(struct tar_pass *p, const char *hardlink,
		     struct rb_inspect_entry *e)
{
	struct rb_inspect *out = p->out;
	char *target = rb_tar_entry_path(hardlink);
	const struct rb_inspect_entry *t = NULL;

	for (size_t i = out->nr_files; target && !t && i-- > 0;)
		if (out->files[i].type == RB_ENTRY_FILE &&
		    !strcmp(out->files[i].path, target))
			t = &out->files[i];
	if (t) {
		const struct rb_kept *k = rb_tar_record_kept(&out->kept, target);

		memcpy(e->hash, t->hash, sizeof(e->hash));
		e->size = t->size;
		e->code_change = t->code_change;
		e->beam_error = t->beam_error ? xstrdup(t->beam_error) : NULL;
		if (k && (rb_is_meta_path(e->path) || is_small(e->path))) {
			struct strbuf copy = STRBUF_INIT;

			/* k may move when e->path's buffer is added */
			sb_add(&copy, sb_str(&k->data), k->data.len);
			sb_add(rb_tar_record_keep(&out->kept, e->path),
			       sb_str(&copy), copy.len);
			sb_release(&copy);
		}
	}
	free(target);
	return t != NULL;
}

static int tar_file(struct tar_pass *p, struct rb_inspect_entry *e,
		    struct rb_error *err)
{
	struct sink s;
	la_ssize_t n;
	int ret = -1;

	if (sink_start(&s, e->path, p->opts, 1, err) < 0)
		goto out;
	while ((n = archive_read_data(p->a, p->buf, BUF_SIZE)) != 0) {
		if (n < 0) {
			rb_fail(err, "'%s': cannot read '%s': %s", p->out->target,
				e->path, archive_error_string(p->a));
			goto out;
		}
		if (sink_add(&s, p->buf, (size_t)n, p->out->target, err) < 0)
			goto out;
	}
	ret = sink_finish(&s, p->out, e, err);
out:
	sink_release(&s);
	return ret;
}

static int tar_entry(struct tar_pass *p, struct archive_entry *ae,
		     struct rb_error *err)
{
	struct rb_inspect *out = p->out;
	const char *raw = archive_entry_pathname(ae);
	const char *hardlink = archive_entry_hardlink(ae);
	mode_t type = archive_entry_filetype(ae);
	struct rb_inspect_entry e;
	char *path = rb_tar_entry_path(raw);

	memset(&e, 0, sizeof(e));
	if (!path) {
		rb_verify_add_problem(&out->verify, RB_PROBLEM_UNSAFE,
				      raw ? raw : "(no name)");
		return 0;
	}
	if (!*path) {
		/* "./": the root itself, harmless as a directory */
		if (type != AE_IFDIR)
			rb_verify_add_problem(&out->verify, RB_PROBLEM_UNSAFE, raw);
		free(path);
		return 0;
	}
	e.path = path;
	e.mode = (unsigned)(archive_entry_perm(ae) & 07777);
	if (hardlink || type == AE_IFREG) {
		e.type = RB_ENTRY_FILE;
		if (hardlink && archive_entry_size(ae) == 0) {
			if (!hard_link(p, hardlink, &e)) {
				rb_verify_add_problem(&out->verify,
						      RB_PROBLEM_UNSAFE, path);
				entry_release(&e);
				return 0;
			}
		} else if (tar_file(p, &e, err) < 0) {
			entry_release(&e);
			return -1;
		}
		rb_manifest_add(&out->kept.files, path, e.hash)->mode = (int)e.mode;
	} else if (type == AE_IFDIR) {
		e.type = RB_ENTRY_DIR;
	} else if (type == AE_IFLNK) {
		const char *target = archive_entry_symlink(ae);

		e.type = RB_ENTRY_LINK;
		e.link = xstrdup(target ? target : "");
	} else {
		rb_verify_add_problem(&out->verify, RB_PROBLEM_UNSAFE, path);
		entry_release(&e);
		return 0;
	}
	push_entry(out, &e, &p->alloc);
	return 0;
}

static int read_tarball(struct rb_inspect *out,
			const struct rb_inspect_opts *opts,
			struct rb_error *err)
{
	struct tar_pass p = { out, opts, archive_read_new(), NULL, 0 };
	struct rb_tarread *in = NULL;
	struct archive_entry *ae;
	locale_t utf8, old = (locale_t)0;
	int r, ret = -1;

	/* pax names are UTF-8: kept as they are whatever the locale (extract.c) */
	utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	if (utf8)
		old = uselocale(utf8);
	if (!p.a) {
		rb_fail(err, "out of memory");
		goto out;
	}
	p.buf = xmalloc(BUF_SIZE);
	rb_tarread_support(p.a);
	if (rb_tarread_open(&in, p.a, out->target, 0, err) < 0)
		goto out;
	while ((r = archive_read_next_header(p.a, &ae)) == ARCHIVE_OK ||
	       r == ARCHIVE_WARN)
		if (tar_entry(&p, ae, err) < 0)
			goto out;
	if (r != ARCHIVE_EOF) {
		rb_fail(err, "'%s' is truncated or corrupt: %s", out->target,
			archive_error_string(p.a) ? archive_error_string(p.a)
						  : "unreadable entry");
		goto out;
	}
	ret = rb_tarread_finish(in, NULL, err);
out:
	if (p.a)
		archive_read_free(p.a);
	rb_tarread_free(in);
	free(p.buf);
	if (utf8) {
		uselocale(old);
		freelocale(utf8);
	}
	return ret;
}

static int cmp_index(const void *a, const void *b, void *arg)
{
	const struct rb_inspect_entry *v = arg;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	int c = strcmp(v[i].path, v[j].path);

	return c ? c : (i > j) - (i < j);
}

/*
 * Sort the entries by path, keeping the last of each path (what an
 * extraction leaves); each path found more than once is a duplicate.
 */
static void last_of_each(struct rb_inspect *out)
{
	size_t n = out->nr_files, kept = 0;
	size_t *idx = xcalloc(n ? n : 1, sizeof(*idx));
	struct rb_inspect_entry *v = xcalloc(n ? n : 1, sizeof(*v));

	for (size_t i = 0; i < n; i++)
		idx[i] = i;
	if (n)
		qsort_r(idx, n, sizeof(*idx), cmp_index, out->files);
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;

		while (j < n && !strcmp(out->files[idx[i]].path,
					out->files[idx[j]].path))
			j++;
		if (j - i > 1)
			rb_verify_add_problem(&out->verify, RB_PROBLEM_DUPLICATE,
					      out->files[idx[j - 1]].path);
		for (size_t k = i; k + 1 < j; k++)
			entry_release(&out->files[idx[k]]);
		v[kept++] = out->files[idx[j - 1]];
		i = j;
	}
	free(out->files);
	free(idx);
	out->files = v;
	out->nr_files = kept;
}

/* Directories */

static int dir_file(struct rb_inspect *out, const struct rb_inspect_opts *o,
		    struct rb_inspect_entry *e, char *buf, struct rb_error *err)
{
	char *full = path_join(out->target, e->path);
	struct sink s;
	int fd = -1, ret = -1;

	if (sink_start(&s, e->path, o, 0, err) < 0)
		goto out;
	fd = open(full, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		rb_fail_errno(err, "cannot open '%s'", full);
		goto out;
	}
	for (;;) {
		ssize_t n = read_retry(fd, buf, BUF_SIZE);

		if (n < 0) {
			rb_fail_errno(err, "cannot read '%s'", full);
			goto out;
		}
		if (n == 0)
			break;
		if (sink_add(&s, buf, (size_t)n, out->target, err) < 0)
			goto out;
	}
	ret = sink_finish(&s, out, e, err);
out:
	if (fd >= 0)
		close(fd);
	sink_release(&s);
	free(full);
	return ret;
}

/*
 * The version of a release directory: the one releases/start_erl.data
 * names when releases/<vsn>/ is there, else the only releases/<vsn>/.
 */
static int dir_version(const char *root, char **vsn, struct rb_error *err)
{
	char *releases = path_join(root, "releases");
	char *named = NULL, *dir;
	struct strvec names = STRVEC_INIT, dirs = STRVEC_INIT;
	int ret = -1;

	if (!is_dir(releases)) {
		rb_fail(err, "'%s' is not a release: it has no releases directory",
			root);
		goto out;
	}
	named = rb_start_erl_vsn(root);
	if (named) {
		dir = path_join(releases, named);
		ret = is_dir(dir) ? 0 : -1;
		free(dir);
		if (!ret) {
			*vsn = named;
			named = NULL;
			goto out;
		}
	}
	if (list_dir(releases, &names, err) < 0)
		goto out;
	for (size_t i = 0; i < names.nr; i++) {
		dir = path_join(releases, names.v[i]);
		if (is_dir(dir))
			strvec_push(&dirs, names.v[i]);
		free(dir);
	}
	if (dirs.nr == 1) {
		*vsn = xstrdup(dirs.v[0]);
		ret = 0;
	} else if (!dirs.nr) {
		ret = rb_fail(err, "'%s' is not a release: no releases/<vsn>/ directory",
			      root);
	} else {
		ret = rb_fail(err, "'%s' holds several versions ('%s', '%s') and releases/start_erl.data names none of them",
			      root, dirs.v[0], dirs.v[1]);
	}
out:
	free(named);
	free(releases);
	strvec_clear(&names);
	strvec_clear(&dirs);
	return ret;
}

static int read_dir(struct rb_inspect *out, const struct rb_inspect_opts *o,
		    struct rb_error *err)
{
	struct rb_tree t = RB_TREE_INIT;
	struct rb_exclude ex = { out->vsn, NULL, 1 };
	char *buf = xmalloc(BUF_SIZE);
	size_t alloc = 0;
	int ret = -1;

	if (rb_tree_list(&t, out->target, &ex, err) < 0)
		goto out;
	for (size_t i = 0; i < t.nr; i++) {
		const struct rb_tree_entry *te = &t.v[i];
		struct rb_inspect_entry e;

		memset(&e, 0, sizeof(e));
		e.path = xstrdup(te->path);
		e.mode = (unsigned)(te->mode & 07777);
		if (S_ISREG(te->mode)) {
			e.type = RB_ENTRY_FILE;
			e.size = (uint64_t)te->size;
			if (sink_wanted(e.path, o) &&
			    dir_file(out, o, &e, buf, err) < 0) {
				entry_release(&e);
				goto out;
			}
		} else if (S_ISDIR(te->mode)) {
			e.type = RB_ENTRY_DIR;
		} else if (S_ISLNK(te->mode)) {
			e.type = RB_ENTRY_LINK;
			e.link = xstrdup(te->link ? te->link : "");
		} else {
			e.type = RB_ENTRY_OTHER;
		}
		push_entry(out, &e, &alloc);
	}
	ret = 0;
out:
	free(buf);
	rb_tree_release(&t);
	return ret;
}

/* The release: version, .rel, applications */

static int cmp_entry_path(const void *key, const void *elem)
{
	return strcmp(key, ((const struct rb_inspect_entry *)elem)->path);
}

const struct rb_inspect_entry *rb_inspect_find(const struct rb_inspect *in,
					       const char *path)
{
	if (!in->nr_files)
		return NULL;
	return bsearch(path, in->files, in->nr_files, sizeof(*in->files),
		       cmp_entry_path);
}

const struct strbuf *rb_inspect_kept(const struct rb_inspect *in,
				     const char *path)
{
	const struct rb_kept *k = rb_tar_record_kept(&in->kept, path);

	return k ? &k->data : NULL;
}

/* The first entry whose path sorts at or after path. */
static size_t lower_bound(const struct rb_inspect *in, const char *path)
{
	size_t lo = 0, hi = in->nr_files;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(in->files[mid].path, path) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Whether any entry lies below dir. */
static int has_below(const struct rb_inspect *in, const char *dir)
{
	char *prefix = xasprintf("%s/", dir);
	size_t i = lower_bound(in, prefix);
	int r = i < in->nr_files && has_prefix(in->files[i].path, prefix);

	free(prefix);
	return r;
}

/* The version of a tarball's release, as dir_version() finds it. */
static int tar_version(struct rb_inspect *out, struct rb_error *err)
{
	const struct strbuf *sed = rb_inspect_kept(out, "releases/start_erl.data");
	struct strvec dirs = STRVEC_INIT;
	char *named = sed ? rb_start_erl_parse(sb_str(sed), sed->len) : NULL;
	int ret = -1;

	if (named) {
		char *dir = xasprintf("releases/%s", named);

		if (rb_inspect_find(out, dir) || has_below(out, dir)) {
			out->vsn = named;
			named = NULL;
			ret = 0;
		}
		free(dir);
		if (!ret)
			goto out;
	}
	for (size_t i = 0; i < out->nr_files; i++) {
		const struct rb_inspect_entry *e = &out->files[i];
		const char *rest = below(e->path, "releases");
		char *v;

		if (!rest || (!strchr(rest, '/') && e->type != RB_ENTRY_DIR))
			continue;
		v = xstrndup(rest, strcspn(rest, "/"));
		if (!strvec_contains(&dirs, v))
			strvec_push(&dirs, v);
		free(v);
	}
	if (dirs.nr == 1) {
		out->vsn = xstrdup(dirs.v[0]);
		ret = 0;
	} else if (!dirs.nr) {
		rb_fail(err, "'%s' is not a release: no releases/<vsn>/ in it",
			out->target);
	} else {
		rb_fail(err, "'%s' holds several versions ('%s', '%s') and releases/start_erl.data names none of them",
			out->target, dirs.v[0], dirs.v[1]);
	}
out:
	free(named);
	strvec_clear(&dirs);
	return ret;
}

/*
 * releases/<vsn>/<name>.rel: not start_clean.rel; with several, the one
 * with a bin/<name>.
 */
static int find_rel(struct rb_inspect *out, struct rb_error *err)
{
	char *dir = xasprintf("releases/%s", out->vsn);
	struct strvec rels = STRVEC_INIT, with_bin = STRVEC_INIT;
	int ret = -1;

	for (size_t i = 0; i < out->kept.nr_kept; i++) {
		const char *p = out->kept.kept[i].path, *rest = below(p, dir);

		if (rest && !strchr(rest, '/') && has_suffix(rest, ".rel") &&
		    strcmp(rest, "start_clean.rel") && rb_inspect_find(out, p))
			strvec_push(&rels, p);
	}
	strvec_sort(&rels);
	for (size_t i = 0; i < rels.nr; i++) {
		const char *b = base_name(rels.v[i]);
		char *bin = xasprintf("bin/%.*s", (int)(strlen(b) - 4), b);

		if (rb_inspect_find(out, bin))
			strvec_push(&with_bin, rels.v[i]);
		free(bin);
	}
	if (rels.nr == 1) {
		out->rel = xstrdup(rels.v[0]);
		ret = 0;
	} else if (with_bin.nr == 1) {
		out->rel = xstrdup(with_bin.v[0]);
		ret = 0;
	} else if (!rels.nr) {
		rb_fail(err, "'%s' is not a release: no readable %s/<name>.rel",
			out->target, dir);
	} else {
		rb_fail(err, "'%s' holds several releases: '%s' and '%s'",
			out->target, rels.v[0], rels.v[1]);
	}
	strvec_clear(&rels);
	strvec_clear(&with_bin);
	free(dir);
	return ret;
}

static int rel_fail(const char *name, const struct rb_term *t,
		    const char *what, struct rb_error *err)
{
	if (t && t->line)
		return rb_fail(err, "%s:%d:%d: %s", name, t->line, t->col, what);
	return rb_fail(err, "%s: %s", name, what);
}

/* A string, or an atom's name: a .rel's {Name, Vsn} and {erts, Vsn}. */
static const char *text_of(const struct rb_term *t)
{
	const char *s = rb_term_string(t);

	return s ? s : rb_term_atom(t);
}

/* One {App, Vsn[, Type][, Included]} of the .rel. */
static int rel_app(struct rb_inspect *out, const char *name,
		   const struct rb_term *a, size_t *alloc, struct rb_error *err)
{
	const char *app, *vsn;
	const struct rb_term *type = NULL;
	struct rb_inspect_app *x;

	if (a->type != RB_TERM_TUPLE || a->nr < 2 || a->nr > 4 ||
	    !(app = rb_term_atom(a->items[0])) ||
	    !(vsn = rb_term_string(a->items[1])) ||
	    (a->nr == 4 && !rb_term_atom(a->items[2])))
		return rel_fail(name, a, "not {App, Vsn, ...}", err);
	if (a->nr >= 3 && rb_term_atom(a->items[2]))
		type = a->items[2];
	ALLOC_GROW(out->apps, out->nr_apps + 1, *alloc);
	x = &out->apps[out->nr_apps++];
	memset(x, 0, sizeof(*x));
	rb_migration_list_init(&x->migrations);
	x->name = xstrdup(app);
	x->vsn = xstrdup(vsn);
	x->start_type = xstrdup(type ? rb_term_atom(type) : "permanent");
	x->start_type_given = type != NULL;
	x->dir = xasprintf("lib/%s-%s", app, vsn);
	return 0;
}

static int parse_rel(struct rb_inspect *out, struct rb_error *err)
{
	const struct strbuf *text = rb_inspect_kept(out, out->rel);
	struct rb_terms terms = RB_TERMS_INIT;
	char *name = xasprintf("%s: %s", out->target, out->rel);
	const struct rb_term *t;
	const char *rname, *rvsn, *erts, *erts_vsn;
	size_t alloc = 0;
	int ret = -1;

	if (rb_term_parse_all(&terms, name, sb_str(text), text->len, err) < 0)
		goto out;
	if (terms.nr != 1) {
		rel_fail(name, NULL, "one {release, ...} term expected", err);
		goto out;
	}
	t = terms.v[0];
	if (t->type != RB_TERM_TUPLE || t->nr != 4 ||
	    !rb_term_is_atom(t->items[0], "release") ||
	    t->items[1]->type != RB_TERM_TUPLE || t->items[1]->nr != 2 ||
	    !(rname = text_of(t->items[1]->items[0])) ||
	    !(rvsn = rb_term_string(t->items[1]->items[1])) ||
	    t->items[2]->type != RB_TERM_TUPLE || t->items[2]->nr != 2 ||
	    !(erts = text_of(t->items[2]->items[0])) || strcmp(erts, "erts") ||
	    !(erts_vsn = rb_term_string(t->items[2]->items[1])) ||
	    t->items[3]->type != RB_TERM_LIST) {
		rel_fail(name, t, "not {release, {Name, Vsn}, {erts, Vsn}, Apps}", err);
		goto out;
	}
	if (strcmp(rvsn, out->vsn)) {
		rb_fail(err, "%s: release %s, not %s as its directory says", name,
			rvsn, out->vsn);
		goto out;
	}
	out->name = xstrdup(rname);
	out->erts_vsn = xstrdup(erts_vsn);
	for (size_t i = 0; i < t->items[3]->nr; i++)
		if (rel_app(out, name, t->items[3]->items[i], &alloc, err) < 0)
			goto out;
	ret = 0;
out:
	rb_terms_release(&terms);
	free(name);
	return ret;
}

/* The vsn and description of an application's .app, when it reads. */
static void read_app_file(struct rb_inspect *out, struct rb_inspect_app *a)
{
	char *path = xasprintf("%s/ebin/%s.app", a->dir, a->name);
	const struct strbuf *text = rb_inspect_kept(out, path);
	struct rb_term *t = NULL;
	struct rb_error e;
	const char *s;

	if (text && rb_term_parse_one(&t, path, sb_str(text), text->len, &e) == 0 &&
	    t->type == RB_TERM_TUPLE && t->nr == 3 &&
	    rb_term_is_atom(t->items[0], "application") &&
	    t->items[2]->type == RB_TERM_LIST) {
		if ((s = rb_term_string(rb_term_proplist_get(t->items[2], "vsn"))))
			a->app_vsn = xstrdup(s);
		s = rb_term_string(rb_term_proplist_get(t->items[2], "description"));
		if (s)
			a->description = xstrdup(s);
	}
	rb_term_free(t);
	free(path);
}

/* Migrations */

/* Whether a component of rel starts with a dot: Ecto's glob skips it. */
static int hidden(const char *rel)
{
	for (const char *p = rel; p; p = strchr(p, '/')) {
		if (*p == '/')
			p++;
		if (*p == '.')
			return 1;
	}
	return 0;
}

static void add_migration(struct rb_migration_list *l,
			  const struct rb_inspect_entry *e, const char *rel)
{
	char *version = NULL, *name = NULL;
	const char *why = rb_migration_not_file;

	if (e->type == RB_ENTRY_DIR || hidden(rel))
		return;
	/* a symlink is read through, as the build's walk does */
	if (e->type != RB_ENTRY_OTHER &&
	    rb_migration_parse_name(base_name(rel), &version, &name, &why)) {
		struct rb_migration *m;

		ALLOC_GROW(l->v, l->nr + 1, l->alloc);
		m = &l->v[l->nr++];
		m->version = version;
		m->name = name;
		m->rel = xstrdup(rel);
		m->path = xstrdup(e->path);
		return;
	}
	ALLOC_GROW(l->skipped, l->nr_skipped + 1, l->alloc_skipped);
	l->skipped[l->nr_skipped].rel = xstrdup(rel);
	l->skipped[l->nr_skipped++].why = why;
}

static int cmp_migration(const void *pa, const void *pb)
{
	const struct rb_migration *a = pa, *b = pb;
	int c = rb_migration_version_cmp(a->version, b->version);

	return c ? c : strcmp(a->rel, b->rel);
}

/* Roles */

/* The directories other versions' .rel files name (after a hot upgrade). */
struct others {
	struct strvec dirs; /* "lib/<app>-<vsn>", "erts-<vsn>" */
	struct strvec vsns; /* the release version naming each */
};

static void read_other_rels(const struct rb_inspect *out, struct others *o)
{
	char *releases = path_join(out->target, "releases");
	struct strvec names = STRVEC_INIT;
	struct rb_error e;

	if (list_dir(releases, &names, &e) < 0)
		names.nr = 0;
	for (size_t i = 0; i < names.nr; i++) {
		char *dir = path_join(releases, names.v[i]);
		struct strvec files = STRVEC_INIT;

		if (strcmp(names.v[i], out->vsn) && is_dir(dir) &&
		    list_dir(dir, &files, &e) == 0) {
			for (size_t j = 0; j < files.nr; j++) {
				char *path = path_join(dir, files.v[j]);
				struct rb_rel rel = { 0 };

				if (has_suffix(files.v[j], ".rel") &&
				    strcmp(files.v[j], "start_clean.rel") &&
				    rb_rel_read(&rel, path, &e) == 0) {
					strvec_pushf(&o->dirs, "erts-%s", rel.erts_vsn);
					strvec_push(&o->vsns, names.v[i]);
					for (size_t k = 0; k < rel.apps.nr; k++) {
						strvec_pushf(&o->dirs, "lib/%s-%s",
							     rel.apps.v[k],
							     rel.vsns.v[k]);
						strvec_push(&o->vsns, names.v[i]);
					}
				}
				rb_rel_release(&rel);
				free(path);
			}
		}
		strvec_clear(&files);
		free(dir);
	}
	strvec_clear(&names);
	free(releases);
}

/* The application whose lib/<name>-<vsn> holds path, or -1. */
static long app_of(const struct rb_inspect *out, const char *path)
{
	for (size_t i = 0; i < out->nr_apps; i++)
		if (within(path, out->apps[i].dir))
			return (long)i;
	return -1;
}

/* What relbuild writes itself (see rb_file_role); vdir: releases/<vsn>. */
static int is_generated(const struct rb_inspect *out, const char *vdir,
			const char *path)
{
	static const char *const top[] = {
		"bin", "lib", "releases", "bin/nodetool",
		"releases/start_erl.data", "releases/COOKIE", NULL,
	};
	static const char *const in_vsn[] = {
		"start_clean.rel", "start.boot", "start.script",
		"start_clean.boot", "start_clean.script", "vm.args",
		"remote.vm.args", "env.sh", "sys.config", "sys.config.src",
		"runtime.exs", "relup", "ctl", "ctl/relbuild_ctl.beam",
		"SHA256SUMS", "MODES", "SHA256SUMS.sig", NULL,
	};
	const char *rest = below(path, vdir), *bin = below(path, "bin");
	int r = !strcmp(path, vdir) || (bin && !strcmp(bin, out->name));

	for (const char *const *p = top; !r && *p; p++)
		r = !strcmp(path, *p);
	/* <name>.service (systemd: in the config) */
	if (!r && has_prefix(path, out->name))
		r = !strcmp(path + strlen(out->name), ".service");
	if (!r && rest) {
		r = within(rest, "consolidated") ||
		    (has_prefix(rest, out->name) &&
		     !strcmp(rest + strlen(out->name), ".rel"));
		for (const char *const *p = in_vsn; !r && *p; p++)
			r = !strcmp(rest, *p);
	}
	return r;
}

/* hooks/, hooks/<event>/ and below; commands/ and the files in it. */
static enum rb_file_role vsn_dir_role(const struct rb_inspect_entry *e,
				      const char *rest)
{
	size_t d = depth(rest);

	if (within(rest, "hooks"))
		return d == 2 && e->type != RB_ENTRY_DIR ? RB_ROLE_OVERLAY
							: RB_ROLE_HOOK;
	if (within(rest, "commands"))
		return d == 1 || (d == 2 && e->type != RB_ENTRY_DIR)
			       ? RB_ROLE_COMMAND
			       : RB_ROLE_OVERLAY;
	return RB_ROLE_OVERLAY;
}

static void classify(struct rb_inspect *out)
{
	char *erts = xasprintf("erts-%s", out->erts_vsn);
	char *vdir = xasprintf("releases/%s", out->vsn);
	struct others o = { STRVEC_INIT, STRVEC_INIT };

	if (!out->tarball)
		read_other_rels(out, &o);
	for (size_t i = 0; i < out->nr_files; i++) {
		struct rb_inspect_entry *e = &out->files[i];
		long app = app_of(out, e->path);
		const char *rest = below(e->path, vdir);

		if (app >= 0) {
			e->role = RB_ROLE_APP;
			e->app = (size_t)app;
		} else if (within(e->path, erts)) {
			e->role = RB_ROLE_ERTS;
		} else if (is_generated(out, vdir, e->path)) {
			e->role = RB_ROLE_GENERATED;
		} else {
			e->role = rest ? vsn_dir_role(e, rest) : RB_ROLE_OVERLAY;
		}
		for (size_t k = 0; e->role == RB_ROLE_OVERLAY && k < o.dirs.nr; k++) {
			if (!within(e->path, o.dirs.v[k]))
				continue;
			e->role = RB_ROLE_OTHER_VERSION;
			if (!strvec_contains(&out->other_versions, o.vsns.v[k]))
				strvec_push(&out->other_versions, o.vsns.v[k]);
		}
	}
	strvec_sort(&out->other_versions);
	strvec_clear(&o.dirs);
	strvec_clear(&o.vsns);
	free(erts);
	free(vdir);
}

/* Sizes, modules and migrations of the applications; the runtime's size. */
static void describe_apps(struct rb_inspect *out)
{
	for (size_t i = 0; i < out->nr_files; i++) {
		const struct rb_inspect_entry *e = &out->files[i];
		struct rb_inspect_app *a;
		const char *rest, *mig;

		if (e->type == RB_ENTRY_FILE)
			out->size += e->size;
		if (e->role == RB_ROLE_ERTS) {
			out->erts_included = 1;
			if (e->type == RB_ENTRY_FILE)
				out->erts_size += e->size;
		}
		if (e->role != RB_ROLE_APP)
			continue;
		a = &out->apps[e->app];
		a->present = 1;
		rest = below(e->path, a->dir);
		if (!rest) {
			if (e->type == RB_ENTRY_LINK)
				a->link = xstrdup(e->link);
			continue;
		}
		if (e->type == RB_ENTRY_FILE) {
			a->size += e->size;
			a->nr_files++;
			if (is_module(e->path))
				a->nr_modules++;
		}
		mig = below(rest, RB_MIGRATIONS_DIR);
		if (mig)
			add_migration(&a->migrations, e, mig);
	}
	for (size_t i = 0; i < out->nr_apps; i++) {
		struct rb_inspect_app *a = &out->apps[i];

		if (a->migrations.nr)
			qsort(a->migrations.v, a->migrations.nr,
			      sizeof(*a->migrations.v), cmp_migration);
		read_app_file(out, a);
	}
}

/* The position of a known event in firing order; unknown ones after. */
static size_t event_rank(const char *event)
{
	for (size_t i = 0; i < rb_nr_hook_events; i++)
		if (!strcmp(event, rb_hook_events[i]))
			return i;
	return rb_nr_hook_events;
}

static int cmp_hook(const void *pa, const void *pb)
{
	const struct rb_inspect_hook *a = pa, *b = pb;
	size_t ra = event_rank(a->event), rb = event_rank(b->event);

	if (ra != rb)
		return ra < rb ? -1 : 1;
	return strcmp(a->event, b->event);
}

static struct rb_inspect_hook *hook_for(struct rb_inspect *out,
					const char *event, size_t n,
					size_t *alloc)
{
	struct rb_inspect_hook *h;

	for (size_t i = 0; i < out->nr_hooks; i++)
		if (strlen(out->hooks[i].event) == n &&
		    !strncmp(out->hooks[i].event, event, n))
			return &out->hooks[i];
	ALLOC_GROW(out->hooks, out->nr_hooks + 1, *alloc);
	h = &out->hooks[out->nr_hooks++];
	memset(h, 0, sizeof(*h));
	h->event = xstrndup(event, n);
	h->known = event_rank(h->event) < rb_nr_hook_events;
	return h;
}

/* Hooks, commands and overlays, from the roles. */
static void collect(struct rb_inspect *out)
{
	char *hooks = xasprintf("releases/%s/hooks", out->vsn);
	size_t hooks_alloc = 0, cmd_alloc = 0, ov_alloc = 0;
	size_t *script_alloc;

	for (size_t i = 0; i < out->nr_files; i++) {
		const struct rb_inspect_entry *e = &out->files[i];
		const char *rest = below(e->path, hooks);

		if (e->role == RB_ROLE_HOOK && rest)
			hook_for(out, rest, strcspn(rest, "/"), &hooks_alloc);
	}
	script_alloc = xcalloc(out->nr_hooks + 1, sizeof(*script_alloc));
	for (size_t i = 0; i < out->nr_files; i++) {
		const struct rb_inspect_entry *e = &out->files[i];
		const char *rest = below(e->path, hooks);

		if (e->role == RB_ROLE_HOOK && rest && strchr(rest, '/') &&
		    e->type != RB_ENTRY_DIR) {
			struct rb_inspect_hook *h =
				hook_for(out, rest, strcspn(rest, "/"), &hooks_alloc);
			size_t k = (size_t)(h - out->hooks);

			ALLOC_GROW(h->scripts, h->nr_scripts + 1, script_alloc[k]);
			h->scripts[h->nr_scripts++] = e;
		} else if (e->role == RB_ROLE_COMMAND && e->type != RB_ENTRY_DIR) {
			ALLOC_GROW(out->commands, out->nr_commands + 1, cmd_alloc);
			out->commands[out->nr_commands].name =
				xstrdup(base_name(e->path));
			out->commands[out->nr_commands++].entry = e;
		} else if (e->role == RB_ROLE_OVERLAY &&
			   (e->type != RB_ENTRY_DIR || !has_below(out, e->path))) {
			ALLOC_GROW(out->overlays, out->nr_overlays + 1, ov_alloc);
			out->overlays[out->nr_overlays++] = e;
		}
	}
	if (out->nr_hooks)
		qsort(out->hooks, out->nr_hooks, sizeof(*out->hooks), cmp_hook);
	free(script_alloc);
	free(hooks);
}

/* Checksums and the signature */

static int has_manifest(const struct rb_inspect *out)
{
	if (!out->tarball) {
		char *m = xasprintf("releases/%s/SHA256SUMS", out->vsn);
		const struct rb_inspect_entry *e = rb_inspect_find(out, m);

		free(m);
		return e && e->type == RB_ENTRY_FILE;
	}
	for (size_t i = 0; i < out->kept.files.nr; i++)
		if (rb_is_manifest_path(out->kept.files.v[i].path))
			return 1;
	return 0;
}

static void check_sums(struct rb_inspect *out, const struct rb_inspect_opts *o)
{
	struct rb_verify_opts vo = { .pubkey = o->pubkey, .vsn = out->vsn,
				      .upgraded = 1 };
	struct rb_error e = { 0 };
	int r;

	if (!o->verify || !has_manifest(out)) {
		out->sums = o->verify ? RB_SUMS_NONE : RB_SUMS_UNCHECKED;
		rb_verify_result_release(&out->verify);
		rb_verify_result_init(&out->verify);
		return;
	}
	r = out->tarball ? rb_verify_record(out->target, &out->kept, &vo,
					    &out->verify, &e)
			 : rb_verify_dir_opts(out->target, &vo, &out->verify, &e);
	if (r < 0) {
		out->sums = RB_SUMS_ERROR;
		out->sums_error = xstrdup(e.msg);
		/* what the check found before it stopped is no verdict */
		rb_verify_result_release(&out->verify);
		rb_verify_result_init(&out->verify);
		return;
	}
	out->sums = out->verify.nr_problems ? RB_SUMS_MISMATCH : RB_SUMS_OK;
}

/* A release file's bytes: kept (a tarball's), or read from the directory. */
static int file_bytes(const struct rb_inspect *out, const char *rel,
		      char **text, size_t *len, struct rb_error *err)
{
	const struct strbuf *k;
	char *full;
	int r;

	if (out->tarball) {
		k = rb_inspect_kept(out, rel);
		if (!k)
			return rb_fail(err, "'%s': no '%s'", out->target, rel);
		*text = xmalloc(k->len + 1);
		memcpy(*text, sb_str(k), k->len + 1);
		*len = k->len;
		return 0;
	}
	full = path_join(out->target, rel);
	r = read_file(full, text, len, err);
	free(full);
	return r;
}

/* Without a checksum check to say it: check the signature alone. */
static enum rb_inspect_sig check_sig(const struct rb_inspect *out,
				     const struct rb_key *key,
				     const char *sig_path)
{
	char *manifest = xasprintf("releases/%s/SHA256SUMS", out->vsn);
	char *text = NULL, *sig = NULL;
	size_t len = 0, siglen = 0;
	struct rb_error e;
	int r = 0;

	if (file_bytes(out, manifest, &text, &len, &e) == 0 &&
	    file_bytes(out, sig_path, &sig, &siglen, &e) == 0)
		r = rb_sig_check(key, text, len, sig, siglen, &e);
	free(manifest);
	free(text);
	free(sig);
	return r == 1 ? RB_INSPECT_SIG_VALID : RB_INSPECT_SIG_INVALID;
}

static void check_signature(struct rb_inspect *out,
			    const struct rb_inspect_opts *o)
{
	char *path = xasprintf("releases/%s/SHA256SUMS.sig", out->vsn);
	const struct rb_inspect_entry *e = rb_inspect_find(out, path);
	int present = e && e->type == RB_ENTRY_FILE;
	int checked = out->sums == RB_SUMS_OK || out->sums == RB_SUMS_MISMATCH;

	if (!o->pubkey)
		out->signature = present ? RB_INSPECT_SIG_PRESENT : RB_INSPECT_SIG_NONE;
	else if (checked && out->verify.signature == RB_SIG_VALID)
		out->signature = RB_INSPECT_SIG_VALID;
	else if (checked && out->verify.signature == RB_SIG_INVALID)
		out->signature = RB_INSPECT_SIG_INVALID;
	else if (!present)
		out->signature = RB_INSPECT_SIG_NONE;
	else
		out->signature = check_sig(out, o->pubkey, path);
	free(path);
}

int rb_inspect_with(const char *path, const struct rb_inspect_opts *opts,
		    struct rb_inspect *out, struct rb_error *err)
{
	static const struct rb_inspect_opts none = { NULL, 0, 0, 0 };

	if (!opts)
		opts = &none;
	out->target = xstrdup(path);
	out->tarball = !is_dir(path);
	if (out->tarball) {
		if (read_tarball(out, opts, err) < 0)
			return -1;
		last_of_each(out);
		if (tar_version(out, err) < 0)
			return -1;
	} else if (dir_version(path, &out->vsn, err) < 0 ||
		   read_dir(out, opts, err) < 0) {
		return -1;
	}
	if (find_rel(out, err) < 0 || parse_rel(out, err) < 0)
		return -1;
	classify(out);
	describe_apps(out);
	collect(out);
	check_sums(out, opts);
	check_signature(out, opts);
	/* the record has done its part: only the kept files stay */
	rb_manifest_release(&out->kept.files);
	return 0;
}

int rb_inspect(const char *path, const struct rb_key *pubkey,
	       struct rb_inspect *out, struct rb_error *err)
{
	struct rb_inspect_opts o = { pubkey, 1, 0, 0 };

	return rb_inspect_with(path, &o, out, err);
}
