#include "boot.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "templates.h"
#include "util.h"

/*
 * The programs are templates/make_boot.eval and make_relup.eval, run in
 * the build machine's erl; the arguments come from -extra so that no
 * path is ever quoted into Erlang source.
 */

/*
 * erl writes with the caller's umask; what it wrote must not depend on
 * it, or a build under umask 077 would differ from one under 022.
 */
static int fix_modes(const struct rb_boot_job *job, struct rb_error *err)
{
	static const char *const made[] = {
		"start.boot", "start.script", "start_clean.boot",
		"start_clean.script", NULL,
	};

	for (const char *const *m = made; *m; m++) {
		char *path = path_join(job->rel_dir, *m);
		int r = chmod(path, 0644);

		if (r < 0)
			rb_fail_errno(err, "cannot chmod '%s'", path);
		free(path);
		if (r < 0)
			return -1;
	}
	if (job->ctl_src && has_suffix(job->ctl_src, ".erl")) {
		char *beam = xasprintf("%.*s.beam",
				       (int)(strlen(job->ctl_src) - 4), job->ctl_src);
		int r = chmod(beam, 0644);

		if (r < 0)
			rb_fail_errno(err, "cannot chmod '%s'", beam);
		free(beam);
		if (r < 0)
			return -1;
	}
	return 0;
}

/*
 * Run argv (an erl -eval program) and, when it fails, make what it
 * printed, on one line, the error: "cannot <what>: <message>".
 */
static int run_erl(const char *const *argv, const char *what,
		   struct rb_error *err)
{
	struct strbuf out = STRBUF_INIT;
	int status = run_capture(argv, NULL, &out, err);

	if (status > 0) {
		char *msg = xstrdup(sb_str(&out));
		size_t n = strlen(msg);

		while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
			msg[--n] = '\0';
		for (char *p = msg; *p; p++)
			if (*p == '\n')
				*p = ' ';
		rb_fail(err, "cannot %s: %s", what, *msg ? msg : "erl failed");
		free(msg);
	}
	sb_release(&out);
	return status ? -1 : 0;
}

int rb_boot_make(const struct rb_boot_job *job, struct rb_error *err)
{
	const char *argv[] = {
		job->erl, "-noshell", "-noinput", "-boot", "start_clean",
		"-eval", rb_template_find("make_boot.eval")->data,
		"-extra", job->rel_dir, job->rel_name,
		job->lib_dir, job->ctl_src ? job->ctl_src : "", NULL,
	};

	if (run_erl(argv, "make the boot script", err) < 0)
		return -1;
	return fix_modes(job, err);
}

/*
 * Every application of both releases is on the path: systools finds
 * each by name and version, the new ones' appups in the new tree.  Old
 * paths first, so that an application both releases share (unchanged:
 * the caller checked) comes from one place.
 */
int rb_relup_make(const struct rb_relup_job *job, struct rb_error *err)
{
	const char *argv[] = {
		job->erl, "-noshell", "-noinput", "-boot", "start_clean",
		"-eval", rb_template_find("make_relup.eval")->data,
		"-extra", job->rel, job->old_rel,
		job->lib_dir, job->old_lib_dir, job->outdir, NULL,
	};
	char *relup;
	int ret = 0;

	if (run_erl(argv, "make the relup", err) < 0)
		return -1;
	relup = path_join(job->outdir, "relup");
	if (chmod(relup, 0644) < 0) /* as fix_modes(): not the umask's */
		ret = rb_fail_errno(err, "cannot chmod '%s'", relup);
	free(relup);
	return ret;
}
