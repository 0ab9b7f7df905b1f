#ifndef RB_RELDIFF_H
#define RB_RELDIFF_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "inspect.h"
#include "manifest.h"
#include "term.h"
#include "upgrade.h"

/*
 * What changed between two releases, each a tarball or a directory
 * (read by rb_inspect_with(): a tarball once, as a stream): the
 * applications added, removed and changed, with their modules and the
 * appup a build with --upgrade would generate; the runtime; and every
 * other file.
 *
 * Files are compared by their SHA-256 as they are in the releases:
 * relbuild strips beams when it builds, so two builds of the same code
 * give the same bytes, and a module is changed when its .beam's bytes
 * differ.  A file's place is compared without the versions in it:
 * lib/<app>-<old>/X against lib/<app>-<new>/X, releases/<old>/X against
 * releases/<new>/X, erts-<old>/X against erts-<new>/X.  Directories are
 * not compared (what they hold is).
 *
 * Strings are as found (any bytes).  Ownership: struct rb_reldiff owns
 * everything it points to; rb_reldiff_release() frees it.
 */

enum rb_change {
	RB_CHANGE_ADDED,   /* only in the new release */
	RB_CHANGE_REMOVED, /* only in the old release */
	RB_CHANGE_CHANGED, /* in both, different */
};

/* "added", "removed", "changed". */
const char *rb_change_name(enum rb_change c);

/* One file that differs. */
struct rb_reldiff_file {
	enum rb_change change;
	char *old_path; /* relative to the old release's root; NULL: added */
	char *new_path; /* relative to the new release's root; NULL: removed */
	enum rb_file_role role; /* in the new release (removed: the old) */
	/* each side's entry as inspected; the absent side's is zero (type
	   RB_ENTRY_FILE, hash "") */
	enum rb_entry_type old_type, new_type;
	unsigned old_mode, new_mode;
	uint64_t old_size, new_size;
	char old_hash[RB_SHA256_HEX], new_hash[RB_SHA256_HEX];
	char *old_link, *new_link; /* symlinks' targets; else NULL */
	/* RB_CHANGE_CHANGED: what differs (one or more) */
	int content_changed; /* type, bytes or link target */
	int mode_changed;
};

/* What a build with --upgrade would do for an application's appup. */
enum rb_appup_status {
	/* added, removed, or the same version: none is made */
	RB_APPUP_STATUS_NONE,
	/* the version changed: appup below */
	RB_APPUP_STATUS_MADE,
	/* modules changed, the version did not: the build fails ("bump vsn
	   in its .app") */
	RB_APPUP_STATUS_UNBUMPED,
	/* a changed module's new .beam has no readable exports: the build
	   fails; appup_error says which */
	RB_APPUP_STATUS_UNREADABLE,
};

/* "none", "made", "unbumped", "unreadable". */
const char *rb_appup_status_name(enum rb_appup_status s);

/* An application added, removed or changed. */
struct rb_reldiff_app {
	char *name;
	enum rb_change change;
	char *old_vsn, *new_vsn;               /* NULL on the absent side */
	char *old_start_type, *new_start_type; /* as the .rel gives them */
	int vsn_changed;
	int start_type_changed;
	int content_changed; /* a file below lib/<app>-<vsn>/ differs */
	/*
	 * The modules (ebin/<m>.beam) added, changed (bytes differ) and
	 * deleted, each sorted; advanced: the changed ones whose new beam
	 * exports code_change/3 or /4.  For added and removed applications
	 * empty.
	 */
	struct rb_module_diff modules;
	/* the other files below lib/<app>-<vsn>/ that differ; paths in
	   them are relative to the release roots */
	struct rb_reldiff_file *files;
	size_t nr_files;

	enum rb_appup_status appup_status;
	/*
	 * RB_APPUP_STATUS_MADE: the appup term relbuild generates for this
	 * module diff (rb_appup_term(): {New, [{Old, Up}], [{Old, Down}]});
	 * rb_appup_text() on the same diff gives the file the build writes.
	 */
	struct rb_term *appup;
	/*
	 * RB_APPUP_STATUS_MADE: where the build would take the appup from,
	 * as far as the new release tells: RB_APPUP_PRIV when it holds
	 * lib/<app>-<new>/priv/appups/<old>_to_<new>.appup,
	 * RB_APPUP_SHIPPED when its lib/<app>-<new>/ebin/<app>.appup covers
	 * the old version (rb_appup_covers()), else RB_APPUP_GENERATED.  A
	 * project's rel/appups/ (RB_APPUP_PROJECT) is not in a release.
	 */
	enum rb_appup_source appup_source;
	char *appup_file; /* PRIV, SHIPPED: that file, relative to the new root */
	char *appup_error; /* RB_APPUP_STATUS_UNREADABLE: the .beam and why */
};

/* The runtime. */
struct rb_reldiff_erts {
	char *old_vsn, *new_vsn; /* what each .rel names */
	int old_included, new_included; /* erts-<vsn>/ in the release */
	int changed; /* the version, its inclusion or a file differs */
	/* files below erts-<vsn>/, compared by their path below it */
	size_t nr_added, nr_removed, nr_changed;
};

struct rb_reldiff {
	char *old_target, *new_target; /* the paths given */
	char *old_name, *new_name;
	char *old_vsn, *new_vsn;
	struct rb_reldiff_erts erts;
	/* changed and added ones in the new .rel's order, then removed
	   ones in the old .rel's order */
	struct rb_reldiff_app *apps;
	size_t nr_apps;
	size_t nr_unchanged_apps;
	/* every other file that differs (generated, hook, command,
	   other_version and overlay roles), sorted by its path (the new
	   one, or the old one when removed) */
	struct rb_reldiff_file *files;
	size_t nr_files;
};

void rb_reldiff_init(struct rb_reldiff *d);
void rb_reldiff_release(struct rb_reldiff *d);

/*
 * Compare the release at old_path with the one at new_path (each a
 * tarball or a directory, as rb_inspect_with() reads them; no
 * checksums are checked: `relbuild verify` does that).  Fails when
 * either cannot be read as a release.  out must be initialised;
 * release it either way.
 */
int rb_reldiff(const char *old_path, const char *new_path,
	       struct rb_reldiff *out, struct rb_error *err);

/*
 * The same for two releases already inspected (rb_inspect_with()) with
 * opts.hash set, and for new_ opts.beams (else no module gets an update
 * instruction).  Fails when a file was not hashed.
 */
int rb_reldiff_inspected(const struct rb_inspect *old,
			 const struct rb_inspect *new_,
			 struct rb_reldiff *out, struct rb_error *err);

#endif
