#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"
#include "util.h"

void test_put(const char *root, const char *rel, const char *content,
	      mode_t mode)
{
	char *full = path_join(root, rel);
	char *dir = xstrdup(full);
	struct rb_error err;

	*strrchr(dir, '/') = '\0';
	if (mkdir_p(dir, &err) < 0 ||
	    write_file(full, content, strlen(content), mode, &err) < 0)
		fail_msg("%s", err.msg);
	free(dir);
	free(full);
}

char *test_slurp(const char *path, size_t *len)
{
	struct rb_error err;
	char *text = NULL;

	if (read_file(path, &text, len, &err) < 0)
		fail_msg("%s", err.msg);
	return text;
}

int test_has_problem(const struct rb_verify_result *res,
		     enum rb_problem_kind kind, const char *path)
{
	for (size_t i = 0; i < res->nr_problems; i++)
		if (res->problems[i].kind == kind &&
		    !strcmp(res->problems[i].path, path))
			return 1;
	return 0;
}

pid_t test_spawn(const char *cwd, char *const argv[])
{
	int fds[2];
	char c;
	pid_t pid;

	assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		close(fds[0]);
		if ((!cwd || chdir(cwd) == 0))
			execvp(argv[0], argv);
		/* a byte on the pipe says exec failed */
		if (write(fds[1], "x", 1) < 0)
			_exit(127);
		_exit(127);
	}
	close(fds[1]);
	/* EOF once the child has exec'd (the pipe is close-on-exec) */
	if (read(fds[0], &c, 1) != 0) {
		close(fds[0]);
		test_stop(pid);
		fail_msg("cannot start %s", argv[0]);
	}
	close(fds[0]);
	return pid;
}

void test_stop(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0)
		;
}
