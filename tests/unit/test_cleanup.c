/* Unit tests for cleanup.c: temporary paths removed at exit and on signals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "helpers.h"
#include "util.h"

static char *make_tree(void)
{
	char tmpl[] = "/tmp/rb-cleanup-XXXXXX";

	assert_non_null(mkdtemp(tmpl));
	test_put(tmpl, "a/b/c/deep.txt", "x", 0644);
	test_put(tmpl, "a/file", "y", 0600);
	test_put(tmpl, "top", "z", 0644);
	return xstrdup(tmpl);
}

static void test_now_removes_tree(void **state)
{
	char *a = make_tree(), *b = make_tree();

	(void)state;
	assert_int_equal(rb_cleanup_add(a), 0);
	assert_int_equal(rb_cleanup_add(b), 0);
	rb_cleanup_forget(b);
	rb_cleanup_now();
	assert_false(path_exists(a));
	assert_true(is_dir(b));
	/* nothing left registered: a second call removes nothing */
	rb_cleanup_now();
	assert_true(is_dir(b));
	assert_int_equal(remove_tree(b, NULL), 0);
	free(a);
	free(b);
}

static void test_relative_refused(void **state)
{
	(void)state;
	assert_int_equal(rb_cleanup_add("relative/path"), -1);
}

/* A process killed by SIGTERM or SIGINT removes its paths and dies of it. */
static void test_signal(void **state)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP };

	(void)state;
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		char *dir = make_tree();
		int status;
		pid_t pid = fork();

		assert_true(pid >= 0);
		if (pid == 0) {
			if (rb_cleanup_add(dir) < 0)
				_exit(3);
			raise(sigs[i]);
			_exit(4); /* not reached */
		}
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFSIGNALED(status));
		assert_int_equal(WTERMSIG(status), sigs[i]);
		assert_false(path_exists(dir));
		free(dir);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_now_removes_tree),
		cmocka_unit_test(test_relative_refused),
		cmocka_unit_test(test_signal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
