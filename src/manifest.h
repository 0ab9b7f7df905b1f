#ifndef RB_MANIFEST_H
#define RB_MANIFEST_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "error.h"
#include "progress.h"
#include "util.h"

/*
 * SHA-256 (OpenSSL EVP), the file list of a release tree, and
 * releases/<vsn>/SHA256SUMS in exactly the format of sha256sum(1):
 * "<64 lowercase hex>  <path>\n", paths relative to the release root,
 * sorted bytewise, so that "cd ROOT && sha256sum -c releases/<vsn>/SHA256SUMS"
 * passes.
 *
 * Only regular files are listed.  Symlinks are not: the format cannot
 * say "this is a link to X", and hashing the target's content would
 * cover the same bytes twice, or bytes outside the release.  A release
 * normally has none (copy_tree() follows them); install refuses links
 * that lead outside.  Directories are implied by the paths.
 *
 * sha256sum's format cannot carry file modes, so releases/<vsn>/MODES
 * does: "<4 octal digits> <path>\n" (e.g. "0755 bin/shop"), the modes
 * rb_normal_mode() (util.h) gives (what the tarball stores), for the same paths
 * as SHA256SUMS, sorted the same way.  MODES lists itself; SHA256SUMS
 * lists MODES, so MODES is hash-protected (and signed with SHA256SUMS).
 */

#define RB_SHA256_HEX 65 /* 64 hex digits and a NUL */

struct evp_md_ctx_st;

/* A streaming hasher: init, update any number of times, final, release. */
struct rb_sha256 {
	struct evp_md_ctx_st *ctx;
};

int rb_sha256_init(struct rb_sha256 *h, struct rb_error *err);
int rb_sha256_update(struct rb_sha256 *h, const void *data, size_t len,
		     struct rb_error *err);
/* Write the digest as lowercase hex into hex; the hasher is then spent. */
int rb_sha256_final(struct rb_sha256 *h, char hex[RB_SHA256_HEX],
		    struct rb_error *err);
/* Free the hasher's context; safe after final and on an unused hasher. */
void rb_sha256_release(struct rb_sha256 *h);

int rb_sha256_buf(const void *data, size_t len, char hex[RB_SHA256_HEX],
		  struct rb_error *err);
/* SHA-256 of what is left to read from fd; path is for messages. */
/*
 * The 64 hex digits s starts with, in lowercase, into hex: 0, or -1
 * when s does not start with 64 of them.
 */
int rb_sha256_hex_parse(const char *s, char hex[RB_SHA256_HEX]);
int rb_sha256_fd(int fd, const char *path, char hex[RB_SHA256_HEX],
		 struct rb_error *err);
/* Hash a file's content (symlinks are not followed). */
int rb_sha256_file(const char *path, char hex[RB_SHA256_HEX],
		   struct rb_error *err);

/*
 * What SHA256SUMS leaves out of a release tree:
 *  - releases/<vsn>/SHA256SUMS (the manifest cannot list itself),
 *  - the tarballs and their sidecars directly in releases/<vsn>/
 *    ("*.tar", "*.tar.gz", "*.tar.zst", "*.sha256", the self-extracting
 *    "*.run", and the writer's ".relbuild-tmp-*" files),
 *  - signatures, "*.sig" anywhere,
 *  - what the runtime writes in place: releases/RELEASES and tmp/ (the
 *    control script's default RELEASE_TMP),
 *  - the extra relative paths in paths (a directory takes its subtree),
 *  - with vsn set, other versions' directories releases/<other>/ (kept
 *    in the output directory for upgrades, but no part of release vsn);
 *    rb_tree_list() leaves them out, as only it knows a directory from
 *    a file.
 * The tarball (tarball set) leaves out the same but for the manifest
 * and the signatures, which it carries.  vsn NULL applies the
 * releases/<vsn>/ rules to every version directory.
 */
struct rb_exclude {
	const char *vsn;
	const struct strvec *paths; /* may be NULL */
	int tarball;
};

int rb_path_excluded(const struct rb_exclude *ex, const char *relpath);

/* Whether relpath is "releases/<something>/SHA256SUMS". */
int rb_is_manifest_path(const char *relpath);

/*
 * Whether a check needs relpath's bytes once a stream has gone by:
 * "releases/<vsn>/" SHA256SUMS, MODES or SHA256SUMS.sig.
 */
int rb_is_meta_path(const char *relpath);

/* One thing found under a release root (lstat, not followed). */
struct rb_tree_entry {
	char *path;  /* relative to the root, no "./", no trailing '/' */
	mode_t mode; /* st_mode: type and permission bits */
	char *link;  /* symlink target as stored, else NULL */
	/* what else lstat said: enough to tell a file written to since */
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
};

struct rb_tree {
	struct rb_tree_entry *v;
	size_t nr;
	size_t alloc;
};
#define RB_TREE_INIT { NULL, 0, 0 }

/*
 * List everything below root (not root itself), sorted bytewise by
 * path, without what ex excludes (ex may be NULL).  Symlinks are not
 * followed.  Special files (devices, fifos, sockets) are listed too:
 * each caller decides what they mean.  Names with control characters
 * or backslashes (which sha256sum would escape) are errors.  Release t
 * with rb_tree_release() either way.
 */
int rb_tree_list(struct rb_tree *t, const char *root,
		 const struct rb_exclude *ex, struct rb_error *err);
void rb_tree_release(struct rb_tree *t);

/*
 * The regular files below root that keep a private mode (others may not
 * read them where they came from), as "0600 PATH" lines, sorted.
 */
int rb_tree_private(const char *root, struct strvec *out,
		    struct rb_error *err);

struct rb_manifest_entry {
	char *path;
	char hash[RB_SHA256_HEX];
	int mode; /* permission bits found or listed; -1 not known */
};

/* A list of (path, hash); rb_manifest_release() frees the entries. */
struct rb_manifest {
	struct rb_manifest_entry *v;
	size_t nr;
	size_t alloc;
};
#define RB_MANIFEST_INIT { NULL, 0, 0 }

void rb_manifest_init(struct rb_manifest *m);
void rb_manifest_release(struct rb_manifest *m);
/* Add (path, hash) with mode -1; the entry is valid until the next add. */
struct rb_manifest_entry *rb_manifest_add(struct rb_manifest *m,
					  const char *path, const char *hash);
/* Sort bytewise by path; returns the first duplicated path or NULL. */
const char *rb_manifest_sort(struct rb_manifest *m);
/* Look a path up in a sorted manifest. */
const struct rb_manifest_entry *rb_manifest_find(const struct rb_manifest *m,
						 const char *path);

/*
 * Hash every regular file below root that ex does not exclude, each with
 * its permission bits (mode).  The result is sorted.  m must be
 * initialised; release it either way.
 */
int rb_manifest_build(struct rb_manifest *m, const char *root,
		      const struct rb_exclude *ex, struct rb_error *err);

/* The sha256sum-format text of a manifest; the caller frees it. */
char *rb_manifest_format(const struct rb_manifest *m);

/*
 * Parse SHA256SUMS text ("<hash>  <path>" or "<hash> *<path>" lines).
 * name is used in messages: "NAME:LINE: reason" (RB_EFAIL).  Rejects
 * malformed lines, absolute paths, empty, "." and ".." components,
 * escaped names and duplicates.  Hashes are kept in lowercase; the
 * result is sorted.  m must be initialised; release it either way.
 */
int rb_manifest_parse(struct rb_manifest *m, const char *name,
		      const char *text, size_t len, struct rb_error *err);

/* The MODES text of a manifest's entries ("%04o %s\n" each). */
char *rb_modes_format(const struct rb_manifest *m);

/*
 * Parse MODES text into m: entries with their mode (hash empty),
 * sorted.  Rejects what rb_manifest_parse() does, and modes that are
 * not four octal digits.  m must be initialised; release it either way.
 */
int rb_modes_parse(struct rb_manifest *m, const char *name,
		   const char *text, size_t len, struct rb_error *err);

/*
 * Write root/releases/<vsn>/MODES, then build the manifest of the
 * release at root (MODES included) and write it to
 * root/releases/<vsn>/SHA256SUMS; both mode 0644.  If nr_files is not
 * NULL it receives the number of files listed.
 */
int rb_manifest_write(const char *root, const char *vsn, size_t *nr_files,
		      struct rb_error *err);

/*
 * rb_manifest_write() from files already hashed: found holds every
 * regular file the manifest lists but MODES (rb_manifest_listed()),
 * with its hash and its mode as it is on disk.
 */
int rb_manifest_write_found(const char *root, const char *vsn,
			    const struct rb_manifest *found, size_t *nr_files,
			    struct rb_error *err);

/*
 * Whether the manifest of version vsn lists relpath, a regular file
 * of a tree rb_tree_list() gave with { vsn, NULL, 1 }: not signatures,
 * not the manifest itself.
 */
int rb_manifest_listed(const char *vsn, const char *relpath);

/* One problem found by a verification. */
enum rb_problem_kind {
	RB_PROBLEM_MISSING,   /* in SHA256SUMS, not found (or not a file) */
	RB_PROBLEM_EXTRA,     /* a file that SHA256SUMS does not list */
	RB_PROBLEM_CHANGED,   /* content differs from its hash */
	RB_PROBLEM_DUPLICATE, /* an archive holds the path more than once */
	RB_PROBLEM_UNSAFE,    /* absolute path, "..", or a special file */
	RB_PROBLEM_MODE,      /* permission bits differ from MODES */
	RB_PROBLEM_SIGNATURE, /* SHA256SUMS.sig missing or not valid */
};

/* "missing", "extra", "changed", "duplicate", "unsafe", "mode", "signature". */
const char *rb_problem_kind_name(enum rb_problem_kind kind);

struct rb_problem {
	enum rb_problem_kind kind;
	char *path;        /* for a signature, the .sig file's */
	unsigned mode;     /* RB_PROBLEM_MODE: the mode found */
	unsigned expected; /* RB_PROBLEM_MODE: the mode MODES lists */
};

/* What became of the signature check. */
enum rb_sig_status {
	RB_SIG_UNCHECKED, /* no key given */
	RB_SIG_VALID,
	RB_SIG_INVALID,   /* wrong key, corrupted, or SHA256SUMS changed */
	RB_SIG_MISSING,   /* no releases/<vsn>/SHA256SUMS.sig */
};

/* "unchecked", "valid", "invalid", "missing". */
const char *rb_sig_status_name(enum rb_sig_status s);

/*
 * The outcome of checking a tarball or a release directory against the
 * SHA256SUMS it carries.  It is the same for both so that the front end
 * prints them alike.  Verified means nr_problems == 0.
 */
struct rb_verify_result {
	char *manifest;   /* "releases/<vsn>/SHA256SUMS" that was used */
	size_t nr_files;  /* files listed in it */
	size_t nr_kept;   /* files other versions' manifests list (upgraded) */
	struct strvec kept_from; /* those versions, in order */
	int modes;        /* modes were checked against releases/<vsn>/MODES */
	enum rb_sig_status signature;
	struct rb_problem *problems; /* in path order per kind of check */
	size_t nr_problems;
	size_t alloc;
};

void rb_verify_result_init(struct rb_verify_result *res);
void rb_verify_result_release(struct rb_verify_result *res);
void rb_verify_add_problem(struct rb_verify_result *res,
			   enum rb_problem_kind kind, const char *path);

struct rb_key;

/* How rb_verify_dir_opts() and rb_verify_tarball_opts() check. */
struct rb_verify_opts {
	/* Check releases/<vsn>/SHA256SUMS.sig with it; NULL: not checked. */
	const struct rb_key *pubkey;
	/* Directories: the version to check; NULL: see rb_verify_dir_opts(). */
	const char *vsn;
	/*
	 * Directories: a file another version's releases/<v>/SHA256SUMS
	 * there lists with the hash found is no problem (hot upgrades leave
	 * the old version's files, and unpack only what is new), nor is a
	 * sys.config a hot upgrade rendered in place.
	 */
	int upgraded;
	/* Tarballs: NULL, or told of the entries and bytes read. */
	const struct rb_progress *progress;
};

/*
 * Compare what was found (sorted, without the manifest itself and
 * other excluded files) with what the manifest lists: each listed path
 * not found is missing, each found path not listed is extra, each hash
 * that differs is changed.  Problems come out in path order.
 */
void rb_manifest_compare(const struct rb_manifest *expected,
			 const struct rb_manifest *found,
			 struct rb_verify_result *res);

/*
 * The mode check, after rb_manifest_compare(): when expected lists
 * releases/<vsn>/MODES (beside manifest, its path) and text, the MODES
 * that was found (NULL: none), has the hash expected gives it, each
 * found file whose mode differs from the one MODES lists is a mode
 * problem, and res->modes is set.  A release without MODES (older
 * builds) is not checked; a MODES that does not match its hash is
 * already a changed or missing problem and is not trusted.  -1 only
 * for a MODES that matches its hash but is malformed.
 */
int rb_verify_modes(const struct rb_manifest *expected,
		    const struct rb_manifest *found, const char *manifest,
		    const char *text, size_t len, struct rb_verify_result *res,
		    struct rb_error *err);

/*
 * The signature check: sig (siglen bytes; NULL: there is none) over
 * the manifest's bytes, with pubkey (NULL: res->signature stays
 * unchecked).  Sets res->signature; a missing or invalid signature is
 * also a signature problem naming releases/<vsn>/SHA256SUMS.sig.
 */
int rb_verify_signature(const struct rb_key *pubkey, const char *manifest,
			const char *text, size_t len, const void *sig,
			size_t siglen, struct rb_verify_result *res,
			struct rb_error *err);

/* A file's bytes, kept as a stream went by. */
struct rb_kept {
	char *path;
	struct strbuf data;
};

/*
 * What a pass over a tarball saw, for checking once it has gone by:
 * every regular file (and hard link) in archive order with its SHA-256
 * and its mode as the archive gives it, the bytes of each
 * rb_is_meta_path() file (the last entry of a path counts), and the
 * SHA-256 of the tarball's own bytes when the pass read them all.
 */
struct rb_tar_record {
	struct rb_manifest files;
	struct rb_kept *kept;
	size_t nr_kept, alloc_kept;
	char hash[RB_SHA256_HEX]; /* "" when not known */
};

#define RB_TAR_RECORD_INIT { RB_MANIFEST_INIT, NULL, 0, 0, "" }

void rb_tar_record_release(struct rb_tar_record *r);
const struct rb_kept *rb_tar_record_kept(const struct rb_tar_record *r,
					 const char *path);
/* An empty buffer for path's bytes, replacing what was kept before. */
struct strbuf *rb_tar_record_keep(struct rb_tar_record *r, const char *path);

/* The most of a kept file: a manifest bigger than this is not one. */
#define RB_KEPT_MAX (64 * 1024 * 1024)

/*
 * The release version root/releases/start_erl.data ("<erts> <vsn>")
 * names, or NULL when there is none or it is malformed.
 */
char *rb_start_erl_vsn(const char *root);
/* The same from start_erl.data's text: NULL when it names none. */
char *rb_start_erl_parse(const char *text, size_t len);

/*
 * Check a release directory against one releases/<vsn>/SHA256SUMS,
 * its MODES when there is one, and with opts->pubkey its signature.
 * The version is opts->vsn, else the one releases/start_erl.data
 * names when it has a manifest (an installed release after upgrades,
 * a build directory after a version bump), else the only one there
 * is.  Other versions' releases/<v>/ directories are no part of it;
 * with opts->upgraded, the files their manifests list are accepted
 * where the one checked has another hash or none (with opts->pubkey,
 * only a manifest whose signature is valid counts), and a
 * releases/<vsn>/sys.config.src (the shipped file a hot upgrade kept
 * when it rendered sys.config in place) is checked as sys.config.  The
 * tarballs, sidecars and signatures are ignored as rb_path_excluded()
 * says; symlinks are not checked.  Returns 0 when the check ran (see
 * res->nr_problems), -1 when it could not (no or malformed manifest,
 * unreadable tree).  opts may be NULL.
 */
int rb_verify_dir_opts(const char *root, const struct rb_verify_opts *opts,
		       struct rb_verify_result *res, struct rb_error *err);

/* rb_verify_dir_opts() with only a version (may be NULL). */
int rb_verify_dir(const char *root, const char *vsn,
		  struct rb_verify_result *res, struct rb_error *err);

#endif
