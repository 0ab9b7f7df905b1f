#include "extract.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tarread.h"

/*
 * Names longer than PATH_MAX or deeper than this are refused: no
 * release comes near, and both bound what a cleanup has to walk.
 */
#define MAX_NAME 4095
#define MAX_DEPTH 256

#define DIR_FLAGS (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)

void rb_extract_limits_default(struct rb_extract_limits *l)
{
	l->max_entries = RB_EXTRACT_MAX_ENTRIES;
	l->max_bytes = RB_EXTRACT_MAX_BYTES;
	l->max_file_bytes = RB_EXTRACT_MAX_FILE_BYTES;
}

void rb_extract_opts_default(struct rb_extract_opts *o)
{
	rb_extract_limits_default(&o->limits);
	o->manifest = NULL;
	o->record = NULL;
	o->progress = NULL;
}

/* What the archive put at a path. */
enum kind {
	K_IMPLICIT_DIR = 1, /* made as the parent of a later entry */
	K_DIR,
	K_FILE,
	K_SYMLINK,
};

struct node {
	char *path;
	enum kind kind;
	char *hash; /* regular files, when a manifest is checked */
};

/* Every path written, by canonical name: duplicates and link targets. */
struct table {
	struct node *v;
	size_t nr, alloc;
	size_t *slot; /* index + 1 into v, 0 empty; size is a power of 2 */
	size_t nr_slots;
};

/* An open directory and the path it is at, so siblings skip the walk. */
struct cached_dir {
	char *path;
	int fd;
};

struct extract {
	struct archive *a;
	int root;
	const struct rb_extract_opts *opts;
	struct rb_tar_record *rec; /* opts->record */
	struct rb_tarread *in;     /* reading a file */
	struct table seen;
	char *listed; /* per manifest entry: found in the archive */
	uint64_t entries, bytes;
	struct cached_dir dir[2]; /* [0] entries' parents, [1] link targets' */
	const char *name; /* the entry at hand, as the archive names it */
	struct rb_error *err;
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static struct node *table_find(const struct table *t, const char *path)
{
	size_t mask = t->nr_slots - 1, i;

	if (!t->nr_slots)
		return NULL;
	for (i = hash_str(path) & mask; t->slot[i]; i = (i + 1) & mask)
		if (!strcmp(t->v[t->slot[i] - 1].path, path))
			return &t->v[t->slot[i] - 1];
	return NULL;
}

static void table_insert_slot(struct table *t, size_t idx)
{
	size_t mask = t->nr_slots - 1, i;

	for (i = hash_str(t->v[idx].path) & mask; t->slot[i]; i = (i + 1) & mask)
		;
	t->slot[i] = idx + 1;
}

/* Add a path not yet in t; the node is valid until the next add. */
static struct node *table_add(struct table *t, const char *path,
			      enum kind kind)
{
	struct node *n;

	if ((t->nr + 1) * 2 > t->nr_slots) {
		free(t->slot);
		t->nr_slots = t->nr_slots ? t->nr_slots * 2 : 64;
		t->slot = xcalloc(t->nr_slots, sizeof(*t->slot));
		for (size_t i = 0; i < t->nr; i++)
			table_insert_slot(t, i);
	}
	ALLOC_GROW(t->v, t->nr + 1, t->alloc);
	n = &t->v[t->nr];
	n->path = xstrdup(path);
	n->kind = kind;
	n->hash = NULL;
	table_insert_slot(t, t->nr++);
	return n;
}

static void table_release(struct table *t)
{
	for (size_t i = 0; i < t->nr; i++) {
		free(t->v[i].path);
		free(t->v[i].hash);
	}
	free(t->v);
	free(t->slot);
	memset(t, 0, sizeof(*t));
}

/* s as it may be printed: control characters and backslashes escaped. */
static void quote(char *out, size_t size, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0;

	for (; *s && n + 8 < size; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c == 0x7f || c == '\\') {
			out[n++] = '\\';
			out[n++] = 'x';
			out[n++] = hex[c >> 4];
			out[n++] = hex[c & 15];
		} else {
			out[n++] = (char)c;
		}
	}
	if (*s) {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = '\0';
}

/* Fail with "entry 'NAME': REASON", NAME being the entry at hand. */
__attribute__((format(printf, 2, 3)))
static int refuse(struct extract *x, const char *fmt, ...)
{
	char name[600], reason[1200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	quote(name, sizeof(name), x->name ? x->name : "");
	return rb_fail(x->err, "entry '%s': %s", name, reason);
}

/* refuse() with ": <strerror(errno)>" appended. */
#define refuse_errno(x, fmt, ...) \
	refuse((x), fmt ": %s", __VA_ARGS__, strerror(errno))

static const char *bad_chars(const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c == 0x7f)
			return "control character in the name";
		/* sha256sum would escape it; rb_tree_list() refuses it too. */
		if (c == '\\')
			return "backslash in the name";
	}
	return NULL;
}

/*
 * The canonical form of an entry name: leading "./" dropped, one
 * trailing '/' dropped (*slash set), "" for the root itself.  NULL with
 * *why set when the name is unsafe or not canonical.
 */
static char *clean_name(const char *raw, int *slash, const char **why)
{
	const char *p = raw, *c;
	size_t len, depth = 0;

	*slash = 0;
	if (!raw || !*raw) {
		*why = "empty name";
		return NULL;
	}
	if (raw[0] == '/') {
		*why = "absolute path";
		return NULL;
	}
	if (strlen(raw) > MAX_NAME) {
		*why = "name too long";
		return NULL;
	}
	if ((*why = bad_chars(raw)))
		return NULL;
	/* ".." anywhere is the first thing to name, however it is hidden. */
	for (c = raw; c; c = strchr(c, '/')) {
		if (*c == '/')
			c++;
		if (c[0] == '.' && c[1] == '.' && (!c[2] || c[2] == '/')) {
			*why = "'..' in the path";
			return NULL;
		}
	}
	while (p[0] == '.' && (p[1] == '/' || !p[1])) {
		p += p[1] ? 2 : 1;
		if (*p == '/') {
			*why = "empty path component";
			return NULL;
		}
	}
	len = strlen(p);
	if (len && p[len - 1] == '/') {
		*slash = 1;
		len--;
	}
	for (size_t i = 0, start = 0; i <= len && len; i++) {
		if (i < len && p[i] != '/')
			continue;
		if (i == start) {
			*why = "empty path component";
			return NULL;
		}
		if (i - start == 1 && p[start] == '.') {
			*why = "'.' in the path";
			return NULL;
		}
		if (++depth > MAX_DEPTH) {
			*why = "nested too deep";
			return NULL;
		}
		start = i + 1;
	}
	return xstrndup(p, len);
}

/*
 * Why a symlink at path (canonical) to target would be unsafe, or NULL.
 * The target must be relative and normal: some "..", then names (and
 * "." or empty components, which change nothing).  Its ".." then only
 * climb real directories (those of the link's own path, which entries
 * never reach through symlinks), at most to the root; the names
 * descend, through links that obey the same rule.  "a/../.." is
 * refused: had "a" been a link, the kernel would climb from wherever
 * it leads, not from here.
 */
static const char *bad_link_target(const char *path, const char *target)
{
	size_t depth = 0, up = 0;
	int named = 0;
	const char *c, *why;

	if (!*target)
		return "empty symlink target";
	if (target[0] == '/')
		return "absolute symlink target";
	if (strlen(target) > MAX_NAME)
		return "symlink target too long";
	if ((why = bad_chars(target)))
		return "control character or backslash in the symlink target";
	for (c = path; *c; c++)
		depth += *c == '/';
	for (c = target; c; c = strchr(c, '/')) {
		size_t n;

		if (*c == '/')
			c++;
		n = strcspn(c, "/");
		if (n == 2 && c[0] == '.' && c[1] == '.') {
			if (named)
				return "symlink target climbs ('..') after a name";
			if (++up > depth)
				return "symlink target leads outside the root";
		} else if (n && !(n == 1 && c[0] == '.')) {
			named = 1;
		}
	}
	return NULL;
}

static void close_cached(struct cached_dir *d)
{
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
	free(d->path);
	d->path = NULL;
}

/*
 * mkdirat() a directory with mode 0755 whatever the umask, and record
 * it.  Returns an O_NOFOLLOW descriptor of it when want_fd is set.
 */
static int make_dir(struct extract *x, int parent, const char *leaf,
		    const char *path, enum kind kind, int want_fd)
{
	int fd;

	if (mkdirat(parent, leaf, 0700) < 0) {
		if (errno == EEXIST)
			return refuse(x, "'%s' already exists", path);
		return refuse_errno(x, "cannot create directory '%s'", path);
	}
	table_add(&x->seen, path, kind);
	fd = openat(parent, leaf, DIR_FLAGS);
	if (fd < 0)
		return refuse_errno(x, "cannot open directory '%s'", path);
	if (fchmod(fd, 0755) < 0) {
		refuse_errno(x, "cannot set the mode of '%s'", path);
		close(fd);
		return -1;
	}
	if (!want_fd) {
		close(fd);
		return 0;
	}
	return fd;
}

/*
 * Open the parent directory of path (canonical, not "") one component at
 * a time from the root, never following a symlink; with create, make
 * the missing ones.  The descriptor stays owned by x->dir[which].
 */
static int open_parent(struct extract *x, const char *path, int create,
		       int which, int *out)
{
	struct cached_dir *d = &x->dir[which];
	const char *slash = strrchr(path, '/');
	char *parent, *c;
	int fd, next;

	if (!slash) {
		*out = x->root;
		return 0;
	}
	parent = xstrndup(path, (size_t)(slash - path));
	if (d->path && !strcmp(d->path, parent)) {
		free(parent);
		*out = d->fd;
		return 0;
	}
	close_cached(d);
	fd = x->root;
	for (c = parent;; c++) {
		char *end = strchr(c, '/');
		struct stat st;

		if (end)
			*end = '\0';
		next = openat(fd, c, DIR_FLAGS);
		if (next < 0 && errno == ENOENT && create) {
			next = make_dir(x, fd, c, parent, K_IMPLICIT_DIR, 1);
			if (next < 0)
				goto fail;
		} else if (next < 0) {
			int e = errno;

			if ((e == ELOOP || e == ENOTDIR) &&
			    !fstatat(fd, c, &st, AT_SYMLINK_NOFOLLOW)) {
				refuse(x, S_ISLNK(st.st_mode)
					       ? "the path goes through the symlink '%s'"
					       : "'%s' is not a directory",
				       parent);
			} else {
				errno = e;
				refuse_errno(x, "cannot open directory '%s'",
					     parent);
			}
			goto fail;
		}
		if (fd != x->root)
			close(fd);
		fd = next;
		if (!end)
			break;
		*end = '/';
		c = end;
	}
	d->path = parent;
	d->fd = fd;
	*out = fd;
	return 0;
fail:
	if (fd != x->root)
		close(fd);
	free(parent);
	return -1;
}

static const char *leaf_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* A file the tarball carries beside what SHA256SUMS lists. */
static int unlisted_ok(const char *path)
{
	return rb_is_manifest_path(path) || has_suffix(path, ".sig");
}

/*
 * With a manifest: the entry that regular file path must match, or NULL
 * for the manifest itself and signatures; -1 when it is not listed.
 */
static int listed_entry(struct extract *x, const char *path,
			const struct rb_manifest_entry **me)
{
	const struct rb_manifest *m = x->opts->manifest;

	*me = rb_manifest_find(m, path);
	if (*me) {
		x->listed[*me - m->v] = 1;
		return 0;
	}
	if (unlisted_ok(path))
		return 0;
	return refuse(x, "not listed in the manifest");
}

/*
 * The times futimens()/utimensat() should set for entry e (atime left
 * alone); 0 when the entry has no mtime.  A time the file system cannot
 * hold is not worth refusing the release over: callers ignore the
 * result of the call and the time is left as it is.
 */
static int entry_times(struct archive_entry *e, struct timespec ts[2])
{
	if (!archive_entry_mtime_is_set(e))
		return 0;
	ts[0].tv_sec = 0;
	ts[0].tv_nsec = UTIME_OMIT;
	ts[1].tv_sec = archive_entry_mtime(e);
	ts[1].tv_nsec = archive_entry_mtime_nsec(e);
	if (ts[1].tv_nsec < 0 || ts[1].tv_nsec > 999999999)
		ts[1].tv_nsec = 0;
	return 1;
}

static int extract_file(struct extract *x, struct archive_entry *e,
			const char *path, char *buf, size_t bufsize)
{
	const struct rb_extract_limits *l = &x->opts->limits;
	const struct rb_manifest_entry *me = NULL;
	struct rb_sha256 sha = { NULL };
	struct strbuf *keep = NULL;
	char hex[RB_SHA256_HEX];
	int64_t size = archive_entry_size(e);
	uint64_t written = 0;
	int parent, fd = -1, ret = -1;
	int hashing = x->opts->manifest || x->rec;
	mode_t mode = rb_normal_mode(archive_entry_perm(e));
	struct timespec ts[2];
	struct node *n;

	if (!archive_entry_size_is_set(e) || size < 0)
		return refuse(x, "regular file without a valid size");
	if ((uint64_t)size > l->max_file_bytes)
		return refuse(x, "%" PRId64 " bytes, over the limit of %" PRIu64
			      " bytes for one file (--max-file-bytes)", size,
			      l->max_file_bytes);
	if ((uint64_t)size > l->max_bytes - x->bytes)
		return refuse(x, "over the limit of %" PRIu64
			      " bytes in all files (--max-bytes)", l->max_bytes);
	if (x->opts->manifest) {
		if (listed_entry(x, path, &me) < 0)
			return -1;
		/* Not covered by the manifest: never executable. */
		if (!me)
			mode &= ~(mode_t)0111;
	}
	if (x->rec && rb_is_meta_path(path)) {
		if ((uint64_t)size > RB_KEPT_MAX)
			return refuse(x, "%" PRId64 " bytes, too large for a manifest",
				      size);
		keep = rb_tar_record_keep(x->rec, path);
	}
	if (hashing && rb_sha256_init(&sha, x->err) < 0)
		return -1;
	if (open_parent(x, path, 1, 0, &parent) < 0)
		goto out;
	fd = openat(parent, leaf_of(path),
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		if (errno == EEXIST)
			refuse(x, "'%s' already exists", path);
		else
			refuse_errno(x, "cannot create '%s'", path);
		goto out;
	}
	n = table_add(&x->seen, path, K_FILE);
	for (;;) {
		la_ssize_t r = archive_read_data(x->a, buf, bufsize);

		if (r == 0)
			break;
		if (r < 0) {
			const char *msg = archive_error_string(x->a);

			refuse(x, "truncated or corrupt archive: %s",
			       msg ? msg : "unreadable data");
			goto out;
		}
		written += (uint64_t)r;
		x->bytes += (uint64_t)r;
		if (written > l->max_file_bytes || x->bytes > l->max_bytes) {
			refuse(x, "more data than the limits allow");
			goto out;
		}
		if (hashing && rb_sha256_update(&sha, buf, (size_t)r, x->err) < 0)
			goto out;
		if (keep) {
			if (keep->len + (size_t)r > RB_KEPT_MAX) {
				refuse(x, "too large for a manifest");
				goto out;
			}
			sb_add(keep, buf, (size_t)r);
		}
		if (write_all(fd, buf, (size_t)r) < 0) {
			refuse_errno(x, "cannot write '%s'", path);
			goto out;
		}
	}
	if (hashing) {
		if (rb_sha256_final(&sha, hex, x->err) < 0)
			goto out;
		if (me && strcmp(hex, me->hash)) {
			refuse(x, "content does not match the manifest");
			goto out;
		}
		n->hash = xstrdup(hex);
		if (x->rec)
			rb_manifest_add(&x->rec->files, path, hex)->mode =
				(int)(archive_entry_perm(e) & 07777);
	}
	if (fchmod(fd, mode) < 0) {
		refuse_errno(x, "cannot set the mode of '%s'", path);
		goto out;
	}
	if (entry_times(e, ts))
		(void)futimens(fd, ts);
	ret = close(fd);
	fd = -1;
	if (ret < 0)
		refuse_errno(x, "cannot write '%s'", path);
out:
	if (fd >= 0)
		close(fd);
	rb_sha256_release(&sha);
	return ret;
}

static int extract_dir(struct extract *x, const char *path)
{
	struct node *n = table_find(&x->seen, path);
	int parent;

	if (n && n->kind == K_IMPLICIT_DIR) {
		/* Made (0755) as a parent of an earlier entry. */
		n->kind = K_DIR;
		return 0;
	}
	if (n)
		return refuse(x, "duplicate entry");
	if (open_parent(x, path, 1, 0, &parent) < 0)
		return -1;
	return make_dir(x, parent, leaf_of(path), path, K_DIR, 0);
}

/*
 * Where a symlink at path (canonical) to target leads, lexically from
 * the link's directory, once bad_link_target() has passed it: a
 * canonical path, "" for the root.  The caller frees it.
 */
static char *resolve_target(const char *path, const char *target)
{
	struct strbuf sb = STRBUF_INIT;
	const char *slash = strrchr(path, '/'), *c;

	if (slash)
		sb_add(&sb, path, (size_t)(slash - path));
	for (c = target; c; c = strchr(c, '/')) {
		size_t n;

		if (*c == '/')
			c++;
		n = strcspn(c, "/");
		if (n == 2 && c[0] == '.' && c[1] == '.') {
			char *last = sb.len ? strrchr(sb.buf, '/') : NULL;

			sb.len = last ? (size_t)(last - sb.buf) : 0;
			if (sb.buf)
				sb.buf[sb.len] = '\0';
		} else if (n && !(n == 1 && c[0] == '.')) {
			if (sb.len)
				sb_addc(&sb, '/');
			sb_add(&sb, c, n);
		}
	}
	return sb_detach(&sb);
}

/*
 * The lexical check of a symlink's target holds only if every link it
 * meets obeys it too: the archive's own do, but a link that was in the
 * destination before could lead anywhere.  Refuse a target whose path
 * (as far as it exists) goes through one.
 */
static int check_target_path(struct extract *x, const char *resolved)
{
	char *p = xstrdup(resolved), *c = p;
	int fd = x->root, ret = 0;

	while (*p) {
		char *end = strchr(c, '/');
		const struct node *n;
		struct stat st;
		int next;

		if (end)
			*end = '\0';
		n = table_find(&x->seen, p);
		/* The archive's own link or file: resolution stops or is safe. */
		if (n && n->kind != K_DIR && n->kind != K_IMPLICIT_DIR)
			break;
		if (!n) {
			if (fstatat(fd, c, &st, AT_SYMLINK_NOFOLLOW) < 0) {
				/* Only the archive can make it later. */
				if (errno != ENOENT)
					ret = refuse_errno(x, "cannot look at '%s'", p);
				break;
			}
			if (S_ISLNK(st.st_mode)) {
				ret = refuse(x, "symlink target goes through '%s', "
					     "a symlink the archive did not make", p);
				break;
			}
			if (!S_ISDIR(st.st_mode))
				break;
		}
		if (!end)
			break;
		next = openat(fd, c, DIR_FLAGS);
		if (next < 0) {
			ret = refuse_errno(x, "cannot open directory '%s'", p);
			break;
		}
		if (fd != x->root)
			close(fd);
		fd = next;
		*end = '/';
		c = end + 1;
	}
	if (fd != x->root)
		close(fd);
	free(p);
	return ret;
}

static int extract_symlink(struct extract *x, struct archive_entry *e,
			   const char *path)
{
	const char *target = archive_entry_symlink(e);
	const char *why;
	struct timespec ts[2];
	char *resolved;
	int parent, r;

	if (!target)
		return refuse(x, "symlink without a target");
	if ((why = bad_link_target(path, target))) {
		char q[600];

		quote(q, sizeof(q), target);
		return refuse(x, "%s ('%s')", why, q);
	}
	resolved = resolve_target(path, target);
	r = check_target_path(x, resolved);
	free(resolved);
	if (r < 0 || open_parent(x, path, 1, 0, &parent) < 0)
		return -1;
	if (symlinkat(target, parent, leaf_of(path)) < 0) {
		if (errno == EEXIST)
			return refuse(x, "'%s' already exists", path);
		return refuse_errno(x, "cannot create symlink '%s'", path);
	}
	table_add(&x->seen, path, K_SYMLINK);
	if (entry_times(e, ts))
		(void)utimensat(parent, leaf_of(path), ts, AT_SYMLINK_NOFOLLOW);
	return 0;
}

static int extract_hardlink(struct extract *x, struct archive_entry *e,
			    const char *path, const char *raw_target)
{
	const struct rb_manifest_entry *me = NULL;
	const struct node *t;
	char q[600], *target;
	const char *why;
	char *hash = NULL;
	int slash, from, to, ret = -1;

	quote(q, sizeof(q), raw_target);
	target = clean_name(raw_target, &slash, &why);
	if (!target)
		return refuse(x, "hard link target '%s': %s", q, why);
	t = table_find(&x->seen, target);
	if (slash || !*target || !t || t->kind != K_FILE) {
		refuse(x, "hard link target '%s' is not a file extracted before",
		       q);
		goto out;
	}
	/* Hard links with data of their own would write into the target. */
	if (archive_entry_size_is_set(e) && archive_entry_size(e) > 0) {
		refuse(x, "hard link with data");
		goto out;
	}
	if (t->hash)
		hash = xstrdup(t->hash);
	if (x->opts->manifest) {
		if (listed_entry(x, path, &me) < 0)
			goto out;
		if (me && (!hash || strcmp(hash, me->hash))) {
			refuse(x, "content does not match the manifest");
			goto out;
		}
		if (!me && !unlisted_ok(target)) {
			/* An unlisted name must not share a checked file's inode. */
			refuse(x, "hard link to a listed file from a name the "
				  "manifest does not list");
			goto out;
		}
	}
	if (open_parent(x, target, 0, 1, &from) < 0 ||
	    open_parent(x, path, 1, 0, &to) < 0)
		goto out;
	/* Flags 0: a symlink would be linked itself, never followed. */
	if (linkat(from, leaf_of(target), to, leaf_of(path), 0) < 0) {
		if (errno == EEXIST)
			refuse(x, "'%s' already exists", path);
		else
			refuse_errno(x, "cannot link '%s' to '%s'", path, q);
		goto out;
	}
	if (x->rec) {
		const struct rb_kept *k = rb_tar_record_kept(x->rec, target);

		rb_manifest_add(&x->rec->files, path, hash)->mode =
			(int)(archive_entry_perm(e) & 07777);
		if (k && rb_is_meta_path(path)) {
			/* k moves as the list grows: copy it first */
			struct strbuf copy = STRBUF_INIT;

			sb_add(&copy, k->data.buf ? k->data.buf : "", k->data.len);
			sb_add(rb_tar_record_keep(x->rec, path),
			       copy.buf ? copy.buf : "", copy.len);
			sb_release(&copy);
		}
	}
	table_add(&x->seen, path, K_FILE)->hash = hash;
	hash = NULL;
	ret = 0;
out:
	free(hash);
	free(target);
	return ret;
}

static int extract_entry(struct extract *x, struct archive_entry *e,
			 char *buf, size_t bufsize)
{
	const char *hardlink = archive_entry_hardlink(e);
	mode_t mode = archive_entry_mode(e);
	mode_t type = archive_entry_filetype(e);
	const char *why;
	char *path;
	int slash, ret = -1;

	if (++x->entries > x->opts->limits.max_entries)
		return refuse(x, "more than %" PRIu64 " entries (--max-entries)",
			      x->opts->limits.max_entries);
	path = clean_name(x->name, &slash, &why);
	if (!path)
		return refuse(x, "%s", why);
	if (mode & S_ISUID) {
		refuse(x, "setuid bit");
		goto out;
	}
	if (mode & S_ISGID) {
		refuse(x, "setgid bit");
		goto out;
	}
	if (mode & S_ISVTX) {
		refuse(x, "sticky bit");
		goto out;
	}
	if (!*path) {
		/* "./": the root, which exists; its mode is the caller's. */
		if (type != AE_IFDIR || hardlink)
			refuse(x, "the root must be a directory");
		else
			ret = 0;
		goto out;
	}
	if (slash && (type != AE_IFDIR || hardlink)) {
		refuse(x, "trailing '/' on a name that is not a directory");
		goto out;
	}
	if (type != AE_IFDIR && table_find(&x->seen, path)) {
		refuse(x, "duplicate entry");
		goto out;
	}
	if (hardlink) {
		ret = extract_hardlink(x, e, path, hardlink);
		goto out;
	}
	if (x->opts->manifest && type != AE_IFREG &&
	    rb_manifest_find(x->opts->manifest, path)) {
		refuse(x, "listed in the manifest but not a regular file");
		goto out;
	}
	switch (type) {
	case AE_IFREG:
		ret = extract_file(x, e, path, buf, bufsize);
		break;
	case AE_IFDIR:
		ret = extract_dir(x, path);
		break;
	case AE_IFLNK:
		ret = extract_symlink(x, e, path);
		break;
	case AE_IFCHR:
		refuse(x, "character device");
		break;
	case AE_IFBLK:
		refuse(x, "block device");
		break;
	case AE_IFIFO:
		refuse(x, "FIFO");
		break;
	case AE_IFSOCK:
		refuse(x, "socket");
		break;
	default:
		refuse(x, "unknown file type 0%o", (unsigned)type);
		break;
	}
out:
	free(path);
	return ret;
}

static int run(struct extract *x)
{
	const struct rb_manifest *m = x->opts->manifest;
	const size_t bufsize = 65536;
	char *buf = xmalloc(bufsize), number[32];
	struct archive_entry *e;
	int r, ret = -1;

	for (;;) {
		r = archive_read_next_header(x->a, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK) {
			const char *msg = archive_error_string(x->a);

			/* No name to trust: the entry's number instead. */
			snprintf(number, sizeof(number), "#%" PRIu64,
				 x->entries + 1);
			x->name = number;
			refuse(x, "truncated or corrupt archive: %s",
			       msg ? msg : "unreadable header");
			goto out;
		}
		x->name = archive_entry_pathname(e);
		if (extract_entry(x, e, buf, bufsize) < 0)
			goto out;
		if (x->opts->progress && x->in) {
			uint64_t done, size;

			rb_tarread_position(x->in, &done, &size);
			rb_progress_report(x->opts->progress, x->entries, done,
					   size);
		}
	}
	for (size_t i = 0; m && i < m->nr; i++) {
		if (!x->listed[i]) {
			x->name = m->v[i].path;
			refuse(x, "listed in the manifest but not in the archive");
			goto out;
		}
	}
	ret = 0;
out:
	free(buf);
	return ret;
}

/* Open the archive: the file at path, else the len bytes at buf. */
static int open_archive(struct extract *x, const char *path, const void *buf,
			size_t len)
{
	if (!path) {
		if (archive_read_open_memory(x->a, buf, len) == ARCHIVE_OK)
			return 0;
		return rb_fail(x->err, "cannot read '(memory)': %s",
			       archive_error_string(x->a)
				       ? archive_error_string(x->a)
				       : "not a tarball");
	}
	return rb_tarread_open(&x->in, x->a, path, !!x->rec, x->err);
}

static int extract(int dirfd, const struct rb_extract_opts *opts,
		   const char *path, const void *buf, size_t len,
		   struct rb_error *err)
{
	struct rb_extract_opts defaults;
	struct extract x;
	locale_t utf8, old = (locale_t)0;
	int ret = -1;

	if (!opts) {
		rb_extract_opts_default(&defaults);
		opts = &defaults;
	}
	/*
	 * pax names are UTF-8, which libarchive converts to the locale's
	 * charset: in the C locale every non-ASCII name would be lost.  A
	 * UTF-8 locale, for this thread and this call only, keeps them.
	 */
	utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	if (utf8)
		old = uselocale(utf8);
	memset(&x, 0, sizeof(x));
	x.root = dirfd;
	x.opts = opts;
	x.rec = opts->record;
	x.err = err;
	x.dir[0].fd = x.dir[1].fd = -1;
	if (opts->manifest)
		x.listed = xcalloc(opts->manifest->nr + 1, 1);
	x.a = archive_read_new();
	if (!x.a) {
		rb_fail(err, "out of memory");
		goto out;
	}
	rb_tarread_support(x.a);
	if (open_archive(&x, path, buf, len) < 0)
		goto out;
	ret = run(&x);
	if (!ret && x.in)
		ret = rb_tarread_finish(x.in, x.rec ? x.rec->hash : NULL, err);
out:
	if (x.a)
		archive_read_free(x.a);
	rb_tarread_free(x.in);
	close_cached(&x.dir[0]);
	close_cached(&x.dir[1]);
	table_release(&x.seen);
	free(x.listed);
	if (utf8) {
		uselocale(old);
		freelocale(utf8);
	}
	return ret;
}

int rb_extract(const char *tarball, int dirfd,
	       const struct rb_extract_opts *opts, struct rb_error *err)
{
	return extract(dirfd, opts, tarball, NULL, 0, err);
}

int rb_extract_memory(const void *buf, size_t len, int dirfd,
		      const struct rb_extract_opts *opts,
		      struct rb_error *err)
{
	return extract(dirfd, opts, NULL, buf, len, err);
}

static int empty_dir(int fd, const char *path, int depth,
		     struct rb_error *err);

/* Remove name in fd (path, for messages), whatever it is. */
static int remove_at(int fd, const char *name, const char *path, int depth,
		     struct rb_error *err)
{
	int sub, ret;

	if (!unlinkat(fd, name, 0) || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return rb_fail_errno(err, "cannot remove '%s'", path);
	sub = openat(fd, name, DIR_FLAGS);
	if (sub < 0)
		return rb_fail_errno(err, "cannot remove '%s'", path);
	ret = empty_dir(sub, path, depth + 1, err);
	close(sub);
	if (ret < 0)
		return -1;
	if (unlinkat(fd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return rb_fail_errno(err, "cannot remove '%s'", path);
	return 0;
}

static int empty_dir(int fd, const char *path, int depth,
		     struct rb_error *err)
{
	struct strvec names = STRVEC_INIT;
	struct dirent *de;
	DIR *d;
	int dup_fd, ret = -1;

	if (depth > MAX_DEPTH + 8)
		return rb_fail(err, "cannot remove '%s': nested too deep", path);
	dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (dup_fd < 0)
		return rb_fail_errno(err, "cannot read '%s'", path);
	d = fdopendir(dup_fd);
	if (!d) {
		close(dup_fd);
		return rb_fail_errno(err, "cannot read '%s'", path);
	}
	/* The duplicate shares fd's offset, which an earlier pass moved. */
	rewinddir(d);
	/* Names first: the stream is closed before going deeper. */
	errno = 0;
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			strvec_push(&names, de->d_name);
		errno = 0;
	}
	if (errno) {
		rb_fail_errno(err, "cannot read '%s'", path);
		closedir(d);
		goto out;
	}
	closedir(d);
	for (size_t i = 0; i < names.nr; i++) {
		char *sub = path_join(path, names.v[i]);
		int r = remove_at(fd, names.v[i], sub, depth, err);

		free(sub);
		if (r < 0)
			goto out;
	}
	ret = 0;
out:
	strvec_clear(&names);
	return ret;
}

int rb_remove_tree_at(int dirfd, const char *name, struct rb_error *err)
{
	if (!*name || !strcmp(name, "."))
		return empty_dir(dirfd, ".", 0, err);
	return remove_at(dirfd, name, name, 0, err);
}
