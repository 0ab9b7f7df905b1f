#include "boot.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util.h"

/*
 * Run in the build machine's erl; the arguments come from -extra so that
 * no path is ever quoted into Erlang source.
 */
static const char boot_program[] =
	"[RelDir, Name, Lib, Ctl] = init:get_plain_arguments(),\n"
	"Paths = filelib:wildcard(filename:join([Lib, \"*\", \"ebin\"])),\n"
	"Opts = [{path, Paths}, {outdir, RelDir},\n"
	"        {variables, [{\"RELEASE_LIB\", Lib}]}, silent, no_warn_sasl],\n"
	"Make = fun(Rel, Script) ->\n"
	"  case systools:make_script(filename:join(RelDir, Rel),\n"
	"                            [{script_name, Script} | Opts]) of\n"
	"    {ok, _, _} -> ok;\n"
	"    {error, M, E} ->\n"
	"      io:format(\"~ts.rel: ~ts~n\", [Rel, M:format_error(E)]),\n"
	"      halt(1)\n"
	"  end\n"
	"end,\n"
	"Make(Name, \"start\"),\n"
	"Make(\"start_clean\", \"start_clean\"),\n"
	"case Ctl of\n"
	"  \"\" -> ok;\n"
	"  _ ->\n"
	"    case compile:file(Ctl, [deterministic, return_errors,\n"
	"                            {outdir, filename:dirname(Ctl)}]) of\n"
	"      {ok, _} -> ok;\n"
	"      Err -> io:format(\"~ts: ~tp~n\", [Ctl, Err]), halt(1)\n"
	"    end\n"
	"end,\n"
	"halt(0).\n";

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
		"-eval", boot_program, "-extra", job->rel_dir, job->rel_name,
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
static const char relup_program[] =
	"[Rel, OldRel, Lib, OldLib, Out] = init:get_plain_arguments(),\n"
	"Ebins = fun(L) -> filelib:wildcard(filename:join([L, \"*\", \"ebin\"])) end,\n"
	"Opts = [{path, Ebins(OldLib) ++ Ebins(Lib)}, {outdir, Out},\n"
	"        silent, no_warn_sasl],\n"
	"try systools:make_relup(Rel, [OldRel], [OldRel], Opts) of\n"
	"  {ok, _, _, _} -> halt(0);\n"
	"  {error, M, E} -> io:format(\"~ts~n\", [M:format_error(E)]), halt(1)\n"
	"catch\n"
	"  C:R -> io:format(\"~p: ~tp~n\", [C, R]), halt(1)\n"
	"end.\n";

int rb_relup_make(const struct rb_relup_job *job, struct rb_error *err)
{
	const char *argv[] = {
		job->erl, "-noshell", "-noinput", "-boot", "start_clean",
		"-eval", relup_program, "-extra", job->rel, job->old_rel,
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
