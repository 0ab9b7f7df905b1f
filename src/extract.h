#ifndef RB_EXTRACT_H
#define RB_EXTRACT_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "progress.h"
#include "manifest.h"

/*
 * Extraction of untrusted release tarballs (any compression libarchive
 * decompresses itself: rb_tarread_support()) into a directory, refusing the whole archive at the first
 * hostile entry.  All I/O goes through *at() calls relative to file
 * descriptors derived from the destination's; nothing outside it is
 * ever written, and no path is ever resolved through a symlink.
 *
 * Refused (the error says "entry 'NAME': REASON", NAME with control
 * characters escaped; "entry '#N'" when the header itself is unreadable;
 * "cannot read 'TARBALL': ..." when it is not a tarball at all):
 * absolute paths, ".." components, empty names, empty or "." components
 * (but a leading "./"), control characters and backslashes, names over
 * 4095 bytes or 256 levels; anything whose parent path goes through a
 * symlink or a non-directory; symlinks whose target is absolute, leads
 * (lexically, from the link's directory) outside the root, or climbs
 * ("..") after a name ("a/../b": the kernel would climb from wherever
 * "a" leads); hard links whose target is unsafe or is not a regular file
 * this archive extracted before, or that carry data; devices, FIFOs,
 * sockets; setuid, setgid and sticky bits; a path that already exists or
 * that the archive held before (duplicates; a directory may follow the
 * entries it holds); more entries, bytes or bytes in one file than the
 * limits; a truncated or corrupt stream.  libarchive does not check
 * gzip's CRC: corrupt content is caught by the manifest, not here.
 *
 * With a manifest, also: a regular file (or hard link) it does not list
 * or whose content differs, a listed path that is not a regular file,
 * and a listed file the archive does not hold.  The manifest itself
 * ("releases/<vsn>/SHA256SUMS") and signatures ("*.sig"), which a
 * tarball carries beside what SHA256SUMS lists, may be unlisted; they
 * are then written without execute bits.
 *
 * Written: directories 0755; files 0755 if any execute bit is set, else
 * 0644, but 0700/0600 when neither group nor others may read; symlinks
 * as they are; the mtimes of files and symlinks from the archive.
 * Ownership, xattrs, ACLs and file flags are never restored.  pax names
 * are taken as UTF-8 bytes whatever the process's locale.
 */

/* Named in refusals by relbuild install's options: --max-entries etc. */
struct rb_extract_limits {
	uint64_t max_entries;    /* default 200000 */
	uint64_t max_bytes;      /* total size of regular files, default 8 GiB */
	uint64_t max_file_bytes; /* one file, default 4 GiB */
};

#define RB_EXTRACT_MAX_ENTRIES 200000ULL
#define RB_EXTRACT_MAX_BYTES (8ULL << 30)
#define RB_EXTRACT_MAX_FILE_BYTES (4ULL << 30)

void rb_extract_limits_default(struct rb_extract_limits *l);

struct rb_extract_opts {
	struct rb_extract_limits limits;
	/*
	 * NULL: no check.  Else (sorted, as rb_manifest_parse() leaves it)
	 * each regular file must be listed with that SHA-256, and every
	 * listed path must have been extracted.
	 */
	const struct rb_manifest *manifest;
	/*
	 * NULL, or what the archive held, for a check once it has gone by
	 * (rb_verify_record()): every regular file is hashed as it is
	 * written, and reading a file, the file's own bytes too.
	 */
	struct rb_tar_record *record;
	/* NULL, or told of the entries and the tarball's bytes read. */
	const struct rb_progress *progress;
};

/* Default limits, no manifest, no record. */
void rb_extract_opts_default(struct rb_extract_opts *o);

/*
 * Extract the tarball (read through tarread.h) into dirfd, an
 * empty directory, refusing the whole archive at the first hostile entry.
 * On failure err says "entry 'NAME': REASON"; what was written stays in
 * the directory for the caller to remove.  opts NULL means
 * rb_extract_opts_default().
 */
int rb_extract(const char *tarball, int dirfd,
	       const struct rb_extract_opts *opts, struct rb_error *err);

/* The same from memory (for the fuzzer and tests). */
int rb_extract_memory(const void *buf, size_t len, int dirfd,
		      const struct rb_extract_opts *opts,
		      struct rb_error *err);

/*
 * rm -rf of name relative to dirfd, through *at() calls only, never
 * following symlinks; a missing name is not an error.  name "" or "."
 * empties dirfd itself.  For the caller to clean up after a refusal.
 * Trees deeper than 264 levels (which rb_extract() never makes) fail.
 */
int rb_remove_tree_at(int dirfd, const char *name, struct rb_error *err);

#endif
