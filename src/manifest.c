#include "manifest.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "sign.h"

static const char hexdigits[] = "0123456789abcdef";

int rb_sha256_init(struct rb_sha256 *h, struct rb_error *err)
{
	h->ctx = EVP_MD_CTX_new();
	if (!h->ctx)
		return rb_fail(err, "cannot create a sha-256 context");
	if (EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1) {
		rb_sha256_release(h);
		return rb_fail(err, "cannot initialise sha-256");
	}
	return 0;
}

int rb_sha256_update(struct rb_sha256 *h, const void *data, size_t len,
		     struct rb_error *err)
{
	if (!len)
		return 0;
	if (EVP_DigestUpdate(h->ctx, data, len) != 1)
		return rb_fail(err, "sha-256 update failed");
	return 0;
}

int rb_sha256_final(struct rb_sha256 *h, char hex[RB_SHA256_HEX],
		    struct rb_error *err)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (EVP_DigestFinal_ex(h->ctx, md, &n) != 1 || n != 32)
		return rb_fail(err, "sha-256 final failed");
	for (unsigned int i = 0; i < n; i++) {
		hex[2 * i] = hexdigits[md[i] >> 4];
		hex[2 * i + 1] = hexdigits[md[i] & 0xf];
	}
	hex[64] = '\0';
	return 0;
}

void rb_sha256_release(struct rb_sha256 *h)
{
	EVP_MD_CTX_free(h->ctx);
	h->ctx = NULL;
}

int rb_sha256_buf(const void *data, size_t len, char hex[RB_SHA256_HEX],
		  struct rb_error *err)
{
	struct rb_sha256 h;
	int ret = -1;

	if (rb_sha256_init(&h, err) < 0)
		return -1;
	if (rb_sha256_update(&h, data, len, err) < 0 ||
	    rb_sha256_final(&h, hex, err) < 0)
		goto out;
	ret = 0;
out:
	rb_sha256_release(&h);
	return ret;
}

int rb_sha256_hex_parse(const char *s, char hex[RB_SHA256_HEX])
{
	for (int i = 0; i < 64; i++) {
		int v = hex_value((unsigned char)s[i]);

		if (v < 0)
			return -1;
		hex[i] = hexdigits[v];
	}
	hex[64] = '\0';
	return 0;
}

int rb_sha256_fd(int fd, const char *path, char hex[RB_SHA256_HEX],
		 struct rb_error *err)
{
	struct rb_sha256 h = { NULL };
	char buf[65536];
	ssize_t n;
	int ret = -1;

	if (rb_sha256_init(&h, err) < 0)
		goto out;
	while ((n = read_retry(fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			rb_fail_errno(err, "cannot read '%s'", path);
			goto out;
		}
		if (rb_sha256_update(&h, buf, (size_t)n, err) < 0)
			goto out;
	}
	if (rb_sha256_final(&h, hex, err) < 0)
		goto out;
	ret = 0;
out:
	rb_sha256_release(&h);
	return ret;
}

int rb_sha256_file(const char *path, char hex[RB_SHA256_HEX],
		   struct rb_error *err)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return rb_fail_errno(err, "cannot open '%s'", path);
	ret = rb_sha256_fd(fd, path, hex, err);
	close(fd);
	return ret;
}

/* The part of relpath inside "releases/<vsn>/", if it is directly there. */
static const char *in_version_dir(const char *relpath, const char *vsn)
{
	const char *rest, *slash;

	if (!has_prefix(relpath, "releases/"))
		return NULL;
	rest = relpath + strlen("releases/");
	slash = strchr(rest, '/');
	if (!slash || slash == rest || strchr(slash + 1, '/') || !slash[1])
		return NULL;
	if (vsn && (strlen(vsn) != (size_t)(slash - rest) ||
		    strncmp(rest, vsn, (size_t)(slash - rest))))
		return NULL;
	return slash + 1;
}

int rb_is_manifest_path(const char *relpath)
{
	const char *name = in_version_dir(relpath, NULL);

	return name && !strcmp(name, "SHA256SUMS");
}

int rb_is_meta_path(const char *relpath)
{
	const char *name = in_version_dir(relpath, NULL);

	return name && (!strcmp(name, "SHA256SUMS") || !strcmp(name, "MODES") ||
			!strcmp(name, RB_SIG_NAME));
}

void rb_tar_record_release(struct rb_tar_record *r)
{
	for (size_t i = 0; i < r->nr_kept; i++) {
		free(r->kept[i].path);
		sb_release(&r->kept[i].data);
	}
	free(r->kept);
	rb_manifest_release(&r->files);
	r->kept = NULL;
	r->nr_kept = r->alloc_kept = 0;
	r->hash[0] = '\0';
}

const struct rb_kept *rb_tar_record_kept(const struct rb_tar_record *r,
					 const char *path)
{
	for (size_t i = 0; i < r->nr_kept; i++)
		if (!strcmp(r->kept[i].path, path))
			return &r->kept[i];
	return NULL;
}

struct strbuf *rb_tar_record_keep(struct rb_tar_record *r, const char *path)
{
	struct rb_kept *k = (struct rb_kept *)rb_tar_record_kept(r, path);

	if (!k) {
		ALLOC_GROW(r->kept, r->nr_kept + 1, r->alloc_kept);
		k = &r->kept[r->nr_kept++];
		k->path = xstrdup(path);
		sb_init(&k->data);
	}
	sb_reset(&k->data);
	return &k->data;
}

int rb_path_excluded(const struct rb_exclude *ex, const char *relpath)
{
	const char *base = strrchr(relpath, '/');
	const char *name;

	if (!ex)
		return 0;
	base = base ? base + 1 : relpath;
	if (has_suffix(base, ".sig") && !ex->tarball)
		return 1;
	/*
	 * release_handler's record of the releases it knows: written by the
	 * runtime on the server (the control script makes it at the first
	 * boot, hot upgrades rewrite it), never shipped.
	 */
	if (!strcmp(relpath, "releases/RELEASES"))
		return 1;
	/*
	 * The control script's scratch directory (RELEASE_TMP's default:
	 * rendered config, pid file, run_erl's pipes and logs), there once
	 * a release in place has been started; never shipped.
	 */
	if (!strcmp(relpath, "tmp") || has_prefix(relpath, "tmp/"))
		return 1;
	name = in_version_dir(relpath, ex->vsn);
	if (name && ((!strcmp(name, "SHA256SUMS") && !ex->tarball) ||
		     has_suffix(name, ".tar") || has_suffix(name, ".tar.gz") ||
		     has_suffix(name, ".tar.zst") || has_suffix(name, ".run") ||
		     has_suffix(name, ".sha256") ||
		     has_prefix(name, ".relbuild-tmp-")))
		return 1;
	for (size_t i = 0; ex->paths && i < ex->paths->nr; i++) {
		const char *p = ex->paths->v[i];
		size_t n = strlen(p);

		if (!strncmp(relpath, p, n) &&
		    (relpath[n] == '\0' || relpath[n] == '/'))
			return 1;
	}
	return 0;
}

static int bad_name_char(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f || *p == '\\')
			return 1;
	return 0;
}

static void tree_add(struct rb_tree *t, const char *path,
		     const struct stat *st, const char *link)
{
	struct rb_tree_entry *e;

	ALLOC_GROW(t->v, t->nr + 1, t->alloc);
	e = &t->v[t->nr++];
	e->path = xstrdup(path);
	e->mode = st->st_mode;
	e->link = link ? xstrdup(link) : NULL;
	e->dev = st->st_dev;
	e->ino = st->st_ino;
	e->size = st->st_size;
	e->mtime = st->st_mtim;
}

static int read_link(const char *path, char **out, struct rb_error *err)
{
	size_t size = 256;
	char *buf = NULL;

	for (;;) {
		ssize_t n;

		buf = xrealloc(buf, size);
		n = readlink(path, buf, size);
		if (n < 0) {
			free(buf);
			return rb_fail_errno(err, "cannot read link '%s'", path);
		}
		if ((size_t)n < size) {
			buf[n] = '\0';
			*out = buf;
			return 0;
		}
		size *= 2;
	}
}

/* Whether sub, a directory, is releases/<v>/ of a version other than ex's. */
static int other_version_dir(const struct rb_exclude *ex, const char *sub)
{
	const char *name;

	if (!ex || !ex->vsn || !has_prefix(sub, "releases/"))
		return 0;
	name = sub + strlen("releases/");
	return !strchr(name, '/') && strcmp(name, ex->vsn) != 0;
}

static int walk(struct rb_tree *t, const char *root, const char *rel,
		const struct rb_exclude *ex, struct rb_error *err)
{
	struct strvec names = STRVEC_INIT;
	char *dir = *rel ? path_join(root, rel) : xstrdup(root);
	int ret = -1;

	if (list_dir(dir, &names, err) < 0)
		goto out;
	for (size_t i = 0; i < names.nr; i++) {
		char *sub = *rel ? xasprintf("%s/%s", rel, names.v[i])
				 : xstrdup(names.v[i]);
		char *full = path_join(root, sub);
		char *link = NULL;
		struct stat st;
		int r = 0;

		if (rb_path_excluded(ex, sub))
			goto next;
		if (bad_name_char(sub)) {
			r = rb_fail(err, "unsupported character in file name under '%s'",
				    dir);
			goto next;
		}
		if (lstat(full, &st) < 0) {
			r = rb_fail_errno(err, "cannot stat '%s'", full);
			goto next;
		}
		if (S_ISDIR(st.st_mode) && other_version_dir(ex, sub))
			goto next;
		if (S_ISLNK(st.st_mode) && (r = read_link(full, &link, err)) < 0)
			goto next;
		tree_add(t, sub, &st, link);
		if (S_ISDIR(st.st_mode))
			r = walk(t, root, sub, ex, err);
next:
		free(link);
		free(full);
		free(sub);
		if (r < 0)
			goto out;
	}
	ret = 0;
out:
	strvec_clear(&names);
	free(dir);
	return ret;
}

static int cmp_tree_entry(const void *a, const void *b)
{
	return strcmp(((const struct rb_tree_entry *)a)->path,
		      ((const struct rb_tree_entry *)b)->path);
}

int rb_tree_list(struct rb_tree *t, const char *root,
		 const struct rb_exclude *ex, struct rb_error *err)
{
	if (!is_dir(root))
		return rb_fail(err, "'%s' is not a directory", root);
	if (walk(t, root, "", ex, err) < 0)
		return -1;
	if (t->nr)
		qsort(t->v, t->nr, sizeof(*t->v), cmp_tree_entry);
	return 0;
}

void rb_tree_release(struct rb_tree *t)
{
	for (size_t i = 0; i < t->nr; i++) {
		free(t->v[i].path);
		free(t->v[i].link);
	}
	free(t->v);
	t->v = NULL;
	t->nr = t->alloc = 0;
}

int rb_tree_private(const char *root, struct strvec *out, struct rb_error *err)
{
	struct rb_tree t = RB_TREE_INIT;

	if (rb_tree_list(&t, root, NULL, err) < 0) {
		rb_tree_release(&t);
		return -1;
	}
	for (size_t i = 0; i < t.nr; i++) {
		mode_t m = t.v[i].mode;

		if (S_ISREG(m) && !(rb_normal_mode(m) & 0004))
			strvec_pushf(out, "%04o %s", (unsigned)rb_normal_mode(m),
				     t.v[i].path);
	}
	rb_tree_release(&t);
	return 0;
}

void rb_manifest_init(struct rb_manifest *m)
{
	m->v = NULL;
	m->nr = m->alloc = 0;
}

void rb_manifest_release(struct rb_manifest *m)
{
	for (size_t i = 0; i < m->nr; i++)
		free(m->v[i].path);
	free(m->v);
	rb_manifest_init(m);
}

struct rb_manifest_entry *rb_manifest_add(struct rb_manifest *m,
					  const char *path, const char *hash)
{
	struct rb_manifest_entry *e;

	ALLOC_GROW(m->v, m->nr + 1, m->alloc);
	e = &m->v[m->nr++];
	e->path = xstrdup(path);
	memcpy(e->hash, hash, RB_SHA256_HEX - 1);
	e->hash[RB_SHA256_HEX - 1] = '\0';
	e->mode = -1;
	return e;
}

static int cmp_manifest_entry(const void *a, const void *b)
{
	return strcmp(((const struct rb_manifest_entry *)a)->path,
		      ((const struct rb_manifest_entry *)b)->path);
}

const char *rb_manifest_sort(struct rb_manifest *m)
{
	if (m->nr)
		qsort(m->v, m->nr, sizeof(*m->v), cmp_manifest_entry);
	for (size_t i = 1; i < m->nr; i++)
		if (!strcmp(m->v[i - 1].path, m->v[i].path))
			return m->v[i].path;
	return NULL;
}

const struct rb_manifest_entry *rb_manifest_find(const struct rb_manifest *m,
						 const char *path)
{
	struct rb_manifest_entry key = { (char *)path, "", -1 };

	if (!m->nr)
		return NULL;
	return bsearch(&key, m->v, m->nr, sizeof(*m->v), cmp_manifest_entry);
}

/*
 * Hash every regular file below root that ex leaves in into m, each with
 * its permission bits. Anything else but a directory or a symlink is an
 * error, or, when res is given, an "unsafe" problem recorded there.
 */
static int hash_tree(struct rb_manifest *m, const char *root,
		     const struct rb_exclude *ex, struct rb_verify_result *res,
		     struct rb_error *err)
{
	struct rb_tree t = RB_TREE_INIT;
	int ret = -1;

	if (rb_tree_list(&t, root, ex, err) < 0)
		goto out;
	for (size_t i = 0; i < t.nr; i++) {
		mode_t mode = t.v[i].mode;
		char hex[RB_SHA256_HEX];
		char *full;
		int r;

		if (S_ISDIR(mode) || S_ISLNK(mode))
			continue;
		if (!S_ISREG(mode) && res) {
			rb_verify_add_problem(res, RB_PROBLEM_UNSAFE, t.v[i].path);
			continue;
		}
		if (!S_ISREG(mode)) {
			rb_fail(err, "'%s' in '%s' is not a regular file, directory or symlink",
				t.v[i].path, root);
			goto out;
		}
		full = path_join(root, t.v[i].path);
		r = rb_sha256_file(full, hex, err);
		free(full);
		if (r < 0)
			goto out;
		rb_manifest_add(m, t.v[i].path, hex)->mode = (int)(mode & 07777);
	}
	ret = 0;
out:
	rb_tree_release(&t);
	return ret;
}

int rb_manifest_build(struct rb_manifest *m, const char *root,
		      const struct rb_exclude *ex, struct rb_error *err)
{
	return hash_tree(m, root, ex, NULL, err);
}

char *rb_manifest_format(const struct rb_manifest *m)
{
	struct strbuf sb = STRBUF_INIT;

	for (size_t i = 0; i < m->nr; i++)
		sb_addf(&sb, "%s  %s\n", m->v[i].hash, m->v[i].path);
	return sb_detach(&sb);
}

/* Why a manifest path is not acceptable, or NULL. */
static const char *bad_manifest_path(const char *p, size_t len)
{
	size_t start = 0;

	if (!len)
		return "empty path";
	if (p[0] == '/')
		return "absolute path";
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		if (!c || c < 0x20 || c == 0x7f)
			return "control character in path";
	}
	for (size_t i = 0; i <= len; i++) {
		size_t n;

		if (i < len && p[i] != '/')
			continue;
		n = i - start;
		if (!n)
			return "empty component in path";
		if (n == 1 && p[start] == '.')
			return "'.' component in path";
		if (n == 2 && p[start] == '.' && p[start + 1] == '.')
			return "'..' component in path";
		start = i + 1;
	}
	return NULL;
}

int rb_manifest_parse(struct rb_manifest *m, const char *name,
		      const char *text, size_t len, struct rb_error *err)
{
	const char *p = text, *end = text + len;
	const char *dup;
	size_t lineno = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		size_t n = (size_t)(eol - p);
		char hash[RB_SHA256_HEX];
		const char *why;
		char *path;

		lineno++;
		if (!n)
			return rb_error_at(err, RB_EFAIL, name, lineno, 0, "empty line");
		if (p[0] == '\\')
			return rb_error_at(err, RB_EFAIL, name, lineno, 0, "escaped file names are not supported");
		if (n < 67)
			return rb_error_at(err, RB_EFAIL, name, lineno, 0, "malformed line");
		if (rb_sha256_hex_parse(p, hash) < 0)
			return rb_error_at(err, RB_EFAIL, name, lineno, 0, "malformed sha-256 hash");
		if (p[64] != ' ' || (p[65] != ' ' && p[65] != '*'))
			return rb_error_at(err, RB_EFAIL, name, lineno, 0, "malformed line, expected '<sha256>  <path>'");
		why = bad_manifest_path(p + 66, n - 66);
		if (why)
			return rb_error_at(err, RB_EFAIL, name, lineno, 0, "%s", why);
		path = xstrndup(p + 66, n - 66);
		rb_manifest_add(m, path, hash);
		free(path);
		p = nl ? nl + 1 : end;
	}
	dup = rb_manifest_sort(m);
	if (dup)
		return rb_fail(err, "%s: '%s' is listed more than once", name, dup);
	return 0;
}

char *rb_modes_format(const struct rb_manifest *m)
{
	struct strbuf sb = STRBUF_INIT;

	for (size_t i = 0; i < m->nr; i++)
		sb_addf(&sb, "%04o %s\n", (unsigned)m->v[i].mode & 07777,
			m->v[i].path);
	return sb_detach(&sb);
}

int rb_modes_parse(struct rb_manifest *m, const char *name,
		   const char *text, size_t len, struct rb_error *err)
{
	static const char zero[RB_SHA256_HEX];
	const char *p = text, *end = text + len;
	const char *dup;
	size_t lineno = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		size_t n = (size_t)(eol - p);
		const char *why;
		char *path;
		int mode = 0;

		lineno++;
		if (n < 6 || p[4] != ' ')
			return rb_error_at(err, RB_EFAIL, name, lineno, 0, "malformed line, expected '<mode> <path>'");
		for (int i = 0; i < 4; i++) {
			if (p[i] < '0' || p[i] > '7')
				return rb_error_at(err, RB_EFAIL, name, lineno, 0, "malformed mode");
			mode = mode * 8 + (p[i] - '0');
		}
		why = bad_manifest_path(p + 5, n - 5);
		if (why)
			return rb_error_at(err, RB_EFAIL, name, lineno, 0, "%s", why);
		path = xstrndup(p + 5, n - 5);
		rb_manifest_add(m, path, zero)->mode = mode;
		free(path);
		p = nl ? nl + 1 : end;
	}
	dup = rb_manifest_sort(m);
	if (dup)
		return rb_fail(err, "%s: '%s' is listed more than once", name, dup);
	return 0;
}

int rb_manifest_listed(const char *vsn, const char *relpath)
{
	struct rb_exclude ex = { vsn, NULL, 0 };

	return !rb_path_excluded(&ex, relpath);
}

/* root/releases/<vsn>, where the manifest goes; NULL when it cannot. */
static char *manifest_dir(const char *root, const char *vsn,
			  struct rb_error *err)
{
	char *dir;

	if (!is_path_component(vsn)) {
		rb_fail(err, "invalid release version '%s'", vsn);
		return NULL;
	}
	dir = xasprintf("%s/releases/%s", root, vsn);
	if (!is_dir(dir)) {
		rb_fail(err, "'%s' is not a directory", dir);
		free(dir);
		return NULL;
	}
	return dir;
}

int rb_manifest_write(const char *root, const char *vsn, size_t *nr_files,
		      struct rb_error *err)
{
	struct rb_exclude ex = { vsn, NULL, 0 };
	struct rb_manifest found = RB_MANIFEST_INIT;
	char *dir = manifest_dir(root, vsn, err);
	int ret = -1;

	if (dir && hash_tree(&found, root, &ex, NULL, err) == 0)
		ret = rb_manifest_write_found(root, vsn, &found, nr_files, err);
	rb_manifest_release(&found);
	free(dir);
	return ret;
}

int rb_manifest_write_found(const char *root, const char *vsn,
			    const struct rb_manifest *found, size_t *nr_files,
			    struct rb_error *err)
{
	static const char zero[RB_SHA256_HEX];
	struct rb_manifest m = RB_MANIFEST_INIT;
	struct rb_manifest_entry *modes_entry = NULL;
	char *dir = NULL, *path = NULL, *text = NULL, *modes_rel = NULL;
	int ret = -1;

	dir = manifest_dir(root, vsn, err);
	if (!dir)
		goto out;

	/*
	 * SHA256SUMS and MODES list the same files, MODES included (an
	 * earlier one is replaced); MODES holds the modes the tarball stores.
	 */
	modes_rel = xasprintf("releases/%s/MODES", vsn);
	for (size_t i = 0; i < found->nr; i++)
		if (strcmp(found->v[i].path, modes_rel))
			rb_manifest_add(&m, found->v[i].path, found->v[i].hash)->mode =
				(int)rb_normal_mode((mode_t)found->v[i].mode);
	rb_manifest_add(&m, modes_rel, zero)->mode = 0644;
	rb_manifest_sort(&m);
	for (size_t i = 0; i < m.nr && !modes_entry; i++)
		if (!strcmp(m.v[i].path, modes_rel))
			modes_entry = &m.v[i];

	text = rb_modes_format(&m);
	path = path_join(root, modes_rel);
	if (write_file(path, text, strlen(text), 0644, err) < 0 ||
	    rb_sha256_buf(text, strlen(text), modes_entry->hash, err) < 0)
		goto out;
	free(text);
	free(path);

	text = rb_manifest_format(&m);
	path = path_join(dir, "SHA256SUMS");
	if (write_file(path, text, strlen(text), 0644, err) < 0)
		goto out;
	if (nr_files)
		*nr_files = m.nr;
	ret = 0;
out:
	free(modes_rel);
	free(text);
	free(path);
	free(dir);
	rb_manifest_release(&m);
	return ret;
}

const char *rb_problem_kind_name(enum rb_problem_kind kind)
{
	switch (kind) {
	case RB_PROBLEM_MISSING:
		return "missing";
	case RB_PROBLEM_EXTRA:
		return "extra";
	case RB_PROBLEM_CHANGED:
		return "changed";
	case RB_PROBLEM_DUPLICATE:
		return "duplicate";
	case RB_PROBLEM_UNSAFE:
		return "unsafe";
	case RB_PROBLEM_MODE:
		return "mode";
	case RB_PROBLEM_SIGNATURE:
		return "signature";
	}
	return "problem";
}

const char *rb_sig_status_name(enum rb_sig_status s)
{
	switch (s) {
	case RB_SIG_UNCHECKED:
		return "unchecked";
	case RB_SIG_VALID:
		return "valid";
	case RB_SIG_INVALID:
		return "invalid";
	case RB_SIG_MISSING:
		return "missing";
	}
	return "unchecked";
}

void rb_verify_result_init(struct rb_verify_result *res)
{
	res->manifest = NULL;
	res->nr_files = 0;
	res->nr_kept = 0;
	res->kept_from = (struct strvec)STRVEC_INIT;
	res->modes = 0;
	res->signature = RB_SIG_UNCHECKED;
	res->problems = NULL;
	res->nr_problems = res->alloc = 0;
}

void rb_verify_result_release(struct rb_verify_result *res)
{
	for (size_t i = 0; i < res->nr_problems; i++)
		free(res->problems[i].path);
	free(res->problems);
	free(res->manifest);
	strvec_clear(&res->kept_from);
	rb_verify_result_init(res);
}

static struct rb_problem *add_problem(struct rb_verify_result *res,
				      enum rb_problem_kind kind,
				      const char *path)
{
	struct rb_problem *p;

	ALLOC_GROW(res->problems, res->nr_problems + 1, res->alloc);
	p = &res->problems[res->nr_problems++];
	p->kind = kind;
	p->path = xstrdup(path);
	p->mode = p->expected = 0;
	return p;
}

void rb_verify_add_problem(struct rb_verify_result *res,
			   enum rb_problem_kind kind, const char *path)
{
	add_problem(res, kind, path);
}

void rb_manifest_compare(const struct rb_manifest *expected,
			 const struct rb_manifest *found,
			 struct rb_verify_result *res)
{
	size_t i = 0, j = 0;

	while (i < expected->nr || j < found->nr) {
		int c;

		if (i >= expected->nr)
			c = 1;
		else if (j >= found->nr)
			c = -1;
		else
			c = strcmp(expected->v[i].path, found->v[j].path);
		if (c < 0) {
			rb_verify_add_problem(res, RB_PROBLEM_MISSING,
					      expected->v[i++].path);
		} else if (c > 0) {
			rb_verify_add_problem(res, RB_PROBLEM_EXTRA,
					      found->v[j++].path);
		} else {
			if (strcmp(expected->v[i].hash, found->v[j].hash))
				rb_verify_add_problem(res, RB_PROBLEM_CHANGED,
						      expected->v[i].path);
			i++;
			j++;
		}
	}
	res->nr_files = expected->nr;
}

/* "releases/<vsn>/NAME" beside manifest ("releases/<vsn>/SHA256SUMS"). */
static char *beside_manifest(const char *manifest, const char *name)
{
	const char *slash = strrchr(manifest, '/');
	size_t n = slash ? (size_t)(slash - manifest) + 1 : 0;

	return xasprintf("%.*s%s", (int)n, manifest, name);
}

int rb_verify_modes(const struct rb_manifest *expected,
		    const struct rb_manifest *found, const char *manifest,
		    const char *text, size_t len, struct rb_verify_result *res,
		    struct rb_error *err)
{
	struct rb_manifest modes = RB_MANIFEST_INIT;
	const struct rb_manifest_entry *listed;
	char *path = beside_manifest(manifest, "MODES");
	char hex[RB_SHA256_HEX];
	int ret = -1;

	listed = rb_manifest_find(expected, path);
	if (!listed || !text) {
		ret = 0;
		goto out;
	}
	if (rb_sha256_buf(text, len, hex, err) < 0)
		goto out;
	if (strcmp(hex, listed->hash)) {
		ret = 0;
		goto out;
	}
	if (rb_modes_parse(&modes, path, text, len, err) < 0)
		goto out;
	for (size_t i = 0; i < found->nr; i++) {
		const struct rb_manifest_entry *f = &found->v[i];
		const struct rb_manifest_entry *m;
		struct rb_problem *p;

		if (f->mode < 0 || !(m = rb_manifest_find(&modes, f->path)) ||
		    f->mode == m->mode)
			continue;
		p = add_problem(res, RB_PROBLEM_MODE, f->path);
		p->mode = (unsigned)f->mode;
		p->expected = (unsigned)m->mode;
	}
	res->modes = 1;
	ret = 0;
out:
	rb_manifest_release(&modes);
	free(path);
	return ret;
}

int rb_verify_signature(const struct rb_key *pubkey, const char *manifest,
			const char *text, size_t len, const void *sig,
			size_t siglen, struct rb_verify_result *res,
			struct rb_error *err)
{
	char *path;
	int r;

	res->signature = RB_SIG_UNCHECKED;
	if (!pubkey)
		return 0;
	path = xasprintf("%s.sig", manifest);
	if (!sig) {
		res->signature = RB_SIG_MISSING;
	} else {
		r = rb_sig_check(pubkey, text, len, sig, siglen, err);
		if (r < 0) {
			free(path);
			return -1;
		}
		res->signature = r ? RB_SIG_VALID : RB_SIG_INVALID;
	}
	if (res->signature != RB_SIG_VALID)
		add_problem(res, RB_PROBLEM_SIGNATURE, path);
	free(path);
	return 0;
}

static int has_manifest(const char *root, const char *vsn)
{
	char *full = xasprintf("%s/releases/%s/SHA256SUMS", root, vsn);
	struct stat st;
	int r = !lstat(full, &st) && S_ISREG(st.st_mode);

	free(full);
	return r;
}

char *rb_start_erl_parse(const char *text, size_t len)
{
	const char *p, *q;
	char *vsn;

	if (memchr(text, '\0', len))
		return NULL;
	/* "<erts vsn> <release vsn>\n" */
	p = text + strcspn(text, " \t\n");
	p += strspn(p, " \t");
	q = p + strcspn(p, " \t\r\n");
	vsn = xstrndup(p, (size_t)(q - p));
	if (!is_path_component(vsn)) {
		free(vsn);
		vsn = NULL;
	}
	return vsn;
}

char *rb_start_erl_vsn(const char *root)
{
	char *path = path_join(root, "releases/start_erl.data");
	char *text = NULL, *vsn = NULL;
	size_t len = 0;

	if (is_file(path) && read_file(path, &text, &len, NULL) == 0)
		vsn = rb_start_erl_parse(text, len);
	free(text);
	free(path);
	return vsn;
}

/*
 * The version to check: vsn if given, else the one start_erl.data
 * names if it has a manifest, else the only one with a manifest.
 */
static int find_dir_version(const char *root, const char *vsn, char **out,
			    struct rb_error *err)
{
	struct strvec names = STRVEC_INIT, found = STRVEC_INIT;
	char *releases = path_join(root, "releases");
	char *booted = NULL;
	int ret = -1;

	if (vsn) {
		if (!is_path_component(vsn)) {
			rb_fail(err, "invalid release version '%s'", vsn);
		} else if (!has_manifest(root, vsn)) {
			rb_fail(err, "no 'releases/%s/SHA256SUMS' in '%s'", vsn, root);
		} else {
			*out = xstrdup(vsn);
			ret = 0;
		}
		goto out;
	}
	if (!is_dir(releases)) {
		rb_fail(err, "'%s' is not a release: no releases directory", root);
		goto out;
	}
	booted = rb_start_erl_vsn(root);
	if (booted && has_manifest(root, booted)) {
		*out = booted;
		booted = NULL;
		ret = 0;
		goto out;
	}
	if (list_dir(releases, &names, err) < 0)
		goto out;
	for (size_t i = 0; i < names.nr; i++)
		if (has_manifest(root, names.v[i]))
			strvec_push(&found, names.v[i]);
	if (!found.nr) {
		rb_fail(err, "no releases/<vsn>/SHA256SUMS in '%s'", root);
		goto out;
	}
	if (found.nr > 1) {
		rb_fail(err, "several manifests in '%s' ('releases/%s/SHA256SUMS' and "
			"'releases/%s/SHA256SUMS') and releases/start_erl.data names neither",
			root, found.v[0], found.v[1]);
		goto out;
	}
	*out = xstrdup(found.v[0]);
	ret = 0;
out:
	free(booted);
	strvec_clear(&found);
	strvec_clear(&names);
	free(releases);
	return ret;
}

/*
 * Read root/rel if it is a regular file (not followed): 0 with *text
 * set, 0 with *text NULL when there is none, -1 on a read error.
 */
static int read_if_file(const char *root, const char *rel, char **text,
			size_t *len, struct rb_error *err)
{
	char *full = path_join(root, rel);
	struct stat st;
	int ret = 0;

	*text = NULL;
	*len = 0;
	if (!lstat(full, &st) && S_ISREG(st.st_mode))
		ret = read_file(full, text, len, err);
	free(full);
	return ret;
}

/* The manifest of another version a directory holds, trusted or not. */
struct other_manifest {
	char *vsn;
	struct rb_manifest m;
};

/*
 * Read and parse releases/<v>/SHA256SUMS below root into m, and with
 * pubkey check its signature: 1 when it can be trusted, 0 when not
 * (malformed, no or a bad signature), -1 when it cannot be read.
 */
static int trusted_manifest(const char *root, const char *v,
			    const struct rb_key *pubkey, struct rb_manifest *m,
			    struct rb_error *err)
{
	char *rel = xasprintf("releases/%s/SHA256SUMS", v);
	char *sig_rel = xasprintf("%s.sig", rel);
	char *text = NULL, *sig = NULL;
	size_t len = 0, siglen = 0;
	struct rb_error perr;
	int ret = -1;

	if (read_if_file(root, rel, &text, &len, err) < 0)
		goto out;
	ret = text && !rb_manifest_parse(m, rel, text, len, &perr);
	if (ret && pubkey) {
		if (read_if_file(root, sig_rel, &sig, &siglen, err) < 0)
			ret = -1;
		else
			ret = sig ? rb_sig_check(pubkey, text, len, sig, siglen, err)
				  : 0;
	}
out:
	free(sig);
	free(text);
	free(sig_rel);
	free(rel);
	return ret;
}

/*
 * The manifests of the versions other than vsn below root/releases/
 * that can be trusted (see trusted_manifest()).  One that cannot is
 * left out, so the files only it lists stay problems.
 */
static int other_manifests(const char *root, const char *vsn,
			   const struct rb_key *pubkey,
			   struct other_manifest **out, size_t *nr,
			   struct rb_error *err)
{
	struct strvec names = STRVEC_INIT;
	char *releases = path_join(root, "releases");
	size_t alloc = 0;
	int ret = -1;

	if (list_dir(releases, &names, err) < 0)
		goto out;
	for (size_t i = 0; i < names.nr; i++) {
		struct rb_manifest m = RB_MANIFEST_INIT;
		int r;

		if (!strcmp(names.v[i], vsn) || !has_manifest(root, names.v[i]))
			continue;
		r = trusted_manifest(root, names.v[i], pubkey, &m, err);
		if (r > 0) {
			ALLOC_GROW(*out, *nr + 1, alloc);
			(*out)[*nr].vsn = xstrdup(names.v[i]);
			(*out)[(*nr)++].m = m;
		} else {
			rb_manifest_release(&m);
		}
		if (r < 0)
			goto out;
	}
	ret = 0;
out:
	strvec_clear(&names);
	free(releases);
	return ret;
}

static void other_manifests_release(struct other_manifest *o, size_t nr)
{
	for (size_t i = 0; i < nr; i++) {
		free(o[i].vsn);
		rb_manifest_release(&o[i].m);
	}
	free(o);
}

/*
 * Drop the extra and changed problems of files that one of the other
 * manifests lists with the hash found: what a hot upgrade left there.
 * An extra file another manifest lists with another hash was changed.
 */
static void accept_upgraded(struct rb_verify_result *res,
			    const struct rb_manifest *found,
			    const struct other_manifest *o, size_t nr)
{
	size_t kept = 0;

	for (size_t i = 0; i < res->nr_problems; i++) {
		struct rb_problem *p = &res->problems[i];
		const struct rb_manifest_entry *f = NULL;
		const char *from = NULL;
		int listed = 0;

		if (p->kind == RB_PROBLEM_EXTRA || p->kind == RB_PROBLEM_CHANGED)
			f = rb_manifest_find(found, p->path);
		for (size_t k = 0; f && !from && k < nr; k++) {
			const struct rb_manifest_entry *e =
				rb_manifest_find(&o[k].m, p->path);

			listed |= e != NULL;
			if (e && !strcmp(e->hash, f->hash))
				from = o[k].vsn;
		}
		if (!from) {
			if (listed)
				p->kind = RB_PROBLEM_CHANGED;
			res->problems[kept++] = *p;
			continue;
		}
		res->nr_kept++;
		if (!strvec_contains(&res->kept_from, from))
			strvec_push(&res->kept_from, from);
		free(p->path);
	}
	res->nr_problems = kept;
	strvec_sort(&res->kept_from);
}

/*
 * A hot upgrade renders releases/<vsn>/sys.config in place (release_handler
 * reads that file) and keeps the shipped one as sys.config.src: that one
 * is what the manifest lists, with its mode.
 */
static void use_sys_config_template(struct rb_manifest *found, const char *vsn)
{
	char *cfg = xasprintf("releases/%s/sys.config", vsn);
	char *src = xasprintf("%s.src", cfg);
	struct rb_manifest_entry *c = NULL, *t = NULL;

	for (size_t i = 0; i < found->nr; i++) {
		if (!strcmp(found->v[i].path, cfg))
			c = &found->v[i];
		else if (!strcmp(found->v[i].path, src))
			t = &found->v[i];
	}
	if (c && t) {
		memcpy(c->hash, t->hash, sizeof(c->hash));
		c->mode = t->mode;
		free(t->path);
		memmove(t, t + 1, (size_t)(found->v + found->nr - (t + 1)) * sizeof(*t));
		found->nr--;
	}
	free(src);
	free(cfg);
}

/*
 * releases/COOKIE that the manifest does not list was made on the server
 * (the control script makes one at first need when the release ships
 * none): like releases/RELEASES it belongs to the runtime.  One that the
 * manifest lists was shipped and is checked like any file.
 */
static void drop_runtime_cookie(struct rb_manifest *found,
				const struct rb_manifest *expected)
{
	static const char cookie[] = "releases/COOKIE";

	if (rb_manifest_find(expected, cookie))
		return;
	for (size_t i = 0; i < found->nr; i++) {
		if (strcmp(found->v[i].path, cookie))
			continue;
		free(found->v[i].path);
		memmove(&found->v[i], &found->v[i + 1],
			(found->nr - i - 1) * sizeof(*found->v));
		found->nr--;
		return;
	}
}

int rb_verify_dir_opts(const char *root, const struct rb_verify_opts *opts,
		       struct rb_verify_result *res, struct rb_error *err)
{
	struct rb_manifest expected = RB_MANIFEST_INIT, found = RB_MANIFEST_INIT;
	struct rb_exclude ex = { NULL, NULL, 0 };
	struct other_manifest *others = NULL;
	size_t nr_others = 0;
	char *vsn = NULL, *manifest = NULL, *modes_rel = NULL, *sig_rel = NULL;
	char *text = NULL, *modes = NULL, *sig = NULL;
	size_t len = 0, modes_len = 0, sig_len = 0;
	int ret = -1;

	if (find_dir_version(root, opts ? opts->vsn : NULL, &vsn, err) < 0)
		goto out;
	manifest = xasprintf("releases/%s/SHA256SUMS", vsn);
	modes_rel = beside_manifest(manifest, "MODES");
	sig_rel = xasprintf("%s.sig", manifest);
	if (read_if_file(root, manifest, &text, &len, err) < 0)
		goto out;
	if (!text) {
		rb_fail(err, "no '%s' in '%s'", manifest, root);
		goto out;
	}
	if (rb_manifest_parse(&expected, manifest, text, len, err) < 0)
		goto out;
	/* Other versions' releases/<v>/ (kept for upgrades) are not ours. */
	ex.vsn = vsn;
	if (hash_tree(&found, root, &ex, res, err) < 0)
		goto out;
	drop_runtime_cookie(&found, &expected);
	if (opts && opts->upgraded)
		use_sys_config_template(&found, vsn);
	rb_manifest_compare(&expected, &found, res);
	if (opts && opts->upgraded) {
		if (other_manifests(root, vsn, opts->pubkey, &others, &nr_others,
				    err) < 0)
			goto out;
		accept_upgraded(res, &found, others, nr_others);
	}
	if (read_if_file(root, modes_rel, &modes, &modes_len, err) < 0 ||
	    rb_verify_modes(&expected, &found, manifest, modes, modes_len, res,
			    err) < 0)
		goto out;
	if (opts && opts->pubkey &&
	    (read_if_file(root, sig_rel, &sig, &sig_len, err) < 0 ||
	     rb_verify_signature(opts->pubkey, manifest, text, len, sig, sig_len,
				 res, err) < 0))
		goto out;
	free(res->manifest);
	res->manifest = manifest;
	manifest = NULL;
	ret = 0;
out:
	other_manifests_release(others, nr_others);
	rb_manifest_release(&found);
	rb_manifest_release(&expected);
	free(sig);
	free(modes);
	free(text);
	free(sig_rel);
	free(modes_rel);
	free(manifest);
	free(vsn);
	return ret;
}

int rb_verify_dir(const char *root, const char *vsn,
		  struct rb_verify_result *res, struct rb_error *err)
{
	struct rb_verify_opts opts = { .vsn = vsn };

	return rb_verify_dir_opts(root, &opts, res, err);
}
