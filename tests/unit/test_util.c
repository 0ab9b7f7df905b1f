/*
 * Unit tests for util.c's child processes: output captured whatever the
 * file descriptors relbuild itself was started with (CI runs it with
 * no standard input at all).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

static const char *const echo_both[] = {
	"sh", "-c", "echo out; echo err >&2; cat; exit 3", NULL
};

static void test_capture(void **state)
{
	struct strbuf out = STRBUF_INIT;
	struct rb_error err = { 0 };

	(void)state;
	/* stdin is /dev/null: cat ends at once. */
	assert_int_equal(run_capture(echo_both, NULL, &out, &err), 3);
	assert_string_equal(sb_str(&out), "out\nerr\n");
	sb_release(&out);
}

static void test_stdin_pipe(void **state)
{
	struct strbuf out = STRBUF_INIT;
	struct rb_error err = { 0 };
	struct rb_child c;

	(void)state;
	assert_int_equal(rb_child_start(&c, echo_both, NULL, 1, &err), 0);
	assert_int_equal(write(c.in, "in\n", 3), 3);
	assert_int_equal(rb_child_wait(&c, &out, &err), 3);
	assert_string_equal(sb_str(&out), "out\nerr\nin\n");
	sb_release(&out);
}

/*
 * With 0 closed, the output file or the stdin pipe is made 0: it must
 * still reach the child as stdout and stdin, not be lost to /dev/null
 * or closed on exec.
 */
static void test_closed_stdin(void **state)
{
	struct strbuf out = STRBUF_INIT;
	struct rb_error err = { 0 };
	struct rb_child c;
	int saved = fcntl(0, F_DUPFD_CLOEXEC, 3); /* -1: started without */

	(void)state;
	close(0);
	assert_int_equal(run_capture(echo_both, NULL, &out, &err), 3);
	assert_string_equal(sb_str(&out), "out\nerr\n");
	sb_reset(&out);
	assert_int_equal(rb_child_start(&c, echo_both, NULL, 1, &err), 0);
	assert_int_equal(write(c.in, "in\n", 3), 3);
	assert_int_equal(rb_child_wait(&c, &out, &err), 3);
	assert_string_equal(sb_str(&out), "out\nerr\nin\n");
	if (saved >= 0) {
		assert_int_equal(dup2(saved, 0), 0);
		close(saved);
	}
	sb_release(&out);
}

static void test_missing_program(void **state)
{
	static const char *const argv[] = { "/nonexistent/prog", NULL };
	struct strbuf out = STRBUF_INIT;
	struct rb_error err = { 0 };

	(void)state;
	assert_int_equal(run_capture(argv, NULL, &out, &err), -1);
	assert_string_equal(err.msg, "cannot run '/nonexistent/prog': No such file or directory\n");
	sb_release(&out);
}

/* read_file(): exact bytes whatever the size, a NUL after them. */
static void test_read_file(void **state)
{
	static const size_t sizes[] = { 0, 1, 65535, 65536, 65537, 300001 };
	char dir[] = "/tmp/rb-util-XXXXXX";
	struct rb_error err = { 0 };

	(void)state;
	assert_non_null(mkdtemp(dir));
	for (size_t i = 0; i < sizeof(sizes) / sizeof(*sizes); i++) {
		char *path = path_join(dir, "f");
		char *data = xmalloc(sizes[i] + 1), *got = NULL;
		struct stat st;
		size_t len = 12345;

		for (size_t j = 0; j < sizes[i]; j++)
			data[j] = (char)('a' + j % 26);
		assert_int_equal(write_file(path, data, sizes[i], 0640, &err), 0);
		assert_int_equal(read_file_st(path, &got, &len, &st, &err), 0);
		assert_int_equal(len, sizes[i]);
		assert_memory_equal(got, data, sizes[i]);
		assert_int_equal(got[len], '\0');
		assert_int_equal(st.st_size, (off_t)sizes[i]);
		assert_int_equal(st.st_mode & 07777, 0640);
		free(got);
		free(data);
		free(path);
	}
	/* a FIFO is refused at once, not waited on */
	{
		char *fifo = path_join(dir, "fifo"), *got = NULL;

		assert_int_equal(mkfifo(fifo, 0600), 0);
		assert_int_equal(read_file(fifo, &got, NULL, &err), -1);
		assert_non_null(strstr(err.msg, "a FIFO, not a regular file"));
		free(fifo);
	}
	assert_int_equal(remove_tree(dir, &err), 0);
}

/* write_file_in_place(): the mode exactly, whatever the umask; truncates. */
static void test_write_in_place(void **state)
{
	char dir[] = "/tmp/rb-util-XXXXXX";
	struct rb_error err = { 0 };
	char *path, *got = NULL;
	struct stat st;
	mode_t old = umask(077);

	(void)state;
	assert_non_null(mkdtemp(dir));
	path = path_join(dir, "beam");
	assert_int_equal(write_file_in_place(path, "a longer first text", 19, 0755, &err), 0);
	assert_int_equal(write_file_in_place(path, "short", 5, 0644, &err), 0);
	assert_int_equal(read_file_st(path, &got, NULL, &st, &err), 0);
	assert_string_equal(got, "short");
	assert_int_equal(st.st_mode & 07777, 0644);
	umask(old);
	free(got);
	free(path);
	assert_int_equal(remove_tree(dir, &err), 0);
}

/* the write end of test_read_retry's pipe, for its signal handler */
static int retry_wfd = -1;

static void write_on_signal(int sig)
{
	(void)sig;
	if (write(retry_wfd, "late", 4) != 4)
		_exit(99);
}

/* Whether process pid is blocked in read(2): /proc/PID/syscall. */
static int in_read(pid_t pid)
{
	char path[64], line[64] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/syscall", (long)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	fclose(f);
	return atol(line) == SYS_read && line[0] >= '0' && line[0] <= '9';
}

/*
 * read_retry(): a read that a signal interrupts (the handler installed
 * without SA_RESTART) is read again; the data the handler writes arrives.
 * A child signals once this process blocks in read(2); where /proc says
 * nothing of it, the signal may come before the read, and the test holds
 * without showing the retry.  Then 0 at the end, -1 with errno.
 */
static void test_read_retry(void **state)
{
	struct sigaction sa = { .sa_handler = write_on_signal }, old;
	char buf[16];
	int p[2], status;
	pid_t parent = getpid(), child;

	(void)state;
	assert_int_equal(pipe(p), 0);
	retry_wfd = p[1];
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGUSR1, &sa, &old), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		for (int tries = 0; tries < 1000000; tries++) {
			int r = in_read(parent);

			if (r != 0)
				break;
			sched_yield();
		}
		_exit(kill(parent, SIGUSR1) == 0 ? 0 : 1);
	}
	assert_int_equal(read_retry(p[0], buf, sizeof(buf)), 4);
	assert_memory_equal(buf, "late", 4);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(sigaction(SIGUSR1, &old, NULL), 0);

	close(p[1]);
	assert_int_equal(read_retry(p[0], buf, sizeof(buf)), 0);
	close(p[0]);
	errno = 0;
	assert_int_equal(read_retry(p[0], buf, sizeof(buf)), -1);
	assert_int_equal(errno, EBADF);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_capture),
		cmocka_unit_test(test_stdin_pipe),
		cmocka_unit_test(test_closed_stdin),
		cmocka_unit_test(test_missing_program),
		cmocka_unit_test(test_read_file),
		cmocka_unit_test(test_read_retry),
		cmocka_unit_test(test_write_in_place),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
