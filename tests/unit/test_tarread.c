/*
 * Unit tests for tarread.c: a tarball read, hashed and inflated on a
 * second thread gives libarchive what reading the file itself would.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "tarread.h"
#include "util.h"

struct buf {
	unsigned char *p;
	size_t len, cap;
};

static void buf_add(struct buf *b, const void *p, size_t len)
{
	if (b->len + len > b->cap) {
		b->cap = (b->len + len) * 2 + 64;
		b->p = xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, p, len);
	b->len += len;
}

static la_ssize_t to_buf(struct archive *a, void *data, const void *p,
			 size_t len)
{
	(void)a;
	buf_add(data, p, len);
	return (la_ssize_t)len;
}

/* Bytes that compress some, different in each file. */
static unsigned char *content(size_t len, unsigned seed)
{
	unsigned char *p = xmalloc(len ? len : 1);
	uint32_t x = 2463534242u + seed;

	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (i / 32) % 2 ? "tarread "[i % 8] : (unsigned char)x;
	}
	return p;
}

#define NFILES 6
static const size_t sizes[NFILES] = { 0, 1, 511, 65536, 300000, 2u << 20 };

/* A plain tar of NFILES files named f0..f5 with content(sizes[i], i). */
static struct buf make_tar(void)
{
	struct archive *a = archive_write_new();
	struct buf b = { 0 };

	assert_int_equal(archive_write_set_format_pax_restricted(a), ARCHIVE_OK);
	assert_int_equal(archive_write_open(a, &b, NULL, to_buf, NULL), ARCHIVE_OK);
	for (unsigned i = 0; i < NFILES; i++) {
		struct archive_entry *e = archive_entry_new();
		unsigned char *c = content(sizes[i], i);
		char name[8];

		snprintf(name, sizeof(name), "f%u", i);
		archive_entry_set_pathname(e, name);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_size(e, (la_int64_t)sizes[i]);
		assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
		if (sizes[i])
			assert_int_equal(archive_write_data(a, c, sizes[i]),
					 (la_ssize_t)sizes[i]);
		archive_entry_free(e);
		free(c);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	return b;
}

/* len bytes at p as one gzip member. */
static void gzip_member(struct buf *out, const unsigned char *p, size_t len)
{
	unsigned char chunk[65536];
	z_stream zs;
	int r;

	memset(&zs, 0, sizeof(zs));
	assert_int_equal(deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8,
				      Z_DEFAULT_STRATEGY), Z_OK);
	zs.next_in = (unsigned char *)p;
	zs.avail_in = (uInt)len;
	do {
		zs.next_out = chunk;
		zs.avail_out = sizeof(chunk);
		r = deflate(&zs, Z_FINISH);
		buf_add(out, chunk, sizeof(chunk) - zs.avail_out);
	} while (r == Z_OK);
	assert_int_equal(r, Z_STREAM_END);
	deflateEnd(&zs);
}

static char *write_tmp(const struct buf *b)
{
	char *path = xstrdup("/tmp/rb-tarread-XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, b->p, b->len), (ssize_t)b->len);
	close(fd);
	return path;
}

/*
 * Read the tarball at path through the reader: 0 when every file came
 * out with its content (and hex set to the file's hash), else -1 with
 * err set.  stop_after: give up after that many entries (-1: never).
 */
static int read_through(const char *path, char hex[RB_SHA256_HEX],
			int stop_after, struct rb_error *err)
{
	struct archive *a = archive_read_new();
	struct rb_tarread *t = NULL;
	struct archive_entry *e;
	int r, i = 0, ret = -1;

	rb_tarread_support(a);
	if (rb_tarread_open(&t, a, path, 1, err) < 0)
		goto out;
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		size_t n = sizes[i];
		unsigned char *want = content(n, (unsigned)i);
		unsigned char *got = xmalloc(n + 1);
		la_ssize_t got_n;

		assert_int_equal(archive_entry_size(e), (la_int64_t)n);
		got_n = archive_read_data(a, got, n + 1);
		if (got_n == (la_ssize_t)n)
			assert_memory_equal(got, want, n);
		free(want);
		free(got);
		if (got_n != (la_ssize_t)n) {
			rb_fail(err, "%s", archive_error_string(a));
			goto out;
		}
		if (++i == stop_after) {
			ret = 0;
			goto out;
		}
	}
	if (r != ARCHIVE_EOF) {
		rb_fail(err, "%s", archive_error_string(a));
		goto out;
	}
	assert_int_equal(i, NFILES);
	ret = rb_tarread_finish(t, hex, err);
out:
	archive_read_free(a);
	rb_tarread_free(t);
	return ret;
}

static void check_reads(const struct buf *file)
{
	char *path = write_tmp(file);
	char hex[RB_SHA256_HEX], want[RB_SHA256_HEX];
	struct rb_error err = { 0 };

	assert_int_equal(rb_sha256_buf(file->p, file->len, want, &err), 0);
	if (read_through(path, hex, -1, &err) < 0)
		fail_msg("%s", err.msg);
	assert_string_equal(hex, want);
	unlink(path);
	free(path);
}

static void test_gzip(void **state)
{
	struct buf tar = make_tar(), gz = { 0 };

	(void)state;
	gzip_member(&gz, tar.p, tar.len);
	check_reads(&gz);
	free(gz.p);
	free(tar.p);
}

/* Not gzip: passed through to libarchive, which reads it as it is. */
static void test_plain_tar(void **state)
{
	struct buf tar = make_tar();

	(void)state;
	check_reads(&tar);
	free(tar.p);
}

/* Members one after the other make one stream, as gunzip reads them. */
static void test_members(void **state)
{
	struct buf tar = make_tar(), gz = { 0 };
	size_t cut = tar.len / 3;

	(void)state;
	gzip_member(&gz, tar.p, cut);
	gzip_member(&gz, tar.p + cut, 1);
	gzip_member(&gz, tar.p + cut + 1, tar.len - cut - 1);
	check_reads(&gz);
	free(gz.p);
	free(tar.p);
}

/* Bytes after the last member are ignored, and hashed. */
static void test_trailing_bytes(void **state)
{
	struct buf tar = make_tar(), gz = { 0 };

	(void)state;
	gzip_member(&gz, tar.p, tar.len);
	buf_add(&gz, "\0\0\0\0junk", 8);
	check_reads(&gz);
	free(gz.p);
	free(tar.p);
}

static void expect_failure(const struct buf *file, const char *msg)
{
	char *path = write_tmp(file);
	char hex[RB_SHA256_HEX];
	struct rb_error err = { 0 };

	assert_int_equal(read_through(path, hex, -1, &err), -1);
	if (!strstr(err.msg, msg))
		fail_msg("'%s' does not say '%s'", err.msg, msg);
	unlink(path);
	free(path);
}

static void test_truncated(void **state)
{
	struct buf tar = make_tar(), gz = { 0 };

	(void)state;
	gzip_member(&gz, tar.p, tar.len);
	gz.len /= 2;
	expect_failure(&gz, "truncated gzip input");
	/* Only the trailer missing: the whole tar is there, yet refused. */
	gz.len = 0;
	gzip_member(&gz, tar.p, tar.len);
	gz.len -= 4;
	expect_failure(&gz, "truncated gzip input");
	free(gz.p);
	free(tar.p);
}

/* A bad CRC in the trailer, after the archive's end, is still found. */
static void test_bad_trailer(void **state)
{
	struct buf tar = make_tar(), gz = { 0 };

	(void)state;
	gzip_member(&gz, tar.p, tar.len);
	gz.p[gz.len - 8] ^= 0xff;
	expect_failure(&gz, "gzip data is corrupt: incorrect data check");
	free(gz.p);
	free(tar.p);
}

/* Giving up early stops the thread, blocked on a full ring or not. */
static void test_stop_early(void **state)
{
	struct buf tar = make_tar(), gz = { 0 };
	struct rb_error err = { 0 };
	char hex[RB_SHA256_HEX];
	char *path;

	(void)state;
	gzip_member(&gz, tar.p, tar.len);
	path = write_tmp(&gz);
	for (int n = 1; n <= NFILES; n++)
		assert_int_equal(read_through(path, hex, n, &err), 0);
	unlink(path);
	free(path);
	free(gz.p);
	free(tar.p);
}

static void test_missing_and_empty(void **state)
{
	struct archive *a = archive_read_new();
	struct rb_tarread *t = (struct rb_tarread *)&t;
	struct rb_error err = { 0 };
	struct buf empty = { 0 };
	char *path;

	(void)state;
	rb_tarread_support(a);
	assert_int_equal(rb_tarread_open(&t, a, "/nonexistent/x.tar.gz", 1, &err), -1);
	assert_null(t);
	assert_string_equal(err.msg, "cannot open '/nonexistent/x.tar.gz': No such file or directory");
	archive_read_free(a);

	path = write_tmp(&empty);
	a = archive_read_new();
	rb_tarread_support(a);
	assert_int_equal(rb_tarread_open(&t, a, path, 1, &err), -1);
	assert_non_null(strstr(err.msg, path));
	archive_read_free(a);
	unlink(path);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gzip),
		cmocka_unit_test(test_plain_tar),
		cmocka_unit_test(test_members),
		cmocka_unit_test(test_trailing_bytes),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_bad_trailer),
		cmocka_unit_test(test_stop_early),
		cmocka_unit_test(test_missing_and_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
