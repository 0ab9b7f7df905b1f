#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "helpers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "manifest.h"
#include "util.h"

struct fixture {
	char *root;
};

static char *slurp(const char *root, const char *rel)
{
	char *full = path_join(root, rel), *text = NULL;
	struct rb_error err;

	assert_int_equal(read_file(full, &text, NULL, &err), 0);
	free(full);
	return text;
}

/* A small release tree with names that sort differently per locale. */
static void make_release(const char *root)
{
	char *link;

	test_put(root, "bin/shop", "#!/bin/sh\necho shop\n", 0755);
	test_put(root, "lib/shop-0.1.0/ebin/shop.beam", "FOR1 beam", 0644);
	test_put(root, "lib/shop-0.1.0/ebin/shop.app", "{application,shop,[]}.\n", 0644);
	test_put(root, "lib/shop-0.1.0/priv/with space.txt", "spaces\n", 0644);
	test_put(root, "lib/shop-0.1.0/priv/Upper.txt", "U\n", 0644);
	test_put(root, "lib/shop-0.1.0/priv/lower.txt", "l\n", 0644);
	test_put(root, "lib/a-b/x", "x\n", 0644);
	test_put(root, "lib/a/y", "y\n", 0644);
	test_put(root, "lib/a/empty", "", 0644);
	test_put(root, "releases/COOKIE", "secret", 0600);
	test_put(root, "releases/start_erl.data", "14.2 0.1.0\n", 0644);
	test_put(root, "releases/0.1.0/shop.rel", "{release,{\"shop\",\"0.1.0\"},{erts,\"14.2\"},[]}.\n", 0644);
	test_put(root, "releases/0.1.0/hooks/post_start/10-migrate.sh", "#!/bin/sh\n", 0755);
	/* Left out: tarballs, sidecars and signatures. */
	test_put(root, "releases/0.1.0/shop.tar.gz", "not really", 0644);
	test_put(root, "releases/0.1.0/shop-0.1.0.tar.gz", "not really", 0644);
	test_put(root, "releases/0.1.0/shop-0.1.0.tar.gz.sha256", "x", 0644);
	test_put(root, "releases/0.1.0/SHA256SUMS.sig", "sig", 0644);
	link = path_join(root, "bin/shop-link");
	assert_int_equal(symlink("shop", link), 0);
	free(link);
}

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	char tmpl[] = "/tmp/rb-manifest-XXXXXX";

	assert_non_null(mkdtemp(tmpl));
	f->root = xstrdup(tmpl);
	make_release(f->root);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	struct rb_error err;

	assert_int_equal(remove_tree(f->root, &err), 0);
	free(f->root);
	free(f);
	return 0;
}

static void test_sha256_known(void **state)
{
	struct rb_sha256 h;
	struct rb_error err;
	char hex[RB_SHA256_HEX], hex2[RB_SHA256_HEX];

	(void)state;
	assert_int_equal(rb_sha256_buf("", 0, hex, &err), 0);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_int_equal(rb_sha256_buf("abc", 3, hex, &err), 0);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");

	/* Streaming in pieces gives the same digest. */
	assert_int_equal(rb_sha256_init(&h, &err), 0);
	assert_int_equal(rb_sha256_update(&h, "a", 1, &err), 0);
	assert_int_equal(rb_sha256_update(&h, "", 0, &err), 0);
	assert_int_equal(rb_sha256_update(&h, "bc", 2, &err), 0);
	assert_int_equal(rb_sha256_final(&h, hex2, &err), 0);
	rb_sha256_release(&h);
	assert_string_equal(hex, hex2);
	rb_sha256_release(&h); /* twice is harmless */
}

static void test_sha256_file(void **state)
{
	struct fixture *f = *state;
	struct rb_error err;
	char hex[RB_SHA256_HEX];
	char *p;

	test_put(f->root, "abc", "abc", 0644);
	p = path_join(f->root, "abc");
	assert_int_equal(rb_sha256_file(p, hex, &err), 0);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	free(p);
	p = path_join(f->root, "nope");
	assert_int_equal(rb_sha256_file(p, hex, &err), -1);
	assert_non_null(strstr(err.msg, "cannot open"));
	assert_non_null(strstr(err.msg, "/nope'"));
	free(p);
}

static void test_excluded(void **state)
{
	struct strvec extra = STRVEC_INIT;
	struct rb_exclude ex = { "0.1.0", NULL, 0 };
	struct rb_exclude any = { NULL, &extra, 0 };
	struct rb_exclude tar = { "0.1.0", NULL, 1 };

	(void)state;
	assert_true(rb_path_excluded(&ex, "releases/0.1.0/SHA256SUMS"));
	assert_true(rb_path_excluded(&ex, "releases/0.1.0/shop.tar.gz"));
	assert_true(rb_path_excluded(&ex, "releases/0.1.0/shop-0.1.0.tar.zst"));
	assert_true(rb_path_excluded(&ex, "releases/0.1.0/shop-0.1.0.tar"));
	assert_true(rb_path_excluded(&ex, "releases/0.1.0/shop-0.1.0.tar.gz.sha256"));
	assert_true(rb_path_excluded(&ex, "releases/0.1.0/.relbuild-tmp-abc"));
	assert_true(rb_path_excluded(&ex, "lib/x/y.sig"));
	assert_false(rb_path_excluded(&ex, "releases/0.2.0/SHA256SUMS"));
	assert_false(rb_path_excluded(&ex, "releases/0.1.0/hooks/SHA256SUMS"));
	assert_false(rb_path_excluded(&ex, "releases/0.1.0/hooks/x.tar.gz"));
	assert_false(rb_path_excluded(&ex, "releases/0.1.0/shop.rel"));
	assert_false(rb_path_excluded(&ex, "releases/0.1.0"));
	assert_false(rb_path_excluded(&ex, "lib/shop.tar.gz"));
	assert_false(rb_path_excluded(NULL, "a.sig"));
	/* release_handler's RELEASES belongs to the runtime, not the release */
	assert_true(rb_path_excluded(&ex, "releases/RELEASES"));
	assert_true(rb_path_excluded(&any, "releases/RELEASES"));
	assert_true(rb_path_excluded(&tar, "releases/RELEASES"));
	assert_false(rb_path_excluded(&ex, "releases/0.1.0/RELEASES"));
	/* the control script's scratch directory, at the top only */
	assert_true(rb_path_excluded(&ex, "tmp"));
	assert_true(rb_path_excluded(&tar, "tmp/pipe/erlang.pipe.1.r"));
	assert_false(rb_path_excluded(&ex, "tmpfile"));
	assert_false(rb_path_excluded(&ex, "lib/shop-0.1.0/priv/tmp/x"));
	assert_false(rb_path_excluded(&ex, "x/releases/RELEASES"));

	assert_false(rb_path_excluded(&tar, "releases/0.1.0/SHA256SUMS"));
	assert_false(rb_path_excluded(&tar, "releases/0.1.0/SHA256SUMS.sig"));
	assert_true(rb_path_excluded(&tar, "releases/0.1.0/shop.tar.gz"));
	assert_true(rb_path_excluded(&tar, "releases/0.1.0/shop-0.1.0.tar.gz.sha256"));
	assert_true(rb_path_excluded(&tar, "releases/0.1.0/.relbuild-tmp-abc"));

	strvec_push(&extra, "var/log");
	assert_true(rb_path_excluded(&any, "releases/0.2.0/SHA256SUMS"));
	assert_true(rb_path_excluded(&any, "var/log"));
	assert_true(rb_path_excluded(&any, "var/log/x"));
	assert_false(rb_path_excluded(&any, "var/logs"));
	strvec_clear(&extra);

	assert_true(rb_is_manifest_path("releases/0.1.0/SHA256SUMS"));
	assert_false(rb_is_manifest_path("releases/SHA256SUMS"));
	assert_false(rb_is_manifest_path("releases//SHA256SUMS"));
	assert_false(rb_is_manifest_path("x/releases/0.1.0/SHA256SUMS"));
	assert_false(rb_is_manifest_path("releases/0.1.0/a/SHA256SUMS"));
}

static void test_tree_sorted(void **state)
{
	struct fixture *f = *state;
	struct rb_tree t = RB_TREE_INIT;
	struct rb_exclude ex = { "0.1.0", NULL, 0 };
	struct rb_error err;
	int saw_link = 0;

	assert_int_equal(rb_tree_list(&t, f->root, &ex, &err), 0);
	assert_true(t.nr > 10);
	assert_string_equal(t.v[0].path, "bin");
	for (size_t i = 1; i < t.nr; i++)
		assert_true(strcmp(t.v[i - 1].path, t.v[i].path) < 0);
	for (size_t i = 0; i < t.nr; i++) {
		assert_false(rb_path_excluded(&ex, t.v[i].path));
		if (!strcmp(t.v[i].path, "bin/shop-link")) {
			assert_true(S_ISLNK(t.v[i].mode));
			assert_string_equal(t.v[i].link, "shop");
			saw_link = 1;
		}
	}
	assert_true(saw_link);
	rb_tree_release(&t);
}

/*
 * An earlier version's releases/<vsn>/, kept in the output directory for
 * upgrades, is no part of this version's tree, manifest or tarball; a
 * file directly in releases/ is.
 */
static void test_tree_other_versions(void **state)
{
	struct fixture *f = *state;
	struct rb_tree t = RB_TREE_INIT;
	struct rb_exclude ex = { "0.1.0", NULL, 0 };
	struct rb_exclude all = { NULL, NULL, 0 };
	struct rb_error err;
	int saw_file = 0, saw_old = 0;
	char *sums;

	test_put(f->root, "releases/0.0.9/shop.rel", "old\n", 0644);
	test_put(f->root, "releases/0.0.9/SHA256SUMS", "", 0644);
	test_put(f->root, "releases/0.0.9/shop.tar.gz", "old tarball", 0644);
	test_put(f->root, "releases/RELEASES", "[].\n", 0644);

	assert_int_equal(rb_tree_list(&t, f->root, &ex, &err), 0);
	for (size_t i = 0; i < t.nr; i++) {
		assert_false(has_prefix(t.v[i].path, "releases/0.0.9"));
		/* the runtime's, not the release's */
		assert_string_not_equal(t.v[i].path, "releases/RELEASES");
		if (!strcmp(t.v[i].path, "releases/COOKIE"))
			saw_file = 1;
	}
	assert_true(saw_file);
	rb_tree_release(&t);

	/* Without a version (verify of an unpacked directory), all of it. */
	assert_int_equal(rb_tree_list(&t, f->root, &all, &err), 0);
	for (size_t i = 0; i < t.nr; i++)
		if (!strcmp(t.v[i].path, "releases/0.0.9/shop.rel"))
			saw_old = 1;
	assert_true(saw_old);
	rb_tree_release(&t);

	assert_int_equal(rb_manifest_write(f->root, "0.1.0", NULL, &err), 0);
	sums = slurp(f->root, "releases/0.1.0/SHA256SUMS");
	assert_null(strstr(sums, "releases/0.0.9/"));
	assert_null(strstr(sums, "releases/RELEASES"));
	assert_non_null(strstr(sums, "  releases/COOKIE\n"));
	free(sums);
}

/* What coreutils makes of the same tree. */
static char *sha256sum_of(const char *root)
{
	struct strbuf sb = STRBUF_INIT;
	char *cmd = xasprintf(
		"cd '%s' && find . -type f -print | "
		"sed 's|^\\./||' | "
		"grep -v -e '\\.sig$' -e '^releases/0\\.1\\.0/SHA256SUMS$' "
		"-e '^releases/0\\.1\\.0/[^/]*\\.tar\\.gz$' "
		"-e '^releases/0\\.1\\.0/[^/]*\\.sha256$' | LC_ALL=C sort | "
		"while IFS= read -r f; do /usr/bin/sha256sum -- \"$f\"; done",
		root);
	char buf[4096];
	size_t n;
	FILE *p = popen(cmd, "r");

	assert_non_null(p);
	while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
		sb_add(&sb, buf, n);
	assert_int_equal(pclose(p), 0);
	free(cmd);
	return sb_detach(&sb);
}

static void test_manifest_matches_sha256sum(void **state)
{
	struct fixture *f = *state;
	struct rb_error err;
	struct stat st;
	size_t nr = 0;
	char *mine, *theirs, *path, *cmd;

	assert_int_equal(rb_manifest_write(f->root, "0.1.0", &nr, &err), 0);
	assert_int_equal(nr, 14); /* 13 files and MODES */
	mine = slurp(f->root, "releases/0.1.0/SHA256SUMS");
	theirs = sha256sum_of(f->root);
	assert_string_equal(mine, theirs);
	/* Spot checks of what is in and what is out. */
	assert_non_null(strstr(mine, "  releases/COOKIE\n"));
	assert_non_null(strstr(mine, "  lib/shop-0.1.0/priv/with space.txt\n"));
	assert_non_null(strstr(mine, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  lib/a/empty\n"));
	assert_null(strstr(mine, "shop-link"));
	assert_null(strstr(mine, ".tar.gz"));
	assert_null(strstr(mine, ".sig"));
	assert_null(strstr(mine, "SHA256SUMS"));
	assert_non_null(strstr(mine, "  releases/0.1.0/MODES\n"));
	assert_true(strstr(mine, "lib/a-b/x") < strstr(mine, "lib/a/empty"));
	assert_true(strstr(mine, "priv/Upper.txt") < strstr(mine, "priv/lower.txt"));

	path = path_join(f->root, "releases/0.1.0/SHA256SUMS");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	free(path);

	cmd = xasprintf("cd '%s' && /usr/bin/sha256sum --strict --quiet -c "
			"releases/0.1.0/SHA256SUMS", f->root);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(theirs);
	free(mine);
}

/* MODES: the normalised modes of exactly the files SHA256SUMS lists. */
static void test_modes_written(void **state)
{
	struct fixture *f = *state;
	struct rb_manifest sums = RB_MANIFEST_INIT, modes = RB_MANIFEST_INIT;
	struct rb_error err;
	struct stat st;
	char *text, *path;

	/* Whatever the tree says, MODES holds what the tarball stores. */
	path = path_join(f->root, "lib/a/y");
	assert_int_equal(chmod(path, 0664), 0);
	free(path);
	test_put(f->root, "lib/a/private-exec", "x", 0750);
	/* readable by its group, not by others: private, like /etc/shadow */
	test_put(f->root, "lib/a/shadow", "x", 0640);
	test_put(f->root, "releases/0.1.0/MODES", "stale", 0600);
	assert_int_equal(rb_manifest_write(f->root, "0.1.0", NULL, &err), 0);

	text = slurp(f->root, "releases/0.1.0/MODES");
	assert_non_null(strstr(text, "0755 bin/shop\n"));
	assert_non_null(strstr(text, "0644 lib/a/y\n"));
	assert_non_null(strstr(text, "0700 lib/a/private-exec\n"));
	assert_non_null(strstr(text, "0600 lib/a/shadow\n"));
	assert_non_null(strstr(text, "0600 releases/COOKIE\n"));
	assert_non_null(strstr(text, "0644 lib/shop-0.1.0/priv/with space.txt\n"));
	assert_non_null(strstr(text, "0644 releases/0.1.0/MODES\n"));
	assert_null(strstr(text, "SHA256SUMS"));
	assert_null(strstr(text, "shop-link"));
	assert_null(strstr(text, ".tar.gz"));
	assert_int_equal(rb_modes_parse(&modes, "MODES", text, strlen(text), &err), 0);
	free(text);
	path = path_join(f->root, "releases/0.1.0/MODES");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	free(path);

	text = slurp(f->root, "releases/0.1.0/SHA256SUMS");
	assert_int_equal(rb_manifest_parse(&sums, "SUMS", text, strlen(text), &err), 0);
	free(text);
	assert_int_equal(sums.nr, modes.nr);
	for (size_t i = 0; i < sums.nr; i++) {
		assert_string_equal(sums.v[i].path, modes.v[i].path);
		assert_int_equal(sums.v[i].mode, -1);
	}
	/* Formatting what was parsed gives the same text back. */
	text = rb_modes_format(&modes);
	path = slurp(f->root, "releases/0.1.0/MODES");
	assert_string_equal(text, path);
	free(path);
	free(text);
	rb_manifest_release(&modes);
	rb_manifest_release(&sums);
}

static void test_normal_mode(void **state)
{
	(void)state;
	assert_int_equal(rb_normal_mode(S_IFREG | 0644), 0644);
	assert_int_equal(rb_normal_mode(S_IFREG | 0664), 0644);
	assert_int_equal(rb_normal_mode(S_IFREG | 0444), 0644);
	assert_int_equal(rb_normal_mode(S_IFREG | 0744), 0755);
	assert_int_equal(rb_normal_mode(S_IFREG | 04755), 0755);
	assert_int_equal(rb_normal_mode(S_IFREG | 0600), 0600);
	assert_int_equal(rb_normal_mode(S_IFREG | 0700), 0700);
	/* group may read, others not: private all the same (/etc/shadow) */
	assert_int_equal(rb_normal_mode(S_IFREG | 0640), 0600);
	assert_int_equal(rb_normal_mode(S_IFREG | 0750), 0700);
	assert_int_equal(rb_normal_mode(S_IFREG | 0000), 0600);
	assert_int_equal(rb_normal_mode(S_IFDIR | 0700), 0755);
	assert_int_equal(rb_normal_mode(S_IFLNK | 0755), 0777);
}

static void test_modes_parse_errors(void **state)
{
	static const struct {
		const char *text;
		const char *msg;
	} cases[] = {
		{ "0644 a\n0644 /etc/passwd\n", "MODES:2: absolute path" },
		{ "0644 a/../../b\n", "MODES:1: '..' component in path" },
		{ "0648 a\n", "MODES:1: malformed mode" },
		{ "644 a\n", "MODES:1: malformed line, expected '<mode> <path>'" },
		{ "0644 \n", "MODES:1: malformed line, expected '<mode> <path>'" },
		{ "0644 a\001\n", "MODES:1: control character in path" },
		{ "0644\ta\n", "MODES:1: malformed line, expected '<mode> <path>'" },
		{ "0644 a\n\n", "MODES:2: malformed line, expected '<mode> <path>'" },
		{ "0644 a\n0755 a\n", "MODES: 'a' is listed more than once" },
	};
	struct rb_manifest m = RB_MANIFEST_INIT;
	struct rb_error err;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		err.msg[0] = '\0';
		assert_int_equal(rb_modes_parse(&m, "MODES", cases[i].text,
						strlen(cases[i].text), &err), -1);
		if (strcmp(err.msg, cases[i].msg))
			fail_msg("case %zu: got '%s', want '%s'", i, err.msg,
				 cases[i].msg);
		rb_manifest_release(&m);
	}
	assert_int_equal(rb_modes_parse(&m, "MODES", "4755 b\n0600 a", 13, &err), 0);
	assert_int_equal(m.nr, 2);
	assert_string_equal(m.v[0].path, "a");
	assert_int_equal(m.v[0].mode, 0600);
	assert_int_equal(m.v[1].mode, 04755);
	rb_manifest_release(&m);
}

static void test_manifest_bad_name(void **state)
{
	struct fixture *f = *state;
	struct rb_manifest m = RB_MANIFEST_INIT;
	struct rb_error err;

	test_put(f->root, "lib/bad\nname", "x", 0644);
	assert_int_equal(rb_manifest_build(&m, f->root, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "unsupported character in file name"));
	rb_manifest_release(&m);
	assert_int_equal(rb_manifest_write(f->root, "../x", NULL, &err), -1);
	assert_int_equal(rb_manifest_write(f->root, "9.9.9", NULL, &err), -1);
	assert_non_null(strstr(err.msg, "is not a directory"));
}

#define H1 "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define H2 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static void test_parse_ok(void **state)
{
	struct rb_manifest m = RB_MANIFEST_INIT;
	struct rb_error err;
	const char *text = "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD  z/file\n"
			   H2 " *a b\n"
			   H1 "  bin/shop";
	const struct rb_manifest_entry *e;
	char *back;

	(void)state;
	assert_int_equal(rb_manifest_parse(&m, "SHA256SUMS", text, strlen(text), &err), 0);
	assert_int_equal(m.nr, 3);
	assert_string_equal(m.v[0].path, "a b");
	assert_string_equal(m.v[1].path, "bin/shop");
	assert_string_equal(m.v[2].path, "z/file");
	assert_string_equal(m.v[2].hash, H1);
	e = rb_manifest_find(&m, "bin/shop");
	assert_non_null(e);
	assert_string_equal(e->hash, H1);
	assert_null(rb_manifest_find(&m, "bin"));
	back = rb_manifest_format(&m);
	assert_string_equal(back, H2 "  a b\n" H1 "  bin/shop\n" H1 "  z/file\n");
	free(back);
	rb_manifest_release(&m);

	assert_int_equal(rb_manifest_parse(&m, "SHA256SUMS", "", 0, &err), 0);
	assert_int_equal(m.nr, 0);
	rb_manifest_release(&m);
}

static void test_parse_errors(void **state)
{
	static const struct {
		const char *text;
		const char *msg;
	} cases[] = {
		{ H1 "  ok\n" H1 "  /etc/passwd\n", "SUMS:2: absolute path" },
		{ H1 "  lib/../../etc/passwd\n", "SUMS:1: '..' component in path" },
		{ H1 "  ..\n", "SUMS:1: '..' component in path" },
		{ H1 "  ./bin/shop\n", "SUMS:1: '.' component in path" },
		{ H1 "  bin//shop\n", "SUMS:1: empty component in path" },
		{ H1 "  bin/\n", "SUMS:1: empty component in path" },
		{ H1 "  bin/shop\r\n", "SUMS:1: control character in path" },
		{ H1 "  \n", "SUMS:1: malformed line" },
		{ H1 "\n", "SUMS:1: malformed line" },
		{ "xyz  bin/shop\n", "SUMS:1: malformed line" },
		{ "g" H1 " bin/shop\n", "SUMS:1: malformed sha-256 hash" },
		{ H1 "\tbin/shop\n", "SUMS:1: malformed line, expected '<sha256>  <path>'" },
		{ H1 " bin/shop\n", "SUMS:1: malformed line, expected '<sha256>  <path>'" },
		{ H1 "  a\n\n" H1 "  b\n", "SUMS:2: empty line" },
		{ "\\" H1 "  a\\nb\n", "SUMS:1: escaped file names are not supported" },
		{ H1 "  a\n" H2 "  a\n", "SUMS: 'a' is listed more than once" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct rb_manifest m = RB_MANIFEST_INIT;
		struct rb_error err = { 0 };

		assert_int_equal(rb_manifest_parse(&m, "SUMS", cases[i].text,
						   strlen(cases[i].text), &err), -1);
		if (strcmp(err.msg, cases[i].msg))
			fail_msg("case %zu: got '%s', want '%s'", i, err.msg,
				 cases[i].msg);
		rb_manifest_release(&m);
	}
}

static void test_compare(void **state)
{
	struct rb_manifest want = RB_MANIFEST_INIT, got = RB_MANIFEST_INIT;
	struct rb_verify_result res;

	(void)state;
	rb_verify_result_init(&res);
	rb_manifest_add(&want, "a", H1);
	rb_manifest_add(&want, "b", H1);
	rb_manifest_add(&want, "d", H1);
	rb_manifest_add(&got, "a", H1);
	rb_manifest_add(&got, "c", H1);
	rb_manifest_add(&got, "d", H2);
	rb_manifest_add(&got, "e", H2);
	rb_manifest_compare(&want, &got, &res);
	assert_int_equal(res.nr_files, 3);
	assert_int_equal(res.nr_problems, 4);
	assert_int_equal(res.problems[0].kind, RB_PROBLEM_MISSING);
	assert_string_equal(res.problems[0].path, "b");
	assert_int_equal(res.problems[1].kind, RB_PROBLEM_EXTRA);
	assert_string_equal(res.problems[1].path, "c");
	assert_int_equal(res.problems[2].kind, RB_PROBLEM_CHANGED);
	assert_string_equal(res.problems[2].path, "d");
	assert_int_equal(res.problems[3].kind, RB_PROBLEM_EXTRA);
	assert_string_equal(res.problems[3].path, "e");
	assert_string_equal(rb_problem_kind_name(RB_PROBLEM_CHANGED), "changed");
	rb_verify_result_release(&res);
	rb_manifest_release(&want);
	rb_manifest_release(&got);
}

static void test_verify_dir(void **state)
{
	struct fixture *f = *state;
	struct rb_verify_result res;
	struct rb_error err;
	char *p;

	assert_int_equal(rb_manifest_write(f->root, "0.1.0", NULL, &err), 0);
	rb_verify_result_init(&res);
	assert_int_equal(rb_verify_dir(f->root, NULL, &res, &err), 0);
	assert_int_equal(res.nr_problems, 0);
	assert_int_equal(res.nr_files, 14);
	assert_string_equal(res.manifest, "releases/0.1.0/SHA256SUMS");
	assert_true(res.modes);
	assert_int_equal(res.signature, RB_SIG_UNCHECKED);
	rb_verify_result_release(&res);

	/* A changed byte, a removed file, an added file; tarballs ignored. */
	test_put(f->root, "lib/shop-0.1.0/ebin/shop.beam", "FOR2 beam", 0644);
	p = path_join(f->root, "lib/a/y");
	assert_int_equal(unlink(p), 0);
	free(p);
	test_put(f->root, "lib/a/new", "new\n", 0644);
	test_put(f->root, "releases/0.1.0/other.tar.zst", "ignored", 0644);

	rb_verify_result_init(&res);
	assert_int_equal(rb_verify_dir(f->root, "0.1.0", &res, &err), 0);
	assert_int_equal(res.nr_problems, 3);
	assert_true(test_has_problem(&res, RB_PROBLEM_EXTRA, "lib/a/new"));
	assert_true(test_has_problem(&res, RB_PROBLEM_MISSING, "lib/a/y"));
	assert_true(test_has_problem(&res, RB_PROBLEM_CHANGED, "lib/shop-0.1.0/ebin/shop.beam"));
	rb_verify_result_release(&res);

	/* No manifest at all. */
	rb_verify_result_init(&res);
	assert_int_equal(rb_verify_dir(f->root, "0.2.0", &res, &err), -1);
	assert_non_null(strstr(err.msg, "no 'releases/0.2.0/SHA256SUMS'"));
	rb_verify_result_release(&res);
}

/*
 * releases/COOKIE: one the manifest lists (shipped) is checked like any
 * file; one it does not list was made on the server and is not counted.
 */
static void test_verify_dir_cookie(void **state)
{
	struct fixture *f = *state;
	struct rb_verify_result res;
	struct rb_error err;
	char *p;

	assert_int_equal(rb_manifest_write(f->root, "0.1.0", NULL, &err), 0);
	test_put(f->root, "releases/COOKIE", "changed", 0600);
	rb_verify_result_init(&res);
	assert_int_equal(rb_verify_dir(f->root, NULL, &res, &err), 0);
	assert_int_equal(res.nr_problems, 1);
	assert_true(test_has_problem(&res, RB_PROBLEM_CHANGED, "releases/COOKIE"));
	rb_verify_result_release(&res);

	/* built without a cookie; the control script made one (0400) */
	p = path_join(f->root, "releases/COOKIE");
	assert_int_equal(unlink(p), 0);
	free(p);
	assert_int_equal(rb_manifest_write(f->root, "0.1.0", NULL, &err), 0);
	test_put(f->root, "releases/COOKIE", "made-on-the-server", 0400);
	rb_verify_result_init(&res);
	assert_int_equal(rb_verify_dir(f->root, NULL, &res, &err), 0);
	assert_int_equal(res.nr_problems, 0);
	assert_int_equal(res.nr_files, 13);
	rb_verify_result_release(&res);

	/* any other unlisted file under releases/ is still extra */
	test_put(f->root, "releases/COOKIE.bak", "x", 0600);
	rb_verify_result_init(&res);
	assert_int_equal(rb_verify_dir(f->root, NULL, &res, &err), 0);
	assert_int_equal(res.nr_problems, 1);
	assert_true(test_has_problem(&res, RB_PROBLEM_EXTRA, "releases/COOKIE.bak"));
	rb_verify_result_release(&res);
}

static void chmod_rel(const char *root, const char *rel, mode_t mode)
{
	char *p = path_join(root, rel);

	assert_int_equal(chmod(p, mode), 0);
	free(p);
}

/* A changed mode bit is a problem naming the file and both modes. */
static void test_verify_dir_modes(void **state)
{
	struct fixture *f = *state;
	struct rb_verify_result res;
	struct rb_error err;
	char *p;

	assert_int_equal(rb_manifest_write(f->root, "0.1.0", NULL, &err), 0);
	chmod_rel(f->root, "lib/shop-0.1.0/ebin/shop.beam", 0755);
	chmod_rel(f->root, "bin/shop", 0644);
	/* A directory is checked as it is: 0640 is not 0644. */
	chmod_rel(f->root, "lib/a/y", 0640);
	chmod_rel(f->root, "releases/COOKIE", 04600);
	rb_verify_result_init(&res);
	assert_int_equal(rb_verify_dir(f->root, NULL, &res, &err), 0);
	assert_int_equal(res.nr_problems, 4);
	for (size_t i = 0; i < res.nr_problems; i++)
		assert_int_equal(res.problems[i].kind, RB_PROBLEM_MODE);
	assert_string_equal(res.problems[0].path, "bin/shop");
	assert_int_equal(res.problems[0].mode, 0644);
	assert_int_equal(res.problems[0].expected, 0755);
	assert_string_equal(res.problems[1].path, "lib/a/y");
	assert_int_equal(res.problems[1].mode, 0640);
	assert_string_equal(res.problems[2].path, "lib/shop-0.1.0/ebin/shop.beam");
	assert_int_equal(res.problems[2].mode, 0755);
	assert_int_equal(res.problems[2].expected, 0644);
	assert_string_equal(res.problems[3].path, "releases/COOKIE");
	assert_int_equal(res.problems[3].mode, 04600);
	assert_int_equal(res.problems[3].expected, 0600);
	assert_string_equal(rb_problem_kind_name(RB_PROBLEM_MODE), "mode");
	rb_verify_result_release(&res);

	/* A MODES that does not match its hash is reported, not trusted. */
	test_put(f->root, "releases/0.1.0/MODES", "0755 bin/shop\n", 0644);
	rb_verify_result_init(&res);
	assert_int_equal(rb_verify_dir(f->root, NULL, &res, &err), 0);
	assert_int_equal(res.nr_problems, 1);
	assert_true(test_has_problem(&res, RB_PROBLEM_CHANGED, "releases/0.1.0/MODES"));
	assert_false(res.modes);
	rb_verify_result_release(&res);

	/* An older build without MODES: no mode check, silently. */
	p = path_join(f->root, "releases/0.1.0/MODES");
	assert_int_equal(unlink(p), 0);
	free(p);
	{
		struct rb_manifest m = RB_MANIFEST_INIT;
		struct rb_exclude ex = { "0.1.0", NULL, 0 };
		char *text;

		assert_int_equal(rb_manifest_build(&m, f->root, &ex, &err), 0);
		text = rb_manifest_format(&m);
		test_put(f->root, "releases/0.1.0/SHA256SUMS", text, 0644);
		free(text);
		rb_manifest_release(&m);
	}
	rb_verify_result_init(&res);
	assert_int_equal(rb_verify_dir(f->root, NULL, &res, &err), 0);
	assert_int_equal(res.nr_problems, 0);
	assert_false(res.modes);
	rb_verify_result_release(&res);
}

/*
 * Several releases/<v>/ (an installed release after upgrades, a build
 * directory after a version bump): the one start_erl.data names.
 */
static void test_verify_dir_versions(void **state)
{
	struct fixture *f = *state;
	struct rb_verify_result res;
	struct rb_error err;
	char *p;

	test_put(f->root, "releases/0.2.0/shop.rel", "new\n", 0644);
	test_put(f->root, "releases/start_erl.data", "14.2 0.2.0\n", 0644);
	assert_int_equal(rb_manifest_write(f->root, "0.2.0", NULL, &err), 0);
	test_put(f->root, "releases/start_erl.data", "14.2 0.1.0\n", 0644);
	assert_int_equal(rb_manifest_write(f->root, "0.1.0", NULL, &err), 0);

	rb_verify_result_init(&res);
	assert_int_equal(rb_verify_dir(f->root, NULL, &res, &err), 0);
	assert_string_equal(res.manifest, "releases/0.1.0/SHA256SUMS");
	assert_int_equal(res.nr_problems, 0);
	rb_verify_result_release(&res);

	/* Switched to 0.2.0: its manifest, which saw start_erl.data so. */
	test_put(f->root, "releases/start_erl.data", "14.2 0.2.0\n", 0644);
	rb_verify_result_init(&res);
	assert_int_equal(rb_verify_dir(f->root, NULL, &res, &err), 0);
	assert_string_equal(res.manifest, "releases/0.2.0/SHA256SUMS");
	assert_int_equal(res.nr_problems, 0);
	rb_verify_result_release(&res);

	/* Asked for a version: that one (start_erl.data now differs). */
	rb_verify_result_init(&res);
	assert_int_equal(rb_verify_dir(f->root, "0.1.0", &res, &err), 0);
	assert_string_equal(res.manifest, "releases/0.1.0/SHA256SUMS");
	assert_int_equal(res.nr_problems, 1);
	assert_true(test_has_problem(&res, RB_PROBLEM_CHANGED, "releases/start_erl.data"));
	rb_verify_result_release(&res);

	/* start_erl.data names one without a manifest, or is gone. */
	test_put(f->root, "releases/start_erl.data", "14.2 9.9.9\n", 0644);
	rb_verify_result_init(&res);
	assert_int_equal(rb_verify_dir(f->root, NULL, &res, &err), -1);
	assert_non_null(strstr(err.msg, "several manifests"));
	p = path_join(f->root, "releases/start_erl.data");
	assert_int_equal(unlink(p), 0);
	free(p);
	assert_int_equal(rb_verify_dir(f->root, NULL, &res, &err), -1);
	assert_non_null(strstr(err.msg, "several manifests"));
	rb_verify_result_release(&res);
}

/*
 * A hot upgrade from 0.1.0 to 0.2.0 unpacks only what is new (here
 * lib/shop-0.2.0/ and releases/0.2.0/) beside what 0.1.0 had, and
 * make_permanent rewrites start_erl.data.  Verified "upgraded", each
 * file another version's manifest lists with the hash found is kept;
 * a file no manifest explains is still a problem.
 */
static void put_upgrade(const char *root)
{
	char tmpl[] = "/tmp/rb-manifest-up-XXXXXX";
	static const char *const copied[] = {
		"lib/shop-0.2.0/ebin/shop.beam", "releases/0.2.0/shop.rel",
		"releases/0.2.0/MODES", "releases/0.2.0/SHA256SUMS",
		"releases/0.2.0/sys.config",
	};
	struct rb_error err;

	/* 0.2.0 as its tarball has it: bin/shop and the app changed. */
	assert_non_null(mkdtemp(tmpl));
	test_put(tmpl, "bin/shop", "#!/bin/sh\necho shop 2\n", 0755);
	test_put(tmpl, "lib/shop-0.2.0/ebin/shop.beam", "FOR1 beam 2", 0644);
	test_put(tmpl, "lib/a/y", "y\n", 0644);
	test_put(tmpl, "releases/COOKIE", "secret", 0600);
	test_put(tmpl, "releases/start_erl.data", "14.2 0.2.0\n", 0644);
	test_put(tmpl, "releases/0.2.0/shop.rel", "new\n", 0644);
	test_put(tmpl, "releases/0.2.0/sys.config", "[{shop,[{port,\"${PORT}\"}]}].\n", 0644);
	assert_int_equal(rb_manifest_write(tmpl, "0.2.0", NULL, &err), 0);
	for (size_t i = 0; i < sizeof(copied) / sizeof(*copied); i++) {
		char *from = path_join(tmpl, copied[i]);
		char *text = test_slurp(from, NULL);

		test_put(root, copied[i], text, 0644);
		free(text);
		free(from);
	}
	assert_int_equal(remove_tree(tmpl, &err), 0);
}

static void test_verify_dir_upgraded(void **state)
{
	struct fixture *f = *state;
	struct rb_verify_opts upgraded = { .upgraded = 1 };
	struct rb_verify_result res;
	struct rb_error err;

	assert_int_equal(rb_manifest_write(f->root, "0.1.0", NULL, &err), 0);
	put_upgrade(f->root);

	/* Installed, not yet permanent: 0.1.0 plus 0.2.0's new app. */
	rb_verify_result_init(&res);
	assert_int_equal(rb_verify_dir(f->root, NULL, &res, &err), 0);
	assert_int_equal(res.nr_problems, 1);
	assert_true(test_has_problem(&res, RB_PROBLEM_EXTRA, "lib/shop-0.2.0/ebin/shop.beam"));
	rb_verify_result_release(&res);
	rb_verify_result_init(&res);
	assert_int_equal(rb_verify_dir_opts(f->root, &upgraded, &res, &err), 0);
	assert_string_equal(res.manifest, "releases/0.1.0/SHA256SUMS");
	assert_int_equal(res.nr_problems, 0);
	assert_int_equal(res.nr_kept, 1);
	assert_int_equal(res.kept_from.nr, 1);
	assert_string_equal(res.kept_from.v[0], "0.2.0");
	rb_verify_result_release(&res);

	/*
	 * Permanent: checked against 0.2.0, whose bin/shop differs from the
	 * one 0.1.0 left and which has none of lib/shop-0.1.0/ (5 files).
	 */
	test_put(f->root, "releases/start_erl.data", "14.2 0.2.0\n", 0644);
	rb_verify_result_init(&res);
	assert_int_equal(rb_verify_dir_opts(f->root, &upgraded, &res, &err), 0);
	assert_string_equal(res.manifest, "releases/0.2.0/SHA256SUMS");
	assert_int_equal(res.nr_problems, 0);
	/* bin/shop, lib/shop-0.1.0/ (5), lib/a/empty and lib/a-b/x */
	assert_int_equal(res.nr_kept, 1 + 5 + 2);
	assert_string_equal(res.kept_from.v[0], "0.1.0");
	rb_verify_result_release(&res);

	/*
	 * The upgrade rendered 0.2.0's sys.config in place (0600), keeping
	 * the shipped file as sys.config.src: checked in its stead.
	 */
	{
		char *p = path_join(f->root, "releases/0.2.0/sys.config");
		char *shipped = test_slurp(p, NULL);

		test_put(f->root, "releases/0.2.0/sys.config.src", shipped, 0644);
		test_put(f->root, "releases/0.2.0/sys.config", "[{shop,[{port,\"4000\"}]}].\n", 0600);
		free(shipped);
		free(p);
	}
	rb_verify_result_init(&res);
	assert_int_equal(rb_verify_dir(f->root, NULL, &res, &err), 0);
	assert_true(test_has_problem(&res, RB_PROBLEM_CHANGED, "releases/0.2.0/sys.config"));
	assert_true(test_has_problem(&res, RB_PROBLEM_EXTRA, "releases/0.2.0/sys.config.src"));
	rb_verify_result_release(&res);
	rb_verify_result_init(&res);
	assert_int_equal(rb_verify_dir_opts(f->root, &upgraded, &res, &err), 0);
	assert_int_equal(res.nr_problems, 0);
	rb_verify_result_release(&res);
	/* ... but a changed template is a changed sys.config */
	test_put(f->root, "releases/0.2.0/sys.config.src", "[].\n", 0644);
	rb_verify_result_init(&res);
	assert_int_equal(rb_verify_dir_opts(f->root, &upgraded, &res, &err), 0);
	assert_int_equal(res.nr_problems, 1);
	assert_true(test_has_problem(&res, RB_PROBLEM_CHANGED, "releases/0.2.0/sys.config"));
	rb_verify_result_release(&res);

	/* A kept file changed, a file nobody lists, one of 0.2.0's changed. */
	test_put(f->root, "lib/shop-0.1.0/priv/lower.txt", "L\n", 0644);
	test_put(f->root, "lib/shop-0.1.0/priv/planted", "x", 0644);
	test_put(f->root, "bin/shop", "#!/bin/sh\necho other\n", 0755);
	rb_verify_result_init(&res);
	assert_int_equal(rb_verify_dir_opts(f->root, &upgraded, &res, &err), 0);
	assert_int_equal(res.nr_problems, 4);
	assert_true(test_has_problem(&res, RB_PROBLEM_CHANGED, "releases/0.2.0/sys.config"));
	assert_true(test_has_problem(&res, RB_PROBLEM_CHANGED, "lib/shop-0.1.0/priv/lower.txt"));
	assert_true(test_has_problem(&res, RB_PROBLEM_EXTRA, "lib/shop-0.1.0/priv/planted"));
	assert_true(test_has_problem(&res, RB_PROBLEM_CHANGED, "bin/shop"));
	rb_verify_result_release(&res);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha256_known),
		cmocka_unit_test_setup_teardown(test_sha256_file, setup, teardown),
		cmocka_unit_test(test_excluded),
		cmocka_unit_test_setup_teardown(test_tree_sorted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tree_other_versions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_manifest_matches_sha256sum, setup, teardown),
		cmocka_unit_test_setup_teardown(test_modes_written, setup, teardown),
		cmocka_unit_test(test_normal_mode),
		cmocka_unit_test(test_modes_parse_errors),
		cmocka_unit_test_setup_teardown(test_manifest_bad_name, setup, teardown),
		cmocka_unit_test(test_parse_ok),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_compare),
		cmocka_unit_test_setup_teardown(test_verify_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_dir_cookie, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_dir_upgraded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_dir_modes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_dir_versions, setup, teardown),
	};

	umask(022);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
