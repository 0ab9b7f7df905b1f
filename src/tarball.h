#ifndef RB_TARBALL_H
#define RB_TARBALL_H

#include "config.h"
#include "error.h"
#include "progress.h"
#include "manifest.h"

/*
 * Reproducible release tarballs (libarchive), and their verification
 * against the SHA256SUMS they carry.
 *
 * Same tree, same epoch, same compression: same bytes.  Entries are
 * built here, never read from disk metadata: sorted bytewise by path
 * (the manifest files last when rb_pack.manifest made them),
 * relative to the release root (bin/, erts-*, lib/, releases/), pax
 * restricted format, mtime = epoch, uid/gid 0 without user or group
 * names, no atime/ctime/birthtime, xattrs, ACLs or file flags.  Modes:
 * directories 0755; files 0755 if any execute bit is set, else 0644,
 * except that a file neither group nor others may read stays private
 * (0700 or 0600, as releases/COOKIE); symlinks are stored as links with
 * their target as it is.  gzip is written without a time or a name, in
 * blocks compressed in parallel (pgzip.h): the same bytes on any number
 * of threads.
 */

/* The fixed epoch when SOURCE_DATE_EPOCH is not set: 2000-01-01. */
#define RB_DEFAULT_EPOCH 946684800LL

/* SOURCE_DATE_EPOCH if it is set to a valid number, else the default. */
int rb_source_date_epoch(long long *epoch, struct rb_error *err);

/* ".tar.gz", ".tar.zst" or ".tar". */
const char *rb_compression_ext(enum rb_compression c);

struct rb_key;

/*
 * How to pack: the compression, and for gzip the threads to compress on
 * (0: one per CPU).  The bytes do not depend on the threads.  With
 * manifest, rb_tarball_make() writes releases/<vsn>/MODES and
 * SHA256SUMS itself (rb_manifest_write()), and the signature with key
 * when it is not NULL (rb_sign_manifest()), from the files as it reads
 * them for the tarball, and puts the three last in it: one read of
 * each file, not two.
 */
struct rb_pack {
	enum rb_compression compression;
	int threads;
	int manifest;
	const struct rb_key *key;
	const struct rb_progress *progress; /* NULL, or told of the files packed */
};

/*
 * Write the tarball of the tree at root to dest (created 0644), leaving
 * out what ex excludes (may be NULL).  The tarball is written to a
 * temporary file beside dest and renamed into place only on success; a
 * failure removes it.  When hex is not NULL it receives the SHA-256 of
 * the tarball's bytes.
 */
int rb_archive_write_tree(const char *root, const char *dest,
			  const struct rb_pack *pk, long long epoch,
			  const struct rb_exclude *ex,
			  char hex[RB_SHA256_HEX], struct rb_error *err);

/* The files rb_tarball_make() wrote. */
struct rb_tarball {
	char *path;      /* root/releases/<vsn>/<name>.tar.gz */
	char *versioned; /* root/releases/<vsn>/<name>-<vsn>.tar.gz, a hard link */
	char *sidecar;   /* root/releases/<vsn>/<name>-<vsn>.tar.gz.sha256 */
	char hash[RB_SHA256_HEX];
};

void rb_tarball_init(struct rb_tarball *t);
void rb_tarball_release(struct rb_tarball *t);

/*
 * Pack the release at root (whose releases/<vsn>/SHA256SUMS should be
 * written first) as releases/<vsn>/<name><ext>, link it as
 * <name>-<vsn><ext> beside it (a copy where hard links fail) and write
 * the sidecar "<name>-<vsn><ext>.sha256" holding
 * "<hash>  <name>-<vsn><ext>\n", so that sha256sum -c passes there.
 * The tarball leaves out what rb_exclude { vsn, NULL, 1 } says: it
 * carries SHA256SUMS and signatures, not the tarballs and sidecars.  On failure none of the three is left at its final path.
 * out must be initialised (rb_tarball_init() or { 0 }); release it
 * with rb_tarball_release() either way.
 */
int rb_tarball_make(struct rb_tarball *out, const char *root,
		    const char *name, const char *vsn, const struct rb_pack *pk,
		    long long epoch, struct rb_error *err);

/*
 * A tarball begun before the release is complete, so that most of it is
 * packed while the build waits on something else (the boot scripts'
 * VM): rb_tarball_begin() packs the entries of root that sort before
 * releases/ (bin/, erts-*, lib/), rb_tarball_finish() lists the tree
 * again and packs the rest, as rb_tarball_make() would.  Should what was
 * packed have changed meanwhile (an entry added among them, removed,
 * or written to since), the finish packs the whole tree again: the
 * bytes are rb_tarball_make()'s either way.  Free early with
 * rb_tarball_early_free() whatever happens (NULL is fine).
 */
struct rb_tarball_early;

int rb_tarball_begin(struct rb_tarball_early **out, const char *root,
		     const char *name, const char *vsn,
		     const struct rb_pack *pk, long long epoch,
		     struct rb_error *err);
int rb_tarball_finish(struct rb_tarball *out, struct rb_tarball_early *early,
		      struct rb_error *err);
void rb_tarball_early_free(struct rb_tarball_early *early);

/*
 * Check a tarball (read through tarread.h: gzip, zstd, xz, bzip2, lz4…)
 * against the one releases/<vsn>/SHA256SUMS it holds, streaming it: nothing is
 * extracted.  Every regular file is hashed; every problem is collected
 * in res (missing, extra, changed, duplicate entries, unsafe names or
 * special files; modes that differ from releases/<vsn>/MODES when it
 * is there; with opts->pubkey, a missing or invalid
 * releases/<vsn>/SHA256SUMS.sig).  The bytes of SHA256SUMS, MODES and
 * the signature are kept as they stream by; where a path occurs more
 * than once the last one counts, as in an extraction.  Symlinks and
 * directories are not checked; the manifest itself and "*.sig" files
 * are not extra.  Returns 0 when the check ran (look at
 * res->nr_problems), -1 when it could not: the file cannot be read, is
 * truncated or corrupt, has no or several manifests, or a malformed
 * one.  opts may be NULL; opts->vsn is not used.
 */
/*
 * The checks of rb_verify_tarball_opts() on what a pass over the tarball
 * recorded (rb_extract() records as it writes): one manifest among the
 * files, every file against it, the modes, the signature.  Duplicates
 * and unsafe entries are the pass's to report.
 */
int rb_verify_record(const char *tarball, const struct rb_tar_record *rec,
		     const struct rb_verify_opts *opts,
		     struct rb_verify_result *res, struct rb_error *err);

int rb_verify_tarball_opts(const char *tarball,
			   const struct rb_verify_opts *opts,
			   struct rb_verify_result *res, struct rb_error *err);

/* rb_verify_tarball_opts() without a key. */
int rb_verify_tarball(const char *tarball, struct rb_verify_result *res,
		      struct rb_error *err);

/*
 * A tar entry's path as verify compares it: leading "./" dropped, a
 * trailing '/' dropped; NULL when it is unsafe (absolute, "..", empty
 * or "." components), "" for the root itself.  Caller frees.
 */
char *rb_tar_entry_path(const char *raw);

#endif
