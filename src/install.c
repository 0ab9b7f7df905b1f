/*
 * relbuild install / rollback / list: the library.  See install.h for
 * the layout under the root.
 *
 * The model is apk-tools' commit/cancel, in one pass over the tarball:
 * it is extracted under a temporary name nobody uses, every hostile
 * entry refused as it comes and every byte hashed as it is written;
 * then everything is checked (sidecar hash, every file against
 * SHA256SUMS and MODES, the signature); only then is the directory
 * synced, renamed into versions/ and switched to with rename(2) of a
 * fresh symlink.  A failure cancels the temporary directory; a crash
 * leaves it for the next run to remove.  Everything below the root is
 * reached with *at() calls from the root's descriptor.
 */
#include "install.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "extract.h"
#include "manifest.h"
#include "proc.h"
#include "sign.h"
#include "tarball.h"
#include "util.h"

#define TMP_PREFIX ".tmp-"
#define ORDER_FILE "installed"
#define LOCK_FILE ".lock"
#define MAX_MANIFEST_BYTES (64u << 20)
#define MAX_NAME 200

void rb_install_opts_init(struct rb_install_opts *o, const char *root)
{
	memset(o, 0, sizeof(*o));
	o->root = root;
	o->keep = RB_INSTALL_KEEP_DEFAULT;
	rb_extract_limits_default(&o->limits);
}

void rb_install_result_init(struct rb_install_result *r)
{
	memset(r, 0, sizeof(*r));
	rb_verify_result_init(&r->verify);
}

void rb_install_result_release(struct rb_install_result *r)
{
	free(r->name);
	free(r->vsn);
	free(r->was);
	free(r->sidecar);
	free(r->warning);
	strvec_clear(&r->pruned);
	strvec_clear(&r->in_use);
	rb_verify_result_release(&r->verify);
	memset(r, 0, sizeof(*r));
	rb_verify_result_init(&r->verify);
}

void rb_installed_list_release(struct rb_installed_list *l)
{
	for (size_t i = 0; i < l->nr; i++) {
		free(l->v[i].name);
		free(l->v[i].vsn);
		free(l->v[i].error);
	}
	free(l->v);
	free(l->current);
	free(l->previous);
	memset(l, 0, sizeof(*l));
}

/* ------------------------------------------------------------------ */
/* Small helpers                                                       */

static void random_hex(char out[17])
{
	static const char hex[] = "0123456789abcdef";
	static unsigned counter;
	unsigned char b[8];

	if (getrandom(b, sizeof(b), GRND_NONBLOCK) != (ssize_t)sizeof(b)) {
		/* Only uniqueness matters here, not secrecy. */
		uint64_t x = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^
			     (uint64_t)(uintptr_t)&counter ^ ++counter;

		memcpy(b, &x, sizeof(b));
	}
	for (int i = 0; i < 8; i++) {
		out[2 * i] = hex[b[i] >> 4];
		out[2 * i + 1] = hex[b[i] & 0xf];
	}
	out[16] = '\0';
}

/*
 * A name that may be a directory under versions/: a release version as
 * it comes from releases/<vsn>/, or "<vsn>~<n>".  Never hidden (the
 * work in progress is), never a path, nothing a terminal or a shell
 * word-split would mangle.
 */
static int valid_name(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > MAX_NAME || s[0] == '.' || s[0] == '-')
		return 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= 0x20 || *p == 0x7f || *p == '/' || *p == '\\')
			return 0;
	return 1;
}

/* The version a name under versions/ holds: "0.1.0~2" -> "0.1.0". */
static char *name_base(const char *name)
{
	const char *t = strrchr(name, '~');

	if (t && t != name && t[1]) {
		const char *p = t + 1;

		while (*p >= '0' && *p <= '9')
			p++;
		if (!*p)
			return xstrndup(name, (size_t)(t - name));
	}
	return xstrdup(name);
}

static int sync_fd(int fd, int enabled, const char *what, struct rb_error *err)
{
	if (enabled && fsync(fd) < 0)
		return rb_fail_errno(err, "cannot fsync '%s'", what);
	return 0;
}

static int is_dir_at(int dfd, const char *name)
{
	struct stat st;

	return fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	       S_ISDIR(st.st_mode);
}

/* The sorted names in the directory dfd. */
static int list_at(int dfd, const char *what, struct strvec *out,
		   struct rb_error *err)
{
	struct dirent *de;
	DIR *d;
	int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return rb_fail_errno(err, "cannot read directory '%s'", what);
	}
	while ((errno = 0, de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		strvec_push(out, de->d_name);
	}
	if (errno) {
		rb_fail_errno(err, "cannot read directory '%s'", what);
		closedir(d);
		return -1;
	}
	closedir(d);
	strvec_sort(out);
	return 0;
}

/* Read a small file relative to dfd (not following a final symlink). */
static int read_at(int dfd, const char *name, const char *what, size_t max,
		   struct strbuf *out, struct rb_error *err)
{
	char buf[65536];
	ssize_t n;
	int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return rb_fail_errno(err, "cannot open '%s'", what);
	while ((n = read_retry(fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			rb_fail_errno(err, "cannot read '%s'", what);
			close(fd);
			return -1;
		}
		if (out->len + (size_t)n > max) {
			close(fd);
			return rb_fail(err, "'%s' is larger than %zu bytes", what,
				       max);
		}
		sb_add(out, buf, (size_t)n);
	}
	close(fd);
	return 0;
}

/* ------------------------------------------------------------------ */
/* The root: its descriptors, its lock, its links and its state file   */

struct root {
	const char *path; /* as given */
	int fd;           /* the root directory */
	int vfd;          /* root/versions */
	int lock;         /* root/.lock, flock()ed, or -1 */
	int sync;         /* fsync() what is written */
	int created;      /* this run made the root directory */
	int made_versions; /* this run made root/versions */
};

static void root_init(struct root *r, const char *path, int sync)
{
	r->path = path;
	r->fd = r->vfd = r->lock = -1;
	r->sync = sync;
	r->created = r->made_versions = 0;
}

static void root_close(struct root *r)
{
	if (r->vfd >= 0)
		close(r->vfd);
	if (r->lock >= 0)
		close(r->lock); /* releases the flock */
	if (r->fd >= 0)
		close(r->fd);
	r->fd = r->vfd = r->lock = -1;
}

/*
 * Open the root (creating it and versions/ when create is set), take
 * the lock when lock is set.  The root itself may be a symlink; nothing
 * below it is followed.
 */
static int root_open(struct root *r, int create, int lock, struct rb_error *err)
{
	if (create) {
		if (mkdir(r->path, 0755) == 0)
			r->created = 1;
		else if (errno != EEXIST)
			return rb_fail_errno(err, "cannot create directory '%s'",
					     r->path);
	}
	r->fd = open(r->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (r->fd < 0) {
		if (errno == ENOENT)
			return rb_fail(err, "nothing is installed under '%s' (no such directory)",
				       r->path);
		return rb_fail_errno(err, "cannot open '%s'", r->path);
	}
	/* Only install makes a root: the others lock only a real one. */
	if (!create && !is_dir_at(r->fd, "versions"))
		return rb_fail(err, "nothing is installed under '%s' (no '%s/versions')",
			       r->path, r->path);
	if (lock) {
		r->lock = openat(r->fd, LOCK_FILE,
				 O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (r->lock < 0)
			return rb_fail_errno(err, "cannot open '%s/%s'", r->path,
					     LOCK_FILE);
		if (flock(r->lock, LOCK_EX | LOCK_NB) < 0) {
			if (errno == EWOULDBLOCK)
				return rb_fail(err, "'%s' is locked: another install or rollback is running there",
					       r->path);
			return rb_fail_errno(err, "cannot lock '%s/%s'", r->path,
					     LOCK_FILE);
		}
	}
	if (create) {
		if (mkdirat(r->fd, "versions", 0755) == 0)
			r->made_versions = 1;
		else if (errno != EEXIST)
			return rb_fail_errno(err, "cannot create directory '%s/versions'",
					     r->path);
		if (sync_fd(r->fd, r->sync, r->path, err) < 0)
			return -1;
	}
	r->vfd = openat(r->fd, "versions",
			O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (r->vfd < 0)
		return rb_fail_errno(err, "cannot open '%s/versions'", r->path);
	return 0;
}

/*
 * Undo root_open(create) for an install that left nothing: what this
 * run made goes again, so a refused first install leaves no trace.
 */
static void root_uncreate(struct root *r)
{
	if (r->made_versions && r->fd >= 0)
		unlinkat(r->fd, "versions", AT_REMOVEDIR);
	if (r->created && r->fd >= 0) {
		unlinkat(r->fd, LOCK_FILE, 0);
		root_close(r);
		rmdir(r->path);
	}
}

/* Remove what a killed install, rollback or prune left behind. */
static int root_clean_stale(struct root *r, struct rb_error *err)
{
	struct strvec names = STRVEC_INIT;
	int ret = -1;

	if (list_at(r->fd, r->path, &names, err) < 0)
		goto out;
	for (size_t i = 0; i < names.nr; i++) {
		if (!has_prefix(names.v[i], TMP_PREFIX))
			continue;
		if (rb_remove_tree_at(r->fd, names.v[i], err) < 0)
			goto out;
	}
	strvec_clear(&names);
	if (list_at(r->vfd, "versions", &names, err) < 0)
		goto out;
	for (size_t i = 0; i < names.nr; i++) {
		if (!has_prefix(names.v[i], TMP_PREFIX))
			continue;
		if (rb_remove_tree_at(r->vfd, names.v[i], err) < 0)
			goto out;
	}
	ret = 0;
out:
	strvec_clear(&names);
	return ret;
}

/*
 * What the link root/<link> names: "versions/<name>" gives *name, a
 * missing link NULL.  Anything else is an error when strict (install
 * and rollback will not replace what they did not make), else ignored.
 */
static int read_link(struct root *r, const char *link, int strict, char **name,
		     struct rb_error *err)
{
	char buf[MAX_NAME + 64];
	ssize_t n;
	struct stat st;

	*name = NULL;
	n = readlinkat(r->fd, link, buf, sizeof(buf) - 1);
	if (n < 0) {
		if (errno == ENOENT)
			return 0;
		if (!strict)
			return 0;
		if (errno == EINVAL && fstatat(r->fd, link, &st, AT_SYMLINK_NOFOLLOW) == 0)
			return rb_fail(err, "'%s/%s' is not a symbolic link; move it away first",
				       r->path, link);
		return rb_fail_errno(err, "cannot read '%s/%s'", r->path, link);
	}
	buf[n] = '\0';
	if (!has_prefix(buf, "versions/") || !valid_name(buf + strlen("versions/"))) {
		if (!strict)
			return 0;
		return rb_fail(err, "'%s/%s' points to '%s', not into versions/; move it away first",
			       r->path, link, buf);
	}
	*name = xstrdup(buf + strlen("versions/"));
	return 0;
}

/*
 * Point root/<link> at versions/<name>: a new link under a temporary
 * name, fsync, rename(2) over the old one, fsync.  The link is never
 * missing, and is either the old one or the new one.
 */
static int switch_link(struct root *r, const char *link, const char *name,
		       struct rb_error *err)
{
	char rnd[17];
	char *target = xasprintf("versions/%s", name);
	char *tmp;
	int ret = -1;

	random_hex(rnd);
	tmp = xasprintf(TMP_PREFIX "%s-%s", link, rnd);
	if (symlinkat(target, r->fd, tmp) < 0) {
		rb_fail_errno(err, "cannot create the link '%s/%s'", r->path, tmp);
		goto out;
	}
	if (sync_fd(r->fd, r->sync, r->path, err) < 0)
		goto fail;
	if (renameat(r->fd, tmp, r->fd, link) < 0) {
		rb_fail_errno(err, "cannot rename '%s/%s' to '%s/%s'", r->path,
			      tmp, r->path, link);
		goto fail;
	}
	if (sync_fd(r->fd, r->sync, r->path, err) < 0)
		goto out;
	ret = 0;
	goto out;
fail:
	unlinkat(r->fd, tmp, 0);
out:
	free(tmp);
	free(target);
	return ret;
}

/* The version directories under versions/, sorted by name. */
static int version_dirs(struct root *r, struct strvec *out, struct rb_error *err)
{
	struct strvec all = STRVEC_INIT;

	if (list_at(r->vfd, "versions", &all, err) < 0)
		return -1;
	for (size_t i = 0; i < all.nr; i++)
		if (valid_name(all.v[i]) && is_dir_at(r->vfd, all.v[i]))
			strvec_push(out, all.v[i]);
	strvec_clear(&all);
	return 0;
}

/*
 * The installed versions, oldest install first: the order of the state
 * file for those it lists, then (a crash between the rename into
 * versions/ and the state file's update, or a file lost) the others by
 * name, as if they were the newest.  Lines naming nothing are dropped.
 */
static int load_order(struct root *r, struct strvec *order, struct rb_error *err)
{
	struct strvec dirs = STRVEC_INIT;
	struct strbuf text = STRBUF_INIT;
	struct stat st;
	int ret = -1;

	if (version_dirs(r, &dirs, err) < 0)
		goto out;
	if (fstatat(r->fd, ORDER_FILE, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		char *what = xasprintf("%s/%s", r->path, ORDER_FILE);
		int rr = read_at(r->fd, ORDER_FILE, what, 16u << 20, &text, err);

		free(what);
		if (rr < 0)
			goto out;
	}
	for (char *line = text.buf; line && *line;) {
		char *nl = strchr(line, '\n');

		if (nl)
			*nl = '\0';
		if (strvec_contains(&dirs, line) && !strvec_contains(order, line))
			strvec_push(order, line);
		line = nl ? nl + 1 : NULL;
	}
	for (size_t i = 0; i < dirs.nr; i++)
		if (!strvec_contains(order, dirs.v[i]))
			strvec_push(order, dirs.v[i]);
	ret = 0;
out:
	strvec_clear(&dirs);
	sb_release(&text);
	return ret;
}

/* Replace the state file atomically (temporary file, fsync, rename, fsync). */
static int save_order(struct root *r, const struct strvec *order,
		      struct rb_error *err)
{
	struct strbuf text = STRBUF_INIT;
	char rnd[17];
	char *tmp;
	int fd, ret = -1;

	for (size_t i = 0; i < order->nr; i++)
		sb_addf(&text, "%s\n", order->v[i]);
	random_hex(rnd);
	tmp = xasprintf(TMP_PREFIX ORDER_FILE "-%s", rnd);
	fd = openat(r->fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		    0644);
	if (fd < 0) {
		rb_fail_errno(err, "cannot create '%s/%s'", r->path, tmp);
		goto out;
	}
	if (write_all(fd, text.buf ? text.buf : "", text.len) < 0) {
		rb_fail_errno(err, "cannot write '%s/%s'", r->path, tmp);
		close(fd);
		goto fail;
	}
	if (sync_fd(fd, r->sync, tmp, err) < 0) {
		close(fd);
		goto fail;
	}
	if (close(fd) < 0) {
		rb_fail_errno(err, "cannot write '%s/%s'", r->path, tmp);
		goto fail;
	}
	if (renameat(r->fd, tmp, r->fd, ORDER_FILE) < 0) {
		rb_fail_errno(err, "cannot rename '%s/%s' to '%s/%s'", r->path, tmp,
			      r->path, ORDER_FILE);
		goto fail;
	}
	ret = sync_fd(r->fd, r->sync, r->path, err);
	goto out;
fail:
	unlinkat(r->fd, tmp, 0);
out:
	free(tmp);
	sb_release(&text);
	return ret;
}

/* A process that runs from root/versions/name, or 0. */
static pid_t version_in_use(struct root *r, const char *name)
{
	char *dir = xasprintf("%s/versions/%s", r->path, name);
	char *real = realpath(dir, NULL);
	pid_t pid = real ? rb_process_in(real) : 0;

	free(real);
	free(dir);
	return pid;
}

/*
 * Remove the oldest installs beyond keep (0: none).  current, previous
 * and the version just installed are never removed and count towards
 * keep; one that a process runs from (a node started before a switch)
 * stays too, named in in_use ("NAME (pid N)").  Each victim is
 * first renamed to a temporary name (it disappears at once, and a crash
 * leaves it for root_clean_stale()), the state file is updated, then
 * the tree is removed.
 */
static int prune(struct root *r, unsigned keep, const char *current,
		 const char *previous, const char *installed,
		 struct strvec *pruned, struct strvec *in_use,
		 struct rb_error *err)
{
	struct strvec order = STRVEC_INIT, kept = STRVEC_INIT, doomed = STRVEC_INIT;
	size_t nkeep = 0;
	pid_t pid;
	int ret = -1;

	if (!keep)
		return 0;
	if (load_order(r, &order, err) < 0)
		goto out;
	for (size_t i = 0; i < order.nr; i++)
		if ((current && !strcmp(order.v[i], current)) ||
		    (previous && !strcmp(order.v[i], previous)) ||
		    (installed && !strcmp(order.v[i], installed)))
			nkeep++;
	/* Newest first: keep until there are keep of them. */
	for (size_t i = order.nr; i-- > 0;) {
		const char *n = order.v[i];

		if ((current && !strcmp(n, current)) ||
		    (previous && !strcmp(n, previous)) ||
		    (installed && !strcmp(n, installed)))
			continue;
		if (nkeep < keep) {
			nkeep++;
			continue;
		}
		if ((pid = version_in_use(r, n))) {
			strvec_pushf(in_use, "%s (pid %ld)", n, (long)pid);
			continue;
		}
		strvec_push(&doomed, n);
	}
	if (!doomed.nr) {
		ret = 0;
		goto out;
	}
	for (size_t i = 0; i < doomed.nr; i++) {
		char rnd[17];
		char *tmp;

		random_hex(rnd);
		tmp = xasprintf(TMP_PREFIX "pruned-%s-%s", doomed.v[i], rnd);
		if (renameat(r->vfd, doomed.v[i], r->vfd, tmp) < 0) {
			rb_fail_errno(err, "cannot rename '%s/versions/%s' to remove it",
				      r->path, doomed.v[i]);
			free(tmp);
			goto out;
		}
		free(doomed.v[i]);
		doomed.v[i] = tmp;
	}
	if (sync_fd(r->vfd, r->sync, "versions", err) < 0)
		goto out;
	for (size_t i = 0; i < order.nr; i++) {
		int gone = 0;

		for (size_t j = 0; j < doomed.nr; j++) {
			char *pre = xasprintf(TMP_PREFIX "pruned-%s-", order.v[i]);

			/* the random suffix is 16 hex digits, no '-' */
			if (has_prefix(doomed.v[j], pre) &&
			    strlen(doomed.v[j]) == strlen(pre) + 16)
				gone = 1;
			free(pre);
		}
		if (gone)
			strvec_push(pruned, order.v[i]);
		else
			strvec_push(&kept, order.v[i]);
	}
	if (save_order(r, &kept, err) < 0)
		goto out;
	for (size_t i = 0; i < doomed.nr; i++)
		if (rb_remove_tree_at(r->vfd, doomed.v[i], err) < 0)
			goto out;
	ret = 0;
out:
	strvec_clear(&order);
	strvec_clear(&kept);
	strvec_clear(&doomed);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Checks of the tarball, before anything is written                   */

/*
 * The hash the tarball must have: --sha256 HEX, else the line of
 * TARBALL.sha256 (sha256sum format) that names its basename.  *from
 * says which ("--sha256" or the sidecar's path), NULL when neither is
 * given and there is nothing to check.
 */
static int wanted_hash(const char *tarball, const char *given,
		       char want[RB_SHA256_HEX], char **from,
		       struct rb_error *err)
{
	char *sidecar = NULL, *text = NULL;
	const char *base = strrchr(tarball, '/');
	size_t len;
	int ret = -1;

	*from = NULL;
	base = base ? base + 1 : tarball;
	if (given) {
		if (strlen(given) != 64 || rb_sha256_hex_parse(given, want) < 0)
			return rb_error(err, RB_ECONFIG,
					"--sha256 '%s' is not 64 hex digits", given);
		*from = xstrdup("--sha256");
		return 0;
	}
	sidecar = xasprintf("%s.sha256", tarball);
	if (!path_exists(sidecar)) {
		ret = 0;
		goto out;
	}
	if (read_file(sidecar, &text, &len, err) < 0)
		goto out;
	for (char *line = text; line && *line;) {
		char *nl = strchr(line, '\n');

		if (nl)
			*nl = '\0';
		if (nl && nl > line && nl[-1] == '\r')
			nl[-1] = '\0';
		if (strlen(line) > 66 && rb_sha256_hex_parse(line, want) == 0 &&
		    line[64] == ' ' && (line[65] == ' ' || line[65] == '*') &&
		    !strcmp(line + 66, base)) {
			*from = sidecar;
			sidecar = NULL;
			ret = 0;
			goto out;
		}
		line = nl ? nl + 1 : NULL;
	}
	rb_fail(err, "sidecar '%s' has no sha256sum line for '%s'", sidecar, base);
out:
	free(sidecar);
	free(text);
	return ret;
}

static int check_signature(const struct rb_key *key, const char *pubkey,
			   const char *tarball, const char *manifest,
			   const struct rb_tar_record *rec, struct rb_error *err)
{
	const struct rb_kept *text = rb_tar_record_kept(rec, manifest);
	char *sig_path = xasprintf("%s.sig", manifest);
	const struct rb_kept *sig = rb_tar_record_kept(rec, sig_path);
	int r, ret = -1;

	if (!sig) {
		rb_fail(err, "'%s' is not signed: no '%s' in it", tarball, sig_path);
		goto out;
	}
	r = rb_sig_check(key, sb_str(&text->data), text->data.len,
			 sb_str(&sig->data), sig->data.len, err);
	if (r < 0)
		goto out;
	if (!r) {
		rb_fail(err, "'%s': the signature '%s' is not valid for the key '%s'",
			tarball, sig_path, pubkey);
		goto out;
	}
	ret = 0;
out:
	free(sig_path);
	return ret;
}

/*
 * How an installed version is checked before it is switched to or
 * listed: hot upgrades may have left another version's files there.
 */
static const struct rb_verify_opts upgraded = { .upgraded = 1 };

/* "releases/<vsn>/SHA256SUMS" -> "<vsn>". */
static char *manifest_vsn(const char *manifest)
{
	const char *p = manifest + strlen("releases/");

	return xstrndup(p, (size_t)(strchr(p, '/') - p));
}

/* start_erl.data, what bin/<name> boots, must name the version installed. */
static int check_start_erl(const char *dir, const char *vsn,
			   const char *manifest, struct rb_error *err)
{
	char *sed = path_join(dir, "releases/start_erl.data");
	char *sedvsn = NULL;
	int ret = -1;

	if (path_exists(sed)) {
		sedvsn = rb_start_erl_vsn(dir);
		if (!sedvsn || strcmp(sedvsn, vsn)) {
			rb_fail(err, "entry 'releases/start_erl.data': names version '%s', but the manifest is '%s'",
				sedvsn ? sedvsn : "", manifest);
			goto out;
		}
	}
	ret = 0;
out:
	free(sed);
	free(sedvsn);
	return ret;
}

/*
 * rename(2) that never replaces: a directory renamed onto an empty one
 * would replace it.  Under the lock nobody else creates the name, so
 * where the kernel or the filesystem lacks RENAME_NOREPLACE a check
 * first does.
 */
static int rename_noreplace(int dfd, const char *from, const char *to)
{
	struct stat st;

	if (renameat2(dfd, from, dfd, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	if (fstatat(dfd, to, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		errno = EEXIST;
		return -1;
	}
	return renameat(dfd, from, dfd, to);
}

static int make_shared(struct root *r, struct rb_error *err)
{
	static const char *const dirs[] = { "shared", "shared/log", "shared/tmp" };

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		struct stat st;

		if (mkdirat(r->fd, dirs[i], 0755) < 0 && errno != EEXIST)
			return rb_fail_errno(err, "cannot create directory '%s/%s'",
					     r->path, dirs[i]);
		if (fstatat(r->fd, dirs[i], &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISDIR(st.st_mode))
			return rb_fail(err, "'%s/%s' is not a directory", r->path,
				       dirs[i]);
	}
	return sync_fd(r->fd, r->sync, r->path, err);
}

/* ------------------------------------------------------------------ */
/* install                                                             */

int rb_install(const char *tarball, const struct rb_install_opts *o,
	       struct rb_install_result *res, struct rb_error *err)
{
	struct rb_tar_record rec = RB_TAR_RECORD_INIT;
	struct rb_extract_opts xo;
	struct strvec order = STRVEC_INIT;
	struct rb_key key;
	struct root r;
	char want[RB_SHA256_HEX], rnd[17];
	char *from = NULL, *vsn = NULL, *name = NULL, *tmp = NULL, *tmpdir = NULL;
	char *current = NULL, *previous = NULL;
	const char *manifest;
	int tfd = -1, installed = 0, ret = -1;

	rb_key_init(&key);
	root_init(&r, o->root, !o->no_fsync);
	if (!o->root || !*o->root)
		return rb_error(err, RB_ECONFIG, "no root directory given (--root DIR)");

	/* 1. What can be checked before the tarball is read. */
	if (wanted_hash(tarball, o->sha256, want, &from, err) < 0)
		goto out;
	if (o->pubkey && rb_key_load_public(&key, o->pubkey, err) < 0)
		goto out;
	if (access(tarball, R_OK) < 0) {
		rb_fail_errno(err, "cannot read '%s'", tarball);
		goto out;
	}

	/* 2. The root: lock it, clear what a crash left, look around. */
	if (root_open(&r, 1, 1, err) < 0 || root_clean_stale(&r, err) < 0 ||
	    read_link(&r, "current", 1, &current, err) < 0 ||
	    read_link(&r, "previous", 0, &previous, err) < 0)
		goto cancel;

	/*
	 * 3. One pass: extract under a name nobody uses, hashing every file
	 * and the tarball itself as they stream by.
	 */
	random_hex(rnd);
	tmp = xasprintf(TMP_PREFIX "%s", rnd);
	if (mkdirat(r.vfd, tmp, 0755) < 0) {
		rb_fail_errno(err, "cannot create directory '%s/versions/%s'",
			      o->root, tmp);
		goto cancel;
	}
	tmpdir = xasprintf("%s/versions/%s", o->root, tmp);
	tfd = openat(r.vfd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (tfd < 0) {
		rb_fail_errno(err, "cannot open '%s'", tmpdir);
		goto cancel;
	}
	rb_extract_opts_default(&xo);
	xo.limits = o->limits;
	xo.record = &rec;
	xo.progress = o->progress;
	if (rb_extract(tarball, tfd, &xo, err) < 0)
		goto cancel;

	/* 4. Decide: the tarball's hash, its manifest, its signature. */
	if (from && strcmp(want, rec.hash)) {
		if (o->sha256)
			rb_fail(err, "'%s': sha-256 %s does not match %s given with --sha256",
				tarball, rec.hash, want);
		else
			rb_fail(err, "'%s': sha-256 %s does not match %s from sidecar '%s'",
				tarball, rec.hash, want, from);
		goto cancel;
	}
	if (rb_verify_record(tarball, &rec, NULL, &res->verify, err) < 0)
		goto cancel;
	manifest = res->verify.manifest;
	if (res->verify.nr_problems) {
		rb_fail(err, "'%s' does not match '%s' (%zu %s)", tarball, manifest,
			res->verify.nr_problems,
			res->verify.nr_problems == 1 ? "problem" : "problems");
		goto cancel;
	}
	if (o->pubkey &&
	    check_signature(&key, o->pubkey, tarball, manifest, &rec, err) < 0)
		goto cancel;
	vsn = manifest_vsn(manifest);
	if (!valid_name(vsn)) {
		rb_fail(err, "entry '%s': version '%s' cannot name a directory",
			manifest, vsn);
		goto cancel;
	}
	if (check_start_erl(tmpdir, vsn, manifest, err) < 0)
		goto cancel;
	if (!is_dir_at(r.vfd, vsn)) {
		name = xstrdup(vsn);
	} else if (!o->force) {
		rb_fail(err, "version %s is already installed in '%s/versions/%s'%s; "
			"use --force to install it again",
			vsn, o->root, vsn,
			current && !strcmp(current, vsn) ? " (current)" : "");
		goto cancel;
	} else {
		for (unsigned n = 2; !name; n++) {
			char *c = xasprintf("%s~%u", vsn, n);

			if (!valid_name(c)) {
				free(c);
				rb_fail(err, "version '%s' is too long to install again",
					vsn);
				goto cancel;
			}
			if (!is_dir_at(r.vfd, c))
				name = c;
			else
				free(c);
		}
	}
	res->sidecar = from;
	from = NULL;

	/*
	 * 5. Durable, then committed: one syncfs() writes back every file
	 * and directory extracted (what an fsync() of each would), and the
	 * complete release appears under its name at once.
	 */
	if (r.sync && syncfs(tfd) < 0) {
		rb_fail_errno(err, "cannot sync '%s'", tmpdir);
		goto cancel;
	}
	if (rename_noreplace(r.vfd, tmp, name) < 0) {
		rb_fail_errno(err, "cannot rename '%s' to '%s/versions/%s'", tmpdir,
			      o->root, name);
		goto cancel;
	}
	installed = 1;
	res->name = xstrdup(name);
	res->vsn = xstrdup(vsn);
	res->was = current ? xstrdup(current) : NULL;
	if (sync_fd(r.vfd, r.sync, "versions", err) < 0)
		goto out;
	if (make_shared(&r, err) < 0)
		goto out;
	if (load_order(&r, &order, err) < 0)
		goto out;
	/* The newest install is last, even if a stale line named it. */
	for (size_t i = 0; i < order.nr; i++) {
		if (strcmp(order.v[i], name))
			continue;
		free(order.v[i]);
		memmove(order.v + i, order.v + i + 1,
			(order.nr - i - 1) * sizeof(*order.v));
		order.v[--order.nr] = NULL;
		break;
	}
	strvec_push(&order, name);
	if (save_order(&r, &order, err) < 0)
		goto out;

	/* 6. Switch: current first (the point of it all), then previous. */
	if (!o->no_switch) {
		if (switch_link(&r, "current", name, err) < 0)
			goto out;
		res->switched = 1;
		if (current && switch_link(&r, "previous", current, err) < 0)
			goto out;
		free(previous);
		previous = current ? xstrdup(current) : NULL;
		free(current);
		current = xstrdup(name);
	}
	res->signature = o->pubkey != NULL;

	/* 7. Prune: a failure here is reported, the install stands. */
	{
		struct rb_error perr = { 0 };

		if (prune(&r, o->keep, current, previous, name, &res->pruned,
			  &res->in_use, &perr) < 0)
			res->warning = xstrdup(perr.msg);
	}
	ret = 0;
	goto out;

cancel:
	if (tfd >= 0) {
		close(tfd);
		tfd = -1;
	}
	if (tmp && r.vfd >= 0 && !installed) {
		struct rb_error rerr;

		rb_remove_tree_at(r.vfd, tmp, &rerr);
	}
	if (!installed)
		root_uncreate(&r);
out:
	if (tfd >= 0)
		close(tfd);
	root_close(&r);
	rb_key_release(&key);
	rb_tar_record_release(&rec);
	strvec_clear(&order);
	free(from);
	free(vsn);
	free(name);
	free(tmp);
	free(tmpdir);
	free(current);
	free(previous);
	return ret;
}

/* ------------------------------------------------------------------ */
/* rollback                                                            */

/* The name under versions/ that version means (see rb_rollback()). */
static int resolve_version(struct root *r, const char *version,
			   const char *current, char **name, struct rb_error *err)
{
	struct strvec order = STRVEC_INIT;
	struct strbuf known = STRBUF_INIT;
	int ret = -1;

	*name = NULL;
	if (valid_name(version) && is_dir_at(r->vfd, version)) {
		*name = xstrdup(version);
		return 0;
	}
	if (load_order(r, &order, err) < 0)
		goto out;
	for (size_t i = order.nr; i-- > 0;) {
		char *base = name_base(order.v[i]);
		int match = !strcmp(base, version) &&
			    (!current || strcmp(order.v[i], current));

		free(base);
		if (match) {
			*name = xstrdup(order.v[i]);
			ret = 0;
			goto out;
		}
	}
	if (current) {
		char *base = name_base(current);
		int match = !strcmp(base, version);

		free(base);
		if (match) {
			*name = xstrdup(current);
			ret = 0;
			goto out;
		}
	}
	for (size_t i = 0; i < order.nr; i++)
		sb_addf(&known, "%s%s", i ? ", " : "", order.v[i]);
	rb_fail(err, "version '%s' is not installed in '%s/versions' (installed: %s)",
		version, r->path, order.nr ? sb_str(&known) : "none");
out:
	strvec_clear(&order);
	sb_release(&known);
	return ret;
}

int rb_rollback(const char *root, const char *version, int force,
		struct rb_install_result *res, struct rb_error *err)
{
	struct root r;
	char *current = NULL, *previous = NULL, *target = NULL, *dir = NULL;
	struct rb_error verr = { 0 };
	int ret = -1;

	root_init(&r, root, 1);
	if (!root || !*root)
		return rb_error(err, RB_ECONFIG, "no root directory given (--root DIR)");
	if (root_open(&r, 0, 1, err) < 0 || root_clean_stale(&r, err) < 0 ||
	    read_link(&r, "current", 1, &current, err) < 0 ||
	    read_link(&r, "previous", 0, &previous, err) < 0)
		goto out;
	if (version) {
		if (resolve_version(&r, version, current, &target, err) < 0)
			goto out;
	} else {
		if (!previous) {
			rb_fail(err, "no previous version to go back to in '%s'; name one (see 'relbuild list --root %s')",
				root, root);
			goto out;
		}
		target = xstrdup(previous);
		if (!is_dir_at(r.vfd, target)) {
			rb_fail(err, "the previous version '%s' is no longer in '%s/versions'",
				target, root);
			goto out;
		}
	}
	if (current && !strcmp(current, target)) {
		rb_fail(err, "'%s' is already current in '%s'", target, root);
		goto out;
	}

	/* Never switch to a release that does not match its manifest. */
	dir = xasprintf("%s/versions/%s", root, target);
	if (rb_verify_dir_opts(dir, &upgraded, &res->verify, &verr) < 0) {
		if (!force) {
			rb_fail(err, "cannot verify '%s': %s; use --force to switch anyway",
				dir, verr.msg);
			goto out;
		}
	} else if (res->verify.nr_problems && !force) {
		rb_fail(err, "'%s' does not match '%s' (%zu %s); use --force to switch anyway",
			dir, res->verify.manifest, res->verify.nr_problems,
			res->verify.nr_problems == 1 ? "problem" : "problems");
		goto out;
	}
	res->name = xstrdup(target);
	res->vsn = res->verify.manifest ? manifest_vsn(res->verify.manifest)
					: name_base(target);
	res->was = current ? xstrdup(current) : NULL;
	if (switch_link(&r, "current", target, err) < 0)
		goto out;
	res->switched = 1;
	if (current && switch_link(&r, "previous", current, err) < 0)
		goto out;
	ret = 0;
out:
	root_close(&r);
	free(current);
	free(previous);
	free(target);
	free(dir);
	return ret;
}

/* ------------------------------------------------------------------ */
/* list                                                                */

int rb_list(const char *root, int verify, struct rb_installed_list *out,
	    struct rb_error *err)
{
	struct strvec order = STRVEC_INIT;
	struct root r;
	int ret = -1;

	root_init(&r, root, 0);
	if (!root || !*root)
		return rb_error(err, RB_ECONFIG, "no root directory given (--root DIR)");
	if (root_open(&r, 0, 0, err) < 0)
		goto out;
	read_link(&r, "current", 0, &out->current, err);
	read_link(&r, "previous", 0, &out->previous, err);
	if (load_order(&r, &order, err) < 0)
		goto out;
	for (size_t i = order.nr; i-- > 0;) {
		struct rb_installed *it;
		char *dir = xasprintf("%s/versions/%s", root, order.v[i]);

		ALLOC_GROW(out->v, out->nr + 1, out->alloc);
		it = &out->v[out->nr++];
		memset(it, 0, sizeof(*it));
		it->name = xstrdup(order.v[i]);
		it->current = out->current && !strcmp(out->current, it->name);
		it->previous = out->previous && !strcmp(out->previous, it->name);
		if (verify) {
			struct rb_verify_result vr;
			struct rb_error verr = { 0 };

			rb_verify_result_init(&vr);
			if (rb_verify_dir_opts(dir, &upgraded, &vr, &verr) < 0) {
				it->error = xstrdup(verr.msg);
			} else {
				it->checked = 1;
				it->nr_problems = vr.nr_problems;
				it->vsn = manifest_vsn(vr.manifest);
			}
			rb_verify_result_release(&vr);
		}
		if (!it->vsn)
			it->vsn = rb_start_erl_vsn(dir);
		if (!it->vsn)
			it->vsn = name_base(it->name);
		free(dir);
	}
	ret = 0;
out:
	root_close(&r);
	strvec_clear(&order);
	return ret;
}
