/*
 * relbuild verify TARBALL|DIR: check a release tarball, or an unpacked
 * release directory, against the releases/<vsn>/SHA256SUMS it carries,
 * and name every missing, extra or changed file.
 */
#include <stdio.h>
#include <string.h>

#include "tarball.h"
#include "cmd.h"
#include "manifest.h"
#include "util.h"

static const char verify_usage[] =
	"usage: relbuild verify TARBALL\n"
	"       relbuild verify DIR\n"
	"\n"
	"Check every file of a release tarball (read as a stream, nothing is\n"
	"extracted) or of an unpacked release directory against the\n"
	"releases/<vsn>/SHA256SUMS inside it.  Each problem is printed as\n"
	"'missing: PATH', 'extra: PATH', 'changed: PATH', 'duplicate: PATH' or\n"
	"'unsafe: PATH'.\n"
	"\n"
	"exit status: 0 all files match, 1 a mismatch or an unreadable input,\n"
	"2 a usage error\n";

/* A name from a hostile tarball must not drive the terminal. */
static void print_path(FILE *f, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		fputc(*p < 0x20 || *p == 0x7f ? '?' : *p, f);
}

int cmd_verify(int argc, char **argv)
{
	struct rb_verify_result res;
	struct rb_error err = { 0, "" };
	const char *target = NULL;
	int dashdash = 0, ret, r;

	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];

		if (!dashdash && (!strcmp(arg, "--help") || !strcmp(arg, "-h"))) {
			fputs(verify_usage, stdout);
			return 0;
		}
		if (!dashdash && !strcmp(arg, "--")) {
			dashdash = 1;
			continue;
		}
		if (!dashdash && arg[0] == '-' && arg[1])
			return usage_error("verify", "verify: unknown option '%s'",
					   arg);
		if (target)
			return usage_error("verify", "verify: too many arguments");
		target = arg;
	}
	if (!target)
		return usage_error("verify", "verify: missing TARBALL");

	rb_verify_result_init(&res);
	if (is_dir(target))
		r = rb_verify_dir(target, NULL, &res, &err);
	else
		r = rb_verify_tarball(target, &res, &err);
	if (r < 0) {
		fprintf(stderr, "relbuild: verify: %s\n", err.msg);
		ret = err.code == RB_ECONFIG ? 2 : 1;
		goto out;
	}
	for (size_t i = 0; i < res.nr_problems; i++) {
		fprintf(stderr, "relbuild: verify: %s: ",
			rb_problem_kind_name(res.problems[i].kind));
		print_path(stderr, res.problems[i].path);
		fputc('\n', stderr);
	}
	if (res.nr_problems) {
		fprintf(stderr, "relbuild: verify: '%s' does not match '%s' (%zu %s)\n",
			target, res.manifest, res.nr_problems,
			res.nr_problems == 1 ? "problem" : "problems");
		ret = 1;
		goto out;
	}
	printf("%s: OK (%zu files)\n", target, res.nr_files);
	ret = 0;
out:
	rb_verify_result_release(&res);
	return ret;
}
