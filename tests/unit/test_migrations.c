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

/* The reason relbuild gives for a file it skips, NULL when it lists none. */
static const char *skipped(const struct fixture *f, const char *rel)
{
	for (size_t i = 0; i < f->migs.nr_skipped; i++)
		if (!strcmp(f->migs.skipped[i].rel, rel))
			return f->migs.skipped[i].why;
	return NULL;
}

static void test_sorted(void **state)
{
	struct fixture *f = *state;
	char *sub;

	touch(f->migdir, "20240102000000_add_index.exs");
	touch(f->migdir, "9_create_users.exs");
	touch(f->migdir, "10_Create_Orders.sql");
	touch(f->migdir, "20240101000000_add_email_2.exs");
	/* Not looked at, as Ecto's glob does not match them. */
	touch(f->migdir, ".formatter.exs");
	touch(f->migdir, ".gitkeep");
	/* Not migrations: a note, no failure. */
	touch(f->migdir, "README.md");
	sub = path_join(f->migdir, "archive");
	touch(sub, "junk.txt");
	free(sub);

	assert_int_equal(check(f), 0);
	assert_int_equal(f->migs.nr, 4);
	/* Numerically: 9 before 10. */
	assert_string_equal(f->migs.v[0].version, "9");
	assert_string_equal(f->migs.v[0].name, "create_users");
	assert_string_equal(f->migs.v[0].rel, "9_create_users.exs");
	assert_string_equal(f->migs.v[1].version, "10");
	assert_string_equal(f->migs.v[1].name, "Create_Orders");
	assert_string_equal(f->migs.v[2].version, "20240101000000");
	assert_string_equal(f->migs.v[2].name, "add_email_2");
	assert_string_equal(f->migs.v[3].version, "20240102000000");
	assert_true(has_prefix(f->migs.v[0].path, f->migdir));
	assert_true(has_suffix(f->migs.v[0].path, "/9_create_users.exs"));

	assert_int_equal(f->migs.nr_skipped, 2);
	assert_string_equal(f->migs.skipped[0].rel, "README.md");
	assert_string_equal(f->migs.skipped[0].why,
			    "not named <integer>_<name>.exs or .sql");
	assert_string_equal(f->migs.skipped[1].rel, "archive/junk.txt");
}

/* Ecto's migrator globs for .exs at any depth: so does relbuild. */
static void test_subdirectories(void **state)
{
	struct fixture *f = *state;
	char *a = path_join(f->migdir, "2024");
	char *b = path_join(f->migdir, "tenants/eu");
	char *dot = path_join(f->migdir, ".old");

	touch(f->migdir, "20240101000000_first.exs");
	touch(a, "20240301000000_third.exs");
	touch(a, "README.md");
	touch(b, "20240201000000_second.sql");
	/* Ecto's glob enters no dot directory. */
	touch(dot, "20240101000000_old.exs");

	assert_int_equal(check(f), 0);
	assert_int_equal(f->migs.nr, 3);
	assert_string_equal(f->migs.v[0].rel, "20240101000000_first.exs");
	assert_string_equal(f->migs.v[1].rel, "tenants/eu/20240201000000_second.sql");
	assert_string_equal(f->migs.v[1].name, "second");
	assert_string_equal(f->migs.v[2].rel, "2024/20240301000000_third.exs");
	assert_string_equal(f->migs.v[2].version, "20240301000000");
	assert_true(has_suffix(f->migs.v[2].path, "/priv/repo/migrations/2024/20240301000000_third.exs"));
	assert_int_equal(f->migs.nr_skipped, 1);
	assert_string_equal(f->migs.skipped[0].rel, "2024/README.md");
	free(a);
	free(b);
	free(dot);
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
	assert_int_equal(f->migs.nr_skipped, 0);
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

/* Anywhere in one application's tree, a version is one migration. */
static void test_duplicate_across_directories(void **state)
{
	struct fixture *f = *state;
	char *sub = path_join(f->migdir, "archive/2023");

	touch(f->migdir, "20240101000000_a.exs");
	touch(sub, "20240101000000_b.exs");
	touch(f->migdir, "README.md");
	assert_int_equal(check(f), -1);
	assert_string_equal(f->err.msg,
		"duplicate migration version 20240101000000: "
		"'lib/shop-0.1.0/priv/repo/migrations/20240101000000_a.exs' and "
		"'lib/shop-0.1.0/priv/repo/migrations/archive/2023/20240101000000_b.exs'");
	free(sub);
}

static void test_duplicate_leading_zeros(void **state)
{
	struct fixture *f = *state;

	/* Ecto reads versions as integers: 007 is 7, and so is +7. */
	touch(f->migdir, "007_x.exs");
	touch(f->migdir, "7_y.exs");
	touch(f->migdir, "+7_z.exs");
	assert_int_equal(check(f), -1);
	assert_string_equal(f->err.msg,
		"duplicate migration version 7: "
		"'lib/shop-0.1.0/priv/repo/migrations/+7_z.exs' and "
		"'lib/shop-0.1.0/priv/repo/migrations/007_x.exs'\n"
		"duplicate migration version 7: "
		"'lib/shop-0.1.0/priv/repo/migrations/007_x.exs' and "
		"'lib/shop-0.1.0/priv/repo/migrations/7_y.exs'");
}

/* Files Ecto does not run: skipped with a reason, the build goes on. */
static void test_not_migrations(void **state)
{
	static const char *const names[] = {
		"x.sql", "1.sql", "_a.exs", "a_1.exs", "1_a.exs.bak",
		"1-a.exs", "1_a.SQL", "1_a.EXS", "README.md", "1_a", "12",
		"1.2_a.exs", "+_a.exs", "- 1_a.exs",
	};
	struct fixture *f = *state;

	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
		touch(f->migdir, names[i]);
	/* Ecto warns about these and does not run them either. */
	touch(f->migdir, "3_a.ex");
	assert_int_equal(check(f), 0);
	assert_int_equal(f->migs.nr, 0);
	assert_int_equal(f->migs.nr_skipped, sizeof(names) / sizeof(*names) + 1);
	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
		const char *why = skipped(f, names[i]);

		if (!why)
			fail_msg("'%s' is not in the skipped list", names[i]);
		assert_string_equal(why, "not named <integer>_<name>.exs or .sql");
	}
	assert_non_null(skipped(f, "3_a.ex"));
	assert_string_equal(skipped(f, "3_a.ex"),
		"named like a migration but .ex: Ecto warns and does not run it (rename it .exs)");
}

/*
 * Names Ecto takes: Integer.parse/1 of the name without its extension
 * must leave "_" + anything.
 */
static void test_ecto_names(void **state)
{
	static const struct { const char *file, *version, *name; } ok[] = {
		{ "-5_minus.exs", "-5", "minus" },
		{ "1_.exs", "1", "" },
		{ "2_a-b.exs", "2", "a-b" },
		{ "3_a b.sql", "3", "a b" },
		{ "4_\xc3\xa9t\xc3\xa9.exs", "4", "\xc3\xa9t\xc3\xa9" },
		{ "5_a.b.exs", "5", "a.b" },
		{ "+6_plus.exs", "+6", "plus" },
		{ "07_x_y.sql", "07", "x_y" },
	};
	struct fixture *f = *state;
	size_t n = sizeof(ok) / sizeof(*ok);

	for (size_t i = 0; i < n; i++)
		touch(f->migdir, ok[i].file);
	assert_int_equal(check(f), 0);
	assert_int_equal(f->migs.nr_skipped, 0);
	assert_int_equal(f->migs.nr, n);
	/* ok[] is in version order. */
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(f->migs.v[i].rel, ok[i].file);
		assert_string_equal(f->migs.v[i].version, ok[i].version);
		assert_string_equal(f->migs.v[i].name, ok[i].name);
	}
}

static void test_every_problem(void **state)
{
	struct fixture *f = *state;
	char *sub = path_join(f->migdir, "sub");

	touch(f->migdir, "1_a.exs");
	touch(f->migdir, "1_b.exs");
	touch(f->migdir, "nope.sql");
	touch(f->migdir, "3_c.exs");
	touch(sub, "3_d.exs");
	assert_int_equal(check(f), -1);
	assert_string_equal(f->err.msg,
		"duplicate migration version 1: 'lib/shop-0.1.0/priv/repo/migrations/1_a.exs' and 'lib/shop-0.1.0/priv/repo/migrations/1_b.exs'\n"
		"duplicate migration version 3: 'lib/shop-0.1.0/priv/repo/migrations/3_c.exs' and 'lib/shop-0.1.0/priv/repo/migrations/sub/3_d.exs'");
	free(sub);
}

/* Symlinks are followed, as Ecto's glob and the copy into the release do. */
static void test_symlinks(void **state)
{
	struct fixture *f = *state;
	char *shared = xasprintf("%s/shared", f->root);
	char *link = path_join(f->migdir, "shared");
	char *dangling = path_join(f->migdir, "9_gone.exs");
	char *loop = path_join(f->migdir, "loop");

	touch(shared, "8_shared.exs");
	touch(f->migdir, "1_a.exs");
	assert_int_equal(symlink(shared, link), 0);
	assert_int_equal(symlink("/nonexistent/9_gone.exs", dangling), 0);
	assert_int_equal(check(f), 0);
	assert_int_equal(f->migs.nr, 2);
	assert_string_equal(f->migs.v[1].rel, "shared/8_shared.exs");
	assert_string_equal(skipped(f, "9_gone.exs"), "not a regular file");

	/* A loop fails, as copying the tree into the release would. */
	assert_int_equal(symlink(f->migdir, loop), 0);
	assert_int_equal(check(f), -1);
	assert_string_equal(f->err.msg,
		"'lib/shop-0.1.0/priv/repo/migrations/loop': a symlink loop");
	free(shared);
	free(link);
	free(dangling);
	free(loop);
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
	/* Signs, as Integer.parse/1 reads them. */
	assert_int_equal(rb_migration_version_cmp("+7", "007"), 0);
	assert_int_equal(rb_migration_version_cmp("-0", "0"), 0);
	assert_int_equal(rb_migration_version_cmp("-1", "0"), -1);
	assert_int_equal(rb_migration_version_cmp("-10", "-9"), -1);
	assert_int_equal(rb_migration_version_cmp("-9", "-10"), 1);
	assert_int_equal(rb_migration_version_cmp("1", "-100"), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sorted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_subdirectories, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_across_directories, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_leading_zeros, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_migrations, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ecto_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_every_problem, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlinks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlinked_priv, setup, teardown),
		cmocka_unit_test(test_version_cmp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
