#ifndef RB_PGZIP_H
#define RB_PGZIP_H

#include <stddef.h>

#include "error.h"

/*
 * A gzip stream compressed in independent blocks on several threads,
 * pigz's way: the input is cut into RB_PGZ_BLOCK-byte blocks, each
 * deflated (zlib) with the 32 KiB of input before it as its dictionary
 * and ended with a sync flush, the last one finished; the blocks are
 * written in order behind a gzip header without a name or a time, and
 * the CRC-32 is combined from the blocks' own.  One ordinary gzip
 * member, which any gunzip reads.
 *
 * The block size and what each block is made of do not depend on the
 * number of threads, so neither do the bytes: one thread or eight, the
 * same input gives the same output (with the same zlib).  At most
 * 2 × threads blocks are in memory at once.
 */

#define RB_PGZ_BLOCK (128 * 1024)

/*
 * Where the compressed bytes go, in order: 0 on success, or -1 with an
 * error set in err.
 */
typedef int (*rb_pgz_sink)(void *data, const void *buf, size_t len,
			   struct rb_error *err);

struct rb_pgz;

/*
 * A stream at zlib level (1–9) on threads threads (1: in the calling
 * thread, no thread started), its output given to sink.
 */
int rb_pgz_open(struct rb_pgz **out, int level, int threads,
		rb_pgz_sink sink, void *sink_data, struct rb_error *err);

/* Compress len more bytes of input. */
int rb_pgz_write(struct rb_pgz *z, const void *buf, size_t len,
		 struct rb_error *err);

/*
 * Finish the stream: compress what is left, write the trailer and free
 * z.  On failure z is freed as well.
 */
int rb_pgz_close(struct rb_pgz *z, struct rb_error *err);

/* Give up on the stream: stop its threads and free it.  NULL is fine. */
void rb_pgz_abort(struct rb_pgz *z);

/* The threads to use by default: the CPUs this process may run on. */
int rb_pgz_default_threads(void);

#endif
