#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "migrations.h"
#include "util.h"

struct fixture {
	char *root;    /* temp dir, real path */
	char *app;     /* root/lib/shop-0.1.0 */
	char *migdir;  /* app/priv/repo/migrations */
	char oldcwd[PATH_MAX];
	struct rb_migration_list migs;
	struct rb_error err;
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	char tmpl[] = "/tmp/test_migrations.XXXXXX";
	char real[PATH_MAX];

	assert_non_null(mkdtemp(tmpl));
	assert_non_null(realpath(tmpl, real));
	f->root = xstrdup(real);
	f->app = xasprintf("%s/lib/shop-0.1.0", f->root);
	f->migdir = xasprintf("%s/%s", f->app, RB_MIGRATIONS_DIR);
	assert_non_null(getcwd(f->oldcwd, sizeof(f->oldcwd)));
	/* Messages show paths relative to the current directory. */
	assert_int_equal(chdir(f->root), 0);
	rb_migration_list_init(&f->migs);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	struct rb_error err = { 0 };

	assert_int_equal(chdir(f->oldcwd), 0);
	rb_migration_list_release(&f->migs);
	remove_tree(f->root, &err);
	free(f->root);
	free(f->app);
	free(f->migdir);
	free(f);
	return 0;
}

static void touch(const char *dir, const char *name)
{
	struct rb_error err = { 0 };
	char *path = path_join(dir, name);

	assert_int_equal(mkdir_p(dir, &err), 0);
	assert_int_equal(write_file(path, "", 0, 0644, &err), 0);
	free(path);
}

static int check(struct fixture *f)
{
	rb_migration_list_release(&f->migs);
	memset(&f->err, 0, sizeof(f->err));
	return rb_migrations_check(f->app, &f->migs, &f->err);
}

static void test_sorted(void **state)
{
	struct fixture *f = *state;
	char *sub;

	touch(f->migdir, "20240102000000_add_index.exs");
	touch(f->migdir, "9_create_users.exs");
	touch(f->migdir, "10_Create_Orders.sql");
	touch(f->migdir, "20240101000000_add_email_2.exs");
	/* Skipped, as Ecto skips them. */
	touch(f->migdir, ".formatter.exs");
	touch(f->migdir, ".gitkeep");
	sub = path_join(f->migdir, "archive");
	touch(sub, "junk.txt");
	free(sub);

	assert_int_equal(check(f), 0);
	assert_int_equal(f->migs.nr, 4);
	/* Numerically: 9 before 10. */
	assert_string_equal(f->migs.v[0].version, "9");
	assert_string_equal(f->migs.v[0].name, "create_users");
	assert_string_equal(f->migs.v[1].version, "10");
	assert_string_equal(f->migs.v[1].name, "Create_Orders");
	assert_string_equal(f->migs.v[2].version, "20240101000000");
	assert_string_equal(f->migs.v[2].name, "add_email_2");
	assert_string_equal(f->migs.v[3].version, "20240102000000");
	assert_true(has_prefix(f->migs.v[0].path, f->migdir));
	assert_true(has_suffix(f->migs.v[0].path, "/9_create_users.exs"));
}

static void test_missing_dir(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(check(f), 0);
	assert_int_equal(f->migs.nr, 0);
	/* An empty directory too. */
	touch(f->migdir, ".keep");
	assert_int_equal(check(f), 0);
	assert_int_equal(f->migs.nr, 0);
}

static void test_duplicate(void **state)
{
	struct fixture *f = *state;

	touch(f->migdir, "1_first.exs");
	touch(f->migdir, "2_a.sql");
	touch(f->migdir, "2_b.exs");
	assert_int_equal(check(f), -1);
	assert_int_equal(f->err.code, RB_EFAIL);
	assert_string_equal(f->err.msg,
		"duplicate migration version 2: "
		"'lib/shop-0.1.0/priv/repo/migrations/2_a.sql' and "
		"'lib/shop-0.1.0/priv/repo/migrations/2_b.exs'");
}

static void test_duplicate_leading_zeros(void **state)
{
	struct fixture *f = *state;

	/* Ecto reads versions as integers: 007 is 7. */
	touch(f->migdir, "007_x.exs");
	touch(f->migdir, "7_y.exs");
	assert_int_equal(check(f), -1);
	assert_string_equal(f->err.msg,
		"duplicate migration version 7: "
		"'lib/shop-0.1.0/priv/repo/migrations/007_x.exs' and "
		"'lib/shop-0.1.0/priv/repo/migrations/7_y.exs'");
}

static void test_bad_names(void **state)
{
	static const char *const bad[] = {
		"x.sql", "1.sql", "1_.exs", "_a.exs", "a_1.exs", "1_a.ex",
		"1_a.exs.bak", "1-a.exs", "1_a-b.exs", "1_a b.sql", "1_a.SQL",
		"README.md", "1_é.exs",
	};
	struct fixture *f = *state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		char *path = path_join(f->migdir, bad[i]), *want;
		struct rb_error err = { 0 };

		touch(f->migdir, bad[i]);
		assert_int_equal(check(f), -1);
		want = xasprintf("bad migration file name "
				 "'lib/shop-0.1.0/priv/repo/migrations/%s' "
				 "(expected <digits>_<name>.exs or .sql)", bad[i]);
		assert_string_equal(f->err.msg, want);
		free(want);
		assert_int_equal(remove_tree(path, &err), 0);
		free(path);
	}
}

static void test_every_problem(void **state)
{
	struct fixture *f = *state;

	touch(f->migdir, "1_a.exs");
	touch(f->migdir, "1_b.exs");
	touch(f->migdir, "nope.sql");
	touch(f->migdir, "3_c.exs");
	touch(f->migdir, "3_d.exs");
	assert_int_equal(check(f), -1);
	assert_string_equal(f->err.msg,
		"bad migration file name 'lib/shop-0.1.0/priv/repo/migrations/nope.sql' (expected <digits>_<name>.exs or .sql)\n"
		"duplicate migration version 1: 'lib/shop-0.1.0/priv/repo/migrations/1_a.exs' and 'lib/shop-0.1.0/priv/repo/migrations/1_b.exs'\n"
		"duplicate migration version 3: 'lib/shop-0.1.0/priv/repo/migrations/3_c.exs' and 'lib/shop-0.1.0/priv/repo/migrations/3_d.exs'");
}

/* mix links priv/ into _build: messages name the source files. */
static void test_symlinked_priv(void **state)
{
	struct fixture *f = *state;
	struct rb_error err = { 0 };
	char *src = xasprintf("%s/priv/repo/migrations", f->root);
	char *priv = xasprintf("%s/priv", f->root);
	char *link = xasprintf("%s/_build/prod/lib/shop/priv", f->root);
	char *app = xasprintf("%s/_build/prod/lib/shop", f->root);

	touch(src, "5_x.exs");
	touch(src, "5_y.exs");
	assert_int_equal(mkdir_p(app, &err), 0);
	assert_int_equal(symlink(priv, link), 0);
	rb_migration_list_release(&f->migs);
	assert_int_equal(rb_migrations_check(app, &f->migs, &f->err), -1);
	assert_string_equal(f->err.msg,
		"duplicate migration version 5: 'priv/repo/migrations/5_x.exs' and "
		"'priv/repo/migrations/5_y.exs'");
	free(src);
	free(priv);
	free(link);
	free(app);
}

static void test_version_cmp(void **state)
{
	(void)state;
	assert_int_equal(rb_migration_version_cmp("9", "10"), -1);
	assert_int_equal(rb_migration_version_cmp("10", "9"), 1);
	assert_int_equal(rb_migration_version_cmp("0010", "10"), 0);
	assert_int_equal(rb_migration_version_cmp("0", "000"), 0);
	assert_int_equal(rb_migration_version_cmp("123456789012345678901234567890",
						  "123456789012345678901234567891"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sorted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_leading_zeros, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_every_problem, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlinked_priv, setup, teardown),
		cmocka_unit_test(test_version_cmp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
