/*
 * relbuild install TARBALL --root DIR: verify a release tarball, unpack
 * it into DIR/versions/<vsn> with every hostile entry refused, and switch
 * DIR/current to it atomically.  The work is install.c's; this file
 * parses options and prints.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "cmd_opt.h"
#include "install.h"
#include "util.h"

static const char install_usage[] =
	"usage: relbuild install TARBALL --root DIR [options]\n"
	"\n"
	"Check TARBALL (its sidecar hash, its signature with --pubkey, and every\n"
	"file against the releases/<vsn>/SHA256SUMS inside), unpack it into\n"
	"DIR/versions/<vsn> refusing every hostile entry, and switch DIR/current\n"
	"to it atomically; DIR/previous then names the release it replaced.\n"
	"A refused tarball leaves nothing behind and DIR/current unchanged.\n"
	"\n"
	"Under DIR: versions/<vsn>/ (one release each), current and previous\n"
	"(symlinks into versions/), installed (the install order, oldest first),\n"
	"shared/log/ and shared/tmp/ (for what outlives a version), .lock.  What\n"
	"a killed install left (.tmp-* names) goes at the next install or rollback.\n"
	"\n"
	"  --root DIR          the install root (required; created if missing)\n"
	"  --pubkey PUB.pem    require releases/<vsn>/SHA256SUMS.sig, valid for\n"
	"                      this Ed25519 public key\n"
	"  --sha256 HEX        the tarball's SHA-256 (default: from TARBALL.sha256\n"
	"                      when that file exists, else not checked)\n"
	"  --keep N            keep the N most recent installs, current and previous\n"
	"                      always among them; 0 keeps all (default 5); a version\n"
	"                      a process still runs from is never removed\n"
	"  --force             install a version that is already installed again,\n"
	"                      as DIR/versions/<vsn>~N (without it: refused)\n"
	"  --no-switch         install, but leave DIR/current as it is\n"
	"  --max-entries N     refuse an archive of more entries (default 200000)\n"
	"  --max-bytes N       ... of more bytes of files in all (default 8G)\n"
	"  --max-file-bytes N  ... with a larger file (default 4G)\n"
	"                      (sizes take a K, M, G or T suffix: powers of 1024)\n"
	"  -q, --quiet         print nothing but errors\n"
	"\n"
	"exit status: 0 installed, 1 refused or failed, 2 a usage error\n";

static void print_problems(const char *cmd, const struct rb_verify_result *v)
{
	for (size_t i = 0; i < v->nr_problems; i++) {
		tty_printf(stderr, "relbuild: %s: %s: ", cmd,
			rb_problem_kind_name(v->problems[i].kind));
		print_sanitized(stderr, v->problems[i].path);
		fputc('\n', stderr);
	}
}

int cmd_install(int argc, char **argv)
{
	struct rb_install_opts o;
	struct rb_install_result res;
	struct rb_error err = { 0, "" };
	const char *tarball = NULL, *val;
	int quiet = 0, dashdash = 0, ret;

	rb_install_opts_init(&o, NULL);
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		int r;

		if (dashdash || arg[0] != '-' || !arg[1]) {
			if (tarball)
				return usage_error("install", "install: too many arguments");
			tarball = arg;
			continue;
		}
		if (!strcmp(arg, "--")) {
			dashdash = 1;
		} else if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
			fputs(install_usage, stdout);
			return 0;
		} else if (!strcmp(arg, "-q") || !strcmp(arg, "--quiet")) {
			quiet = 1;
		} else if (!strcmp(arg, "--force")) {
			o.force = 1;
		} else if (!strcmp(arg, "--no-switch")) {
			o.no_switch = 1;
		} else if ((r = option_value(argc, argv, &i, "--root", &val))) {
			if (r < 0 || !*val)
				return usage_error("install", "install: --root needs a directory");
			strip_trailing_slashes((char *)val); /* argv's own */
			o.root = val;
		} else if ((r = option_value(argc, argv, &i, "--pubkey", &val))) {
			if (r < 0 || !*val)
				return usage_error("install", "install: --pubkey needs a file");
			o.pubkey = val;
		} else if ((r = option_value(argc, argv, &i, "--sha256", &val))) {
			if (r < 0)
				return usage_error("install", "install: --sha256 needs a hash");
			o.sha256 = val;
		} else if ((r = option_value(argc, argv, &i, "--keep", &val))) {
			uint64_t n;

			if (r < 0 || parse_size_arg(val, &n) < 0 || n > 1000000)
				return usage_error("install", "install: --keep needs a number");
			o.keep = (unsigned)n;
		} else if ((r = option_value(argc, argv, &i, "--max-entries", &val))) {
			if (r < 0 || parse_size_arg(val, &o.limits.max_entries) < 0)
				return usage_error("install", "install: --max-entries needs a number");
		} else if ((r = option_value(argc, argv, &i, "--max-bytes", &val))) {
			if (r < 0 || parse_size_arg(val, &o.limits.max_bytes) < 0)
				return usage_error("install", "install: --max-bytes needs a size");
		} else if ((r = option_value(argc, argv, &i, "--max-file-bytes", &val))) {
			if (r < 0 || parse_size_arg(val, &o.limits.max_file_bytes) < 0)
				return usage_error("install", "install: --max-file-bytes needs a size");
		} else {
			return usage_error("install", "install: unknown option '%s'", arg);
		}
	}
	if (!tarball)
		return usage_error("install", "install: missing TARBALL");
	if (!o.root)
		return usage_error("install", "install: missing --root DIR");

	rb_install_result_init(&res);
	if (rb_install(tarball, &o, &res, &err) < 0) {
		print_problems("install", &res.verify);
		fputs("relbuild: install: ", stderr);
		print_sanitized(stderr, err.msg);
		fputc('\n', stderr);
		if (!res.name)
			tty_printf(stderr, "relbuild: install: '%s' refused: nothing was installed, '%s/current' is unchanged\n",
				tarball, o.root);
		else if (!res.switched && !o.no_switch)
			tty_printf(stderr, "relbuild: install: %s is in '%s/versions/%s', but '%s/current' was not switched to it\n",
				res.vsn, o.root, res.name, o.root);
		ret = err.code == RB_ECONFIG ? 2 : 1;
		goto out;
	}
	if (!quiet) {
		tty_printf(stdout, "installed %s in %s/versions/%s (%zu files verified%s%s%s)\n",
		       res.vsn, o.root, res.name, res.verify.nr_files,
		       res.sidecar ? ", sha-256 from " : "",
		       res.sidecar ? res.sidecar : "",
		       res.signature ? ", signature valid" : "");
		if (res.switched)
			tty_printf(stdout, "current -> versions/%s%s%s%s\n", res.name,
			       res.was ? " (was " : "", res.was ? res.was : "",
			       res.was ? ")" : "");
		for (size_t i = 0; i < res.pruned.nr; i++)
			tty_printf(stdout, "removed old version %s\n", res.pruned.v[i]);
		for (size_t i = 0; i < res.in_use.nr; i++)
			tty_printf(stdout, "kept old version %s: a process runs from it\n",
			       res.in_use.v[i]);
	}
	if (res.warning) {
		fputs("relbuild: install: warning: ", stderr);
		print_sanitized(stderr, res.warning);
		fputc('\n', stderr);
	}
	ret = 0;
out:
	rb_install_result_release(&res);
	return ret;
}
