#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "helpers.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proc.h"
#include "util.h"

struct fixture {
	char *dir;   /* a real path: the release a process runs from */
	char *other; /* dir's name with a suffix: not below dir */
	pid_t pid;
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	char tmpl[] = "/tmp/rb-proc-XXXXXX";
	char *real;
	struct rb_error err;

	assert_non_null(mkdtemp(tmpl));
	real = realpath(tmpl, NULL);
	assert_non_null(real);
	f->dir = path_join(real, "versions/0.1.0");
	f->other = path_join(real, "versions/0.1.0-other");
	assert_int_equal(mkdir_p(f->dir, &err), 0);
	assert_int_equal(mkdir_p(f->other, &err), 0);
	free(real);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char *top = xstrdup(f->dir);
	struct rb_error err;

	test_stop(f->pid);
	*strstr(top, "/versions/") = '\0';
	assert_int_equal(remove_tree(top, &err), 0);
	free(top);
	free(f->other);
	free(f->dir);
	free(f);
	return 0;
}

static void test_nothing_runs(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(rb_process_in(f->dir), 0);
	assert_int_equal(rb_process_in(f->other), 0);
}

/* A process whose working directory is below dir (a hook, run_erl). */
static void test_cwd(void **state)
{
	struct fixture *f = *state;
	char *sub = path_join(f->dir, "bin");
	char *argv[] = { "sleep", "300", NULL };
	struct rb_error err;

	assert_int_equal(mkdir_p(sub, &err), 0);
	f->pid = test_spawn(sub, argv);
	assert_int_equal(rb_process_in(f->dir), f->pid);
	/* a sibling that shares dir's name as a prefix is not dir */
	assert_int_equal(rb_process_in(f->other), 0);
	free(sub);
}

/*
 * A process tied to dir only by its executable, as epmd started from
 * the release's ERTS is, does not count; its arguments do.
 */
static void test_exe_only(void **state)
{
	struct fixture *f = *state;
	char *exe = path_join(f->dir, "erts-14.2/bin/epmd");
	char *cmd = xasprintf("mkdir -p '%s/erts-14.2/bin' && cp \"$(command -v sleep)\" '%s'",
			      f->dir, exe);
	char *argv[] = { exe, "300", NULL };

	assert_int_equal(system(cmd), 0);
	f->pid = test_spawn("/", argv);
	assert_int_equal(rb_process_in(f->dir), 0);
	free(cmd);
	free(exe);
}

/* A process that names a path below dir (-boot DIR/releases/...). */
static void test_argument(void **state)
{
	struct fixture *f = *state;
	char *boot = path_join(f->dir, "releases/0.1.0/start.boot");
	char *argv[] = { "tail", "-f", boot, NULL };

	test_put(f->dir, "releases/0.1.0/start.boot", "", 0644);
	f->pid = test_spawn("/", argv);
	assert_int_equal(rb_process_in(f->dir), f->pid);
	assert_int_equal(rb_process_in(f->other), 0);
	free(boot);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_nothing_runs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cwd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exe_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_argument, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
