#ifndef RB_TARREAD_H
#define RB_TARREAD_H

#include <stdint.h>

#include "error.h"
#include "manifest.h"

/*
 * A tarball read from a file for libarchive by a second thread, which
 * reads the file, hashes its bytes when asked (the sidecar's check), and
 * inflates a gzip stream: the thread that parses the tar, checks and
 * writes its entries and hashes their contents never waits on zlib, and
 * the file is read once.  Any other compression passes through as read,
 * for libarchive's own decompressors.
 *
 * The whole gzip stream is inflated, past the archive's end, so that a
 * corrupt or truncated trailer is an error as `gzip -t` makes it.  Like
 * libarchive's gzip reader, the stream ends where the last member ends:
 * bytes after it that do not start another member are ignored (but
 * hashed).
 */

struct archive;
struct rb_tarread;

/* Set a up to read a tarball: the tar format, built-in decompressors. */
void rb_tarread_support(struct archive *a);

/*
 * Open path and give it to a as its input (archive_read_open()); hash:
 * also hash every byte of the file.  0, or -1 with err set (and *out
 * NULL).  The formats and filters must be set on a before.
 */
int rb_tarread_open(struct rb_tarread **out, struct archive *a,
		    const char *path, int hash, struct rb_error *err);

/*
 * How far the reading thread got: bytes of the file read, of size (0
 * when the file is not a regular file).
 */
void rb_tarread_position(struct rb_tarread *t, uint64_t *read,
			 uint64_t *size);

/*
 * After the archive's end: read and inflate the rest of the file, stop
 * the thread and, when hashing, put the file's SHA-256 into hex.  0, or
 * -1 with err set: a read error, or a gzip stream corrupt or truncated
 * after the archive's end.
 */
int rb_tarread_finish(struct rb_tarread *t, char hex[RB_SHA256_HEX],
		      struct rb_error *err);

/*
 * Stop the thread and free t; NULL is fine.  Call it after
 * archive_read_free(a) or archive_read_close(a), which may still read.
 */
void rb_tarread_free(struct rb_tarread *t);

#endif
