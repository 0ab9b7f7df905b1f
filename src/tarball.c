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

	if (write_all(s->fd, buf, len) < 0)
		return rb_fail_errno(err, "write error");
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
		ssize_t n = read_retry(fd, buf, want);

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
 * A tarball being written to a temporary file: the tree's entries one
 * by one, hashing the files the manifest lists when it makes one (vsn
 * not NULL); at the close, the manifest (and its signature) written from
 * those hashes and added last.  A stale manifest of vsn in the tree is
 * replaced.
 */
struct writer {
	const char *root;
	struct rb_pack pk;
	long long epoch;
	const char *vsn; /* the manifest's version; NULL: none made */
	struct sink s;
	struct archive *a;
	char *name; /* the temporary file; NULL once handed over */
	int created, opened;
	struct rb_manifest found;
	struct rb_error *err; /* the sink's */
	uint64_t files, bytes, total; /* for pk.progress */
};

static void writer_abort(struct writer *w)
{
	if (w->a) {
		/*
		 * Closing finishes the (doomed) temporary file, but it is
		 * what frees the compressor's state: archive_write_fail()
		 * would leak zlib's.
		 */
		if (w->opened)
			archive_write_close(w->a);
		archive_write_free(w->a);
		w->a = NULL;
	}
	rb_pgz_abort(w->s.gz);
	w->s.gz = NULL;
	if (w->s.fd >= 0)
		close(w->s.fd);
	w->s.fd = -1;
	/* Failed: never leave a partial tarball behind. */
	if (w->name && w->created)
		unlink(w->name);
	free(w->name);
	w->name = NULL;
	rb_sha256_release(&w->s.sha);
	rb_manifest_release(&w->found);
}

/*
 * Start a tarball in a new temporary file in dir; err is kept for the
 * sink, whose failures show in a later call's err.
 */
static int writer_open(struct writer *w, const char *root, const char *dir,
		       const struct rb_pack *pk, long long epoch,
		       const char *vsn, struct rb_error *err)
{
	memset(w, 0, sizeof(*w));
	w->root = root;
	w->pk = *pk;
	w->epoch = epoch;
	w->vsn = pk->manifest ? vsn : NULL;
	w->s.fd = -1;
	w->s.err = w->err = err;
	w->name = xasprintf("%s/.relbuild-tmp-XXXXXX", dir);
	if (rb_sha256_init(&w->s.sha, err) < 0)
		goto fail;
	w->s.fd = mkostemp(w->name, O_CLOEXEC);
	if (w->s.fd < 0) {
		rb_fail_errno(err, "cannot create a temporary file in '%s'", dir);
		goto fail;
	}
	w->created = 1;
	w->a = archive_write_new();
	if (!w->a) {
		rb_fail(err, "out of memory");
		goto fail;
	}
	if (set_format(w->a, pk, err) < 0)
		goto fail;
	if (pk->compression == RB_COMPRESS_GZIP &&
	    rb_pgz_open(&w->s.gz, 6, pack_threads(pk), sink_file, &w->s, err) < 0)
		goto fail;
	if (archive_write_open(w->a, &w->s, NULL, sink_write, NULL) != ARCHIVE_OK) {
		rb_fail(err, "cannot write '%s': %s", w->name,
			archive_error_string(w->a));
		goto fail;
	}
	w->opened = 1;
	return 0;
fail:
	writer_abort(w);
	return -1;
}

/* What is to be packed, for the progress line: t's files [i, end). */
static void writer_expect(struct writer *w, const struct rb_tree *t, size_t i,
			  size_t end)
{
	for (; i < end; i++)
		if (S_ISREG(t->v[i].mode))
			w->total += (uint64_t)t->v[i].size;
}

static int writer_add(struct writer *w, const struct rb_tree_entry *te,
		      struct rb_error *err)
{
	int listed;

	w->s.err = err;
	if (w->vsn && is_meta_of(te->path, w->vsn))
		return 0;
	listed = w->vsn && S_ISREG(te->mode) && rb_manifest_listed(w->vsn, te->path);
	if (add_entry(w->a, w->root, te, w->epoch, listed ? &w->found : NULL,
		      err) < 0)
		return -1;
	if (S_ISREG(te->mode)) {
		w->files++;
		w->bytes += (uint64_t)te->size;
		rb_progress_report(w->pk.progress, w->files, w->bytes, w->total);
	}
	return 0;
}

/* The manifest from the hashes found, then its files as the last entries. */
static int writer_add_manifest(struct writer *w, struct rb_error *err)
{
	static const char *const meta[] = { "MODES", "SHA256SUMS", RB_SIG_NAME };

	if (rb_manifest_write_found(w->root, w->vsn, &w->found, NULL, err) < 0)
		return -1;
	if (w->pk.key && rb_sign_manifest(w->pk.key, w->root, w->vsn, err) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(meta) / sizeof(*meta); i++) {
		struct rb_tree_entry te = { 0 };
		char *full;
		struct stat st;
		int r;

		if (i == 2 && !w->pk.key) /* unsigned */
			continue;
		te.path = xasprintf("releases/%s/%s", w->vsn, meta[i]);
		full = path_join(w->root, te.path);
		r = lstat(full, &st);
		free(full);
		te.mode = r < 0 ? 0 : st.st_mode;
		r = r < 0 ? rb_fail_errno(err, "cannot stat '%s/%s'", w->root, te.path)
			  : add_entry(w->a, w->root, &te, w->epoch, NULL, err);
		free(te.path);
		if (r < 0)
			return -1;
	}
	return 0;
}

/*
 * Finish the tarball: *tmp receives the temporary file's name (the
 * caller frees, and renames or removes it), hex its SHA-256.  w is
 * released either way.
 */
static int writer_close(struct writer *w, char hex[RB_SHA256_HEX],
			char **tmp, struct rb_error *err)
{
	int r;

	w->s.err = err;
	if (w->vsn && writer_add_manifest(w, err) < 0)
		goto fail;
	w->opened = 0;
	if (archive_write_close(w->a) != ARCHIVE_OK) {
		rb_fail(err, "cannot write '%s': %s", w->name,
			archive_error_string(w->a));
		goto fail;
	}
	if (w->s.gz) {
		struct rb_pgz *gz = w->s.gz;

		w->s.gz = NULL;
		if (rb_pgz_close(gz, err) < 0)
			goto fail;
	}
	if (rb_sha256_final(&w->s.sha, hex, err) < 0)
		goto fail;
	/*
	 * No fsync: a build leaves durability to the file system, as tar
	 * and mix release do (and as for the release directory around the
	 * tarball); a write error still shows at write() or close().
	 * install, where durability counts, syncs what it installs.
	 */
	if (fchmod(w->s.fd, 0644) < 0) {
		rb_fail_errno(err, "cannot write '%s'", w->name);
		goto fail;
	}
	r = close(w->s.fd);
	w->s.fd = -1;
	if (r < 0) {
		rb_fail_errno(err, "cannot write '%s'", w->name);
		goto fail;
	}
	*tmp = w->name;
	w->name = NULL;
	writer_abort(w);
	return 0;
fail:
	writer_abort(w);
	return -1;
}

/*
 * Write the tarball of the tree at root to a new temporary file in
 * dir; *tmp receives its name (caller frees, and renames or removes it).
 */
static int write_tree_tmp(const char *root, const char *dir,
			  const struct rb_pack *pk, long long epoch,
			  const struct rb_exclude *ex, char hex[RB_SHA256_HEX],
			  char **tmp, struct rb_error *err)
{
	struct rb_tree t = RB_TREE_INIT;
	struct writer w;
	int ret = -1;

	if (rb_tree_list(&t, root, ex, err) < 0)
		goto out;
	if (writer_open(&w, root, dir, pk, epoch, ex ? ex->vsn : NULL, err) < 0)
		goto out;
	writer_expect(&w, &t, 0, t.nr);
	for (size_t i = 0; i < t.nr; i++) {
		if (writer_add(&w, &t.v[i], err) < 0) {
			writer_abort(&w);
			goto out;
		}
	}
	ret = writer_close(&w, hex, tmp, err);
out:
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

/*
 * A tarball begun while the release is still being assembled: the
 * entries that sort before releases/ (bin/, erts-*, lib/: most of the
 * bytes) are packed at once, the rest at the finish.
 */
struct rb_tarball_early {
	char *root, *name, *vsn, *dir;
	struct rb_pack pk;
	long long epoch;
	struct writer w;
	int open;
	struct rb_tree done; /* the entries packed, as listed before */
};

void rb_tarball_early_free(struct rb_tarball_early *e)
{
	if (!e)
		return;
	if (e->open)
		writer_abort(&e->w);
	rb_tree_release(&e->done);
	free(e->root);
	free(e->name);
	free(e->vsn);
	free(e->dir);
	free(e);
}

/* Where the tarball goes: root/releases/<vsn>, checked. */
static char *tarball_dir(const char *root, const char *name, const char *vsn,
			 struct rb_error *err)
{
	char *dir;

	if (!is_path_component(name)) {
		rb_fail(err, "invalid release name '%s'", name);
		return NULL;
	}
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

/*
 * Whether a and b are one entry, unchanged: the same path, type, mode,
 * link target, inode, size and mtime.
 */
static int same_entry(const struct rb_tree_entry *a,
		      const struct rb_tree_entry *b)
{
	return !strcmp(a->path, b->path) && a->mode == b->mode &&
	       !a->link == !b->link && (!a->link || !strcmp(a->link, b->link)) &&
	       a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtime.tv_sec == b->mtime.tv_sec &&
	       a->mtime.tv_nsec == b->mtime.tv_nsec;
}

int rb_tarball_begin(struct rb_tarball_early **out, const char *root,
		     const char *name, const char *vsn,
		     const struct rb_pack *pk, long long epoch,
		     struct rb_error *err)
{
	struct rb_tarball_early *e = xcalloc(1, sizeof(*e));
	struct rb_exclude ex = { vsn, NULL, 1 };
	struct rb_tree t = RB_TREE_INIT;
	size_t early = 0;
	int ret = -1;

	*out = NULL;
	e->dir = tarball_dir(root, name, vsn, err);
	if (!e->dir)
		goto out;
	e->root = xstrdup(root);
	e->name = xstrdup(name);
	e->vsn = xstrdup(vsn);
	e->pk = *pk;
	e->epoch = epoch;
	if (rb_tree_list(&t, root, &ex, err) < 0 ||
	    writer_open(&e->w, e->root, e->dir, pk, epoch, e->vsn, err) < 0)
		goto out;
	e->open = 1;
	/* bin/, erts-* and lib/: what sorts before releases/ */
	while (early < t.nr && strcmp(t.v[early].path, "releases") < 0)
		early++;
	writer_expect(&e->w, &t, 0, early);
	/*
	 * Listed before being read: a file written to after its listing
	 * has another mtime (or size) at the finish, whenever that was.
	 */
	for (size_t i = 0; i < early; i++) {
		if (writer_add(&e->w, &t.v[i], err) < 0)
			goto out;
		/* moved: t's entries after i are released with t */
		ALLOC_GROW(e->done.v, e->done.nr + 1, e->done.alloc);
		e->done.v[e->done.nr++] = t.v[i];
		t.v[i].path = t.v[i].link = NULL;
	}
	*out = e;
	e = NULL;
	ret = 0;
out:
	rb_tree_release(&t);
	rb_tarball_early_free(e);
	return ret;
}

/*
 * Whether what e packed is still the start of tree t, each entry as it
 * was listed then.
 */
static int early_holds(const struct rb_tarball_early *e, const struct rb_tree *t)
{
	if (t->nr < e->done.nr)
		return 0;
	for (size_t i = 0; i < e->done.nr; i++)
		if (!same_entry(&e->done.v[i], &t->v[i]))
			return 0;
	/* nothing new sorts among them either */
	return t->nr == e->done.nr ||
	       strcmp(t->v[e->done.nr].path, "releases") >= 0;
}

/*
 * The rest of the tree after what e packed; or, when that changed
 * meanwhile, all of it again.
 */
static int finish_tmp(struct rb_tarball_early *e, char hex[RB_SHA256_HEX],
		      char **tmp, struct rb_error *err)
{
	struct rb_exclude ex = { e->vsn, NULL, 1 };
	struct rb_tree t = RB_TREE_INIT;
	int ret = -1;

	if (rb_tree_list(&t, e->root, &ex, err) < 0)
		goto out;
	if (!early_holds(e, &t)) {
		writer_abort(&e->w);
		e->open = 0;
		ret = write_tree_tmp(e->root, e->dir, &e->pk, e->epoch, &ex, hex,
				     tmp, err);
		goto out;
	}
	writer_expect(&e->w, &t, e->done.nr, t.nr);
	for (size_t i = e->done.nr; i < t.nr; i++)
		if (writer_add(&e->w, &t.v[i], err) < 0)
			goto out;
	e->open = 0;
	ret = writer_close(&e->w, hex, tmp, err);
out:
	rb_tree_release(&t);
	return ret;
}

/*
 * Pack as rb_tarball_make() does; with early, on from what it packed.
 * Its root, name, vsn, pk and epoch are then early's.
 */
static int make(struct rb_tarball *out, const char *root, const char *name,
		const char *vsn, const struct rb_pack *pk, long long epoch,
		struct rb_tarball_early *early, struct rb_error *err)
{
	struct rb_exclude ex = { vsn, NULL, 1 };
	const char *ext = rb_compression_ext(pk->compression);
	char *dir = NULL, *tmp = NULL, *tmplink = NULL, *sidecar = NULL;
	char hex[RB_SHA256_HEX];
	int placed = 0, ret = -1;

	dir = tarball_dir(root, name, vsn, err);
	if (!dir)
		goto out;
	rb_tarball_release(out);
	out->path = xasprintf("%s/%s%s", dir, name, ext);
	out->versioned = xasprintf("%s/%s-%s%s", dir, name, vsn, ext);
	out->sidecar = xasprintf("%s.sha256", out->versioned);
	/* A stale tarball would outlive a failure: remove it first. */
	unlink(out->path);
	unlink(out->versioned);
	unlink(out->sidecar);

	if ((early ? finish_tmp(early, hex, &tmp, err)
		   : write_tree_tmp(root, dir, pk, epoch, &ex, hex, &tmp, err)) < 0)
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

int rb_tarball_make(struct rb_tarball *out, const char *root,
		    const char *name, const char *vsn, const struct rb_pack *pk,
		    long long epoch, struct rb_error *err)
{
	return make(out, root, name, vsn, pk, epoch, NULL, err);
}

int rb_tarball_finish(struct rb_tarball *out, struct rb_tarball_early *early,
		      struct rb_error *err)
{
	return make(out, early->root, early->name, early->vsn, &early->pk,
		    early->epoch, early, err);
}

char *rb_tar_entry_path(const char *p)
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

		target = rb_tar_entry_path(hardlink);
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
		char *path = rb_tar_entry_path(raw);

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
		if (opts && opts->progress) {
			uint64_t done, size;

			rb_tarread_position(in, &done, &size);
			rb_progress_report(opts->progress, all.nr, done, size);
		}
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
