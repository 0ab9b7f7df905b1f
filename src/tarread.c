#include "tarread.h"

#include <archive.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#ifdef RB_HAVE_ISAL
#include <isa-l/igzip_lib.h>
#endif

#include "util.h"

/*
 * The decompressors libarchive may use: its built-in ones only; with
 * support_filter_all() it would run external programs (lrzip, lzop,
 * grzip) on the input.  And the tar format.
 */
void rb_tarread_support(struct archive *a)
{
	archive_read_support_filter_gzip(a);
	archive_read_support_filter_bzip2(a);
	archive_read_support_filter_xz(a);
	archive_read_support_filter_lzma(a);
	archive_read_support_filter_zstd(a);
	archive_read_support_filter_lz4(a);
	archive_read_support_filter_compress(a);
	archive_read_support_format_tar(a);
}

/*
 * The reading thread fills slots in turn and the reading callback
 * takes them in the same order; the slot libarchive was last given
 * stays taken until the next call, which is as long as libarchive may
 * use it.
 */
#define SLOTS 4
#define SLOT_SIZE (256 * 1024)
#define IN_SIZE (128 * 1024)

enum gz_state {
	GZ_NO,      /* not gzip: passed through */
	GZ_MEMBER,  /* inside a member */
	GZ_BETWEEN, /* a member ended: another may follow */
	GZ_TRAILER  /* bytes after the last member: ignored */
};

/*
 * The inflater: ISA-L's where relbuild was built with it (about three
 * times zlib's speed on x86-64), else zlib's.  Both take next_in,
 * avail_in, next_out and avail_out, and both check each member's CRC.
 */
#ifdef RB_HAVE_ISAL
typedef struct inflate_state gz_stream;

static int gz_init(gz_stream *s)
{
	isal_inflate_init(s);
	s->crc_flag = ISAL_GZIP;
	return 0;
}

static int gz_reset(gz_stream *s)
{
	isal_inflate_reset(s);
	s->crc_flag = ISAL_GZIP;
	return 0;
}

static void gz_end(gz_stream *s)
{
	(void)s;
}

/* 1 at a member's end, 0 when more is to come, -1 with *msg set. */
static int gz_step(gz_stream *s, const char **msg)
{
	switch (isal_inflate(s)) {
	case ISAL_DECOMP_OK:
	case ISAL_END_INPUT:
	case ISAL_OUT_OVERFLOW:
		return s->block_state == ISAL_BLOCK_FINISH;
	case ISAL_INCORRECT_CHECKSUM:
		*msg = "incorrect data check";
		return -1;
	case ISAL_INVALID_WRAPPER:
		*msg = "incorrect header";
		return -1;
	case ISAL_UNSUPPORTED_METHOD:
		*msg = "unknown compression method";
		return -1;
	default:
		*msg = "invalid deflate data";
		return -1;
	}
}
#else
typedef z_stream gz_stream;

static int gz_init(gz_stream *s)
{
	return inflateInit2(s, 16 + MAX_WBITS) == Z_OK ? 0 : -1;
}

static int gz_reset(gz_stream *s)
{
	return inflateReset(s) == Z_OK ? 0 : -1;
}

static void gz_end(gz_stream *s)
{
	inflateEnd(s);
}

static int gz_step(gz_stream *s, const char **msg)
{
	switch (inflate(s, Z_NO_FLUSH)) {
	case Z_STREAM_END:
		return 1;
	case Z_OK:
	case Z_BUF_ERROR: /* no progress: more input wanted */
		return 0;
	case Z_MEM_ERROR:
		*msg = "out of memory";
		return -1;
	default:
		*msg = s->msg ? s->msg : "inflate failed";
		return -1;
	}
}
#endif

struct rb_tarread {
	char *path;
	int fd;
	int hash;
	struct rb_sha256 sha;
	gz_stream zs;
	int zs_ready;
	enum gz_state gz;
	unsigned char in[IN_SIZE];

	pthread_t thread;
	int started;
	pthread_mutex_t lock;
	pthread_cond_t filled;  /* a slot filled, or done */
	pthread_cond_t emptied; /* a slot given back, or stop */
	unsigned char *slot[SLOTS];
	size_t len[SLOTS];
	unsigned head, count; /* the oldest filled slot; filled slots */
	int held;             /* libarchive holds slot head */
	size_t fill;          /* bytes in the slot being filled */
	int stop;             /* the reader: quit now */
	int done;             /* the thread: no more slots */
	int failed;
	char msg[256];
	char hex[RB_SHA256_HEX];
	uint64_t size, read; /* the file's size; bytes read so far (lock) */
};

/* The slot being filled, once one is free; NULL when told to stop. */
static unsigned char *free_slot(struct rb_tarread *t)
{
	unsigned char *p = NULL;

	pthread_mutex_lock(&t->lock);
	while (t->count == SLOTS && !t->stop)
		pthread_cond_wait(&t->emptied, &t->lock);
	if (!t->stop)
		p = t->slot[(t->head + t->count) % SLOTS];
	pthread_mutex_unlock(&t->lock);
	return p;
}

/* Hand the slot being filled to the reader. */
static void publish(struct rb_tarread *t)
{
	if (!t->fill)
		return;
	pthread_mutex_lock(&t->lock);
	t->len[(t->head + t->count) % SLOTS] = t->fill;
	t->count++;
	pthread_cond_signal(&t->filled);
	pthread_mutex_unlock(&t->lock);
	t->fill = 0;
}

static int fail(struct rb_tarread *t, const char *fmt, const char *arg)
{
	snprintf(t->msg, sizeof(t->msg), fmt, arg);
	t->failed = 1;
	return -1;
}

/* Pass len bytes through. */
static int copy_out(struct rb_tarread *t, const unsigned char *p, size_t len)
{
	while (len) {
		unsigned char *s = free_slot(t);
		size_t n = SLOT_SIZE - t->fill;

		if (!s)
			return -1;
		if (n > len)
			n = len;
		memcpy(s + t->fill, p, n);
		t->fill += n;
		p += n;
		len -= n;
		if (t->fill == SLOT_SIZE)
			publish(t);
	}
	return 0;
}

/* Does what is left of the input start another gzip member? */
static int member_follows(const gz_stream *zs)
{
	return zs->next_in[0] == 0x1f &&
	       (zs->avail_in < 2 || zs->next_in[1] == 0x8b);
}

/*
 * Inflate len bytes of input (0: the end, for what the inflater still
 * holds), until all are used and nothing more comes out.
 */
static int inflate_out(struct rb_tarread *t, unsigned char *p, size_t len)
{
	gz_stream *zs = &t->zs;

	zs->next_in = p;
	zs->avail_in = (uint32_t)len;
	for (;;) {
		const char *msg = NULL;
		unsigned char *s;
		size_t in, room;
		int r;

		if (t->gz == GZ_TRAILER || (t->gz == GZ_BETWEEN && !zs->avail_in))
			return 0;
		if (t->gz == GZ_BETWEEN) {
			if (!member_follows(zs)) {
				t->gz = GZ_TRAILER;
				return 0;
			}
			if (gz_reset(zs) < 0)
				return fail(t, "%s", "cannot inflate");
			t->gz = GZ_MEMBER;
		}
		s = free_slot(t);
		if (!s)
			return -1;
		zs->next_out = s + t->fill;
		zs->avail_out = (uint32_t)(SLOT_SIZE - t->fill);
		in = zs->avail_in;
		room = zs->avail_out;
		r = gz_step(zs, &msg);
		t->fill = SLOT_SIZE - zs->avail_out;
		if (t->fill == SLOT_SIZE)
			publish(t);
		if (r < 0)
			return fail(t, strcmp(msg, "out of memory")
					       ? "gzip data is corrupt: %s" : "%s",
				    msg);
		if (r == 1)
			t->gz = GZ_BETWEEN;
		else if (zs->avail_in == in && zs->avail_out == room)
			return 0; /* wants more input */
	}
}

static int read_all(struct rb_tarread *t)
{
	int first = 1;

	for (;;) {
		ssize_t n = read_retry(t->fd, t->in, sizeof(t->in));

		if (n < 0)
			return fail(t, "read error: %s", strerror(errno));
		if (n == 0)
			break;
		pthread_mutex_lock(&t->lock);
		t->read += (uint64_t)n;
		pthread_mutex_unlock(&t->lock);
		if (t->hash && rb_sha256_update(&t->sha, t->in, (size_t)n, NULL) < 0)
			return fail(t, "%s", "SHA-256 failed");
		if (first) {
			/*
			 * gzip's magic in one read; a first read shorter than
			 * that (a pipe) is passed through, for libarchive.
			 */
			first = 0;
			if (n >= 3 && t->in[0] == 0x1f && t->in[1] == 0x8b &&
			    t->in[2] == 8 && gz_init(&t->zs) == 0) {
				t->zs_ready = 1;
				t->gz = GZ_MEMBER;
			}
		}
		if (t->gz == GZ_NO ? copy_out(t, t->in, (size_t)n)
				   : inflate_out(t, t->in, (size_t)n))
			return -1; /* failed, or told to stop */
	}
	if (t->gz != GZ_NO && inflate_out(t, t->in, 0) < 0)
		return -1;
	if (t->gz == GZ_MEMBER)
		return fail(t, "%s", "truncated gzip input");
	if (t->hash && rb_sha256_final(&t->sha, t->hex, NULL) < 0)
		return fail(t, "%s", "SHA-256 failed");
	return 0;
}

static void *run(void *data)
{
	struct rb_tarread *t = data;

	read_all(t);
	publish(t); /* what came before an error too */
	pthread_mutex_lock(&t->lock);
	t->done = 1;
	pthread_cond_signal(&t->filled);
	pthread_mutex_unlock(&t->lock);
	return NULL;
}

/* The next slot's bytes: its length, 0 at the end, -1 on an error. */
static ssize_t take(struct rb_tarread *t, const void **out)
{
	ssize_t n;

	pthread_mutex_lock(&t->lock);
	if (t->held) {
		t->head = (t->head + 1) % SLOTS;
		t->count--;
		t->held = 0;
		pthread_cond_signal(&t->emptied);
	}
	while (!t->count && !t->done)
		pthread_cond_wait(&t->filled, &t->lock);
	if (t->count) {
		*out = t->slot[t->head];
		n = (ssize_t)t->len[t->head];
		t->held = 1;
	} else {
		n = t->failed ? -1 : 0;
	}
	pthread_mutex_unlock(&t->lock);
	return n;
}

static la_ssize_t tar_read(struct archive *a, void *data, const void **out)
{
	struct rb_tarread *t = data;
	ssize_t n = take(t, out);

	if (n < 0)
		archive_set_error(a, EIO, "%s", t->msg);
	return n;
}

static void stop(struct rb_tarread *t)
{
	if (!t->started)
		return;
	pthread_mutex_lock(&t->lock);
	t->stop = 1;
	pthread_cond_signal(&t->emptied);
	pthread_mutex_unlock(&t->lock);
	pthread_join(t->thread, NULL);
	t->started = 0;
}

void rb_tarread_free(struct rb_tarread *t)
{
	if (!t)
		return;
	stop(t);
	if (t->fd >= 0)
		close(t->fd);
	if (t->zs_ready)
		gz_end(&t->zs);
	rb_sha256_release(&t->sha);
	for (int i = 0; i < SLOTS; i++)
		free(t->slot[i]);
	pthread_cond_destroy(&t->filled);
	pthread_cond_destroy(&t->emptied);
	pthread_mutex_destroy(&t->lock);
	free(t->path);
	free(t);
}

int rb_tarread_open(struct rb_tarread **out, struct archive *a,
		    const char *path, int hash, struct rb_error *err)
{
	struct rb_tarread *t = xcalloc(1, sizeof(*t));

	*out = NULL;
	pthread_mutex_init(&t->lock, NULL);
	pthread_cond_init(&t->filled, NULL);
	pthread_cond_init(&t->emptied, NULL);
	for (int i = 0; i < SLOTS; i++)
		t->slot[i] = xmalloc(SLOT_SIZE);
	t->path = xstrdup(path);
	t->hash = hash;
	t->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (t->fd < 0) {
		rb_fail_errno(err, "cannot open '%s'", path);
		goto fail;
	}
	{
		struct stat st;

		if (!fstat(t->fd, &st) && S_ISREG(st.st_mode))
			t->size = (uint64_t)st.st_size;
	}
	if (hash && rb_sha256_init(&t->sha, err) < 0)
		goto fail;
	if (pthread_create(&t->thread, NULL, run, t)) {
		rb_fail(err, "cannot start a thread to read '%s'", path);
		goto fail;
	}
	t->started = 1;
	if (archive_read_open(a, t, NULL, tar_read, NULL) != ARCHIVE_OK) {
		const char *msg = archive_error_string(a);

		rb_fail(err, "cannot read '%s': %s", path,
			msg ? msg : "not a tarball");
		goto fail;
	}
	*out = t;
	return 0;
fail:
	rb_tarread_free(t);
	return -1;
}

void rb_tarread_position(struct rb_tarread *t, uint64_t *read,
			 uint64_t *size)
{
	pthread_mutex_lock(&t->lock);
	*read = t->read;
	pthread_mutex_unlock(&t->lock);
	*size = t->size;
}

int rb_tarread_finish(struct rb_tarread *t, char hex[RB_SHA256_HEX],
		      struct rb_error *err)
{
	const void *p;
	ssize_t n;

	/* Every byte, so that a broken gzip trailer is found. */
	while ((n = take(t, &p)) > 0)
		;
	stop(t);
	if (n < 0)
		return rb_fail(err, "cannot read '%s': %s", t->path, t->msg);
	if (hex)
		memcpy(hex, t->hex, RB_SHA256_HEX);
	return 0;
}
