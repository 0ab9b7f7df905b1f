#include "cleanup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

/*
 * A fixed table, so that the signal handler reads it without locks or
 * malloc: a slot's path is written before it is marked used, and marked
 * unused before it is reused.
 */
enum { SLOTS = 16, MAX_DEPTH = 256 };
static char paths[SLOTS][PATH_MAX];
static volatile sig_atomic_t used[SLOTS];
static int handlers_installed;

/*
 * Remove name (relative to dir) and everything below it with system
 * calls only: unlinkat(), openat() and getdents64(), no malloc, no
 * stdio, so that a signal handler may call it.
 */
static void remove_at(int dir, const char *name, int depth)
{
	char buf[2048];
	int fd;
	ssize_t n;

	if (unlinkat(dir, name, 0) == 0 || errno == ENOENT)
		return;
	if (depth > MAX_DEPTH)
		return;
	fd = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	while ((n = getdents64(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t off = 0; off < n;) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);

			off += d->d_reclen;
			if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
				continue;
			remove_at(fd, d->d_name, depth + 1);
		}
	}
	close(fd);
	unlinkat(dir, name, AT_REMOVEDIR);
}

void rb_cleanup_now(void)
{
	int saved = errno;

	for (int i = 0; i < SLOTS; i++) {
		if (!used[i])
			continue;
		remove_at(AT_FDCWD, paths[i], 0);
		used[i] = 0;
	}
	errno = saved;
}

static void on_signal(int sig)
{
	rb_cleanup_now();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void install_handlers(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaddset(&sa.sa_mask, sigs[i]);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		struct sigaction old;

		/* a signal the caller ignores (nohup) stays ignored */
		if (sigaction(sigs[i], NULL, &old) == 0 &&
		    old.sa_handler == SIG_IGN)
			continue;
		sigaction(sigs[i], &sa, NULL);
	}
	handlers_installed = 1;
}

int rb_cleanup_add(const char *path)
{
	size_t len = strlen(path);

	if (path[0] != '/' || len >= PATH_MAX)
		return -1;
	if (!handlers_installed)
		install_handlers();
	for (int i = 0; i < SLOTS; i++) {
		if (used[i])
			continue;
		memcpy(paths[i], path, len + 1);
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
		used[i] = 1;
		return 0;
	}
	return -1;
}

char *rb_cleanup_mkdtemp(const char *prefix, struct rb_error *err)
{
	const char *tmp = getenv("TMPDIR");
	char *dir = xasprintf("%s/%s-XXXXXX", tmp && tmp[0] == '/' ? tmp : "/tmp",
			      prefix);

	if (!mkdtemp(dir)) {
		rb_fail_errno(err, "cannot create a temporary directory '%s'", dir);
		free(dir);
		return NULL;
	}
	if (rb_cleanup_add(dir) < 0) {
		rb_fail(err, "cannot register '%s' for removal", dir);
		rmdir(dir);
		free(dir);
		return NULL;
	}
	return dir;
}

void rb_cleanup_forget(const char *path)
{
	for (int i = 0; i < SLOTS; i++)
		if (used[i] && !strcmp(paths[i], path))
			used[i] = 0;
}
