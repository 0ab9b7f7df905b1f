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

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

static const char *const echo_both[] = {
	"sh", "-c", "echo out; echo err >&2; cat; exit 3", NULL
};

static void test_capture(void **state)
{
	struct strbuf out = STRBUF_INIT;
	struct rb_error err = { 0, "" };

	(void)state;
	/* stdin is /dev/null: cat ends at once. */
	assert_int_equal(run_capture(echo_both, NULL, &out, &err), 3);
	assert_string_equal(sb_str(&out), "out\nerr\n");
	sb_release(&out);
}

static void test_stdin_pipe(void **state)
{
	struct strbuf out = STRBUF_INIT;
	struct rb_error err = { 0, "" };
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
	struct rb_error err = { 0, "" };
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
	struct rb_error err = { 0, "" };

	(void)state;
	assert_int_equal(run_capture(argv, NULL, &out, &err), -1);
	assert_string_equal(err.msg, "cannot run '/nonexistent/prog': No such file or directory\n");
	sb_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_capture),
		cmocka_unit_test(test_stdin_pipe),
		cmocka_unit_test(test_closed_stdin),
		cmocka_unit_test(test_missing_program),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
