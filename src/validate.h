#ifndef RB_VALIDATE_H
#define RB_VALIDATE_H

/*
 * What a build copies and what the release reads at boot, checked before
 * anything is written: so that a broken or hostile input fails in CI
 * with its file named (line:col where there is one), never on the
 * server, and leaves nothing half-built behind.
 *
 * Paths in messages are relative to the project root when they lie
 * under it, else absolute.
 */

#include "apps.h"
#include "config.h"
#include "error.h"
#include "project.h"
#include "util.h"

/*
 * Where the links of a tree may lead: under one of inside (the tree's
 * owner: an application's directory, or the project) or one of allowed
 * (follow_links_under:).  All are real paths (realpath(3)); owner names
 * the owner in messages ("application 'x'", "the project").
 */
struct rb_link_rules {
	const char *project;         /* the project root, for shown paths */
	const struct strvec *inside;
	const struct strvec *allowed;
	const char *owner;
};

/*
 * Check path (a file or a directory tree) as copying it into a release
 * would read it, links followed: every link resolves, under rules'
 * roots, without a loop; nothing is a FIFO, socket or device; every
 * file is readable.  "PATH: links to 'TARGET', outside …" and the like
 * (RB_ECONFIG).
 */
int rb_check_tree(const struct rb_link_rules *rules, const char *path,
		  struct rb_error *err);

/*
 * The keys systools asks of every application of a release: a missing
 * one is "FILE:LINE:COL: application 'x' has no 'registered' key …"
 * (RB_ECONFIG), where systools only says "Missing parameter".
 */
int rb_check_app_keys(const struct rb_app *app, const char *shown,
		      struct rb_error *err);

/*
 * A sys.config: one term, a list of {Application, [{Key, Value}]} pairs
 * or strings (names of other config files), ending in a dot.  ${VAR} and
 * ${VAR:-default} may stand where a term may, and inside strings, quoted
 * atoms and binaries: the control script fills them in at boot.  shown
 * names the file in messages: "SHOWN:LINE:COL: …" (RB_ECONFIG).
 */
int rb_check_sys_config(const char *text, size_t len, const char *shown,
			struct rb_error *err);

/*
 * A vm.args: one flag per line ("-name x", "+K true", "-kernel k v"),
 * "#" comments and blank lines.  A line that is no flag is an error;
 * "-setcookie" with a literal cookie (not a ${VAR}) adds a warning to
 * warnings ("SHOWN:LINE: …").
 */
int rb_check_vm_args(const char *text, size_t len, const char *shown,
		     struct strvec *warnings, struct rb_error *err);

/*
 * A hook or custom command script: "sh -n" (or the shell its "#!" line
 * names, when that shell is here) must accept it.  Scripts for other
 * interpreters (escript, python…) and binaries are not checked.
 */
int rb_check_script(const char *path, const char *shown,
		    struct rb_error *err);

/*
 * Everything above, for a release about to be assembled from plan:
 * the project's applications (apps, as closed over: those under the
 * project root) and their priv/ and include/, the overlays, hooks and
 * commands; the .app keys of every application; sys.config, vm.args and
 * remote.vm.args when the config names them.  Warnings are added to
 * warnings, for the caller to print.
 */
int rb_validate_release(const struct rb_plan *plan,
			const struct rb_project *proj,
			const struct rb_app_list *apps,
			struct strvec *warnings, struct rb_error *err);

#endif
