#ifndef RB_INSPECT_H
#define RB_INSPECT_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "manifest.h"
#include "migrations.h"
#include "util.h"

/*
 * What a release holds, read from its tarball (one pass over the
 * stream, nothing extracted) or from a release directory (a build's
 * _build/<env>/rel/<name>, an unpacked tarball, an installed root's
 * versions/<vsn>): name, version, runtime, applications, hooks,
 * commands, migrations, the files a plain release would not have
 * (overlays), and whether the files match SHA256SUMS and its signature.
 *
 * Every string is as found in the release: names and paths may hold
 * any bytes; the front end sanitises what it prints.  Nothing here is
 * text for a person but error messages (sums_error, beam_error) and
 * the migrations' reasons (struct rb_migration_skip, as the build
 * gives them).
 *
 * Ownership: struct rb_inspect owns everything it points to, and
 * rb_inspect_release() frees it.  Pointers to entries (overlays,
 * scripts, commands) point into files[] of the same struct.
 */

/* What an entry of the release is. */
enum rb_entry_type {
	RB_ENTRY_FILE,  /* a regular file (a tarball's hard link too) */
	RB_ENTRY_DIR,
	RB_ENTRY_LINK,  /* a symlink */
	RB_ENTRY_OTHER, /* a device, FIFO or socket (never in a release) */
};

/* "file", "dir", "link", "other". */
const char *rb_entry_type_name(enum rb_entry_type t);

/*
 * Why an entry is in the release.  What relbuild itself writes
 * (assemble.c, boot.c, manifest.c, upgrade.c) is RB_ROLE_GENERATED:
 * bin/<name>, bin/nodetool, <name>.service, releases/start_erl.data,
 * releases/COOKIE,
 * and in releases/<vsn>/: <name>.rel, start_clean.rel, start.boot,
 * start.script, start_clean.boot, start_clean.script, vm.args,
 * remote.vm.args, env.sh, sys.config (and sys.config.src, which a hot
 * upgrade leaves), runtime.exs, relup, ctl/relbuild_ctl.beam,
 * consolidated/, SHA256SUMS, MODES, SHA256SUMS.sig; and the
 * directories bin, lib, releases, releases/<vsn>, releases/<vsn>/ctl.
 * Anything that is none of the roles below is an overlay.
 */
enum rb_file_role {
	RB_ROLE_APP,       /* in lib/<app>-<vsn>/ of an application of the .rel */
	RB_ROLE_ERTS,      /* in erts-<vsn>/ of the runtime the .rel names */
	RB_ROLE_GENERATED, /* written by relbuild (above) */
	RB_ROLE_HOOK,      /* releases/<vsn>/hooks/ and what is below it */
	RB_ROLE_COMMAND,   /* releases/<vsn>/commands/ and its files */
	RB_ROLE_OTHER_VERSION, /* lib/<app>-<v>/ or erts-<v>/ that only another
				  version's .rel in a directory names (left
				  by a hot upgrade) */
	RB_ROLE_OVERLAY,   /* none of these: what overlays (or a hand) added */
};

/* "app", "erts", "generated", "hook", "command", "other_version", "overlay". */
const char *rb_file_role_name(enum rb_file_role r);

/* One entry found in the release. */
struct rb_inspect_entry {
	char *path;    /* relative to the release root, no "./", no trailing '/' */
	enum rb_entry_type type;
	unsigned mode; /* permission bits as stored (tarball) or found (lstat) */
	uint64_t size; /* RB_ENTRY_FILE: bytes; else 0 */
	char *link;    /* RB_ENTRY_LINK: the target as stored; else NULL */
	char hash[RB_SHA256_HEX]; /* RB_ENTRY_FILE when hashed (tarballs,
				     opts->hash); else "" */
	enum rb_file_role role;
	size_t app;    /* RB_ROLE_APP: index into apps[] */
	int code_change; /* opts->beams, a .beam: it exports code_change/3 or /4 */
	char *beam_error; /* opts->beams, a .beam whose exports cannot be read:
			     why (its module cannot be given an update instruction) */
};

/* An application of the release, in .rel order. */
struct rb_inspect_app {
	char *name;       /* as the .rel names it */
	char *vsn;        /* as the .rel gives it */
	char *start_type; /* the atom the .rel gives ("permanent", "transient",
			     "temporary", "load", "none", or whatever it holds);
			     "permanent" when it gives none */
	int start_type_given; /* the .rel names the start type */
	char *dir;        /* "lib/<name>-<vsn>" */
	int present;      /* the release holds dir (a directory, or a symlink) */
	char *link;       /* dir is a symlink (dev_mode) to this; else NULL */
	uint64_t size;    /* bytes of the regular files below dir */
	size_t nr_files;  /* regular files below dir */
	size_t nr_modules; /* dir/ebin/<m>.beam files */
	char *app_vsn;    /* vsn of dir/ebin/<name>.app; NULL: no readable .app */
	char *description; /* description of that .app; NULL: none */
	/*
	 * dir/priv/repo/migrations/, as the build reads it (README,
	 * Migrations): at any depth, <integer>_<name>.exs or .sql, dot
	 * files and directories not looked at.  v[] sorted by version
	 * (numerically, rb_migration_version_cmp()) then rel; each
	 * v[].path is relative to the release root.  skipped[]: the other
	 * files, in path order, with the build's reason.
	 */
	struct rb_migration_list migrations;
};

/* One event's hooks: releases/<vsn>/hooks/<event>/... */
struct rb_inspect_hook {
	char *event;  /* the directory's name */
	int known;    /* one of the eight events the control script fires */
	/* every file or symlink below it, in path (run) order */
	const struct rb_inspect_entry **scripts;
	size_t nr_scripts;
};

/* One custom command: releases/<vsn>/commands/<name>. */
struct rb_inspect_command {
	char *name;
	const struct rb_inspect_entry *entry; /* the script (file or symlink) */
};

/* The signature: none/present without a key, valid/invalid with one. */
enum rb_inspect_sig {
	RB_INSPECT_SIG_NONE,    /* no releases/<vsn>/SHA256SUMS.sig */
	RB_INSPECT_SIG_PRESENT, /* there is one; no key to check it with */
	RB_INSPECT_SIG_VALID,   /* it is valid for the key given */
	RB_INSPECT_SIG_INVALID, /* it is not */
};

/* "none", "present", "valid", "invalid". */
const char *rb_inspect_sig_name(enum rb_inspect_sig s);

/* Whether every file matches releases/<vsn>/SHA256SUMS. */
enum rb_inspect_sums {
	RB_SUMS_OK,       /* verified: verify.nr_problems == 0 */
	RB_SUMS_MISMATCH, /* checked: verify.problems lists what differs */
	RB_SUMS_NONE,     /* the release has no releases/<vsn>/SHA256SUMS */
	RB_SUMS_ERROR,    /* the check could not run: sums_error says why */
	RB_SUMS_UNCHECKED, /* not asked for (opts->verify unset) */
};

/* "ok", "mismatch", "none", "error", "unchecked". */
const char *rb_inspect_sums_name(enum rb_inspect_sums s);

struct rb_key;

/* What rb_inspect_with() does beyond reading the release. */
struct rb_inspect_opts {
	/* NULL: the signature is only found (none/present); else checked */
	const struct rb_key *pubkey;
	/*
	 * Check every file against SHA256SUMS: rb_verify_record() on what
	 * the pass over a tarball recorded, rb_verify_dir_opts() (as
	 * `relbuild verify` calls it: hot-upgraded files accepted) for a
	 * directory.
	 */
	int verify;
	/* Hash every regular file of a directory (a tarball's always are). */
	int hash;
	/* Read the exports of every lib/<app>/ebin/<m>.beam (code_change). */
	int beams;
};

struct rb_inspect {
	char *target;   /* the path given */
	int tarball;    /* read as a tarball; else a directory */
	char *name;     /* the release's name, from its .rel */
	char *vsn;      /* its version: releases/<vsn>/ */
	char *rel;      /* "releases/<vsn>/<name>.rel" */
	char *erts_vsn; /* the runtime the .rel names */
	int erts_included; /* the release holds erts-<erts_vsn>/ */
	uint64_t erts_size; /* bytes of its regular files */

	struct rb_inspect_app *apps;
	size_t nr_apps;
	/* the eight events in firing order, then the others bytewise */
	struct rb_inspect_hook *hooks;
	size_t nr_hooks;
	struct rb_inspect_command *commands; /* by name, bytewise */
	size_t nr_commands;
	/*
	 * Every entry of the release, sorted bytewise by path.  A tarball:
	 * the last entry of a path counts (as an extraction), unsafe names
	 * and special files are left out (they are verify problems).  A
	 * directory: what rb_tree_list() lists with rb_exclude { vsn, NULL,
	 * 1 } (no tarballs, sidecars, releases/RELEASES, tmp/, nor other
	 * versions' releases/<v>/).
	 */
	struct rb_inspect_entry *files;
	size_t nr_files;
	uint64_t size;  /* bytes of every regular file */
	/*
	 * The overlay entries (RB_ROLE_OVERLAY) but directories that hold
	 * other entries: files, symlinks, and empty directories (mkdir).
	 */
	const struct rb_inspect_entry **overlays;
	size_t nr_overlays;
	/* other versions whose .rel names an RB_ROLE_OTHER_VERSION entry */
	struct strvec other_versions;

	enum rb_inspect_sig signature;
	enum rb_inspect_sums sums;
	/* RB_SUMS_OK, RB_SUMS_MISMATCH: the outcome, as `relbuild verify`'s */
	struct rb_verify_result verify;
	char *sums_error; /* RB_SUMS_ERROR: why */

	/* the small files kept whole (rb_inspect_kept()); its files[] is empty */
	struct rb_tar_record kept;
};

void rb_inspect_init(struct rb_inspect *out);
void rb_inspect_release(struct rb_inspect *out);

/*
 * Inspect the release at path: a directory, else a tarball (any
 * compression rb_tarread_support() reads).  The version is the one
 * releases/start_erl.data names, else the only releases/<vsn>/ there
 * is; the name that of releases/<vsn>/<name>.rel (not start_clean.rel;
 * with several, the one with a bin/<name>).  Fails (-1) when the
 * target cannot be read, a tarball is truncated or corrupt, or there
 * is no such version or .rel; a checksum check that cannot run is
 * only RB_SUMS_ERROR.  Small files (.rel, .app, start_erl.data,
 * appups, the manifest) are held whole, others streamed; a .beam
 * read for its exports is held while it is read.  out must be
 * initialised; release it either way.
 */
int rb_inspect_with(const char *path, const struct rb_inspect_opts *opts,
		    struct rb_inspect *out, struct rb_error *err);

/* rb_inspect_with() that verifies, with pubkey (may be NULL). */
int rb_inspect(const char *path, const struct rb_key *pubkey,
	       struct rb_inspect *out, struct rb_error *err);

/* The entry at path, or NULL. */
const struct rb_inspect_entry *rb_inspect_find(const struct rb_inspect *in,
					       const char *path);

/* A small file's bytes as the read kept them (.rel, .app, appups), or NULL. */
const struct strbuf *rb_inspect_kept(const struct rb_inspect *in,
				     const char *path);

#endif
