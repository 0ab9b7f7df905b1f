#ifndef RB_INSTALL_H
#define RB_INSTALL_H

#include <stddef.h>

#include "error.h"
#include "extract.h"
#include "progress.h"
#include "manifest.h"
#include "util.h"

/*
 * Installing release tarballs under a root directory, switching between
 * the installed versions atomically, and listing them.
 *
 *   ROOT/current -> versions/<name>   the release that runs (a relative
 *                                     symlink, only ever replaced by
 *                                     rename(2) of a new link)
 *   ROOT/previous -> versions/<name>  what current was before the last
 *                                     switch: rollback's default
 *   ROOT/versions/<name>/             one complete, verified release each;
 *                                     <name> is its version, or
 *                                     "<vsn>~<n>" for a forced reinstall
 *   ROOT/installed                    the names under versions/, one a
 *                                     line, oldest install first (replaced
 *                                     atomically; orders pruning and list)
 *   ROOT/shared/log/ shared/tmp/      what outlives versions
 *   ROOT/.lock                        flock()ed by install and rollback
 *   ROOT/.tmp-*, versions/.tmp-*      work in progress; whatever a killed
 *                                     run left is removed by the next
 *                                     install or rollback
 *
 * A version directory is renamed into versions/ only once a syncfs() of
 * its file system has written back every file and directory in it;
 * current is switched only after that and an fsync() of the directories
 * involved.  A failure or a crash at any
 * point leaves current as it was, or pointing to the new complete release.
 * current is switched before previous: a crash between the two leaves
 * previous as it was (naming an installed release all the same).
 */

#define RB_INSTALL_KEEP_DEFAULT 5

struct rb_install_opts {
	const char *root;    /* --root DIR (created if missing) */
	const char *pubkey;  /* --pubkey PUB.pem, or NULL */
	const char *sha256;  /* --sha256 HEX, or NULL: TARBALL.sha256 if it exists */
	struct rb_extract_limits limits; /* --max-entries, --max-bytes, --max-file-bytes */
	unsigned keep;       /* --keep N, 0 keeps every version; current,
				previous, the new one and any version a
				process runs from always stay */
	int force;           /* --force: reinstall a version already installed */
	int no_switch;       /* --no-switch: install, leave current alone */
	int no_fsync;        /* for tests only: skip every fsync() */
	const struct rb_progress *progress; /* NULL, or told how far it got */
};

/* Defaults: keep 5, default limits, the rest 0/NULL. */
void rb_install_opts_init(struct rb_install_opts *o, const char *root);

/* What an install or a switch did; rb_install_result_release() frees it. */
struct rb_install_result {
	char *name;      /* the directory under versions/ installed or switched to */
	char *vsn;       /* its release version */
	char *was;       /* what current pointed to before (a name), or NULL */
	char *sidecar;   /* the sidecar file whose hash was checked, or NULL */
	int switched;    /* current now points to name */
	int signature;   /* a signature was checked */
	struct strvec pruned; /* names removed by --keep */
	struct strvec in_use; /* "NAME (pid N)": --keep left them, in use */
	char *warning;   /* pruning failed (the install stands), or NULL */
	/*
	 * When the tarball (install) or the version directory (rollback)
	 * did not match its SHA256SUMS: every problem, and err says so.
	 */
	struct rb_verify_result verify;
};

void rb_install_result_init(struct rb_install_result *r);
void rb_install_result_release(struct rb_install_result *r);

/*
 * Install a release tarball under o->root, reading it once: extract it
 * (every hostile entry refused) into versions/.tmp-<random>, hashing the
 * tarball and every file as they stream by; then check the tarball's
 * hash against its sidecar, every file against its SHA256SUMS and
 * MODES, and the signature (o->pubkey); then sync it, rename it to
 * versions/<vsn>, switch current to it (previous to what current was),
 * and prune to o->keep versions by install order.  A version already
 * under versions/ is refused unless o->force, which installs it afresh
 * as "<vsn>~<n>".  On failure nothing is left behind and current is
 * unchanged; err names the file or entry and the reason.
 */
int rb_install(const char *tarball, const struct rb_install_opts *o,
	       struct rb_install_result *res, struct rb_error *err);

/*
 * Switch current to an installed version: version is a name under
 * versions/, or a release version (the newest install of it that is
 * not current); NULL means previous.  The target is verified against
 * its SHA256SUMS first and refused if it does not match, unless force.
 * previous then points to what current was.
 */
int rb_rollback(const char *root, const char *version, int force,
		struct rb_install_result *res, struct rb_error *err);

/* One installed version, as rb_list() sees it. */
struct rb_installed {
	char *name;      /* directory under versions/ */
	char *vsn;       /* from its releases/<vsn>/SHA256SUMS, or NULL */
	int current;     /* current points to it */
	int previous;    /* previous points to it */
	int checked;     /* verification ran (only when asked for) */
	size_t nr_problems; /* missing, extra, changed... files, when checked */
	char *error;     /* why verification could not run, or NULL */
};

struct rb_installed_list {
	struct rb_installed *v; /* newest install first */
	size_t nr;
	size_t alloc;
	char *current;   /* current's name, or NULL */
	char *previous;  /* previous's name, or NULL */
};

void rb_installed_list_release(struct rb_installed_list *l);

/*
 * The versions under root/versions/ (work in progress left out), newest
 * install first, each verified against its SHA256SUMS when verify is
 * set.  Reads only: no lock is taken and nothing is cleaned.
 */
int rb_list(const char *root, int verify, struct rb_installed_list *out,
	    struct rb_error *err);

#endif
