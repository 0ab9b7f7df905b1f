#ifndef RB_UPGRADE_H
#define RB_UPGRADE_H

#include <stddef.h>

#include "error.h"
#include "term.h"
#include "util.h"

/*
 * Hot upgrades, the build side: compare an earlier release (unpacked
 * from its tarball) with the one being built, give every application
 * whose version changed an appup, and make the relup.
 *
 * Appups are generated from the modules' code.  In the upgrade list:
 * add_module for each new module, then each changed one ({update, M,
 * {advanced, []}} when its new beam exports code_change/3 or /4, else
 * {load_module, M}), then delete_module for each removed one.  The
 * downgrade list mirrors it: add_module for the modules the upgrade
 * deletes, the changed ones as above, then delete_module for the ones
 * it adds.  Within each group, modules are sorted by name.
 *
 * Ownership: every struct here owns what it points to, and its
 * _release() function frees it.
 */

/* A release's .rel file: {release, {Name, Vsn}, {erts, ErtsVsn}, Apps}. */
struct rb_rel {
	char *name;
	char *vsn;
	char *erts_vsn;
	struct strvec apps; /* application names, in .rel order */
	struct strvec vsns; /* their versions, index for index */
};

/* Read a .rel file; rel is overwritten, and must be released either way. */
int rb_rel_read(struct rb_rel *rel, const char *path, struct rb_error *err);
void rb_rel_release(struct rb_rel *rel);
/* The version of application name in rel, or NULL. */
const char *rb_rel_app_vsn(const struct rb_rel *rel, const char *name);

/* How an application's ebin/ changed between two versions. */
struct rb_module_diff {
	struct strvec added;    /* only in the new ebin/, sorted */
	struct strvec changed;  /* in both with different code, sorted */
	struct strvec deleted;  /* only in the old ebin/, sorted */
	struct strvec advanced; /* those of changed whose new beam exports
				   code_change/3 or code_change/4 */
};
#define RB_MODULE_DIFF_INIT { STRVEC_INIT, STRVEC_INIT, STRVEC_INIT, STRVEC_INIT }

void rb_module_diff_release(struct rb_module_diff *d);
/* Whether anything was added, changed or deleted. */
int rb_module_diff_any(const struct rb_module_diff *d);

/*
 * Compare the .beam files of old_dir/ebin and new_dir/ebin (application
 * directories) with rb_beam_same_code().  d must be initialised
 * (RB_MODULE_DIFF_INIT); release it either way.  Errors name the beam.
 */
int rb_module_diff(const char *old_dir, const char *new_dir,
		   struct rb_module_diff *d, struct rb_error *err);

/*
 * rb_module_diff() for application name, from old_vsn in old_dir to
 * new_vsn in new_dir; code that changed while the version did not is
 * an error naming the application ("bump vsn in its .app").
 */
int rb_app_diff(const char *name, const char *old_vsn, const char *old_dir,
		const char *new_vsn, const char *new_dir,
		struct rb_module_diff *d, struct rb_error *err);

/* The generated appup {"New", [{"Old", Up}], [{"Old", Down}]}; caller frees. */
struct rb_term *rb_appup_term(const char *old_vsn, const char *new_vsn,
			      const struct rb_module_diff *d);
/* The same as file text, one term and ".\n"; caller frees. */
char *rb_appup_text(const char *old_vsn, const char *new_vsn,
		    const struct rb_module_diff *d);

/*
 * Whether an appup term is {new_vsn, Up, Down} with an entry for
 * old_vsn in both lists, found as systools finds it: the first entry
 * whose version is old_vsn, or is a binary regular expression whose
 * first match is all of old_vsn.
 */
int rb_appup_covers(const struct rb_term *appup, const char *old_vsn,
		    const char *new_vsn);

/* Where an upgraded application's appup came from. */
enum rb_appup_source {
	RB_APPUP_GENERATED,
	RB_APPUP_PROJECT, /* <project>/rel/appups/<app>/<old>_to_<new>.appup */
	RB_APPUP_PRIV,    /* the app's priv/appups/<old>_to_<new>.appup */
	RB_APPUP_SHIPPED, /* the app's own ebin/<app>.appup, covering old */
};

/* "generated", "project", "priv", "shipped". */
const char *rb_appup_source_name(enum rb_appup_source s);

/* One application that differs between the two releases. */
struct rb_app_change {
	char *name;
	char *old_vsn; /* NULL: added */
	char *new_vsn; /* NULL: removed */
	enum rb_appup_source source; /* upgraded (both versions set) only */
	char *appup;   /* hand-written: the file used, as the summary names it */
	size_t nr_added, nr_changed, nr_deleted; /* generated: instructions */
};

/* What rb_upgrade_make() did, for the front end to report. */
struct rb_upgrade_summary {
	char *old_tarball; /* the earlier release's tarball */
	char *old_vsn, *new_vsn;
	char *old_erts, *new_erts;
	char *relup;       /* the relup written */
	struct rb_app_change *apps; /* new .rel order, then removed ones */
	size_t nr, alloc;
};

void rb_upgrade_summary_init(struct rb_upgrade_summary *s);
void rb_upgrade_summary_release(struct rb_upgrade_summary *s);
/*
 * The summary as lines "upgrade OLD -> NEW: ...": the tarball, erts,
 * each application added, removed or upgraded (with its appup), the
 * relup.
 */
void rb_upgrade_describe(const struct rb_upgrade_summary *s,
			 struct strbuf *out);

/* An earlier release, unpacked from its tarball into a temporary directory. */
struct rb_old_release {
	char *tarball; /* the tarball it came from */
	char *dir;     /* where it was unpacked: removed by the release */
	char *lib_dir; /* <dir>/lib */
	char *rel_base; /* <dir>/releases/<vsn>/<name>, no ".rel" */
	struct rb_rel rel;
};

/*
 * Find the earlier release of release name and unpack it.  root is the
 * release directory in the output directory (<output_dir>/<name>), where
 * earlier builds left releases/<vsn>/<name>.tar.gz (or .tar.zst, .tar).
 * upfrom is a version found there, a tarball's path (it has a '/' or
 * ends in .tar, .tar.gz, .tar.zst), or NULL: the highest version there
 * other than new_vsn.  A version equal to new_vsn (may be NULL: not
 * checked), no tarball, or one that does not match its SHA256SUMS are
 * errors.  The tarball is unpacked under <output_dir>/.relbuild-upgrade-*
 * with rb_extract().  old must be released with rb_old_release_release()
 * either way, which removes that directory.
 */
int rb_old_release_open(struct rb_old_release *old, const char *root,
			const char *name, const char *upfrom,
			const char *new_vsn, struct rb_error *err);
void rb_old_release_release(struct rb_old_release *old);

/* An assembled release to give an upgrade path from an earlier one. */
struct rb_upgrade_job {
	const char *project; /* project root, holding rel/appups/ */
	const char *root;    /* the new release, laid out (its stage) */
	const char *old_root; /* where earlier versions' releases/<vsn>/ are:
				 <output_dir>/<name> (NULL: root) */
	const char *name;
	const char *vsn;
	const char *upfrom;  /* see rb_old_release_open() */
	const char *erl;     /* the erl whose systools makes the relup */
};

/*
 * Compare the earlier release with the one at root (laid out, its
 * manifest not written yet), write each upgraded application's appup
 * to lib/<app>-<vsn>/ebin/<app>.appup (a hand-written one wins, see
 * rb_appup_source), then releases/<vsn>/relup.  The unpacked earlier
 * release is removed, also on failure.  out must be initialised; release
 * it either way.
 */
int rb_upgrade_make(const struct rb_upgrade_job *job,
		    struct rb_upgrade_summary *out, struct rb_error *err);

#endif
