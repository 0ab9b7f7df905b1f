#include "pgzip.h"

#include <pthread.h>
#include <sched.h> /* sched_getaffinity: _GNU_SOURCE, set by the build */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "util.h"

/* deflate's window: what a block may refer back to. */
#define DICT_SIZE 32768
#define MAX_THREADS 64

enum job_state { JOB_FREE, JOB_READY, JOB_BUSY, JOB_DONE, JOB_FAILED };

/* One block: its dictionary and input side by side, and its output. */
struct job {
	unsigned char *in; /* DICT_SIZE + RB_PGZ_BLOCK */
	size_t dict_len, len;
	unsigned char *out;
	size_t out_len, out_cap;
	unsigned long crc;
	int last;
	enum job_state state;
};

struct rb_pgz {
	int level;
	rb_pgz_sink sink;
	void *sink_data;

	struct job *jobs;
	size_t nr_jobs;       /* a ring: block n lives in jobs[n % nr_jobs] */
	unsigned long long filling; /* the block being filled */
	unsigned long long written; /* the next block to give the sink */
	unsigned long long taken;   /* the next block for a worker */

	unsigned long crc;
	unsigned long long total;

	z_stream inline_zs; /* without workers, the caller compresses */
	int inline_zs_ok;

	pthread_t *workers;
	size_t nr_workers;
	pthread_mutex_t lock;
	pthread_cond_t work; /* a block is ready, or quit */
	pthread_cond_t done; /* a block is compressed */
	int quit;
};

static struct job *job_of(struct rb_pgz *z, unsigned long long n)
{
	return &z->jobs[n % z->nr_jobs];
}

static int zs_init(z_stream *s, int level)
{
	memset(s, 0, sizeof(*s));
	/* Raw deflate: the gzip header and trailer are written here. */
	return deflateInit2(s, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) ==
	       Z_OK;
}

/* Deflate one block; 0, or -1 when zlib fails or memory runs out. */
static int deflate_job(z_stream *s, struct job *j)
{
	int flush = j->last ? Z_FINISH : Z_SYNC_FLUSH;
	size_t need;
	int r;

	if (deflateReset(s) != Z_OK)
		return -1;
	if (j->dict_len &&
	    deflateSetDictionary(s, j->in, (uInt)j->dict_len) != Z_OK)
		return -1;
	/* a sync flush adds an empty stored block to deflateBound's count */
	need = deflateBound(s, (uLong)j->len) + 16;
	if (j->out_cap < need) {
		unsigned char *p = realloc(j->out, need);

		if (!p)
			return -1;
		j->out = p;
		j->out_cap = need;
	}
	s->next_in = j->in + j->dict_len;
	s->avail_in = (uInt)j->len;
	s->next_out = j->out;
	s->avail_out = (uInt)j->out_cap;
	for (;;) {
		r = deflate(s, flush);
		if (r == Z_STREAM_END || (r == Z_OK && s->avail_out && !j->last))
			break;
		if (r != Z_OK && r != Z_BUF_ERROR)
			return -1;
		/* out of room: grow and go on with the same flush */
		size_t used = j->out_cap - s->avail_out;
		unsigned char *p = realloc(j->out, j->out_cap * 2);

		if (!p)
			return -1;
		j->out = p;
		j->out_cap *= 2;
		s->next_out = p + used;
		s->avail_out = (uInt)(j->out_cap - used);
	}
	if (s->avail_in)
		return -1;
	j->out_len = j->out_cap - s->avail_out;
	j->crc = crc32(0L, j->in + j->dict_len, (uInt)j->len);
	return 0;
}

static void *worker_main(void *arg)
{
	struct rb_pgz *z = arg;
	z_stream s;
	int ok = zs_init(&s, z->level);

	pthread_mutex_lock(&z->lock);
	for (;;) {
		struct job *j;

		while (!z->quit && z->taken == z->filling)
			pthread_cond_wait(&z->work, &z->lock);
		if (z->quit)
			break;
		j = job_of(z, z->taken++);
		j->state = JOB_BUSY;
		pthread_mutex_unlock(&z->lock);
		int r = ok ? deflate_job(&s, j) : -1;
		pthread_mutex_lock(&z->lock);
		j->state = r < 0 ? JOB_FAILED : JOB_DONE;
		pthread_cond_broadcast(&z->done);
	}
	pthread_mutex_unlock(&z->lock);
	if (ok)
		deflateEnd(&s);
	return NULL;
}

static int emit(struct rb_pgz *z, const void *buf, size_t len,
		struct rb_error *err)
{
	return z->sink(z->sink_data, buf, len, err);
}

/* Give the sink block z->written once it is compressed, and free its slot. */
static int write_next(struct rb_pgz *z, struct rb_error *err)
{
	struct job *j = job_of(z, z->written);
	enum job_state st;

	pthread_mutex_lock(&z->lock);
	while (j->state == JOB_READY || j->state == JOB_BUSY)
		pthread_cond_wait(&z->done, &z->lock);
	st = j->state;
	pthread_mutex_unlock(&z->lock);
	if (st != JOB_DONE)
		return rb_fail(err, "gzip compression failed (out of memory?)");
	if (emit(z, j->out, j->out_len, err) < 0)
		return -1;
	z->crc = crc32_combine(z->crc, j->crc, (z_off_t)j->len);
	z->total += j->len;
	j->state = JOB_FREE;
	z->written++;
	return 0;
}

/* Hand the block being filled to the workers (or compress it here). */
static int submit(struct rb_pgz *z, int last, struct rb_error *err)
{
	struct job *j = job_of(z, z->filling);

	j->last = last;
	if (!z->nr_workers) {
		if (deflate_job(&z->inline_zs, j) < 0)
			return rb_fail(err, "gzip compression failed (out of memory?)");
		j->state = JOB_DONE;
		z->filling++;
		return 0;
	}
	pthread_mutex_lock(&z->lock);
	j->state = JOB_READY;
	z->filling++;
	pthread_cond_signal(&z->work);
	pthread_mutex_unlock(&z->lock);
	return 0;
}

/*
 * Start block z->filling, after the full block before it: its slot
 * written out first, its dictionary the last 32 KiB of that block.
 */
static int start_block(struct rb_pgz *z, struct rb_error *err)
{
	struct job *j = job_of(z, z->filling), *prev;

	while (z->written + z->nr_jobs <= z->filling)
		if (write_next(z, err) < 0)
			return -1;
	prev = job_of(z, z->filling - 1);
	memcpy(j->in, prev->in + prev->dict_len + prev->len - DICT_SIZE,
	       DICT_SIZE);
	j->dict_len = DICT_SIZE;
	j->len = 0;
	return 0;
}

int rb_pgz_open(struct rb_pgz **out, int level, int threads,
		rb_pgz_sink sink, void *sink_data, struct rb_error *err)
{
	static const unsigned char header[10] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0,
						  0, 3 };
	struct rb_pgz *z = xcalloc(1, sizeof(*z));

	*out = NULL;
	if (threads < 1)
		threads = 1;
	if (threads > MAX_THREADS)
		threads = MAX_THREADS;
	z->level = level;
	z->sink = sink;
	z->sink_data = sink_data;
	z->crc = crc32(0L, Z_NULL, 0);
	z->nr_jobs = threads > 1 ? 2 * (size_t)threads : 1;
	z->jobs = xcalloc(z->nr_jobs, sizeof(*z->jobs));
	for (size_t i = 0; i < z->nr_jobs; i++)
		z->jobs[i].in = xmalloc(DICT_SIZE + RB_PGZ_BLOCK);
	pthread_mutex_init(&z->lock, NULL);
	pthread_cond_init(&z->work, NULL);
	pthread_cond_init(&z->done, NULL);
	if (!zs_init(&z->inline_zs, level)) {
		rb_fail(err, "cannot set up gzip compression");
		goto fail;
	}
	z->inline_zs_ok = 1;
	if (threads > 1) {
		z->workers = xcalloc((size_t)threads, sizeof(*z->workers));
		/* fewer threads than asked for change the speed, not the bytes */
		for (int i = 0; i < threads; i++) {
			if (pthread_create(&z->workers[z->nr_workers], NULL,
					   worker_main, z))
				break;
			z->nr_workers++;
		}
	}
	if (emit(z, header, sizeof(header), err) < 0)
		goto fail;
	*out = z;
	return 0;
fail:
	rb_pgz_abort(z);
	return -1;
}

int rb_pgz_write(struct rb_pgz *z, const void *buf, size_t len,
		 struct rb_error *err)
{
	const unsigned char *p = buf;

	while (len) {
		struct job *j = job_of(z, z->filling);
		size_t room, n;

		/* a full block goes once more input shows it is not the last */
		if (j->len == RB_PGZ_BLOCK) {
			if (submit(z, 0, err) < 0 || start_block(z, err) < 0)
				return -1;
			j = job_of(z, z->filling);
		}
		room = RB_PGZ_BLOCK - j->len;
		n = len < room ? len : room;
		memcpy(j->in + j->dict_len + j->len, p, n);
		j->len += n;
		p += n;
		len -= n;
	}
	return 0;
}

int rb_pgz_close(struct rb_pgz *z, struct rb_error *err)
{
	unsigned char trailer[8];
	int ret = -1;

	if (submit(z, 1, err) < 0)
		goto out;
	while (z->written < z->filling)
		if (write_next(z, err) < 0)
			goto out;
	for (int i = 0; i < 4; i++) {
		trailer[i] = (unsigned char)(z->crc >> (8 * i));
		trailer[4 + i] = (unsigned char)(z->total >> (8 * i));
	}
	ret = emit(z, trailer, sizeof(trailer), err);
out:
	rb_pgz_abort(z);
	return ret;
}

void rb_pgz_abort(struct rb_pgz *z)
{
	if (!z)
		return;
	pthread_mutex_lock(&z->lock);
	z->quit = 1;
	pthread_cond_broadcast(&z->work);
	pthread_mutex_unlock(&z->lock);
	for (size_t i = 0; i < z->nr_workers; i++)
		pthread_join(z->workers[i], NULL);
	if (z->inline_zs_ok)
		deflateEnd(&z->inline_zs);
	for (size_t i = 0; i < z->nr_jobs; i++) {
		free(z->jobs[i].in);
		free(z->jobs[i].out);
	}
	pthread_cond_destroy(&z->done);
	pthread_cond_destroy(&z->work);
	pthread_mutex_destroy(&z->lock);
	free(z->jobs);
	free(z->workers);
	free(z);
}

int rb_pgz_default_threads(void)
{
	cpu_set_t set;
	long n;

	if (!sched_getaffinity(0, sizeof(set), &set) && CPU_COUNT(&set) > 0)
		return CPU_COUNT(&set);
	n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (int)n : 1;
}
