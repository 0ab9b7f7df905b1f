#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fs.h> /* FICLONE */
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void oom(void)
{
	fputs("relbuild: out of memory\n", stderr);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		oom();
	return p;
}

void *xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (!p)
		oom();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		oom();
	return p;
}

char *xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		oom();
	return p;
}

char *xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);

	if (!p)
		oom();
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	if (vasprintf(&p, fmt, ap) < 0)
		oom();
	va_end(ap);
	return p;
}

void sb_init(struct strbuf *sb)
{
	sb->buf = NULL;
	sb->len = sb->alloc = 0;
}

void sb_release(struct strbuf *sb)
{
	free(sb->buf);
	sb_init(sb);
}

void sb_reset(struct strbuf *sb)
{
	sb->len = 0;
	if (sb->buf)
		sb->buf[0] = '\0';
}

static void sb_grow(struct strbuf *sb, size_t extra)
{
	if (sb->len + extra + 1 > sb->alloc) {
		size_t want = sb->alloc ? sb->alloc * 2 : 64;

		while (want < sb->len + extra + 1)
			want *= 2;
		sb->buf = xrealloc(sb->buf, want);
		sb->alloc = want;
	}
}

void sb_add(struct strbuf *sb, const void *data, size_t len)
{
	sb_grow(sb, len);
	memcpy(sb->buf + sb->len, data, len);
	sb->len += len;
	sb->buf[sb->len] = '\0';
}

void sb_adds(struct strbuf *sb, const char *s)
{
	sb_add(sb, s, strlen(s));
}

void sb_addc(struct strbuf *sb, char c)
{
	sb_add(sb, &c, 1);
}

void sb_addf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	sb_grow(sb, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb->len += (size_t)n;
}

const char *sb_str(const struct strbuf *sb)
{
	return sb->buf ? sb->buf : "";
}

char *sb_detach(struct strbuf *sb)
{
	char *p = sb->buf ? sb->buf : xstrdup("");

	sb_init(sb);
	return p;
}

void strvec_push(struct strvec *sv, const char *s)
{
	ALLOC_GROW(sv->v, sv->nr + 2, sv->alloc);
	sv->v[sv->nr++] = xstrdup(s);
	sv->v[sv->nr] = NULL;
}

void strvec_pushf(struct strvec *sv, const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	if (vasprintf(&p, fmt, ap) < 0)
		oom();
	va_end(ap);
	ALLOC_GROW(sv->v, sv->nr + 2, sv->alloc);
	sv->v[sv->nr++] = p;
	sv->v[sv->nr] = NULL;
}

void strvec_clear(struct strvec *sv)
{
	for (size_t i = 0; i < sv->nr; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->nr = sv->alloc = 0;
}

int strvec_contains(const struct strvec *sv, const char *s)
{
	for (size_t i = 0; i < sv->nr; i++)
		if (!strcmp(sv->v[i], s))
			return 1;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void strvec_sort(struct strvec *sv)
{
	if (sv->nr)
		qsort(sv->v, sv->nr, sizeof(*sv->v), cmp_str);
}

char *path_join(const char *a, const char *b)
{
	size_t la = strlen(a);

	if (!la)
		return xstrdup(b);
	while (*b == '/')
		b++;
	if (a[la - 1] == '/')
		return xasprintf("%s%s", a, b);
	return xasprintf("%s/%s", a, b);
}

char *path_dir(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

int hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int is_path_component(const char *s)
{
	return *s && !strchr(s, '/') && strcmp(s, ".") && strcmp(s, "..");
}

int path_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

int is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int has_suffix(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);

	return ls >= lx && !strcmp(s + ls - lx, suffix);
}

int has_prefix(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

int mkdir_p(const char *path, struct rb_error *err)
{
	char *p = xstrdup(path);
	int ret = -1;

	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST) {
			rb_fail_errno(err, "cannot create directory '%s'", p);
			goto out;
		}
		*s = '/';
	}
	if (mkdir(p, 0755) < 0 && errno != EEXIST) {
		rb_fail_errno(err, "cannot create directory '%s'", p);
		goto out;
	}
	if (!is_dir(p)) {
		rb_fail(err, "'%s' exists and is not a directory", p);
		goto out;
	}
	ret = 0;
out:
	free(p);
	return ret;
}

int remove_tree(const char *path, struct rb_error *err)
{
	struct stat st;
	DIR *d;
	struct dirent *de;
	int ret = 0;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : rb_fail_errno(err, "cannot stat '%s'", path);
	if (!S_ISDIR(st.st_mode)) {
		if (unlink(path) < 0)
			return rb_fail_errno(err, "cannot remove '%s'", path);
		return 0;
	}
	d = opendir(path);
	if (!d)
		return rb_fail_errno(err, "cannot open directory '%s'", path);
	while (!ret && (de = readdir(d))) {
		char *sub;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		sub = path_join(path, de->d_name);
		ret = remove_tree(sub, err);
		free(sub);
	}
	closedir(d);
	if (!ret && rmdir(path) < 0)
		return rb_fail_errno(err, "cannot remove '%s'", path);
	return ret;
}

int read_file_st(const char *path, char **out, size_t *len, struct stat *st,
		 struct rb_error *err)
{
	struct strbuf sb = STRBUF_INIT;
	struct stat own;
	ssize_t n;
	/*
	 * O_NONBLOCK: a FIFO must not hang the open.  It is refused below,
	 * and O_NONBLOCK means nothing to the regular file that is read.
	 */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

	if (!st)
		st = &own;
	if (fd < 0)
		return rb_fail_errno(err, "cannot open '%s'", path);
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
		if (S_ISDIR(st->st_mode))
			rb_fail(err, "'%s' is a directory, not a file", path);
		else
			rb_fail(err, "'%s' is %s, not a regular file", path,
				file_kind(st->st_mode));
		close(fd);
		return -1;
	}
	/* the size as it is now, and room to see the end (or more) */
	sb_grow(&sb, (size_t)st->st_size + 1);
	sb.buf[0] = '\0';
	for (;;) {
		if (sb.alloc - sb.len < 2)
			sb_grow(&sb, 65536);
		n = read_retry(fd, sb.buf + sb.len, sb.alloc - sb.len - 1);
		if (n == 0)
			break;
		if (n < 0) {
			rb_fail_errno(err, "cannot read '%s'", path);
			close(fd);
			sb_release(&sb);
			return -1;
		}
		sb.len += (size_t)n;
		sb.buf[sb.len] = '\0';
	}
	close(fd);
	if (len)
		*len = sb.len;
	*out = sb_detach(&sb);
	return 0;
}

int read_file(const char *path, char **out, size_t *len, struct rb_error *err)
{
	return read_file_st(path, out, len, NULL, err);
}

ssize_t read_retry(int fd, void *buf, size_t len)
{
	ssize_t n;

	do
		n = read(fd, buf, len);
	while (n < 0 && errno == EINTR);
	return n;
}

int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int write_file(const char *path, const void *data, size_t len, mode_t mode,
	       struct rb_error *err)
{
	char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	int fd, ret = -1;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		rb_fail_errno(err, "cannot create '%s'", tmp);
		goto out;
	}
	if (write_all(fd, data, len) < 0 || fchmod(fd, mode) < 0) {
		rb_fail_errno(err, "cannot write '%s'", tmp);
		close(fd);
		unlink(tmp);
		goto out;
	}
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		rb_fail_errno(err, "cannot write '%s'", path);
		unlink(tmp);
		goto out;
	}
	ret = 0;
out:
	free(tmp);
	return ret;
}

int write_file_in_place(const char *path, const void *data, size_t len,
		   mode_t mode, struct rb_error *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0)
		return rb_fail_errno(err, "cannot create '%s'", path);
	if (write_all(fd, data, len) < 0 || fchmod(fd, mode) < 0) {
		rb_fail_errno(err, "cannot write '%s'", path);
		close(fd);
		return -1;
	}
	if (close(fd) < 0)
		return rb_fail_errno(err, "cannot write '%s'", path);
	return 0;
}

const char *file_kind(mode_t mode)
{
	if (S_ISREG(mode))
		return "a file";
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISLNK(mode))
		return "a symlink";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISSOCK(mode))
		return "a socket";
	if (S_ISCHR(mode) || S_ISBLK(mode))
		return "a device";
	return "of an unknown type";
}

mode_t rb_normal_mode(mode_t mode)
{
	int exec = (mode & 0111) != 0;

	if (S_ISDIR(mode))
		return 0755;
	if (S_ISLNK(mode))
		return 0777;
	/* Others may not read it: a secret, keep it so. */
	if (!(mode & 0004))
		return exec ? 0700 : 0600;
	return exec ? 0755 : 0644;
}

/*
 * The bytes of in into out, both at offset 0, by the kernel where it
 * can: a reflink (FICLONE: btrfs, XFS), else copy_file_range(2) (no
 * pass through user space, server-side on NFS); 1 when neither applies
 * here and nothing was copied, for the caller to read and write.
 */
static int kernel_copy(int in, int out, off_t size)
{
	off_t left = size;

	if (!ioctl(out, FICLONE, in))
		return 0;
	while (left > 0) {
		ssize_t n = copy_file_range(in, NULL, out, NULL, (size_t)left, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && left == size &&
		    (errno == EXDEV || errno == ENOSYS || errno == EINVAL ||
		     errno == EOPNOTSUPP || errno == EBADF))
			return 1;
		if (n < 0)
			return -1;
		if (n == 0) /* shorter than it was: the rest as it is now */
			return left == size ? 1 : 0;
		left -= n;
	}
	return 0;
}

int copy_file(const char *from, const char *to, struct rb_error *err)
{
	struct stat st;
	char buf[65536];
	ssize_t n;
	int in = -1, out = -1, ret = -1;
	mode_t mode;

	in = open(from, O_RDONLY | O_CLOEXEC);
	if (in < 0 || fstat(in, &st) < 0) {
		rb_fail_errno(err, "cannot read '%s'", from);
		goto out;
	}
	mode = rb_normal_mode(st.st_mode);
	unlink(to);
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (out < 0) {
		rb_fail_errno(err, "cannot create '%s'", to);
		goto out;
	}
	switch (S_ISREG(st.st_mode) ? kernel_copy(in, out, st.st_size) : 1) {
	case 0:
		goto copied;
	case -1:
		rb_fail_errno(err, "cannot copy '%s' to '%s'", from, to);
		goto out;
	}
	while ((n = read(in, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rb_fail_errno(err, "cannot read '%s'", from);
			goto out;
		}
		if (write_all(out, buf, (size_t)n) < 0) {
			rb_fail_errno(err, "cannot write '%s'", to);
			goto out;
		}
	}
copied:
	if (fchmod(out, mode) < 0) {
		rb_fail_errno(err, "cannot chmod '%s'", to);
		goto out;
	}
	ret = 0;
out:
	if (in >= 0)
		close(in);
	if (out >= 0 && close(out) < 0 && !ret)
		ret = rb_fail_errno(err, "cannot write '%s'", to);
	return ret;
}

int link_or_copy(const char *from, const char *to, struct rb_error *err)
{
	unlink(to);
	if (!link(from, to))
		return 0;
	return copy_file(from, to, err);
}

static int copy_tree_depth(const char *from, const char *to, int depth,
			   rb_copy_fn copy, struct rb_error *err)
{
	struct strvec names = STRVEC_INIT;
	int ret = -1;

	if (depth > 64)
		return rb_fail(err, "'%s': directory nesting too deep (symlink loop?)", from);
	if (mkdir_p(to, err) < 0)
		return -1;
	if (list_dir(from, &names, err) < 0)
		return -1;
	for (size_t i = 0; i < names.nr; i++) {
		char *src = path_join(from, names.v[i]);
		char *dst = path_join(to, names.v[i]);
		struct stat st;
		int r;

		if (stat(src, &st) < 0)
			r = rb_fail_errno(err, "cannot stat '%s'", src);
		else if (S_ISDIR(st.st_mode))
			r = copy_tree_depth(src, dst, depth + 1, copy, err);
		else if (S_ISREG(st.st_mode))
			r = copy(src, dst, err);
		else
			r = rb_fail(err, "'%s' is not a regular file or directory", src);
		free(src);
		free(dst);
		if (r < 0)
			goto out;
	}
	ret = 0;
out:
	strvec_clear(&names);
	return ret;
}

int copy_tree_with(const char *from, const char *to, rb_copy_fn copy,
		   struct rb_error *err)
{
	return copy_tree_depth(from, to, 0, copy, err);
}

int copy_tree(const char *from, const char *to, struct rb_error *err)
{
	return copy_tree_with(from, to, copy_file, err);
}

int list_dir(const char *path, struct strvec *out, struct rb_error *err)
{
	DIR *d = opendir(path);
	struct dirent *de;

	if (!d)
		return rb_fail_errno(err, "cannot open directory '%s'", path);
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		strvec_push(out, de->d_name);
	}
	closedir(d);
	strvec_sort(out);
	return 0;
}

char *which(const char *prog)
{
	const char *path = getenv("PATH");
	char *copy, *dir, *save = NULL, *found = NULL;

	if (strchr(prog, '/'))
		return access(prog, X_OK) == 0 ? xstrdup(prog) : NULL;
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	copy = xstrdup(path);
	for (dir = strtok_r(copy, ":", &save); dir;
	     dir = strtok_r(NULL, ":", &save)) {
		char *cand = path_join(*dir ? dir : ".", prog);

		if (is_file(cand) && access(cand, X_OK) == 0) {
			found = cand;
			break;
		}
		free(cand);
	}
	free(copy);
	return found;
}

/* An unlinked file in $TMPDIR (or /tmp) for a child's output. */
static int output_file(struct rb_error *err)
{
	const char *dir = getenv("TMPDIR");
	char *tmpl;
	int fd;

	if (!dir || !*dir)
		dir = "/tmp";
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0)
		return fd;
	tmpl = xasprintf("%s/.relbuild-out-XXXXXX", dir);
	fd = mkostemp(tmpl, O_CLOEXEC);
	if (fd >= 0)
		unlink(tmpl);
	else
		rb_fail_errno(err, "cannot create a temporary file in '%s'", dir);
	free(tmpl);
	return fd;
}

int rb_child_start(struct rb_child *c, const char *const *argv,
		   const char *cwd, int with_stdin, struct rb_error *err)
{
	int pin[2] = { -1, -1 };

	c->pid = 0;
	c->in = -1;
	c->out = output_file(err);
	if (c->out < 0)
		return -1;
	if (with_stdin && pipe2(pin, O_CLOEXEC) < 0) {
		rb_fail_errno(err, "cannot create pipe");
		goto fail;
	}
	c->pid = fork();
	if (c->pid < 0) {
		rb_fail_errno(err, "cannot fork");
		goto fail;
	}
	if (c->pid == 0) {
		int in = with_stdin ? pin[0] : open("/dev/null", O_RDONLY);
		int out = c->out;

		/*
		 * Started with 0, 1 or 2 closed, either may be one of them:
		 * moved above 2 first, no dup2() below clobbers the other,
		 * and none is a no-op that would keep O_CLOEXEC.
		 */
		if (in >= 0 && in <= 2)
			in = fcntl(in, F_DUPFD, 3);
		if (out <= 2)
			out = fcntl(out, F_DUPFD, 3);
		if (in >= 0)
			dup2(in, 0);
		dup2(out, 1);
		dup2(out, 2);
		if (cwd && chdir(cwd) < 0)
			_exit(126);
		execvp(argv[0], (char *const *)argv);
		dprintf(2, "cannot run '%s': %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	if (with_stdin) {
		close(pin[0]);
		c->in = pin[1];
	}
	return 0;
fail:
	if (pin[0] >= 0) {
		close(pin[0]);
		close(pin[1]);
	}
	close(c->out);
	c->out = -1;
	c->pid = 0;
	return -1;
}

int rb_child_wait(struct rb_child *c, struct strbuf *output,
		  struct rb_error *err)
{
	char buf[4096];
	ssize_t n;
	int status;

	if (c->in >= 0)
		close(c->in);
	c->in = -1;
	if (c->pid <= 0)
		return 0;
	while (waitpid(c->pid, &status, 0) < 0) {
		if (errno != EINTR) {
			c->pid = 0;
			close(c->out);
			c->out = -1;
			return rb_fail_errno(err, "waitpid");
		}
	}
	c->pid = 0;
	if (output && lseek(c->out, 0, SEEK_SET) == 0) {
		while ((n = read_retry(c->out, buf, sizeof(buf))) > 0)
			sb_add(output, buf, (size_t)n);
	}
	close(c->out);
	c->out = -1;
	if (WIFEXITED(status)) {
		if (WEXITSTATUS(status) == 127 && output &&
		    strstr(sb_str(output), "cannot run '"))
			return rb_fail(err, "%s", sb_str(output));
		return WEXITSTATUS(status);
	}
	return 128 + WTERMSIG(status);
}

void rb_child_stop(struct rb_child *c)
{
	if (c->pid > 0)
		kill(c->pid, SIGTERM);
	rb_child_wait(c, NULL, NULL);
}

int run_capture(const char *const *argv, const char *cwd,
		struct strbuf *output, struct rb_error *err)
{
	struct rb_child c;

	if (rb_child_start(&c, argv, cwd, 0, err) < 0)
		return -1;
	return rb_child_wait(&c, output, err);
}
