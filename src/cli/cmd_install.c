/*
 * relbuild install TARBALL --root DIR: verify a release tarball, unpack
 * it into DIR/versions/<vsn> with every hostile entry refused, and switch
 * DIR/current to it atomically.  The work is install.c's; this file
 * parses options and prints.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "install.h"
#include "json_out.h"
#include "meter.h"
#include "tty.h"
#include "util.h"

enum {
	OPT_ROOT = CLI_OPT, OPT_PUBKEY, OPT_SHA256, OPT_KEEP, OPT_FORCE,
	OPT_NO_SWITCH, OPT_MAX_ENTRIES, OPT_MAX_BYTES, OPT_MAX_FILE_BYTES,
};

static const struct cli_opt install_opts[] = {
	{ "root", OPT_ROOT, "DIR", "the install root (required; created if missing)" },
	{ "pubkey", OPT_PUBKEY, "PUB.pem",
	  "require releases/<vsn>/SHA256SUMS.sig, valid for\nthis Ed25519 public key" },
	{ "sha256", OPT_SHA256, "HEX",
	  "the tarball's SHA-256 (default: from TARBALL.sha256\nwhen that file exists, else not checked)" },
	{ "keep", OPT_KEEP, "N",
	  "keep the N most recent installs, current and previous\nalways among them; 0 keeps all (default 5); a version\na process still runs from is never removed" },
	{ "force", OPT_FORCE, NULL,
	  "install a version that is already installed again,\nas DIR/versions/<vsn>~N (without it: refused)" },
	{ "no-switch", OPT_NO_SWITCH, NULL, "install, but leave DIR/current as it is" },
	{ "max-entries", OPT_MAX_ENTRIES, "N", "refuse an archive of more entries (default 200000)" },
	{ "max-bytes", OPT_MAX_BYTES, "N", "... of more bytes of files in all (default 8G)" },
	{ "max-file-bytes", OPT_MAX_FILE_BYTES, "N",
	  "... with a larger file (default 4G)\n(sizes take a K, M, G or T suffix: powers of 1024)" },
	{ NULL, 0, NULL, NULL },
};

static int install_opt(struct cli *cli, void *ctx, int key, const char *arg)
{
	struct rb_install_opts *o = ctx;
	uint64_t n;

	switch (key) {
	case OPT_ROOT:
		strip_trailing_slashes((char *)arg); /* argv's own */
		o->root = arg;
		break;
	case OPT_PUBKEY: o->pubkey = arg; break;
	case OPT_SHA256: o->sha256 = arg; break;
	case OPT_FORCE: o->force = 1; break;
	case OPT_NO_SWITCH: o->no_switch = 1; break;
	case OPT_KEEP:
		if (parse_size_arg(arg, &n) < 0 || n > 1000000)
			return cli_usage(cli, "--keep needs a number, not '%s'", arg);
		o->keep = (unsigned)n;
		break;
	case OPT_MAX_ENTRIES:
		if (parse_size_arg(arg, &o->limits.max_entries) < 0)
			return cli_usage(cli, "--max-entries needs a number, not '%s'", arg);
		break;
	case OPT_MAX_BYTES:
		if (parse_size_arg(arg, &o->limits.max_bytes) < 0)
			return cli_usage(cli, "--max-bytes needs a size, not '%s'", arg);
		break;
	case OPT_MAX_FILE_BYTES:
		if (parse_size_arg(arg, &o->limits.max_file_bytes) < 0)
			return cli_usage(cli, "--max-file-bytes needs a size, not '%s'", arg);
		break;
	}
	return 0;
}

static void print_problems(struct cli *cli, const struct rb_verify_result *v)
{
	for (size_t i = 0; i < v->nr_problems; i++)
		cli_note(cli, "%s: %s", rb_problem_kind_name(v->problems[i].kind),
			 v->problems[i].path);
}

/* {"ok", "tarball", "root", "name", "version", ..., "problems", "error"} */
static void print_json(const char *tarball, const struct rb_install_opts *o,
		       const struct rb_install_result *res,
		       const struct rb_error *err)
{
	struct json_object *doc = json_object_new_object();

	json_object_object_add(doc, "ok", json_object_new_boolean(!err));
	cli_json_add_string(doc, "tarball", tarball);
	cli_json_add_string(doc, "root", o->root);
	cli_json_add_string(doc, "name", res->name);
	cli_json_add_string(doc, "version", res->vsn);
	json_object_object_add(doc, "switched", json_object_new_boolean(res->switched));
	cli_json_add_string(doc, "was", res->was);
	json_object_object_add(doc, "files",
			       json_object_new_int64((int64_t)res->verify.nr_files));
	cli_json_add_string(doc, "sidecar", res->sidecar);
	json_object_object_add(doc, "signature", json_object_new_boolean(res->signature));
	json_object_object_add(doc, "removed", cli_json_strings(&res->pruned));
	json_object_object_add(doc, "in_use", cli_json_strings(&res->in_use));
	cli_json_add_string(doc, "warning", res->warning);
	json_object_object_add(doc, "problems", cli_json_problems(&res->verify));
	cli_json_add_error(doc, err);
	cli_json_print(doc);
}

static void print_done(const struct rb_install_opts *o,
		       const struct rb_install_result *res)
{
	tty_printf(stdout, "installed %s in %s/versions/%s (%zu files verified%s%s%s)\n",
		   res->vsn, o->root, res->name, res->verify.nr_files,
		   res->sidecar ? ", sha-256 from " : "",
		   res->sidecar ? res->sidecar : "",
		   res->signature ? ", signature valid" : "");
	if (res->switched)
		tty_printf(stdout, "current -> versions/%s%s%s%s\n", res->name,
			   res->was ? " (was " : "", res->was ? res->was : "",
			   res->was ? ")" : "");
	for (size_t i = 0; i < res->pruned.nr; i++)
		tty_printf(stdout, "removed old version %s\n", res->pruned.v[i]);
	for (size_t i = 0; i < res->in_use.nr; i++)
		tty_printf(stdout, "kept old version %s: a process runs from it\n",
			   res->in_use.v[i]);
}

static int run_install(struct cli *cli, int argc, char **argv)
{
	struct rb_install_opts o;
	struct rb_install_result res;
	struct rb_error err = { 0 };
	struct cli_meter progress;
	const char *tarball;
	int ret, at;

	rb_install_opts_init(&o, NULL);
	ret = cli_parse(cli, &cli_cmd_install, argc, argv, install_opt, &o, &at);
	if (ret >= 0)
		return ret;
	if (at == argc)
		return cli_usage(cli, "missing TARBALL");
	if (argc - at > 1)
		return cli_usage(cli, "too many arguments");
	if (!o.root)
		return cli_usage(cli, "missing --root DIR");
	tarball = argv[at];

	rb_install_result_init(&res);
	cli_meter_start(&progress, cli, "install");
	o.progress = cli_meter_hook(&progress);
	ret = rb_install(tarball, &o, &res, &err);
	cli_meter_end(&progress);
	if (ret < 0) {
		print_problems(cli, &res.verify);
		ret = cli_error(cli, &err);
		if (!res.name)
			cli_note(cli, "'%s' refused: nothing was installed, '%s/current' is unchanged",
				 tarball, o.root);
		else if (!res.switched && !o.no_switch)
			cli_note(cli, "%s is in '%s/versions/%s', but '%s/current' was not switched to it",
				 res.vsn, o.root, res.name, o.root);
		if (cli->json)
			print_json(tarball, &o, &res, &err);
		goto out;
	}
	if (cli->json)
		print_json(tarball, &o, &res, NULL);
	else if (!cli->quiet)
		print_done(&o, &res);
	if (res.warning)
		cli_warn(cli, "%s", res.warning);
	ret = 0;
out:
	rb_install_result_release(&res);
	return ret;
}

const struct cli_cmd cli_cmd_install = {
	.name = "install",
	.operands = "TARBALL",
	.summary = "verify a tarball and install it under a root, switching atomically",
	.description =
		"Check TARBALL (its sidecar hash, its signature with --pubkey, and every\n"
		"file against the releases/<vsn>/SHA256SUMS inside), unpack it into\n"
		"DIR/versions/<vsn> refusing every hostile entry, and switch DIR/current\n"
		"to it atomically; DIR/previous then names the release it replaced.\n"
		"A refused tarball leaves nothing behind and DIR/current unchanged.\n"
		"\n"
		"Under DIR: versions/<vsn>/ (one release each), current and previous\n"
		"(symlinks into versions/), installed (the install order, oldest first),\n"
		"shared/log/ and shared/tmp/ (for what outlives a version), .lock.  What\n"
		"a killed install left (.tmp-* names) goes at the next install or rollback.\n",
	.status = "0 installed, 1 refused or failed, 2 a usage error\n",
	.opts = install_opts,
	.flags = CLI_JSON,
	.run = run_install,
};
