#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "helpers.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tarball.h"
#include "manifest.h"
#include "util.h"

#define EPOCH 1700000000LL
#define LONG_DIR "lib/shop-0.1.0/priv/repo/migrations/a_rather_long_directory_name_that_pushes_the_path_past_the_ustar_limit"

struct fixture {
	char *tmp;  /* everything lives below this */
	char *a;    /* tmp/a: a release tree */
	char *b;    /* tmp/b: the same tree, made differently */
	char *out;  /* tmp/out: for tarballs written outside a tree */
};

static void put(const char *root, const char *rel, const char *content,
		mode_t mode, time_t mtime)
{
	char *full = path_join(root, rel);
	char *dir = xstrdup(full);
	struct timeval tv[2] = { { mtime, 0 }, { mtime, 0 } };
	struct rb_error err;
	int fd;

	*strrchr(dir, '/') = '\0';
	assert_int_equal(mkdir_p(dir, &err), 0);
	/* Created as the umask says; only explicit modes are forced. */
	fd = open(full, O_WRONLY | O_CREAT | O_TRUNC, (mode & 0111) ? 0777 : 0666);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	if (mode & 07000000)
		assert_int_equal(fchmod(fd, mode & 0777), 0);
	close(fd);
	assert_int_equal(utimes(full, tv), 0);
	free(dir);
	free(full);
}

#define FORCE 07000000 /* put(): set this mode whatever the umask */

/*
 * A small release.  order reverses the creation order (which changes
 * readdir order); mtime and the process umask are chosen by the caller.
 */
static void make_release(const char *root, int order, time_t mtime)
{
	static const struct {
		const char *path, *content;
		mode_t mode;
	} files[] = {
		{ "bin/shop", "#!/bin/sh\necho shop\n", 0755 },
		{ "erts-14.2/bin/beam.smp", "ELF...", 0755 },
		{ "lib/shop-0.1.0/ebin/shop.beam", "FOR1 shop beam", 0644 },
		{ "lib/shop-0.1.0/ebin/shop.app", "{application,shop,[]}.\n", 0644 },
		{ "lib/shop-0.1.0/ebin/shop_repo.beam", "FOR1 repo beam", 0644 },
		{ "lib/a-b/x", "x\n", 0644 },
		{ "lib/a/y", "y\n", 0644 },
				/* A name over 100 bytes: only a pax header can hold it. */
		{ LONG_DIR "/20240101000000_create_orders_table_with_a_name_so_long_that_it_does_not_fit_the_hundred_bytes_of_a_ustar_name_field.exs", "defmodule", 0644 },
		{ "releases/COOKIE", "secretcookie", 0600 | FORCE },
		{ "releases/start_erl.data", "14.2 0.1.0\n", 0644 },
		{ "releases/0.1.0/shop.rel", "{release,{\"shop\",\"0.1.0\"},{erts,\"14.2\"},[]}.\n", 0644 },
		{ "releases/0.1.0/vm.args", "-name shop@127.0.0.1\n", 0644 },
		{ "releases/0.1.0/hooks/post_start/10-migrate.sh", "#!/bin/sh\nbin/shop migrate\n", 0755 },
		{ "releases/0.1.0/commands/private.sh", "#!/bin/sh\n", 0700 | FORCE },
		{ "releases/0.1.0/SHA256SUMS.sig", "not a signature", 0644 },
	};
	size_t n = sizeof(files) / sizeof(*files);
	struct timeval tv[2] = { { mtime, 0 }, { mtime, 0 } };
	char *link, *dir;

	for (size_t k = 0; k < n; k++) {
		size_t i = order ? n - 1 - k : k;

		put(root, files[i].path, files[i].content, files[i].mode,
		    mtime + (time_t)i);
	}
	link = path_join(root, "bin/shop-link");
	assert_int_equal(symlink("shop", link), 0);
	free(link);
	dir = path_join(root, "var/log");
	assert_int_equal(mkdir_p(dir, NULL), 0);
	assert_int_equal(utimes(dir, tv), 0);
	free(dir);
}

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	char tmpl[] = "/tmp/rb-archive-XXXXXX";

	assert_non_null(mkdtemp(tmpl));
	f->tmp = xstrdup(tmpl);
	f->a = path_join(f->tmp, "a");
	f->b = path_join(f->tmp, "b");
	f->out = path_join(f->tmp, "out");
	assert_int_equal(mkdir_p(f->out, NULL), 0);
	umask(022);
	make_release(f->a, 0, 1000000000);
	/* A group-writable umask, as reproducible-builds vary it. */
	umask(002);
	make_release(f->b, 1, 1600000000);
	umask(022);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	struct rb_error err;

	assert_int_equal(remove_tree(f->tmp, &err), 0);
	free(f->tmp);
	free(f->a);
	free(f->b);
	free(f->out);
	free(f);
	return 0;
}

/* Manifest, then tarball, as the build does. */
static void pack(const char *root, enum rb_compression c,
		 struct rb_tarball *t)
{
	struct rb_error err;

	if (rb_manifest_write(root, "0.1.0", NULL, &err) < 0 ||
	    rb_tarball_make(t, root, "shop", "0.1.0", &(struct rb_pack){ .compression = c }, EPOCH, &err) < 0)
		fail_msg("%s", err.msg);
}

static void check_reproducible(void **state, enum rb_compression c,
			       const char *ext)
{
	struct fixture *f = *state;
	struct rb_tarball ta, tb;
	char *da, *db, *want;
	size_t la, lb;

	rb_tarball_init(&ta);
	rb_tarball_init(&tb);
	pack(f->a, c, &ta);
	pack(f->b, c, &tb);
	want = xasprintf("%s/releases/0.1.0/shop%s", f->a, ext);
	assert_string_equal(ta.path, want);
	free(want);
	da = test_slurp(ta.path, &la);
	db = test_slurp(tb.path, &lb);
	assert_true(la > 0);
	assert_int_equal(la, lb);
	assert_memory_equal(da, db, la);
	assert_string_equal(ta.hash, tb.hash);
	free(da);
	free(db);

	/* A second write of the same tree: the same bytes again. */
	{
		struct rb_tarball again;

		rb_tarball_init(&again);
		pack(f->a, c, &again);
		assert_string_equal(again.hash, ta.hash);
		rb_tarball_release(&again);
	}
	rb_tarball_release(&ta);
	rb_tarball_release(&tb);
}

static void test_reproducible_gzip(void **state)
{
	check_reproducible(state, RB_COMPRESS_GZIP, ".tar.gz");
}

static void test_reproducible_zstd(void **state)
{
	check_reproducible(state, RB_COMPRESS_ZSTD, ".tar.zst");
}

static void test_reproducible_none(void **state)
{
	check_reproducible(state, RB_COMPRESS_NONE, ".tar");
}

static void test_entries(void **state)
{
	struct fixture *f = *state;
	struct rb_tarball t;
	struct archive *a;
	struct archive_entry *e;
	char prev[4096] = "";
	int nr = 0, saw_sums = 0, saw_sig = 0, saw_cookie = 0, saw_link = 0, saw_long = 0, saw_private = 0;
	struct rb_manifest modes = RB_MANIFEST_INIT;
	size_t nr_modes = 0, len;
	struct rb_error err;
	char *text, *path;

	rb_tarball_init(&t);
	/* b was made under umask 002: MODES has the normalised modes. */
	pack(f->b, RB_COMPRESS_GZIP, &t);
	path = path_join(f->b, "releases/0.1.0/MODES");
	text = test_slurp(path, &len);
	assert_int_equal(rb_modes_parse(&modes, "MODES", text, len, &err), 0);
	free(text);
	free(path);
	a = archive_read_new();
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	assert_int_equal(archive_read_open_filename(a, t.path, 10240), ARCHIVE_OK);
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		char name[4096];
		const char *p = archive_entry_pathname(e);
		size_t len = strlen(p);
		mode_t type = archive_entry_filetype(e);
		mode_t perm = archive_entry_perm(e);

		nr++;
		assert_true(len < sizeof(name));
		memcpy(name, p, len + 1);
		if (type == AE_IFDIR) {
			/* libarchive writes directories with a trailing '/'. */
			assert_int_equal(name[len - 1], '/');
			name[len - 1] = '\0';
		}
		if (nr == 1)
			assert_string_equal(name, "bin");
		assert_false(has_prefix(name, "./"));
		assert_false(has_prefix(name, "/"));
		if (strcmp(prev, name) >= 0)
			fail_msg("'%s' after '%s'", name, prev);
		strcpy(prev, name);

		assert_int_equal(archive_entry_uid(e), 0);
		assert_int_equal(archive_entry_gid(e), 0);
		/* Empty header fields read back as "" (raw check below). */
		assert_true(!archive_entry_uname(e) || !*archive_entry_uname(e));
		assert_true(!archive_entry_gname(e) || !*archive_entry_gname(e));
		assert_int_equal(archive_entry_mtime(e), EPOCH);
		assert_int_equal(archive_entry_mtime_nsec(e), 0);
		assert_false(archive_entry_atime_is_set(e));
		assert_false(archive_entry_ctime_is_set(e));
		assert_false(archive_entry_birthtime_is_set(e));
		assert_int_equal(archive_entry_xattr_count(e), 0);
		assert_null(archive_entry_fflags_text(e));
		assert_null(archive_entry_hardlink(e));

		if (type == AE_IFDIR) {
			assert_int_equal(perm, 0755);
		} else if (type == AE_IFLNK) {
			assert_string_equal(name, "bin/shop-link");
			assert_string_equal(archive_entry_symlink(e), "shop");
			saw_link = 1;
		} else {
			assert_int_equal(type, AE_IFREG);
			if (!strcmp(name, "releases/COOKIE")) {
				assert_int_equal(perm, 0600);
				saw_cookie = 1;
			} else if (!strcmp(name, "releases/0.1.0/commands/private.sh")) {
				assert_int_equal(perm, 0700);
				saw_private = 1;
			} else if (!strcmp(name, "bin/shop") ||
				   has_suffix(name, ".sh") ||
				   !strcmp(name, "erts-14.2/bin/beam.smp")) {
				assert_int_equal(perm, 0755);
			} else {
				assert_int_equal(perm, 0644);
			}
			if (has_prefix(name, LONG_DIR "/"))
				saw_long = 1;
			/* Never the tarball or its sidecar. */
			assert_false(has_suffix(name, ".tar.gz"));
			assert_false(has_suffix(name, ".sha256"));
			if (!strcmp(name, "releases/0.1.0/SHA256SUMS"))
				saw_sums = 1;
			/* Each file's mode is the one MODES lists. */
			if (!strcmp(name, "releases/0.1.0/SHA256SUMS") ||
			    has_suffix(name, ".sig")) {
				assert_null(rb_manifest_find(&modes, name));
			} else {
				const struct rb_manifest_entry *me =
					rb_manifest_find(&modes, name);

				if (!me)
					fail_msg("'%s' is not in MODES", name);
				assert_int_equal(me->mode, perm);
				nr_modes++;
			}
			if (!strcmp(name, "releases/0.1.0/SHA256SUMS.sig"))
				saw_sig = 1;
			assert_false(has_prefix(name, "releases/0.1.0/.relbuild-tmp"));
		}
	}
	assert_true(saw_cookie && saw_link && saw_long && saw_private);
	assert_true(saw_sums && saw_sig);
	assert_int_equal(nr_modes, modes.nr);
	/* 15 files + SHA256SUMS + MODES + 1 link + 19 directories */
	assert_int_equal(nr, 15 + 1 + 1 + 1 + 19);
	archive_read_free(a);
	rb_manifest_release(&modes);
	rb_tarball_release(&t);
}

static int all_zero(const unsigned char *p, size_t n)
{
	while (n--)
		if (*p++)
			return 0;
	return 1;
}

/* The ustar headers themselves, pax extension headers included. */
static void test_raw_headers(void **state)
{
	struct fixture *f = *state;
	struct rb_tarball t;
	unsigned char *d;
	size_t len, pos = 0;
	int nr = 0, pax = 0;
	char mtime[13];

	rb_tarball_init(&t);
	pack(f->a, RB_COMPRESS_NONE, &t);
	d = (unsigned char *)test_slurp(t.path, &len);
	snprintf(mtime, sizeof(mtime), "%011llo", EPOCH);
	while (pos + 512 <= len && !all_zero(d + pos, 512)) {
		const unsigned char *h = d + pos;
		char size[13];

		assert_memory_equal(h + 257, "ustar\0" "00", 8);   /* POSIX ustar */
		assert_memory_equal(h + 108, "000000 \0", 8);      /* uid */
		assert_memory_equal(h + 116, "000000 \0", 8);      /* gid */
		assert_memory_equal(h + 136, mtime, 11);           /* mtime */
		assert_true(all_zero(h + 265, 32));                /* uname */
		assert_true(all_zero(h + 297, 32));                /* gname */
		assert_true(h[0] != '.' && h[0] != '/');
		if (h[156] == 'x') {
			/* Only what is needed: the long path, nothing timed. */
			pax++;
			assert_null(memmem(d + pos + 512, 512, "atime", 5));
			assert_null(memmem(d + pos + 512, 512, "ctime", 5));
			assert_non_null(memmem(d + pos + 512, 512, " path=", 6));
		}
		memcpy(size, h + 124, 12);
		size[12] = '\0';
		pos += 512 + (strtoull(size, NULL, 8) + 511) / 512 * 512;
		nr++;
	}
	assert_int_equal(pax, 1); /* for LONG_DIR's file */
	assert_int_equal(nr, 37 + pax);
	/* Then the end-of-archive blocks, and no padding after them. */
	assert_int_equal(len, pos + 1024);
	assert_true(all_zero(d + pos, 1024));
	free(d);
	rb_tarball_release(&t);
}

static void test_gzip_header(void **state)
{
	struct fixture *f = *state;
	struct rb_tarball t;
	unsigned char *d;
	size_t len;

	rb_tarball_init(&t);
	pack(f->a, RB_COMPRESS_GZIP, &t);
	d = (unsigned char *)test_slurp(t.path, &len);
	assert_true(len > 18);
	assert_int_equal(d[0], 0x1f);
	assert_int_equal(d[1], 0x8b);
	assert_int_equal(d[2], 8);           /* deflate */
	assert_int_equal(d[3] & 0x08, 0);    /* no FNAME */
	assert_int_equal(d[3] & 0x10, 0);    /* no FCOMMENT */
	assert_int_equal(d[4] | d[5] | d[6] | d[7], 0); /* MTIME */
	free(d);
	rb_tarball_release(&t);
}

static void test_sidecar(void **state)
{
	struct fixture *f = *state;
	struct rb_tarball t;
	struct rb_error err;
	struct stat s1, s2;
	char hex[RB_SHA256_HEX];
	char *text, *want, *cmd;

	rb_tarball_init(&t);
	pack(f->a, RB_COMPRESS_ZSTD, &t);
	assert_true(has_suffix(t.versioned, "/releases/0.1.0/shop-0.1.0.tar.zst"));
	assert_true(has_suffix(t.sidecar, "/releases/0.1.0/shop-0.1.0.tar.zst.sha256"));
	assert_int_equal(rb_sha256_file(t.path, hex, &err), 0);
	assert_string_equal(hex, t.hash);
	assert_int_equal(stat(t.path, &s1), 0);
	assert_int_equal(stat(t.versioned, &s2), 0);
	assert_int_equal(s1.st_ino, s2.st_ino); /* a hard link */
	assert_int_equal(s1.st_mode & 07777, 0644);

	text = test_slurp(t.sidecar, NULL);
	want = xasprintf("%s  shop-0.1.0.tar.zst\n", hex);
	assert_string_equal(text, want);
	cmd = xasprintf("cd '%s/releases/0.1.0' && /usr/bin/sha256sum --quiet --strict "
			"-c shop-0.1.0.tar.zst.sha256 && zstd -q -t shop.tar.zst", f->a);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(want);
	free(text);
	rb_tarball_release(&t);
}

static void test_unpacks_with_tar(void **state)
{
	struct fixture *f = *state;
	struct rb_tarball t;
	char *cmd;

	rb_tarball_init(&t);
	pack(f->a, RB_COMPRESS_GZIP, &t);
	/* Into an empty directory; then the shipped manifest checks out. */
	cmd = xasprintf("mkdir '%s/x' && tar -xzf '%s' -C '%s/x' && "
			"test -d '%s/x/bin' && test -d '%s/x/erts-14.2' && "
			"cd '%s/x' && /usr/bin/sha256sum --quiet --strict -c releases/0.1.0/SHA256SUMS",
			f->out, t.path, f->out, f->out, f->out, f->out);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	rb_tarball_release(&t);
}

static void test_verify_fresh(void **state)
{
	struct fixture *f = *state;
	struct rb_verify_result res;
	struct rb_tarball t;
	struct rb_error err;

	for (int c = RB_COMPRESS_GZIP; c <= RB_COMPRESS_NONE; c++) {
		rb_tarball_init(&t);
		pack(f->a, (enum rb_compression)c, &t);
		rb_verify_result_init(&res);
		if (rb_verify_tarball(t.path, &res, &err) < 0)
			fail_msg("%s", err.msg);
		assert_int_equal(res.nr_problems, 0);
		assert_int_equal(res.nr_files, 15);
		assert_true(res.modes);
		assert_string_equal(res.manifest, "releases/0.1.0/SHA256SUMS");
		rb_verify_result_release(&res);
		rb_tarball_release(&t);
	}
}

static void test_verify_tampered(void **state)
{
	struct fixture *f = *state;
	struct rb_exclude ex = { "0.1.0", NULL, 1 };
	struct rb_verify_result res;
	struct rb_error err;
	char *tampered = path_join(f->out, "tampered.tar.gz");
	char *p;

	assert_int_equal(rb_manifest_write(f->a, "0.1.0", NULL, &err), 0);
	/* One changed byte, one removed file, one added file. */
	put(f->a, "lib/shop-0.1.0/ebin/shop.beam", "FOR1 shop beaM", 0644, 0);
	p = path_join(f->a, "lib/a/y");
	assert_int_equal(unlink(p), 0);
	free(p);
	put(f->a, "lib/a/backdoor.beam", "evil", 0644, 0);
	assert_int_equal(rb_archive_write_tree(f->a, tampered, &(struct rb_pack){ .compression = RB_COMPRESS_GZIP },
					       EPOCH, &ex, NULL, &err), 0);

	rb_verify_result_init(&res);
	assert_int_equal(rb_verify_tarball(tampered, &res, &err), 0);
	assert_int_equal(res.nr_problems, 3);
	assert_true(test_has_problem(&res, RB_PROBLEM_CHANGED, "lib/shop-0.1.0/ebin/shop.beam"));
	assert_true(test_has_problem(&res, RB_PROBLEM_MISSING, "lib/a/y"));
	assert_true(test_has_problem(&res, RB_PROBLEM_EXTRA, "lib/a/backdoor.beam"));
	rb_verify_result_release(&res);
	free(tampered);
}

static void chmod_rel(const char *root, const char *rel, mode_t mode)
{
	char *p = path_join(root, rel);

	assert_int_equal(chmod(p, mode), 0);
	free(p);
}

struct raw_entry {
	const char *path, *content;
	mode_t perm;
};

/* Write a tar by hand: each entry a regular file with its own mode. */
static void write_raw_entries(const char *path, const struct raw_entry *v)
{
	struct archive *a = archive_write_new();

	archive_write_set_format_pax_restricted(a);
	archive_write_add_filter_none(a);
	assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
	for (; v->path; v++) {
		struct archive_entry *e = archive_entry_new();
		size_t len = strlen(v->content);

		archive_entry_set_pathname(e, v->path);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, v->perm);
		archive_entry_set_size(e, (la_int64_t)len);
		/* A name that is not UTF-8 is written as it is, with a warning. */
		assert_true(archive_write_header(a, e) >= ARCHIVE_WARN);
		assert_int_equal(archive_write_data(a, v->content, len), (la_ssize_t)len);
		archive_entry_free(e);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
}

/* A mode bit changed: the entry's mode against releases/<vsn>/MODES. */
static void test_verify_modes(void **state)
{
	struct fixture *f = *state;
	struct rb_exclude ex = { "0.1.0", NULL, 1 };
	struct rb_verify_result res;
	struct rb_error err;
	char *tampered = path_join(f->out, "tampered.tar.gz");
	char *tar = path_join(f->out, "raw.tar");
	char h_shop[RB_SHA256_HEX], h_modes[RB_SHA256_HEX];
	const char *modes = "0755 bin/shop\n0644 releases/0.1.0/MODES\n";
	char *sums;

	assert_int_equal(rb_manifest_write(f->a, "0.1.0", NULL, &err), 0);
	chmod_rel(f->a, "lib/shop-0.1.0/ebin/shop.beam", 0755);
	chmod_rel(f->a, "bin/shop", 0644);
	assert_int_equal(rb_archive_write_tree(f->a, tampered, &(struct rb_pack){ .compression = RB_COMPRESS_GZIP },
					       EPOCH, &ex, NULL, &err), 0);
	rb_verify_result_init(&res);
	assert_int_equal(rb_verify_tarball(tampered, &res, &err), 0);
	assert_true(res.modes);
	assert_int_equal(res.nr_problems, 2);
	assert_int_equal(res.problems[0].kind, RB_PROBLEM_MODE);
	assert_string_equal(res.problems[0].path, "bin/shop");
	assert_int_equal(res.problems[0].mode, 0644);
	assert_int_equal(res.problems[0].expected, 0755);
	assert_int_equal(res.problems[1].kind, RB_PROBLEM_MODE);
	assert_string_equal(res.problems[1].path, "lib/shop-0.1.0/ebin/shop.beam");
	assert_int_equal(res.problems[1].mode, 0755);
	assert_int_equal(res.problems[1].expected, 0644);
	rb_verify_result_release(&res);

	/* setuid is a mode bit too, and MODES may come after the files. */
	assert_int_equal(rb_sha256_buf("abc", 3, h_shop, &err), 0);
	assert_int_equal(rb_sha256_buf(modes, strlen(modes), h_modes, &err), 0);
	sums = xasprintf("%s  bin/shop\n%s  releases/0.1.0/MODES\n", h_shop, h_modes);
	{
		const struct raw_entry v[] = {
			{ "bin/shop", "abc", 04755 },
			{ "releases/0.1.0/SHA256SUMS", sums, 0644 },
			{ "releases/0.1.0/MODES", modes, 0644 },
			{ NULL, NULL, 0 },
		};

		write_raw_entries(tar, v);
	}
	rb_verify_result_init(&res);
	assert_int_equal(rb_verify_tarball(tar, &res, &err), 0);
	assert_int_equal(res.nr_problems, 1);
	assert_int_equal(res.problems[0].kind, RB_PROBLEM_MODE);
	assert_int_equal(res.problems[0].mode, 04755);
	assert_int_equal(res.problems[0].expected, 0755);
	rb_verify_result_release(&res);

	/* A tampered MODES is a changed file, and its modes are not used. */
	{
		const struct raw_entry v[] = {
			{ "bin/shop", "abc", 04755 },
			{ "releases/0.1.0/MODES", "4755 bin/shop\n0644 releases/0.1.0/MODES\n", 0644 },
			{ "releases/0.1.0/SHA256SUMS", sums, 0644 },
			{ NULL, NULL, 0 },
		};

		write_raw_entries(tar, v);
	}
	rb_verify_result_init(&res);
	assert_int_equal(rb_verify_tarball(tar, &res, &err), 0);
	assert_int_equal(res.nr_problems, 1);
	assert_int_equal(res.problems[0].kind, RB_PROBLEM_CHANGED);
	assert_string_equal(res.problems[0].path, "releases/0.1.0/MODES");
	assert_false(res.modes);
	rb_verify_result_release(&res);

	/* An older tarball without MODES: no mode check. */
	free(sums);
	sums = xasprintf("%s  bin/shop\n", h_shop);
	{
		const struct raw_entry v[] = {
			{ "bin/shop", "abc", 04755 },
			{ "releases/0.1.0/SHA256SUMS", sums, 0644 },
			{ NULL, NULL, 0 },
		};

		write_raw_entries(tar, v);
	}
	rb_verify_result_init(&res);
	assert_int_equal(rb_verify_tarball(tar, &res, &err), 0);
	assert_int_equal(res.nr_problems, 0);
	assert_false(res.modes);
	rb_verify_result_release(&res);

	free(sums);
	free(tar);
	free(tampered);
}

static void truncate_half(const char *from, const char *to)
{
	struct rb_error err;
	char *d;
	size_t len;

	d = test_slurp(from, &len);
	assert_int_equal(write_file(to, d, len / 2, 0644, &err), 0);
	free(d);
}

static void test_verify_truncated(void **state)
{
	struct fixture *f = *state;
	struct rb_verify_result res;
	struct rb_tarball t;
	struct rb_error err;
	char *cut = path_join(f->out, "cut");

	for (int c = RB_COMPRESS_GZIP; c <= RB_COMPRESS_ZSTD; c++) {
		rb_tarball_init(&t);
		pack(f->a, (enum rb_compression)c, &t);
		truncate_half(t.path, cut);
		rb_verify_result_init(&res);
		err.msg[0] = '\0';
		assert_int_equal(rb_verify_tarball(cut, &res, &err), -1);
		assert_non_null(strstr(err.msg, cut));
		rb_verify_result_release(&res);
		rb_tarball_release(&t);
	}
	/* Not an archive at all, and no file at all. */
	assert_int_equal(write_file(cut, "hello", 5, 0644, &err), 0);
	rb_verify_result_init(&res);
	assert_int_equal(rb_verify_tarball(cut, &res, &err), -1);
	rb_verify_result_release(&res);
	unlink(cut);
	rb_verify_result_init(&res);
	assert_int_equal(rb_verify_tarball(cut, &res, &err), -1);
	assert_non_null(strstr(err.msg, "cannot open"));
	rb_verify_result_release(&res);
	free(cut);
}

/* Write a tar by hand with the entries given as path/content pairs. */
static void write_raw_tar(const char *path, const char *const *pairs)
{
	struct archive *a = archive_write_new();

	archive_write_set_format_pax_restricted(a);
	archive_write_add_filter_none(a);
	assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
	for (size_t i = 0; pairs[i]; i += 2) {
		struct archive_entry *e = archive_entry_new();
		size_t len = strlen(pairs[i + 1]);

		archive_entry_set_pathname(e, pairs[i]);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_size(e, (la_int64_t)len);
		assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
		assert_int_equal(archive_write_data(a, pairs[i + 1], len), (la_ssize_t)len);
		archive_entry_free(e);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
}

static void test_verify_hostile(void **state)
{
	struct fixture *f = *state;
	struct rb_verify_result res;
	struct rb_error err;
	char *tar = path_join(f->out, "hostile.tar");
	char *sums = xasprintf(
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  bin/shop\n");
	const char *const dup[] = {
		"releases/0.1.0/SHA256SUMS", sums,
		"./bin/shop", "abc",
		"bin/shop", "evil", /* extraction keeps the last one */
		"../escape", "x",
		"releases/0.1.0/SHA256SUMS.sig", "fine",
		NULL,
	};
	const char *const two[] = {
		"releases/0.1.0/SHA256SUMS", sums,
		"releases/0.2.0/SHA256SUMS", sums,
		NULL,
	};
	const char *const none[] = { "bin/shop", "abc", NULL };
	const char *const bad[] = {
		"releases/0.1.0/SHA256SUMS", "xx  bin/shop\n",
		NULL,
	};

	write_raw_tar(tar, dup);
	rb_verify_result_init(&res);
	assert_int_equal(rb_verify_tarball(tar, &res, &err), 0);
	assert_true(test_has_problem(&res, RB_PROBLEM_DUPLICATE, "bin/shop"));
	assert_true(test_has_problem(&res, RB_PROBLEM_UNSAFE, "../escape"));
	/* The last bin/shop is the one an extraction leaves. */
	assert_true(test_has_problem(&res, RB_PROBLEM_CHANGED, "bin/shop"));
	assert_int_equal(res.nr_problems, 3);
	rb_verify_result_release(&res);

	write_raw_tar(tar, two);
	rb_verify_result_init(&res);
	assert_int_equal(rb_verify_tarball(tar, &res, &err), -1);
	assert_non_null(strstr(err.msg, "several manifests"));
	rb_verify_result_release(&res);

	write_raw_tar(tar, none);
	rb_verify_result_init(&res);
	assert_int_equal(rb_verify_tarball(tar, &res, &err), -1);
	assert_non_null(strstr(err.msg, "no releases/<vsn>/SHA256SUMS"));
	rb_verify_result_release(&res);

	write_raw_tar(tar, bad);
	rb_verify_result_init(&res);
	assert_int_equal(rb_verify_tarball(tar, &res, &err), -1);
	assert_string_equal(err.msg, "releases/0.1.0/SHA256SUMS:1: malformed line");
	rb_verify_result_release(&res);

	free(sums);
	free(tar);
}

static int no_temp_files(const char *dir)
{
	struct strvec names = STRVEC_INIT;
	int ok = 1;

	assert_int_equal(list_dir(dir, &names, NULL), 0);
	for (size_t i = 0; i < names.nr; i++)
		if (has_prefix(names.v[i], ".relbuild-tmp") ||
		    strstr(names.v[i], ".tmp."))
			ok = 0;
	strvec_clear(&names);
	return ok;
}

static void test_failed_write_leaves_nothing(void **state)
{
	struct fixture *f = *state;
	struct rb_tarball t;
	struct rb_error err;
	char *fifo = path_join(f->a, "var/log/pipe");
	char *dir = path_join(f->a, "releases/0.1.0");
	char *dest = path_join(f->out, "x.tar.gz");

	/* A good tarball first: the failed build must not leave it there. */
	rb_tarball_init(&t);
	pack(f->a, RB_COMPRESS_GZIP, &t);
	assert_true(path_exists(t.path));
	/* Sorted last, so the failure comes after most of the writing. */
	assert_int_equal(mkfifo(fifo, 0644), 0);
	assert_int_equal(rb_tarball_make(&t, f->a, "shop", "0.1.0",
					 &(struct rb_pack){ .compression = RB_COMPRESS_GZIP }, EPOCH, &err), -1);
	assert_non_null(strstr(err.msg, "is not a regular file"));
	assert_false(path_exists(t.path));
	assert_false(path_exists(t.versioned));
	assert_false(path_exists(t.sidecar));
	assert_true(no_temp_files(dir));

	assert_int_equal(rb_archive_write_tree(f->a, dest, &(struct rb_pack){ .compression = RB_COMPRESS_ZSTD }, EPOCH,
					       NULL, NULL, &err), -1);
	assert_false(path_exists(dest));
	assert_true(no_temp_files(f->out));

	/* Bad names are refused before anything is written. */
	assert_int_equal(rb_tarball_make(&t, f->a, "a/b", "0.1.0",
					 &(struct rb_pack){ .compression = RB_COMPRESS_GZIP }, EPOCH, &err), -1);
	assert_int_equal(rb_tarball_make(&t, f->a, "shop", "9.9.9",
					 &(struct rb_pack){ .compression = RB_COMPRESS_GZIP }, EPOCH, &err), -1);
	rb_tarball_release(&t);
	free(dest);
	free(dir);
	free(fifo);
}

static void test_source_date_epoch(void **state)
{
	struct rb_error err;
	long long v = -1;

	(void)state;
	unsetenv("SOURCE_DATE_EPOCH");
	assert_int_equal(rb_source_date_epoch(&v, &err), 0);
	assert_int_equal(v, RB_DEFAULT_EPOCH);
	setenv("SOURCE_DATE_EPOCH", "1700000000", 1);
	assert_int_equal(rb_source_date_epoch(&v, &err), 0);
	assert_int_equal(v, 1700000000LL);
	setenv("SOURCE_DATE_EPOCH", "-5", 1);
	assert_int_equal(rb_source_date_epoch(&v, &err), -1);
	assert_int_equal(err.code, RB_ECONFIG);
	setenv("SOURCE_DATE_EPOCH", "12abc", 1);
	assert_int_equal(rb_source_date_epoch(&v, &err), -1);
	assert_string_equal(err.msg, "invalid SOURCE_DATE_EPOCH '12abc'");
	unsetenv("SOURCE_DATE_EPOCH");
	assert_string_equal(rb_compression_ext(RB_COMPRESS_GZIP), ".tar.gz");
	assert_string_equal(rb_compression_ext(RB_COMPRESS_ZSTD), ".tar.zst");
	assert_string_equal(rb_compression_ext(RB_COMPRESS_NONE), ".tar");
}

/* The command, through the built binary: output and exit codes. */
static void test_verify_command(void **state)
{
	struct fixture *f = *state;
	struct rb_tarball t;
	struct rb_exclude ex = { "0.1.0", NULL, 1 };
	struct rb_error err;
	const char *bin = TEST_BINARY_DIR "/relbuild";
	char *bad = path_join(f->out, "bad.tar.gz");
	char *log = path_join(f->out, "log");
	char *cmd, *text;

	if (access(bin, X_OK) < 0)
		fail_msg("'%s' is not built", bin);
	rb_tarball_init(&t);
	pack(f->a, RB_COMPRESS_GZIP, &t);

	cmd = xasprintf("'%s' verify '%s' >'%s' 2>&1", bin, t.path, log);
	assert_int_equal(WEXITSTATUS(system(cmd)), 0);
	free(cmd);
	text = test_slurp(log, NULL);
	cmd = xasprintf("%s: OK (15 files)\n", t.path);
	assert_string_equal(text, cmd);
	free(cmd);
	free(text);

	put(f->a, "lib/a/y", "Y\n", 0644, 0);
	assert_int_equal(rb_archive_write_tree(f->a, bad, &(struct rb_pack){ .compression = RB_COMPRESS_GZIP }, EPOCH,
					       &ex, NULL, &err), 0);
	cmd = xasprintf("'%s' verify '%s' 2>'%s'", bin, bad, log);
	assert_int_equal(WEXITSTATUS(system(cmd)), 1);
	free(cmd);
	text = test_slurp(log, NULL);
	assert_true(has_prefix(text, "relbuild: verify: changed: lib/a/y\n"));
	free(text);

	/* The unpacked directory is checked the same way. */
	cmd = xasprintf("'%s' verify '%s' >'%s' 2>&1", bin, f->a, log);
	assert_int_equal(WEXITSTATUS(system(cmd)), 1);
	free(cmd);
	text = test_slurp(log, NULL);
	assert_true(has_prefix(text, "relbuild: verify: changed: lib/a/y\n"));
	free(text);

	cmd = xasprintf("'%s' verify >/dev/null 2>&1", bin);
	assert_int_equal(WEXITSTATUS(system(cmd)), 2);
	free(cmd);
	cmd = xasprintf("'%s' verify --bogus x >/dev/null 2>&1", bin);
	assert_int_equal(WEXITSTATUS(system(cmd)), 2);
	free(cmd);
	cmd = xasprintf("'%s' verify --help | grep -q 'usage: relbuild verify'", bin);
	assert_int_equal(WEXITSTATUS(system(cmd)), 0);
	free(cmd);

	rb_tarball_release(&t);
	free(log);
	free(bad);
}

/*
 * verify --json: one JSON object on stdout and nothing else, names
 * escaped (control characters as \u00XX, bytes that are not UTF-8 as
 * U+FFFD), read back by Python's json module.
 */
static void test_verify_json(void **state)
{
	struct fixture *f = *state;
	struct rb_tarball t;
	struct rb_error err;
	const char *bin = TEST_BINARY_DIR "/relbuild";
	char *tar = path_join(f->out, "names.tar");
	char *out = path_join(f->out, "out.json");
	char *errlog = path_join(f->out, "err");
	char *check = path_join(f->out, "check.py");
	char hex[RB_SHA256_HEX];
	char *sums, *cmd, *text;
	static const char script[] =
		"import json, sys\n"
		"raw = open(sys.argv[1], 'rb').read()\n"
		"assert raw.endswith(b'}\\n') and raw.count(b'\\n') == 1, raw\n"
		"o = json.loads(raw)\n"
		"mode = sys.argv[2]\n"
		"if mode == 'good':\n"
		"    assert o['ok'] is True and o['problems'] == [], o\n"
		"    assert o['files'] == 15 and o['modes'] is True, o\n"
		"    assert o['signature'] == 'unchecked', o\n"
		"    assert o['manifest'] == 'releases/0.1.0/SHA256SUMS', o\n"
		"elif mode == 'names':\n"
		"    assert o['ok'] is False and o['files'] == 1, o\n"
		"    got = sorted((p['kind'], p['path']) for p in o['problems'])\n"
		"    want = sorted([('extra', 'lib/a\\x01b\\x1b[31m'),\n"
		"                   ('extra', 'lib/q\"uote\\\\'),\n"
		"                   ('extra', 'lib/bad\\ufffd\\ufffd'),\n"
		"                   ('extra', 'lib/caf\\u00e9'),\n"
		"                   ('changed', 'bin/shop')])\n"
		"    assert got == want, (got, want)\n"
		"    assert b'\\\\u0001' in raw and b'\\\\u001b' in raw, raw\n"
		"elif mode == 'error':\n"
		"    assert o['ok'] is False and o['manifest'] is None, o\n"
		"    assert 'cannot open' in o['error'], o\n"
		"    assert o['target'] == sys.argv[3], o\n";

	if (access(bin, X_OK) < 0)
		fail_msg("'%s' is not built", bin);
	assert_int_equal(write_file(check, script, strlen(script), 0644, &err), 0);

	rb_tarball_init(&t);
	pack(f->a, RB_COMPRESS_GZIP, &t);
	cmd = xasprintf("'%s' verify --json '%s' >'%s' 2>'%s'", bin, t.path, out,
			errlog);
	assert_int_equal(WEXITSTATUS(system(cmd)), 0);
	free(cmd);
	text = test_slurp(errlog, NULL);
	assert_string_equal(text, "");
	free(text);
	cmd = xasprintf("python3 '%s' '%s' good", check, out);
	assert_int_equal(WEXITSTATUS(system(cmd)), 0);
	free(cmd);
	rb_tarball_release(&t);

	assert_int_equal(rb_sha256_buf("abc", 3, hex, &err), 0);
	sums = xasprintf("%s  bin/shop\n", hex);
	{
		const struct raw_entry v[] = {
			{ "bin/shop", "abd", 0755 },
			{ "lib/a\001b\033[31m", "x", 0644 },
			{ "lib/q\"uote\\", "x", 0644 },
			{ "lib/bad\377\376", "x", 0644 },
			{ "lib/caf\303\251", "x", 0644 },
			{ "releases/0.1.0/SHA256SUMS", sums, 0644 },
			{ NULL, NULL, 0 },
		};

		write_raw_entries(tar, v);
	}
	cmd = xasprintf("'%s' verify --json '%s' >'%s' 2>'%s'", bin, tar, out,
			errlog);
	assert_int_equal(WEXITSTATUS(system(cmd)), 1);
	free(cmd);
	cmd = xasprintf("python3 '%s' '%s' names", check, out);
	assert_int_equal(WEXITSTATUS(system(cmd)), 0);
	free(cmd);

	/* The check could not run: still one object, with the error. */
	cmd = xasprintf("'%s' verify --json '%s/nope.tar' >'%s' 2>'%s'", bin,
			f->out, out, errlog);
	assert_int_equal(WEXITSTATUS(system(cmd)), 1);
	free(cmd);
	cmd = xasprintf("python3 '%s' '%s' error '%s/nope.tar'", check, out, f->out);
	assert_int_equal(WEXITSTATUS(system(cmd)), 0);
	free(cmd);

	free(sums);
	free(check);
	free(errlog);
	free(out);
	free(tar);
}

/* The entries of a tarball, in order, one a line. */
static char *entry_list(const char *tarball)
{
	struct strbuf sb = STRBUF_INIT;
	struct archive *a = archive_read_new();
	struct archive_entry *e;

	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	assert_int_equal(archive_read_open_filename(a, tarball, 10240), ARCHIVE_OK);
	while (archive_read_next_header(a, &e) == ARCHIVE_OK)
		sb_addf(&sb, "%s\n", archive_entry_pathname(e));
	archive_read_free(a);
	return sb_detach(&sb);
}

/*
 * rb_pack.manifest: the manifest written from the files as they are
 * packed is the one rb_manifest_write() writes, it verifies, and its
 * files come last.
 */
static void test_manifest_while_packing(void **state)
{
	struct fixture *f = *state;
	struct rb_pack pk = { .compression = RB_COMPRESS_GZIP, .manifest = 1 };
	struct rb_verify_result res;
	struct rb_tarball t;
	struct rb_error err;
	char *sums = path_join(f->a, "releases/0.1.0/SHA256SUMS");
	char *modes = path_join(f->a, "releases/0.1.0/MODES");
	char *want_sums, *want_modes, *got, *list, *tail;
	size_t len;

	rb_tarball_init(&t);
	pack(f->a, RB_COMPRESS_GZIP, &t);
	want_sums = test_slurp(sums, &len);
	want_modes = test_slurp(modes, &len);
	/* a stale manifest is replaced */
	test_put(f->a, "releases/0.1.0/SHA256SUMS", "stale\n", 0644);
	assert_int_equal(unlink(modes), 0);
	if (rb_tarball_make(&t, f->a, "shop", "0.1.0", &pk, EPOCH, &err) < 0)
		fail_msg("%s", err.msg);
	got = test_slurp(sums, &len);
	assert_string_equal(got, want_sums);
	free(got);
	got = test_slurp(modes, &len);
	assert_string_equal(got, want_modes);
	free(got);

	rb_verify_result_init(&res);
	assert_int_equal(rb_verify_tarball(t.path, &res, &err), 0);
	assert_int_equal(res.nr_problems, 0);
	assert_string_equal(res.manifest, "releases/0.1.0/SHA256SUMS");
	rb_verify_result_release(&res);

	list = entry_list(t.path);
	tail = list + strlen(list);
	for (int n = 0; n < 3 && tail > list; )
		if (*--tail == '\n' && ++n == 3)
			tail++;
	assert_string_equal(tail, "releases/0.1.0/MODES\nreleases/0.1.0/SHA256SUMS\n");
	free(list);
	rb_tarball_release(&t);
	free(want_sums);
	free(want_modes);
	free(sums);
	free(modes);
}

/* gzip and zstd: the same bytes on one thread and on three. */
static void test_threads_same_bytes(void **state)
{
	struct fixture *f = *state;
	static const enum rb_compression cs[] = { RB_COMPRESS_GZIP, RB_COMPRESS_ZSTD };
	struct rb_error err;

	for (size_t i = 0; i < sizeof(cs) / sizeof(*cs); i++) {
		struct rb_pack one = { .compression = cs[i], .threads = 1 };
		struct rb_pack three = { .compression = cs[i], .threads = 3 };
		char *a = path_join(f->out, "one"), *b = path_join(f->out, "three");
		char *da, *db;
		size_t la, lb;

		assert_int_equal(rb_archive_write_tree(f->a, a, &one, EPOCH, NULL, NULL, &err), 0);
		assert_int_equal(rb_archive_write_tree(f->a, b, &three, EPOCH, NULL, NULL, &err), 0);
		da = test_slurp(a, &la);
		db = test_slurp(b, &lb);
		assert_int_equal(la, lb);
		assert_memory_equal(da, db, la);
		free(da);
		free(db);
		free(a);
		free(b);
	}
}

/*
 * The tarball of root as the build makes it (manifest files last): begun
 * early, then change() applied, then finished; or, without early, made
 * at once.  Its bytes.
 */
static char *build_tarball(const char *root, enum rb_compression c, int early,
			   void (*change)(const char *root), size_t *len)
{
	struct rb_pack pk = { .compression = c, .threads = 2, .manifest = 1 };
	struct rb_tarball_early *e = NULL;
	struct rb_tarball t;
	struct rb_error err;
	char *data;
	int r;

	rb_tarball_init(&t);
	if (early) {
		assert_int_equal(rb_tarball_begin(&e, root, "shop", "0.1.0", &pk, EPOCH, &err), 0);
		assert_non_null(e);
	}
	if (change)
		change(root);
	r = early ? rb_tarball_finish(&t, e, &err)
		  : rb_tarball_make(&t, root, "shop", "0.1.0", &pk, EPOCH, &err);
	if (r < 0)
		fail_msg("%s", err.msg);
	data = test_slurp(t.path, len);
	rb_tarball_early_free(e);
	rb_tarball_release(&t);
	return data;
}

static void grow_beam(const char *root)
{
	put(root, "lib/shop-0.1.0/ebin/shop.beam", "FOR1 shop beam, rebuilt", 0644,
	    1700000000);
}

static void add_etc(const char *root)
{
	put(root, "etc/app.conf", "port = 4000\n", 0644, 1700000000);
}

static void add_release_file(const char *root)
{
	put(root, "releases/0.1.0/late.txt", "written after the start\n", 0644,
	    1700000000);
}

static void drop_link(const char *root)
{
	char *link = path_join(root, "bin/shop-link");

	assert_int_equal(unlink(link), 0);
	free(link);
}

/*
 * A tarball begun early has the bytes of one made at once, whatever
 * happened to the tree in between: what sorts after lib/ is added
 * then, a change among what was packed early makes it start over.
 */
static void test_early_same_bytes(void **state)
{
	struct fixture *f = *state;
	void (*changes[])(const char *) = {
		NULL, add_release_file, grow_beam, add_etc, drop_link,
	};

	for (int c = RB_COMPRESS_GZIP; c <= RB_COMPRESS_NONE; c++) {
		for (size_t i = 0; i < sizeof(changes) / sizeof(*changes); i++) {
			size_t la, lb;
			char *a = build_tarball(f->a, (enum rb_compression)c, 1,
						changes[i], &la);
			char *b = build_tarball(f->a, (enum rb_compression)c, 0,
						NULL, &lb);

			assert_int_equal(la, lb);
			assert_memory_equal(a, b, la);
			free(a);
			free(b);
		}
		teardown(state);
		setup(state);
		f = *state;
	}
}

/* Given up before the finish: no temporary file left behind. */
static void test_early_abandoned(void **state)
{
	struct fixture *f = *state;
	struct rb_pack pk = { .compression = RB_COMPRESS_GZIP, .manifest = 1 };
	struct rb_tarball_early *e = NULL;
	struct strvec names = STRVEC_INIT;
	char *dir = path_join(f->a, "releases/0.1.0");
	struct rb_error err;

	assert_int_equal(list_dir(dir, &names, &err), 0);
	size_t before = names.nr;
	strvec_clear(&names);
	assert_int_equal(rb_tarball_begin(&e, f->a, "shop", "0.1.0", &pk, EPOCH, &err), 0);
	assert_int_equal(list_dir(dir, &names, &err), 0);
	assert_int_equal(names.nr, before + 1); /* the temporary tarball */
	strvec_clear(&names);
	rb_tarball_early_free(e);
	assert_int_equal(list_dir(dir, &names, &err), 0);
	assert_int_equal(names.nr, before);
	strvec_clear(&names);
	/* and a bad version is refused before anything is written */
	assert_int_equal(rb_tarball_begin(&e, f->a, "shop", "../0.1.0", &pk, EPOCH, &err), -1);
	assert_null(e);
	assert_string_equal(err.msg, "invalid release version '../0.1.0'");
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reproducible_gzip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reproducible_zstd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reproducible_none, setup, teardown),
		cmocka_unit_test_setup_teardown(test_entries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_raw_headers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gzip_header, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sidecar, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unpacks_with_tar, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_fresh, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_tampered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_modes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_truncated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_hostile, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_write_leaves_nothing, setup, teardown),
		cmocka_unit_test(test_source_date_epoch),
		cmocka_unit_test_setup_teardown(test_verify_command, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_json, setup, teardown),
		cmocka_unit_test_setup_teardown(test_manifest_while_packing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_threads_same_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_early_same_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_early_abandoned, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
