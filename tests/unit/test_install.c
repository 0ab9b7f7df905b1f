#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "helpers.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "install.h"
#include "sign.h"
#include "manifest.h"
#include "tarball.h"
#include "util.h"

#define EPOCH 1700000000LL

struct fixture {
	char *tmp;        /* everything lives below this */
	char *root;       /* tmp/srv: the install root */
	char *tar[4];     /* tmp/build-<vsn>/releases/<vsn>/shop-<vsn>.tar.gz, 0.1.0..0.4.0 */
};

static const char *const vsns[] = { "0.1.0", "0.2.0", "0.3.0", "0.4.0" };

/* A small release of version vsn, packed (and signed with key) as the build does. */
static char *make_signed_tarball(const char *tmp, const char *vsn,
				 const struct rb_key *key)
{
	struct rb_tarball t;
	struct rb_error err;
	char *root = xasprintf("%s/build-%s", tmp, vsn);
	char *s, *ret;

	test_put(root, "bin/shop", "#!/bin/sh\necho shop\n", 0755);
	s = xasprintf("{application,shop,[{vsn,\"%s\"}]}.\n", vsn);
	test_put(root, "lib/shop-1/ebin/shop.app", s, 0644);
	free(s);
	test_put(root, "lib/shop-1/priv/repo/migrations/20240101000000_a.sql", "select 1;\n", 0644);
	test_put(root, "releases/COOKIE", "cookie", 0600);
	s = xasprintf("14.2 %s\n", vsn);
	test_put(root, "releases/start_erl.data", s, 0644);
	free(s);
	s = xasprintf("releases/%s/shop.rel", vsn);
	test_put(root, s, "{release,{\"shop\",\"x\"},{erts,\"14.2\"},[]}.\n", 0644);
	free(s);
	rb_tarball_init(&t);
	if (rb_manifest_write(root, vsn, NULL, &err) < 0 ||
	    (key && rb_sign_manifest(key, root, vsn, &err) < 0) ||
	    rb_tarball_make(&t, root, "shop", vsn, &(struct rb_pack){ .compression = RB_COMPRESS_GZIP }, EPOCH, &err) < 0)
		fail_msg("%s", err.msg);
	ret = xstrdup(t.versioned);
	rb_tarball_release(&t);
	free(root);
	return ret;
}

static char *make_tarball(const char *tmp, const char *vsn)
{
	return make_signed_tarball(tmp, vsn, NULL);
}

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	char tmpl[] = "/tmp/rb-install-XXXXXX";

	assert_non_null(mkdtemp(tmpl));
	f->tmp = xstrdup(tmpl);
	f->root = path_join(f->tmp, "srv");
	umask(022);
	for (int i = 0; i < 4; i++)
		f->tar[i] = make_tarball(f->tmp, vsns[i]);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	struct rb_error err;

	assert_int_equal(remove_tree(f->tmp, &err), 0);
	free(f->tmp);
	free(f->root);
	for (int i = 0; i < 4; i++)
		free(f->tar[i]);
	free(f);
	return 0;
}

/* Each test starts from an empty root. */
static int fresh_root(void **state)
{
	struct fixture *f = *state;
	struct rb_error err;

	assert_int_equal(remove_tree(f->root, &err), 0);
	return 0;
}

static int install(struct fixture *f, int i, unsigned keep, int force,
		   struct rb_install_result *res, struct rb_error *err)
{
	struct rb_install_opts o;

	rb_install_opts_init(&o, f->root);
	o.keep = keep;
	o.force = force;
	rb_install_result_init(res);
	return rb_install(f->tar[i], &o, res, err);
}

static void install_ok(struct fixture *f, int i, unsigned keep, int force)
{
	struct rb_install_result res;
	struct rb_error err = { 0 };

	if (install(f, i, keep, force, &res, &err) < 0)
		fail_msg("install %s: %s", vsns[i], err.msg);
	assert_true(res.switched);
	assert_string_equal(res.vsn, vsns[i]);
	rb_install_result_release(&res);
}

/* What root/<link> points to ("versions/<name>"), or "" when missing. */
static char *link_of(struct fixture *f, const char *link)
{
	char buf[512];
	char *p = path_join(f->root, link);
	ssize_t n = readlink(p, buf, sizeof(buf) - 1);

	free(p);
	if (n < 0)
		return xstrdup("");
	buf[n] = '\0';
	return xstrdup(buf);
}

static void assert_link(struct fixture *f, const char *link, const char *want)
{
	char *got = link_of(f, link);

	assert_string_equal(got, want);
	free(got);
}

static char *slurp_rel(struct fixture *f, const char *rel)
{
	char *p = path_join(f->root, rel), *text = NULL;
	struct rb_error err;
	size_t len;

	if (read_file(p, &text, &len, &err) < 0)
		fail_msg("%s", err.msg);
	free(p);
	return text;
}

static void assert_file(struct fixture *f, const char *rel, const char *want)
{
	char *text = slurp_rel(f, rel);

	assert_string_equal(text, want);
	free(text);
}

static int exists_rel(struct fixture *f, const char *rel)
{
	char *p = path_join(f->root, rel);
	struct stat st;
	int r = lstat(p, &st) == 0;

	free(p);
	return r;
}

/* Everything under the root, as "path mode link" lines. */
static char *snapshot(const char *root)
{
	struct rb_tree t = RB_TREE_INIT;
	struct strbuf sb = STRBUF_INIT;
	struct rb_error err;

	if (!is_dir(root))
		return xstrdup("(none)");
	if (rb_tree_list(&t, root, NULL, &err) < 0)
		fail_msg("%s", err.msg);
	for (size_t i = 0; i < t.nr; i++)
		sb_addf(&sb, "%s %o %s\n", t.v[i].path, (unsigned)t.v[i].mode,
			t.v[i].link ? t.v[i].link : "");
	rb_tree_release(&t);
	return sb_detach(&sb);
}

static void test_install_and_switch(void **state)
{
	struct fixture *f = *state;
	struct rb_verify_result vr;
	struct rb_error err;
	char *dir;

	install_ok(f, 0, 5, 0);
	assert_link(f, "current", "versions/0.1.0");
	assert_link(f, "previous", "");
	assert_true(exists_rel(f, "shared/log"));
	assert_true(exists_rel(f, "shared/tmp"));
	assert_file(f, "installed", "0.1.0\n");
	assert_file(f, "current/releases/start_erl.data", "14.2 0.1.0\n");

	/* What was installed passes verify, modes included. */
	dir = path_join(f->root, "current");
	rb_verify_result_init(&vr);
	assert_int_equal(rb_verify_dir(dir, NULL, &vr, &err), 0);
	assert_int_equal(vr.nr_problems, 0);
	rb_verify_result_release(&vr);
	free(dir);
	{
		struct stat st;
		char *p = path_join(f->root, "versions/0.1.0/bin/shop");

		assert_int_equal(stat(p, &st), 0);
		assert_int_equal(st.st_mode & 07777, 0755);
		free(p);
		p = path_join(f->root, "versions/0.1.0/releases/COOKIE");
		assert_int_equal(stat(p, &st), 0);
		assert_int_equal(st.st_mode & 07777, 0600);
		free(p);
	}

	install_ok(f, 1, 5, 0);
	assert_link(f, "current", "versions/0.2.0");
	assert_link(f, "previous", "versions/0.1.0");
	assert_file(f, "installed", "0.1.0\n0.2.0\n");
	assert_file(f, "current/releases/start_erl.data", "14.2 0.2.0\n");
	assert_true(exists_rel(f, "versions/0.1.0/bin/shop"));
	/* Nothing is left in progress. */
	{
		struct strvec names = STRVEC_INIT;
		char *v = path_join(f->root, "versions");

		assert_int_equal(list_dir(v, &names, &err), 0);
		assert_int_equal(names.nr, 2);
		strvec_clear(&names);
		assert_int_equal(list_dir(f->root, &names, &err), 0);
		for (size_t i = 0; i < names.nr; i++)
			assert_false(has_prefix(names.v[i], ".tmp-"));
		strvec_clear(&names);
		free(v);
	}
}

static void test_install_existing(void **state)
{
	struct fixture *f = *state;
	struct rb_install_result res;
	struct rb_error err = { 0 };
	char *before;

	install_ok(f, 0, 5, 0);
	before = snapshot(f->root);
	assert_int_equal(install(f, 0, 5, 0, &res, &err), -1);
	assert_non_null(strstr(err.msg, "0.1.0 is already installed"));
	assert_non_null(strstr(err.msg, "--force"));
	assert_null(res.name);
	rb_install_result_release(&res);
	{
		char *after = snapshot(f->root);

		assert_string_equal(after, before);
		free(after);
	}
	free(before);

	/* --force: afresh, under a new name, switched to. */
	install_ok(f, 0, 5, 1);
	assert_link(f, "current", "versions/0.1.0~2");
	assert_link(f, "previous", "versions/0.1.0");
	install_ok(f, 0, 5, 1);
	assert_link(f, "current", "versions/0.1.0~3");
	assert_link(f, "previous", "versions/0.1.0~2");
	assert_file(f, "installed", "0.1.0\n0.1.0~2\n0.1.0~3\n");
}

static int rollback(struct fixture *f, const char *version, int force,
		    struct rb_error *err)
{
	struct rb_install_result res;
	int r;

	rb_install_result_init(&res);
	r = rb_rollback(f->root, version, force, &res, err);
	rb_install_result_release(&res);
	return r;
}

static void test_rollback(void **state)
{
	struct fixture *f = *state;
	struct rb_error err = { 0 };
	char *file;

	/* Nothing installed, or nothing before. */
	assert_int_equal(rollback(f, NULL, 0, &err), -1);
	assert_non_null(strstr(err.msg, "nothing is installed"));
	install_ok(f, 0, 5, 0);
	assert_int_equal(rollback(f, NULL, 0, &err), -1);
	assert_non_null(strstr(err.msg, "no previous version"));

	install_ok(f, 1, 5, 0);
	install_ok(f, 2, 5, 0);
	assert_link(f, "current", "versions/0.3.0");
	assert_link(f, "previous", "versions/0.2.0");

	/* Back and forth. */
	assert_int_equal(rollback(f, NULL, 0, &err), 0);
	assert_link(f, "current", "versions/0.2.0");
	assert_link(f, "previous", "versions/0.3.0");
	assert_int_equal(rollback(f, NULL, 0, &err), 0);
	assert_link(f, "current", "versions/0.3.0");
	assert_link(f, "previous", "versions/0.2.0");

	/* By name. */
	assert_int_equal(rollback(f, "0.1.0", 0, &err), 0);
	assert_link(f, "current", "versions/0.1.0");
	assert_link(f, "previous", "versions/0.3.0");
	assert_int_equal(rollback(f, "0.1.0", 0, &err), -1);
	assert_non_null(strstr(err.msg, "already current"));
	assert_int_equal(rollback(f, "9.9.9", 0, &err), -1);
	assert_non_null(strstr(err.msg, "'9.9.9' is not installed"));
	assert_non_null(strstr(err.msg, "0.1.0, 0.2.0, 0.3.0"));
	assert_int_equal(rollback(f, "../../etc", 0, &err), -1);
	assert_link(f, "current", "versions/0.1.0");

	/* A modified release is refused, unless forced. */
	file = path_join(f->root, "versions/0.2.0/lib/shop-1/ebin/shop.app");
	{
		FILE *fp = fopen(file, "a");

		assert_non_null(fp);
		fputs("%% changed\n", fp);
		fclose(fp);
	}
	free(file);
	assert_int_equal(rollback(f, "0.2.0", 0, &err), -1);
	assert_non_null(strstr(err.msg, "does not match"));
	assert_non_null(strstr(err.msg, "--force"));
	assert_link(f, "current", "versions/0.1.0");
	assert_int_equal(rollback(f, "0.2.0", 1, &err), 0);
	assert_link(f, "current", "versions/0.2.0");
	assert_link(f, "previous", "versions/0.1.0");

	/* A release version finds its newest install that is not current. */
	install_ok(f, 0, 5, 1); /* 0.1.0~2 */
	assert_int_equal(rollback(f, "0.2.0", 1, &err), 0); /* still modified */
	file = path_join(f->root, "versions/0.1.0");
	assert_int_equal(remove_tree(file, &err), 0);
	free(file);
	assert_int_equal(rollback(f, "0.1.0", 0, &err), 0);
	assert_link(f, "current", "versions/0.1.0~2");
	assert_int_equal(rollback(f, "0.1.0", 0, &err), -1);
	assert_non_null(strstr(err.msg, "'0.1.0~2' is already current"));
}

static void test_prune(void **state)
{
	struct fixture *f = *state;
	struct rb_install_result res;
	struct rb_error err = { 0 };

	install_ok(f, 0, 2, 0);
	install_ok(f, 1, 2, 0);
	assert_int_equal(install(f, 2, 2, 0, &res, &err), 0);
	assert_int_equal(res.pruned.nr, 1);
	assert_string_equal(res.pruned.v[0], "0.1.0");
	assert_null(res.warning);
	rb_install_result_release(&res);
	assert_false(exists_rel(f, "versions/0.1.0"));
	assert_true(exists_rel(f, "versions/0.2.0"));
	assert_true(exists_rel(f, "versions/0.3.0"));
	assert_file(f, "installed", "0.2.0\n0.3.0\n");

	/*
	 * previous may be the oldest: it stays, and so does current; with
	 * keep 2 everything else goes.
	 */
	install_ok(f, 0, 0, 0);  /* 0.2.0 0.3.0 0.1.0, keep all */
	install_ok(f, 3, 0, 0);  /* + 0.4.0 */
	assert_int_equal(rollback(f, "0.2.0", 0, &err), 0);
	assert_link(f, "current", "versions/0.2.0");
	assert_link(f, "previous", "versions/0.4.0");
	install_ok(f, 2, 2, 1);  /* 0.3.0~2, previous 0.2.0 */
	assert_link(f, "current", "versions/0.3.0~2");
	assert_link(f, "previous", "versions/0.2.0");
	assert_file(f, "installed", "0.2.0\n0.3.0~2\n");
	assert_false(exists_rel(f, "versions/0.1.0"));
	assert_false(exists_rel(f, "versions/0.3.0"));
	assert_false(exists_rel(f, "versions/0.4.0"));

	/* keep 1 still keeps current and previous. */
	install_ok(f, 3, 1, 0);
	assert_file(f, "installed", "0.3.0~2\n0.4.0\n");
}

/* A node started from a version before later installs switched away. */
static pid_t runner;

static int stop_runner(void **state)
{
	(void)state;
	test_stop(runner);
	runner = 0;
	return 0;
}

/*
 * --keep never removes a version a process runs from: it stays, named
 * with the pid, until the process has gone and the next install prunes.
 */
static void test_prune_in_use(void **state)
{
	struct fixture *f = *state;
	struct rb_install_result res;
	struct rb_error err = { 0 };
	char *bin, *expect;
	char *argv[] = { "sleep", "300", NULL };

	install_ok(f, 0, 1, 0);
	bin = path_join(f->root, "versions/0.1.0/bin");
	runner = test_spawn(bin, argv);
	free(bin);
	install_ok(f, 1, 1, 0);
	assert_int_equal(install(f, 2, 1, 0, &res, &err), 0);
	assert_int_equal(res.pruned.nr, 0);
	assert_int_equal(res.in_use.nr, 1);
	expect = xasprintf("0.1.0 (pid %ld)", (long)runner);
	assert_string_equal(res.in_use.v[0], expect);
	free(expect);
	rb_install_result_release(&res);
	assert_true(exists_rel(f, "versions/0.1.0"));
	assert_file(f, "installed", "0.1.0\n0.2.0\n0.3.0\n");

	/* Stopped: the next install removes it (and 0.2.0, beyond keep). */
	stop_runner(NULL);
	assert_int_equal(install(f, 3, 1, 0, &res, &err), 0);
	assert_int_equal(res.in_use.nr, 0);
	assert_int_equal(res.pruned.nr, 2);
	assert_string_equal(res.pruned.v[0], "0.1.0");
	assert_string_equal(res.pruned.v[1], "0.2.0");
	rb_install_result_release(&res);
	assert_false(exists_rel(f, "versions/0.1.0"));
	assert_file(f, "installed", "0.3.0\n0.4.0\n");
}

static void test_no_switch(void **state)
{
	struct fixture *f = *state;
	struct rb_install_opts o;
	struct rb_install_result res;
	struct rb_error err = { 0 };

	install_ok(f, 0, 5, 0);
	install_ok(f, 1, 5, 0);
	rb_install_opts_init(&o, f->root);
	o.no_switch = 1;
	o.keep = 1;
	rb_install_result_init(&res);
	if (rb_install(f->tar[2], &o, &res, &err) < 0)
		fail_msg("%s", err.msg);
	assert_false(res.switched);
	assert_int_equal(res.pruned.nr, 0);
	rb_install_result_release(&res);
	/* Installed, kept (though keep is 1), not switched to. */
	assert_link(f, "current", "versions/0.2.0");
	assert_link(f, "previous", "versions/0.1.0");
	assert_true(exists_rel(f, "versions/0.3.0/bin/shop"));
	assert_file(f, "installed", "0.1.0\n0.2.0\n0.3.0\n");
	assert_int_equal(rollback(f, "0.3.0", 0, &err), 0);
	assert_link(f, "current", "versions/0.3.0");
	assert_link(f, "previous", "versions/0.2.0");
}

static void test_stale_cleanup(void **state)
{
	struct fixture *f = *state;
	struct rb_error err = { 0 };
	char *p;

	install_ok(f, 0, 5, 0);
	/* What killed runs leave: a half extraction, a link, a pruning. */
	test_put(f->root, "versions/.tmp-0.2.0-0123456789abcdef/lib/x/y", "half", 0644);
	test_put(f->root, "versions/.tmp-pruned-0.0.1-0123456789abcdef/bin/z", "old", 0644);
	test_put(f->root, ".tmp-installed-0123456789abcdef", "0.1.0\n", 0644);
	p = path_join(f->root, ".tmp-current-0123456789abcdef");
	assert_int_equal(symlink("versions/0.2.0", p), 0);
	free(p);
	/* An extracted version the state file does not know (killed after the rename). */
	install_ok(f, 1, 5, 0);
	assert_false(exists_rel(f, "versions/.tmp-0.2.0-0123456789abcdef"));
	assert_false(exists_rel(f, "versions/.tmp-pruned-0.0.1-0123456789abcdef"));
	assert_false(exists_rel(f, ".tmp-installed-0123456789abcdef"));
	assert_false(exists_rel(f, ".tmp-current-0123456789abcdef"));
	assert_link(f, "current", "versions/0.2.0");

	/* Rollback cleans too. */
	test_put(f->root, "versions/.tmp-0.3.0-0123456789abcdef/a", "half", 0644);
	assert_int_equal(rollback(f, NULL, 0, &err), 0);
	assert_false(exists_rel(f, "versions/.tmp-0.3.0-0123456789abcdef"));

	/* A version missing from the state file counts as the newest. */
	p = path_join(f->root, "installed");
	assert_int_equal(unlink(p), 0);
	free(p);
	install_ok(f, 2, 0, 0);
	assert_file(f, "installed", "0.1.0\n0.2.0\n0.3.0\n");
}

/*
 * A hostile tarball whose SHA256SUMS matches what it carries (so verify
 * passes and the extraction must refuse it): a symlink out of the tree,
 * then a file written through it.
 */
static char *hostile_tarball(struct fixture *f)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e;
	char *path = path_join(f->tmp, "hostile.tar.gz");
	const char *content = "pwned\n";
	char hex[RB_SHA256_HEX];
	char *sums;
	struct rb_error err;

	assert_int_equal(rb_sha256_buf(content, strlen(content), hex, &err), 0);
	sums = xasprintf("%s  lib/evil/file\n", hex);
	archive_write_set_format_pax_restricted(a);
	archive_write_add_filter_gzip(a);
	assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);

	e = archive_entry_new();
	archive_entry_set_pathname(e, "lib/evil");
	archive_entry_set_filetype(e, AE_IFLNK);
	archive_entry_set_perm(e, 0777);
	archive_entry_set_symlink(e, f->tmp);
	assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
	archive_entry_free(e);

	e = archive_entry_new();
	archive_entry_set_pathname(e, "lib/evil/file");
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)strlen(content));
	assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
	archive_write_data(a, content, strlen(content));
	archive_entry_free(e);

	e = archive_entry_new();
	archive_entry_set_pathname(e, "releases/0.9.0/SHA256SUMS");
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)strlen(sums));
	assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
	archive_write_data(a, sums, strlen(sums));
	archive_entry_free(e);

	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	free(sums);
	return path;
}

static void copy(const char *from, const char *to)
{
	struct rb_error err;

	if (copy_file(from, to, &err) < 0)
		fail_msg("%s", err.msg);
}

static void test_refused_leaves_nothing(void **state)
{
	struct fixture *f = *state;
	struct rb_install_opts o;
	struct rb_install_result res;
	struct rb_error err = { 0 };
	char *before, *after, *outside_before, *outside_after;
	char *evil = hostile_tarball(f);
	char *bad = path_join(f->tmp, "bad-0.2.0.tar.gz");
	char *sidecar = xasprintf("%s.sha256", bad);

	/* First install refused: not even the root is left. */
	rb_install_opts_init(&o, f->root);
	rb_install_result_init(&res);
	assert_int_equal(rb_install(evil, &o, &res, &err), -1);
	assert_non_null(strstr(err.msg, "entry 'lib/evil"));
	assert_false(path_exists(f->root));
	rb_install_result_release(&res);

	install_ok(f, 0, 5, 0);
	before = snapshot(f->root);
	outside_before = snapshot(f->tmp);

	/* The extraction refuses it (verify alone would pass it). */
	rb_install_result_init(&res);
	assert_int_equal(rb_install(evil, &o, &res, &err), -1);
	assert_non_null(strstr(err.msg, "entry 'lib/evil"));
	assert_int_equal(res.verify.nr_problems, 0);
	assert_null(res.name);
	rb_install_result_release(&res);
	after = snapshot(f->root);
	assert_string_equal(after, before);
	free(after);
	outside_after = snapshot(f->tmp);
	assert_string_equal(outside_after, outside_before);
	free(outside_after);
	{
		char *p = path_join(f->tmp, "file");

		assert_false(path_exists(p));
		free(p);
	}

	/* A sidecar that does not match. */
	copy(f->tar[1], bad);
	write_file(sidecar, "0000000000000000000000000000000000000000000000000000000000000000  bad-0.2.0.tar.gz\n",
		   strlen("0000000000000000000000000000000000000000000000000000000000000000  bad-0.2.0.tar.gz\n"),
		   0644, &err);
	rb_install_result_init(&res);
	assert_int_equal(rb_install(bad, &o, &res, &err), -1);
	assert_non_null(strstr(err.msg, "does not match 0000"));
	assert_non_null(strstr(err.msg, "bad-0.2.0.tar.gz.sha256"));
	rb_install_result_release(&res);
	/* ... or names another file. */
	write_file(sidecar, "0000000000000000000000000000000000000000000000000000000000000000  other.tar.gz\n",
		   strlen("0000000000000000000000000000000000000000000000000000000000000000  other.tar.gz\n"),
		   0644, &err);
	rb_install_result_init(&res);
	assert_int_equal(rb_install(bad, &o, &res, &err), -1);
	assert_non_null(strstr(err.msg, "no sha256sum line for 'bad-0.2.0.tar.gz'"));
	rb_install_result_release(&res);
	unlink(sidecar);
	/* --sha256 given: checked the same way. */
	o.sha256 = "1111111111111111111111111111111111111111111111111111111111111111";
	rb_install_result_init(&res);
	assert_int_equal(rb_install(bad, &o, &res, &err), -1);
	assert_non_null(strstr(err.msg, "given with --sha256"));
	rb_install_result_release(&res);
	o.sha256 = NULL;

	/* A file changed after packing: verify collects the problem. */
	{
		struct archive *in = archive_read_new(), *out = archive_write_new();
		struct archive_entry *e;
		char *tampered = path_join(f->tmp, "tampered.tar.gz");
		char buf[65536];
		la_ssize_t n;

		archive_read_support_filter_all(in);
		archive_read_support_format_tar(in);
		assert_int_equal(archive_read_open_filename(in, f->tar[1], 65536), ARCHIVE_OK);
		archive_write_set_format_pax_restricted(out);
		archive_write_add_filter_gzip(out);
		assert_int_equal(archive_write_open_filename(out, tampered), ARCHIVE_OK);
		while (archive_read_next_header(in, &e) == ARCHIVE_OK) {
			int bin = !strcmp(archive_entry_pathname(e), "bin/shop");

			if (bin)
				archive_entry_set_size(e, 6);
			assert_int_equal(archive_write_header(out, e), ARCHIVE_OK);
			if (bin) {
				archive_write_data(out, "#evil\n", 6);
				continue;
			}
			while ((n = archive_read_data(in, buf, sizeof(buf))) > 0)
				archive_write_data(out, buf, (size_t)n);
		}
		archive_read_free(in);
		archive_write_close(out);
		archive_write_free(out);
		rb_install_result_init(&res);
		assert_int_equal(rb_install(tampered, &o, &res, &err), -1);
		assert_int_equal(res.verify.nr_problems, 1);
		assert_string_equal(res.verify.problems[0].path, "bin/shop");
		assert_non_null(strstr(err.msg, "does not match 'releases/0.2.0/SHA256SUMS' (1 problem)"));
		rb_install_result_release(&res);
		free(tampered);
	}

	/* Limits. */
	o.limits.max_entries = 3;
	rb_install_result_init(&res);
	assert_int_equal(rb_install(f->tar[1], &o, &res, &err), -1);
	assert_non_null(strstr(err.msg, "more than 3 entries"));
	assert_non_null(strstr(err.msg, "entry '"));
	rb_install_result_release(&res);
	rb_extract_limits_default(&o.limits);
	o.limits.max_bytes = 20;
	rb_install_result_init(&res);
	assert_int_equal(rb_install(f->tar[1], &o, &res, &err), -1);
	assert_non_null(strstr(err.msg, "--max-bytes"));
	rb_install_result_release(&res);
	rb_extract_limits_default(&o.limits);

	/* A missing tarball. */
	rb_install_result_init(&res);
	assert_int_equal(rb_install("/nonexistent/x.tar.gz", &o, &res, &err), -1);
	assert_non_null(strstr(err.msg, "/nonexistent/x.tar.gz"));
	rb_install_result_release(&res);

	after = snapshot(f->root);
	assert_string_equal(after, before);
	free(after);
	assert_link(f, "current", "versions/0.1.0");

	free(before);
	free(outside_before);
	free(evil);
	free(bad);
	free(sidecar);
}

static void test_signature(void **state)
{
	struct fixture *f = *state;
	struct rb_install_opts o;
	struct rb_install_result res;
	struct rb_error err = { 0 };
	struct rb_key key;
	char *prefix = path_join(f->tmp, "key"), *other = path_join(f->tmp, "other");
	char *priv, *pub, *opriv, *opub, *signed_tar;

	assert_int_equal(rb_keygen(prefix, &priv, &pub, &err), 0);
	assert_int_equal(rb_keygen(other, &opriv, &opub, &err), 0);
	rb_key_init(&key);
	assert_int_equal(rb_key_load_private(&key, priv, &err), 0);
	signed_tar = make_signed_tarball(f->tmp, "0.9.0", &key);
	rb_key_release(&key);

	rb_install_opts_init(&o, f->root);

	/* An unsigned tarball, a key required: refused. */
	o.pubkey = pub;
	rb_install_result_init(&res);
	assert_int_equal(rb_install(f->tar[0], &o, &res, &err), -1);
	assert_non_null(strstr(err.msg, "is not signed"));
	assert_non_null(strstr(err.msg, "releases/0.1.0/SHA256SUMS.sig"));
	rb_install_result_release(&res);
	assert_false(path_exists(f->root));

	/* Signed with another key: refused. */
	o.pubkey = opub;
	rb_install_result_init(&res);
	assert_int_equal(rb_install(signed_tar, &o, &res, &err), -1);
	assert_non_null(strstr(err.msg, "is not valid for the key"));
	rb_install_result_release(&res);
	assert_false(path_exists(f->root));

	/* The right key. */
	o.pubkey = pub;
	rb_install_result_init(&res);
	if (rb_install(signed_tar, &o, &res, &err) < 0)
		fail_msg("%s", err.msg);
	assert_true(res.signature);
	rb_install_result_release(&res);
	assert_link(f, "current", "versions/0.9.0");
	assert_true(exists_rel(f, "current/releases/0.9.0/SHA256SUMS.sig"));

	/* A private key where the public one belongs: a usage error. */
	o.pubkey = priv;
	o.force = 1;
	rb_install_result_init(&res);
	assert_int_equal(rb_install(signed_tar, &o, &res, &err), -1);
	assert_int_equal(err.code, RB_ECONFIG);
	rb_install_result_release(&res);

	free(prefix);
	free(other);
	free(priv);
	free(pub);
	free(opriv);
	free(opub);
	free(signed_tar);
}

static void test_list(void **state)
{
	struct fixture *f = *state;
	struct rb_installed_list l = { 0 };
	struct rb_error err = { 0 };
	char *file;

	assert_int_equal(rb_list(f->root, 1, &l, &err), -1);
	rb_installed_list_release(&l);

	install_ok(f, 0, 5, 0);
	install_ok(f, 1, 5, 0);
	install_ok(f, 0, 5, 1);
	file = path_join(f->root, "versions/0.1.0/bin/shop");
	assert_int_equal(unlink(file), 0);
	free(file);
	test_put(f->root, "versions/0.1.0/extra", "x", 0644);

	assert_int_equal(rb_list(f->root, 1, &l, &err), 0);
	assert_int_equal(l.nr, 3);
	assert_string_equal(l.current, "0.1.0~2");
	assert_string_equal(l.previous, "0.2.0");
	assert_string_equal(l.v[0].name, "0.1.0~2");
	assert_string_equal(l.v[0].vsn, "0.1.0");
	assert_true(l.v[0].current);
	assert_true(l.v[0].checked);
	assert_int_equal(l.v[0].nr_problems, 0);
	assert_string_equal(l.v[1].name, "0.2.0");
	assert_true(l.v[1].previous);
	assert_false(l.v[1].current);
	assert_string_equal(l.v[2].name, "0.1.0");
	assert_int_equal(l.v[2].nr_problems, 2);
	rb_installed_list_release(&l);

	assert_int_equal(rb_list(f->root, 0, &l, &err), 0);
	assert_int_equal(l.nr, 3);
	assert_false(l.v[2].checked);
	assert_string_equal(l.v[2].vsn, "0.1.0");
	rb_installed_list_release(&l);
}

static void test_lock(void **state)
{
	struct fixture *f = *state;
	struct rb_install_result res;
	struct rb_error err = { 0 };
	char *lock;
	int fd;

	install_ok(f, 0, 5, 0);
	lock = path_join(f->root, ".lock");
	fd = open(lock, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_EX), 0);
	assert_int_equal(install(f, 1, 5, 0, &res, &err), -1);
	assert_non_null(strstr(err.msg, "is locked"));
	rb_install_result_release(&res);
	assert_int_equal(rollback(f, "0.1.0", 0, &err), -1);
	assert_non_null(strstr(err.msg, "is locked"));
	assert_link(f, "current", "versions/0.1.0");
	assert_false(exists_rel(f, "versions/0.2.0"));
	close(fd);
	install_ok(f, 1, 5, 0);
	free(lock);
}

/* install refuses to replace a current it did not make. */
static void test_foreign_current(void **state)
{
	struct fixture *f = *state;
	struct rb_install_result res;
	struct rb_error err = { 0 };
	char *p;

	assert_int_equal(mkdir_p(f->root, &err), 0);
	p = path_join(f->root, "current");
	assert_int_equal(mkdir(p, 0755), 0);
	assert_int_equal(install(f, 0, 5, 0, &res, &err), -1);
	assert_non_null(strstr(err.msg, "is not a symbolic link"));
	rb_install_result_release(&res);
	assert_int_equal(rmdir(p), 0);
	assert_int_equal(symlink("/etc", p), 0);
	assert_int_equal(install(f, 0, 5, 0, &res, &err), -1);
	assert_non_null(strstr(err.msg, "not into versions/"));
	rb_install_result_release(&res);
	assert_false(exists_rel(f, "versions/0.1.0"));
	free(p);
}

/* Entries under root/versions/, temporary ones included. */
static int count_versions(struct fixture *f)
{
	char *dir = path_join(f->root, "versions");
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	closedir(d);
	free(dir);
	return n;
}

/*
 * The tarball is read once: it installs from a FIFO, which cannot be
 * read twice, with its hash checked (--sha256) all the same.
 */
static void test_one_pass_from_a_pipe(void **state)
{
	struct fixture *f = *state;
	struct rb_install_result res;
	struct rb_install_opts o;
	struct rb_error err;
	char hex[RB_SHA256_HEX];
	char *fifo = path_join(f->tmp, "pipe.tar.gz");
	char *data;
	size_t len;
	pid_t pid;
	int status, r;

	assert_int_equal(read_file(f->tar[1], &data, &len, &err), 0);
	assert_int_equal(rb_sha256_buf(data, len, hex, &err), 0);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	/* a second read of the FIFO would wait for a writer for ever */
	alarm(120);
	for (int round = 0; round < 2; round++) {
		pid = fork();
		assert_true(pid >= 0);
		if (!pid) {
			int fd = open(fifo, O_WRONLY);

			_exit(fd < 0 || write_all(fd, data, len) < 0);
		}
		rb_install_opts_init(&o, f->root);
		/* the first round with the right hash, the second a wrong one */
		o.sha256 = round ? "00000000000000000000000000000000"
				   "00000000000000000000000000000000"
				 : hex;
		o.force = 1;
		rb_install_result_init(&res);
		r = rb_install(fifo, &o, &res, &err);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status) && !WEXITSTATUS(status));
		if (!round) {
			if (r < 0)
				fail_msg("%s", err.msg);
			assert_string_equal(res.vsn, "0.2.0");
			assert_true(res.switched);
		} else {
			assert_int_equal(r, -1);
			assert_non_null(strstr(err.msg, "does not match 0000"));
			assert_int_equal(count_versions(f), 1);
		}
		rb_install_result_release(&res);
	}
	alarm(0);
	unlink(fifo);
	free(fifo);
	free(data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_install_and_switch, fresh_root),
		cmocka_unit_test_setup(test_install_existing, fresh_root),
		cmocka_unit_test_setup(test_rollback, fresh_root),
		cmocka_unit_test_setup(test_prune, fresh_root),
		cmocka_unit_test_setup_teardown(test_prune_in_use, fresh_root, stop_runner),
		cmocka_unit_test_setup(test_no_switch, fresh_root),
		cmocka_unit_test_setup(test_stale_cleanup, fresh_root),
		cmocka_unit_test_setup(test_refused_leaves_nothing, fresh_root),
		cmocka_unit_test_setup(test_signature, fresh_root),
		cmocka_unit_test_setup(test_list, fresh_root),
		cmocka_unit_test_setup(test_lock, fresh_root),
		cmocka_unit_test_setup(test_foreign_current, fresh_root),
		cmocka_unit_test_setup(test_one_pass_from_a_pipe, fresh_root),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
