#include "proc.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

/* How much of a command line is read: enough for any VM's arguments. */
#define MAX_CMDLINE (256 * 1024)

/* Whether path is dir or below it. */
static int below(const char *path, const char *dir, size_t n)
{
	return !strncmp(path, dir, n) && (path[n] == '\0' || path[n] == '/');
}

static int link_below(const char *link, const char *dir, size_t n)
{
	char buf[PATH_MAX];
	ssize_t len = readlink(link, buf, sizeof(buf) - 1);

	if (len < 0)
		return 0;
	buf[len] = '\0';
	return below(buf, dir, n);
}

/* buf holds MAX_CMDLINE + 1 bytes. */
static int cmdline_below(const char *file, const char *dir, size_t n,
			 char *buf)
{
	size_t len = 0;
	int fd = open(file, O_RDONLY | O_CLOEXEC), found = 0;

	if (fd < 0)
		return 0;
	while (len < MAX_CMDLINE) {
		ssize_t r = read(fd, buf + len, MAX_CMDLINE - len);

		if (r <= 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	buf[len] = '\0';
	/* NUL-separated arguments, the program's name first */
	for (size_t i = strlen(buf) + 1; i < len && !found;
	     i += strlen(buf + i) + 1)
		found = below(buf + i, dir, n);
	return found;
}

static int runs_from(long pid, const char *dir, size_t n, char *buf)
{
	char *cwd = xasprintf("/proc/%ld/cwd", pid);
	char *cmd = xasprintf("/proc/%ld/cmdline", pid);
	int hit = link_below(cwd, dir, n) || cmdline_below(cmd, dir, n, buf);

	free(cmd);
	free(cwd);
	return hit;
}

pid_t rb_process_in(const char *dir)
{
	size_t n = strlen(dir);
	pid_t self = getpid(), found = 0;
	DIR *d = opendir("/proc");
	struct dirent *de;
	char *buf;

	if (!d)
		return 0;
	buf = xmalloc(MAX_CMDLINE + 1);
	while (!found && (de = readdir(d))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);

		if (*end || pid <= 0 || pid == self)
			continue;
		if (runs_from(pid, dir, n, buf))
			found = (pid_t)pid;
	}
	free(buf);
	closedir(d);
	return found;
}
