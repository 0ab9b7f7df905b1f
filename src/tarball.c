#include "tarball.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pgzip.h"
#include "sign.h"
#include "tarread.h"


int rb_source_date_epoch(long long *epoch, struct rb_error *err)
{
	const char *s = getenv("SOURCE_DATE_EPOCH");
	char *end;
	long long v;

	if (!s || !*s) {
		*epoch = RB_DEFAULT_EPOCH;
		return 0;
	}
	errno = 0;
	v = strtoll(s, &end, 10);
	/* Up to 9999-12-31: what every tar reader handles. */
	if (*s < '0' || *s > '9' || *end || errno || v > 253402300799LL)
		return rb_error(err, RB_ECONFIG, "invalid SOURCE_DATE_EPOCH '%s'", s);
	*epoch = v;
	return 0;
}

const char *rb_compression_ext(enum rb_compression c)
{
	switch (c) {
	case RB_COMPRESS_GZIP:
		return ".tar.gz";
	case RB_COMPRESS_ZSTD:
		return ".tar.zst";
	case RB_COMPRESS_NONE:
		return ".tar";
	}
	return ".tar";
}

/*
 * Where libarchive's output goes: a file, hashed on the way; for gzip,
 * through the parallel compressor first.
 */
struct sink {
	int fd;
	struct rb_sha256 sha;
	struct rb_pgz *gz;
	struct rb_error *err;
};

/* The file's bytes: written and hashed. */
static int sink_file(void *data, const void *buf, size_t len,
		     struct rb_error *err)
{
	struct sink *s = data;
	const char *p = buf;
	size_t left = len;

	while (left) {
		ssize_t n = write(s->fd, p, left);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return rb_fail_errno(err, "write error");
		}
		p += n;
		left -= (size_t)n;
	}
	return rb_sha256_update(&s->sha, buf, len, err);
}

static la_ssize_t sink_write(struct archive *a, void *data, const void *buf,
			     size_t len)
{
	struct sink *s = data;
	int r = s->gz ? rb_pgz_write(s->gz, buf, len, s->err)
		      : sink_file(s, buf, len, s->err);

	if (r < 0) {
		archive_set_error(a, EIO, "%s", s->err->msg);
		return -1;
	}
	return (la_ssize_t)len;
}

/* The threads to compress on. */
static int pack_threads(const struct rb_pack *pk)
{
	return pk->threads ? pk->threads : rb_pgz_default_threads();
}

/*
 * gzip is compressed here (pgzip.c), the rest by libarchive; zstd in
 * its multi-threaded mode even on one thread, whose output does not
 * depend on the number of threads (unlike its single-threaded mode's).
 */
static int set_format(struct archive *a, const struct rb_pack *pk,
		      struct rb_error *err)
{
	enum rb_compression c = pk->compression;
	char threads[16];
	int r = ARCHIVE_OK;

	if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK)
		goto fail;
	switch (c) {
	case RB_COMPRESS_GZIP:
		r = archive_write_add_filter_none(a);
		break;
	case RB_COMPRESS_ZSTD:
		r = archive_write_add_filter_zstd(a);
		snprintf(threads, sizeof(threads), "%d", pack_threads(pk));
		if (r == ARCHIVE_OK)
			r = archive_write_set_filter_option(a, "zstd", "threads",
							    threads);
		break;
	case RB_COMPRESS_NONE:
		r = archive_write_add_filter_none(a);
		break;
	}
	if (r != ARCHIVE_OK)
		goto fail;
	/* Pad nothing after the compressed stream (libarchive pads to 10 KiB). */
	if (archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK)
		goto fail;
	return 0;
fail:
	return rb_fail(err, "cannot set up the tarball writer: %s",
		       archive_error_string(a) ? archive_error_string(a)
					       : "unknown error");
}

static int add_file_data(struct archive *a, struct archive_entry *e,
			 const char *full, const char *rel,
			 struct rb_sha256 *hash, struct rb_error *err)
{
	char buf[65536];
	struct stat st;
	off_t left;
	int fd, ret = -1;

	fd = open(full, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return rb_fail_errno(err, "cannot open '%s'", full);
	if (fstat(fd, &st) < 0) {
		rb_fail_errno(err, "cannot stat '%s'", full);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rb_fail(err, "'%s' changed while being archived", full);
		goto out;
	}
	archive_entry_set_size(e, st.st_size);
	if (archive_write_header(a, e) != ARCHIVE_OK) {
		rb_fail(err, "cannot archive '%s': %s", rel,
			archive_error_string(a));
		goto out;
	}
	for (left = st.st_size; left > 0;) {
		size_t want = left < (off_t)sizeof(buf) ? (size_t)left : sizeof(buf);
		ssize_t n = read(fd, buf, want);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rb_fail_errno(err, "cannot read '%s'", full);
			goto out;
		}
		if (n == 0) {
			rb_fail(err, "'%s' changed while being archived", full);
			goto out;
		}
		if (archive_write_data(a, buf, (size_t)n) != n) {
			rb_fail(err, "cannot archive '%s': %s", rel,
				archive_error_string(a));
			goto out;
		}
		if (hash && rb_sha256_update(hash, buf, (size_t)n, err) < 0)
			goto out;
		left -= n;
	}
	ret = 0;
out:
	close(fd);
	return ret;
}

/*
 * One entry of the tree at root; a regular file's SHA-256 (of the bytes
 * archived) added to found when it is not NULL.
 */
static int add_entry(struct archive *a, const char *root,
		     const struct rb_tree_entry *te, long long epoch,
		     struct rb_manifest *found, struct rb_error *err)
{
	struct archive_entry *e = archive_entry_new();
	char *full = path_join(root, te->path);
	int ret = -1;

	if (!e) {
		rb_fail(err, "out of memory");
		goto out;
	}
	archive_entry_set_pathname(e, te->path);
	archive_entry_set_mtime(e, (time_t)epoch, 0);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	archive_entry_set_perm(e, rb_normal_mode(te->mode));
	if (S_ISDIR(te->mode)) {
		archive_entry_set_filetype(e, AE_IFDIR);
	} else if (S_ISLNK(te->mode)) {
		archive_entry_set_filetype(e, AE_IFLNK);
		archive_entry_set_symlink(e, te->link);
	} else if (S_ISREG(te->mode)) {
		struct rb_sha256 h = { NULL };
		char hex[RB_SHA256_HEX];

		archive_entry_set_filetype(e, AE_IFREG);
		if (found && rb_sha256_init(&h, err) < 0)
			goto out;
		ret = add_file_data(a, e, full, te->path, found ? &h : NULL, err);
		if (!ret && found) {
			ret = rb_sha256_final(&h, hex, err);
			if (!ret)
				rb_manifest_add(found, te->path, hex)->mode =
					(int)(te->mode & 07777);
		}
		rb_sha256_release(&h);
		goto out;
	} else {
		rb_fail(err, "'%s' is not a regular file, directory or symlink",
			full);
		goto out;
	}
	if (archive_write_header(a, e) != ARCHIVE_OK) {
		rb_fail(err, "cannot archive '%s': %s", te->path,
			archive_error_string(a));
		goto out;
	}
	ret = 0;
out:
	archive_entry_free(e);
	free(full);
	return ret;
}

/* releases/<vsn>/NAME, for the manifest files. */
static int is_meta_of(const char *path, const char *vsn)
{
	size_t n = strlen(vsn);

	return rb_is_meta_path(path) && !strncmp(path + strlen("releases/"), vsn, n) &&
	       path[strlen("releases/") + n] == '/';
}

/*
 * The tree's entries, hashing the files the manifest lists; then the
 * manifest (and its signature) written from those hashes, and added
 * last.  A stale manifest of vsn in the tree is replaced.
 */
static int add_with_manifest(struct archive *a, const char *root,
			     const struct rb_tree *t, const char *vsn,
			     const struct rb_key *key, long long epoch,
			     struct rb_error *err)
{
	static const char *const meta[] = { "MODES", "SHA256SUMS", RB_SIG_NAME };
	struct rb_manifest found = RB_MANIFEST_INIT;
	int ret = -1;

	for (size_t i = 0; i < t->nr; i++) {
		const struct rb_tree_entry *te = &t->v[i];

		if (is_meta_of(te->path, vsn))
			continue;
		if (add_entry(a, root, te, epoch,
			      S_ISREG(te->mode) && rb_manifest_listed(vsn, te->path)
				      ? &found : NULL,
			      err) < 0)
			goto out;
	}
	if (rb_manifest_write_found(root, vsn, &found, NULL, err) < 0)
		goto out;
	if (key && rb_sign_manifest(key, root, vsn, err) < 0)
		goto out;
	for (size_t i = 0; i < sizeof(meta) / sizeof(*meta); i++) {
		struct rb_tree_entry te = { NULL, 0, NULL };
		char *full;
		struct stat st;
		int r;

		te.path = xasprintf("releases/%s/%s", vsn, meta[i]);
		if (i == 2 && !key) { /* unsigned */
			free(te.path);
			continue;
		}
		full = path_join(root, te.path);
		r = lstat(full, &st);
		free(full);
		te.mode = r < 0 ? 0 : st.st_mode;
		r = r < 0 ? rb_fail_errno(err, "cannot stat '%s/%s'", root, te.path)
			  : add_entry(a, root, &te, epoch, NULL, err);
		free(te.path);
		if (r < 0)
			goto out;
	}
	ret = 0;
out:
	rb_manifest_release(&found);
	return ret;
}

/*
 * Write the tarball to a new temporary file in dir; *tmp receives its
 * name (caller frees, and renames or removes it).
 */
static int write_tree_tmp(const char *root, const char *dir,
			  const struct rb_pack *pk, long long epoch,
			  const struct rb_exclude *ex, char hex[RB_SHA256_HEX],
			  char **tmp, struct rb_error *err)
{
	struct rb_tree t = RB_TREE_INIT;
	struct sink s = { -1, { NULL }, NULL, err };
	struct archive *a = NULL;
	char *name = xasprintf("%s/.relbuild-tmp-XXXXXX", dir);
	int created = 0, opened = 0, ret = -1;

	if (rb_tree_list(&t, root, ex, err) < 0)
		goto out;
	if (rb_sha256_init(&s.sha, err) < 0)
		goto out;
	s.fd = mkostemp(name, O_CLOEXEC);
	if (s.fd < 0) {
		rb_fail_errno(err, "cannot create a temporary file in '%s'", dir);
		goto out;
	}
	created = 1;
	a = archive_write_new();
	if (!a) {
		rb_fail(err, "out of memory");
		goto out;
	}
	if (set_format(a, pk, err) < 0)
		goto out;
	if (pk->compression == RB_COMPRESS_GZIP &&
	    rb_pgz_open(&s.gz, 6, pack_threads(pk), sink_file, &s, err) < 0)
		goto out;
	if (archive_write_open(a, &s, NULL, sink_write, NULL) != ARCHIVE_OK) {
		rb_fail(err, "cannot write '%s': %s", name,
			archive_error_string(a));
		goto out;
	}
	opened = 1;
	if (pk->manifest && ex && ex->vsn) {
		if (add_with_manifest(a, root, &t, ex->vsn, pk->key, epoch,
				      err) < 0)
			goto out;
	} else {
		for (size_t i = 0; i < t.nr; i++)
			if (add_entry(a, root, &t.v[i], epoch, NULL, err) < 0)
				goto out;
	}
	opened = 0;
	if (archive_write_close(a) != ARCHIVE_OK) {
		rb_fail(err, "cannot write '%s': %s", name,
			archive_error_string(a));
		goto out;
	}
	if (s.gz) {
		struct rb_pgz *gz = s.gz;

		s.gz = NULL;
		if (rb_pgz_close(gz, err) < 0)
			goto out;
	}
	if (rb_sha256_final(&s.sha, hex, err) < 0)
		goto out;
	/*
	 * No fsync: a build leaves durability to the file system, as tar
	 * and mix release do (and as for the release directory around the
	 * tarball); a write error still shows at write() or close().
	 * install, where durability counts, syncs what it installs.
	 */
	if (fchmod(s.fd, 0644) < 0) {
		rb_fail_errno(err, "cannot write '%s'", name);
		goto out;
	}
	ret = close(s.fd);
	s.fd = -1;
	if (ret < 0) {
		rb_fail_errno(err, "cannot write '%s'", name);
		goto out;
	}
	*tmp = name;
	name = NULL;
out:
	if (a) {
		/*
		 * Closing finishes the (doomed) temporary file, but it is
		 * what frees the compressor's state: archive_write_fail()
		 * would leak zlib's.
		 */
		if (opened)
			archive_write_close(a);
		archive_write_free(a);
	}
	rb_pgz_abort(s.gz);
	if (s.fd >= 0)
		close(s.fd);
	/* Failed: never leave a partial tarball behind. */
	if (name && created)
		unlink(name);
	free(name);
	rb_sha256_release(&s.sha);
	rb_tree_release(&t);
	return ret;
}

int rb_archive_write_tree(const char *root, const char *dest,
			  const struct rb_pack *pk, long long epoch,
			  const struct rb_exclude *ex,
			  char hex[RB_SHA256_HEX], struct rb_error *err)
{
	char digest[RB_SHA256_HEX];
	char *dir = path_dir(dest), *tmp = NULL;
	int ret = -1;

	if (write_tree_tmp(root, dir, pk, epoch, ex, digest, &tmp, err) < 0)
		goto out;
	if (rename(tmp, dest) < 0) {
		rb_fail_errno(err, "cannot rename '%s' to '%s'", tmp, dest);
		unlink(tmp);
		goto out;
	}
	if (hex)
		memcpy(hex, digest, RB_SHA256_HEX);
	ret = 0;
out:
	free(tmp);
	free(dir);
	return ret;
}

void rb_tarball_init(struct rb_tarball *t)
{
	t->path = t->versioned = t->sidecar = NULL;
	t->hash[0] = '\0';
}

void rb_tarball_release(struct rb_tarball *t)
{
	free(t->path);
	free(t->versioned);
	free(t->sidecar);
	rb_tarball_init(t);
}

int rb_tarball_make(struct rb_tarball *out, const char *root,
		    const char *name, const char *vsn, const struct rb_pack *pk,
		    long long epoch, struct rb_error *err)
{
	struct rb_exclude ex = { vsn, NULL, 1 };
	const char *ext = rb_compression_ext(pk->compression);
	char *dir = NULL, *tmp = NULL, *tmplink = NULL, *sidecar = NULL;
	char hex[RB_SHA256_HEX];
	int placed = 0, ret = -1;

	if (!is_path_component(name)) {
		rb_fail(err, "invalid release name '%s'", name);
		goto out;
	}
	if (!is_path_component(vsn)) {
		rb_fail(err, "invalid release version '%s'", vsn);
		goto out;
	}
	dir = xasprintf("%s/releases/%s", root, vsn);
	if (!is_dir(dir)) {
		rb_fail(err, "'%s' is not a directory", dir);
		goto out;
	}
	rb_tarball_release(out);
	out->path = xasprintf("%s/%s%s", dir, name, ext);
	out->versioned = xasprintf("%s/%s-%s%s", dir, name, vsn, ext);
	out->sidecar = xasprintf("%s.sha256", out->versioned);
	/* A stale tarball would outlive a failure: remove it first. */
	unlink(out->path);
	unlink(out->versioned);
	unlink(out->sidecar);

	if (write_tree_tmp(root, dir, pk, epoch, &ex, hex, &tmp, err) < 0)
		goto out;
	tmplink = xasprintf("%s.link", tmp);
	if (link_or_copy(tmp, tmplink, err) < 0)
		goto out;
	sidecar = xasprintf("%s  %s-%s%s\n", hex, name, vsn, ext);
	if (rename(tmp, out->path) < 0) {
		rb_fail_errno(err, "cannot rename '%s' to '%s'", tmp, out->path);
		goto out;
	}
	placed = 1;
	if (rename(tmplink, out->versioned) < 0) {
		rb_fail_errno(err, "cannot rename '%s' to '%s'", tmplink,
			      out->versioned);
		goto out;
	}
	placed = 2;
	if (write_file(out->sidecar, sidecar, strlen(sidecar), 0644, err) < 0)
		goto out;
	memcpy(out->hash, hex, RB_SHA256_HEX);
	ret = 0;
out:
	if (ret < 0) {
		if (placed >= 1)
			unlink(out->path);
		if (placed >= 2)
			unlink(out->versioned);
		if (tmp)
			unlink(tmp);
		if (tmplink)
			unlink(tmplink);
	}
	free(sidecar);
	free(tmplink);
	free(tmp);
	free(dir);
	return ret;
}

/*
 * A tar entry's path as verify compares it: leading "./" dropped, a
 * trailing '/' dropped.  NULL when it is unsafe (absolute, "..") or
 * malformed; "" for the root directory itself.
 */
static char *entry_path(const char *p)
{
	size_t len, start = 0;
	char *s;

	if (!p || p[0] == '/')
		return NULL;
	while (p[0] == '.' && p[1] == '/') {
		p += 2;
		while (*p == '/')
			p++;
	}
	if (!strcmp(p, "."))
		p = "";
	len = strlen(p);
	while (len && p[len - 1] == '/')
		len--;
	s = xstrndup(p, len);
	for (size_t i = 0; i <= len; i++) {
		size_t n;

		if (i < len && s[i] != '/')
			continue;
		n = i - start;
		if (len && (!n || (n == 1 && s[start] == '.') ||
			    (n == 2 && s[start] == '.' && s[start + 1] == '.'))) {
			free(s);
			return NULL;
		}
		start = i + 1;
	}
	return s;
}

static int is_sig(const char *path)
{
	return has_suffix(path, ".sig");
}

/* The hash of a regular entry, read to its end. */
static int hash_entry(struct archive *a, const char *tarball,
		      const char *path, char hex[RB_SHA256_HEX],
		      struct strbuf *keep, struct rb_error *err)
{
	struct rb_sha256 h = { NULL };
	char buf[65536];
	la_ssize_t n;
	int ret = -1;

	if (rb_sha256_init(&h, err) < 0)
		return -1;
	while ((n = archive_read_data(a, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			rb_fail(err, "'%s': cannot read '%s': %s", tarball, path,
				archive_error_string(a));
			goto out;
		}
		if (rb_sha256_update(&h, buf, (size_t)n, err) < 0)
			goto out;
		if (keep) {
			if (keep->len + (size_t)n > RB_KEPT_MAX) {
				rb_fail(err, "'%s': '%s' is too large", tarball,
					path);
				goto out;
			}
			sb_add(keep, buf, (size_t)n);
		}
	}
	if (rb_sha256_final(&h, hex, err) < 0)
		goto out;
	ret = 0;
out:
	rb_sha256_release(&h);
	return ret;
}

static int cmp_index(const void *a, const void *b, void *arg)
{
	const struct rb_manifest *m = arg;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	int c = strcmp(m->v[i].path, m->v[j].path);

	return c ? c : (i > j) - (i < j);
}

/*
 * The entries of m (in archive order) sorted by path, keeping only the
 * last of each path: what an extraction would leave.  Each path found
 * more than once is reported when res is not NULL.  Files that are not
 * compared (the manifest, signatures) are left out when skip is set.
 */
static void last_of_each(const struct rb_manifest *m, int skip,
			 struct rb_manifest *out, struct rb_verify_result *res)
{
	size_t *idx = xcalloc(m->nr, sizeof(*idx));

	for (size_t i = 0; i < m->nr; i++)
		idx[i] = i;
	if (m->nr)
		qsort_r(idx, m->nr, sizeof(*idx), cmp_index, (void *)m);
	for (size_t i = 0; i < m->nr;) {
		size_t j = i + 1;
		const struct rb_manifest_entry *e;

		while (j < m->nr && !strcmp(m->v[idx[i]].path, m->v[idx[j]].path))
			j++;
		e = &m->v[idx[j - 1]];
		if (res && j - i > 1)
			rb_verify_add_problem(res, RB_PROBLEM_DUPLICATE, e->path);
		if (!skip || (!rb_is_manifest_path(e->path) && !is_sig(e->path)))
			rb_manifest_add(out, e->path, e->hash)->mode = e->mode;
		i = j;
	}
	free(idx);
}

/* The hash of hard link entry's target, if it was a file seen before. */
static const char *link_target_hash(const struct rb_manifest *files,
				    const char *target)
{
	for (size_t i = files->nr; i-- > 0;)
		if (!strcmp(files->v[i].path, target))
			return files->v[i].hash;
	return NULL;
}

/* Read one regular or hard link entry: its hash, its bytes if kept. */
static int read_file_entry(struct archive *a, struct archive_entry *e,
			   const char *tarball, const char *path,
			   struct rb_tar_record *rec, struct rb_verify_result *res,
			   struct rb_error *err)
{
	struct rb_manifest *files = &rec->files;
	const char *hardlink = archive_entry_hardlink(e);
	struct strbuf *keep = rb_is_meta_path(path) ? rb_tar_record_keep(rec, path)
						  : NULL;
	char hex[RB_SHA256_HEX];
	char *target = NULL;
	int ret = -1;

	if (hardlink) {
		const char *h;

		target = entry_path(hardlink);
		h = target ? link_target_hash(files, target) : NULL;
		if (h && archive_entry_size(e) == 0) {
			/* h points into files, which may move. */
			const struct rb_kept *k = rb_tar_record_kept(rec, target);

			memcpy(hex, h, RB_SHA256_HEX);
			if (keep && k)
				sb_add(keep, k->data.buf ? k->data.buf : "",
				       k->data.len);
			goto add;
		}
		if (!h && archive_entry_size(e) == 0) {
			rb_verify_add_problem(res, RB_PROBLEM_UNSAFE, path);
			ret = 0;
			goto out;
		}
		/* A hard link with its own data (pax): read as a file. */
	}
	if (hash_entry(a, tarball, path, hex, keep, err) < 0)
		goto out;
add:
	rb_manifest_add(files, path, hex)->mode =
		(int)(archive_entry_perm(e) & 07777);
	ret = 0;
out:
	free(target);
	return ret;
}

int rb_verify_record(const char *tarball, const struct rb_tar_record *rec,
		     const struct rb_verify_opts *opts,
		     struct rb_verify_result *res, struct rb_error *err)
{
	struct rb_manifest expected = RB_MANIFEST_INIT, found = RB_MANIFEST_INIT;
	const char *manifest = NULL;
	const struct rb_kept *text, *modes, *sig;
	char *modes_path = NULL, *sig_path = NULL;
	int ret = -1;

	for (size_t i = 0; i < rec->files.nr; i++) {
		const char *path = rec->files.v[i].path;

		if (!rb_is_manifest_path(path) ||
		    (manifest && !strcmp(manifest, path)))
			continue;
		if (manifest) {
			rb_fail(err, "several manifests in '%s': '%s' and '%s'",
				tarball, manifest, path);
			goto out;
		}
		manifest = path;
	}
	if (!manifest) {
		rb_fail(err, "no releases/<vsn>/SHA256SUMS in '%s'", tarball);
		goto out;
	}
	text = rb_tar_record_kept(rec, manifest);
	if (!text || rb_manifest_parse(&expected, manifest, sb_str(&text->data),
				       text->data.len, err) < 0) {
		if (!text)
			rb_fail(err, "'%s': cannot read '%s'", tarball, manifest);
		goto out;
	}
	last_of_each(&rec->files, 1, &found, NULL);
	rb_manifest_compare(&expected, &found, res);

	modes_path = xstrdup(manifest);
	strcpy(strrchr(modes_path, '/') + 1, "MODES");
	modes = rb_tar_record_kept(rec, modes_path);
	if (rb_verify_modes(&expected, &found, manifest,
			    modes ? sb_str(&modes->data) : NULL,
			    modes ? modes->data.len : 0, res, err) < 0)
		goto out;
	sig_path = xasprintf("%s.sig", manifest);
	sig = rb_tar_record_kept(rec, sig_path);
	if (opts && opts->pubkey &&
	    rb_verify_signature(opts->pubkey, manifest, sb_str(&text->data),
				text->data.len, sig ? sb_str(&sig->data) : NULL,
				sig ? sig->data.len : 0, res, err) < 0)
		goto out;
	free(res->manifest);
	res->manifest = xstrdup(manifest);
	ret = 0;
out:
	free(sig_path);
	free(modes_path);
	rb_manifest_release(&found);
	rb_manifest_release(&expected);
	return ret;
}

int rb_verify_tarball_opts(const char *tarball,
			   const struct rb_verify_opts *opts,
			   struct rb_verify_result *res, struct rb_error *err)
{
	/* rec.files: every regular entry; all: every path, for duplicates. */
	struct rb_tar_record rec = RB_TAR_RECORD_INIT;
	struct rb_manifest all = RB_MANIFEST_INIT, found = RB_MANIFEST_INIT;
	struct archive *a = archive_read_new();
	struct rb_tarread *in = NULL;
	struct archive_entry *e;
	static const char zero[RB_SHA256_HEX];
	int r, ret = -1;

	if (!a) {
		rb_fail(err, "out of memory");
		goto out;
	}
	rb_tarread_support(a);
	if (rb_tarread_open(&in, a, tarball, 0, err) < 0)
		goto out;
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK ||
	       r == ARCHIVE_WARN) {
		const char *raw = archive_entry_pathname(e);
		mode_t type = archive_entry_filetype(e);
		char *path = entry_path(raw);

		if (!path) {
			rb_verify_add_problem(res, RB_PROBLEM_UNSAFE,
					      raw ? raw : "(no name)");
			continue;
		}
		if (!*path) {
			/* "./": the root itself, harmless as a directory. */
			if (type != AE_IFDIR)
				rb_verify_add_problem(res, RB_PROBLEM_UNSAFE,
						      raw);
			free(path);
			continue;
		}
		rb_manifest_add(&all, path, zero);
		if (archive_entry_hardlink(e) || type == AE_IFREG) {
			if (read_file_entry(a, e, tarball, path, &rec, res,
					    err) < 0) {
				free(path);
				goto out;
			}
		} else if (type != AE_IFDIR && type != AE_IFLNK) {
			rb_verify_add_problem(res, RB_PROBLEM_UNSAFE, path);
		}
		free(path);
	}
	if (r != ARCHIVE_EOF) {
		rb_fail(err, "'%s' is truncated or corrupt: %s", tarball,
			archive_error_string(a) ? archive_error_string(a)
						: "unreadable entry");
		goto out;
	}
	if (rb_tarread_finish(in, NULL, err) < 0)
		goto out;
	/* Reports duplicates; found is only a by-product here. */
	last_of_each(&all, 0, &found, res);
	ret = rb_verify_record(tarball, &rec, opts, res, err);
out:
	if (a)
		archive_read_free(a);
	rb_tarread_free(in);
	rb_tar_record_release(&rec);
	rb_manifest_release(&found);
	rb_manifest_release(&all);
	return ret;
}

int rb_verify_tarball(const char *tarball, struct rb_verify_result *res,
		      struct rb_error *err)
{
	return rb_verify_tarball_opts(tarball, NULL, res, err);
}
