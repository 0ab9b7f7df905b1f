/* Unit tests for pgzip.c: parallel gzip, the same bytes on any threads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "pgzip.h"
#include "util.h"

struct buf {
	unsigned char *p;
	size_t len, cap;
	size_t fail_after; /* fail the write that would pass this many bytes */
};

static int to_buf(void *data, const void *p, size_t len, struct rb_error *err)
{
	struct buf *b = data;

	if (b->fail_after && b->len + len > b->fail_after)
		return rb_fail(err, "disk full");
	if (b->len + len > b->cap) {
		b->cap = (b->len + len) * 2;
		b->p = xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, p, len);
	b->len += len;
	return 0;
}

/* Input that compresses some, and differs from block to block. */
static unsigned char *make_input(size_t len)
{
	unsigned char *p = xmalloc(len ? len : 1);
	uint32_t x = 2463534242u;

	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (i / 64) % 3 ? "relbuild "[i % 9] : (unsigned char)x;
	}
	return p;
}

/* Compress in pieces of step bytes on threads threads. */
static struct buf pgz_compress(const unsigned char *in, size_t len, int threads,
			   size_t step)
{
	struct buf b = { 0 };
	struct rb_error err = { 0 };
	struct rb_pgz *z;

	assert_int_equal(rb_pgz_open(&z, 6, threads, to_buf, &b, &err), 0);
	for (size_t off = 0; off < len; off += step) {
		size_t n = len - off < step ? len - off : step;

		assert_int_equal(rb_pgz_write(z, in + off, n, &err), 0);
	}
	assert_int_equal(rb_pgz_close(z, &err), 0);
	return b;
}

/* gunzip with zlib: one member, the whole of it, nothing after. */
static unsigned char *gunzip(const struct buf *b, size_t len)
{
	unsigned char *out = xmalloc(len + 1);
	z_stream s = { 0 };

	assert_int_equal(inflateInit2(&s, 16 + 15), Z_OK);
	s.next_in = b->p;
	s.avail_in = (uInt)b->len;
	s.next_out = out;
	s.avail_out = (uInt)len + 1;
	assert_int_equal(inflate(&s, Z_FINISH), Z_STREAM_END);
	assert_int_equal(s.total_out, len);
	assert_int_equal(s.avail_in, 0);
	inflateEnd(&s);
	return out;
}

static void check_size(size_t len)
{
	unsigned char *in = make_input(len);
	struct buf one = pgz_compress(in, len, 1, 10240);
	static const int threads[] = { 2, 3, 8 };
	unsigned char *back = gunzip(&one, len);

	if (len)
		assert_memory_equal(back, in, len);
	/* no name, no time: the header is fixed */
	assert_memory_equal(one.p, "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", 10);
	for (size_t i = 0; i < sizeof(threads) / sizeof(*threads); i++) {
		/* other threads, other write sizes: the same bytes */
		struct buf n = pgz_compress(in, len, threads[i], 4096 + 7 * i);

		assert_int_equal(n.len, one.len);
		assert_memory_equal(n.p, one.p, one.len);
		free(n.p);
	}
	free(back);
	free(one.p);
	free(in);
}

static void test_sizes_round_trip_and_agree(void **state)
{
	(void)state;
	check_size(0);
	check_size(1);
	check_size(RB_PGZ_BLOCK - 1);
	check_size(RB_PGZ_BLOCK);
	check_size(RB_PGZ_BLOCK + 1);
	check_size(5 * RB_PGZ_BLOCK);
	check_size(17 * RB_PGZ_BLOCK + 12345);
}

/* The dictionary carries across blocks: repeated data compresses as one. */
static void test_blocks_share_a_window(void **state)
{
	size_t len = 8 * RB_PGZ_BLOCK;
	unsigned char *in = xmalloc(len);
	struct buf b;

	(void)state;
	/* the same 20 KiB of noise, again and again across block edges */
	unsigned char *noise = make_input(20000);
	for (size_t i = 0; i < len; i++)
		in[i] = noise[i % 20000];
	b = pgz_compress(in, len, 2, 65536);
	assert_true(b.len < 30000);
	free(b.p);
	free(noise);
	free(in);
}

static void test_sink_failure_is_returned(void **state)
{
	size_t len = 6 * RB_PGZ_BLOCK;
	unsigned char *in = make_input(len);
	struct buf b = { .fail_after = 100000 };
	struct rb_error err = { 0 };
	struct rb_pgz *z;
	int r = 0;

	(void)state;
	assert_int_equal(rb_pgz_open(&z, 6, 2, to_buf, &b, &err), 0);
	for (size_t off = 0; off < len && !r; off += 10240)
		r = rb_pgz_write(z, in + off, 10240, &err);
	if (!r)
		r = rb_pgz_close(z, &err);
	else
		rb_pgz_abort(z);
	assert_int_equal(r, -1);
	assert_string_equal(err.msg, "disk full");
	free(b.p);
	free(in);
}

static void test_default_threads(void **state)
{
	(void)state;
	assert_true(rb_pgz_default_threads() >= 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes_round_trip_and_agree),
		cmocka_unit_test(test_blocks_share_a_window),
		cmocka_unit_test(test_sink_failure_is_returned),
		cmocka_unit_test(test_default_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
