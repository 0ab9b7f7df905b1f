/*
 * relbuild rollback --root DIR [VERSION]: switch DIR/current back to
 * DIR/previous, or to a named installed version, atomically.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd.h"
#include "cmd_opt.h"
#include "install.h"
#include "util.h"

static const char rollback_usage[] =
	"usage: relbuild rollback --root DIR [VERSION]\n"
	"\n"
	"Switch DIR/current atomically to VERSION (a name under DIR/versions/,\n"
	"or a release version: its most recent install), or without VERSION to\n"
	"DIR/previous, the release current replaced last; previous then names\n"
	"the release that was current, so two rollbacks come back.  The target\n"
	"is verified against its SHA256SUMS first and refused if it does not\n"
	"match.\n"
	"\n"
	"  --root DIR   the install root (required)\n"
	"  --force      switch even to a release that does not verify\n"
	"  -q, --quiet  print nothing but errors\n"
	"\n"
	"exit status: 0 switched, 1 refused or failed, 2 a usage error\n";

static int current_exists(const char *root)
{
	char *p = xasprintf("%s/current", root);
	struct stat st;
	int r = lstat(p, &st) == 0;

	free(p);
	return r;
}

int cmd_rollback(int argc, char **argv)
{
	struct rb_install_result res;
	struct rb_error err = { 0, "" };
	const char *root = NULL, *version = NULL, *val;
	int force = 0, quiet = 0, dashdash = 0, ret;

	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		int r;

		if (dashdash || arg[0] != '-' || !arg[1]) {
			if (version)
				return usage_error("rollback", "rollback: too many arguments");
			version = arg;
			continue;
		}
		if (!strcmp(arg, "--")) {
			dashdash = 1;
		} else if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
			fputs(rollback_usage, stdout);
			return 0;
		} else if (!strcmp(arg, "--force")) {
			force = 1;
		} else if (!strcmp(arg, "-q") || !strcmp(arg, "--quiet")) {
			quiet = 1;
		} else if ((r = option_value(argc, argv, &i, "--root", &val))) {
			if (r < 0 || !*val)
				return usage_error("rollback", "rollback: --root needs a directory");
			strip_trailing_slashes((char *)val); /* argv's own */
			root = val;
		} else {
			return usage_error("rollback", "rollback: unknown option '%s'", arg);
		}
	}
	if (!root)
		return usage_error("rollback", "rollback: missing --root DIR");

	rb_install_result_init(&res);
	if (rb_rollback(root, version, force, &res, &err) < 0) {
		for (size_t i = 0; i < res.verify.nr_problems; i++) {
			tty_printf(stderr, "relbuild: rollback: %s: ",
				rb_problem_kind_name(res.verify.problems[i].kind));
			print_sanitized(stderr, res.verify.problems[i].path);
			fputc('\n', stderr);
		}
		fputs("relbuild: rollback: ", stderr);
		print_sanitized(stderr, err.msg);
		fputc('\n', stderr);
		if (!res.switched && current_exists(root))
			tty_printf(stderr, "relbuild: rollback: '%s/current' is unchanged\n",
				root);
		ret = err.code == RB_ECONFIG ? 2 : 1;
		goto out;
	}
	if (res.verify.nr_problems)
		tty_printf(stderr, "relbuild: rollback: warning: switched to '%s', which does not match its SHA256SUMS (%zu %s)\n",
			res.name, res.verify.nr_problems,
			res.verify.nr_problems == 1 ? "problem" : "problems");
	if (!quiet)
		tty_printf(stdout, "current -> versions/%s%s%s%s\n", res.name,
		       res.was ? " (was " : "", res.was ? res.was : "",
		       res.was ? ")" : "");
	ret = 0;
out:
	rb_install_result_release(&res);
	return ret;
}
