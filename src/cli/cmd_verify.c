/*
 * relbuild verify TARBALL|DIR: check a release tarball, or an unpacked
 * release directory, against the releases/<vsn>/SHA256SUMS it carries,
 * the modes MODES lists, and with --pubkey its signature; name every
 * missing, extra, changed or mode-changed file.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "json_out.h"
#include "manifest.h"
#include "meter.h"
#include "sign.h"
#include "tarball.h"
#include "tty.h"
#include "util.h"

struct verify_opts {
	const char *target; /* TARBALL or DIR */
	const char *pubkey; /* --pubkey */
};

enum { OPT_PUBKEY = CLI_OPT };

static const struct cli_opt verify_opts[] = {
	{ "pubkey", OPT_PUBKEY, "PUB.pem",
	  "also check releases/<vsn>/SHA256SUMS.sig, the\nEd25519 signature of SHA256SUMS, with this key" },
	{ NULL, 0, NULL, NULL },
};

static int verify_opt(struct cli *cli, void *ctx, int key, const char *arg)
{
	struct verify_opts *o = ctx;

	(void)cli;
	if (key == OPT_PUBKEY)
		o->pubkey = arg;
	return 0;
}

/* {"target", "manifest", "ok", "files", "modes", "signature", "kept", ...} */
static void print_json(const struct verify_opts *o,
		       const struct rb_verify_result *res,
		       const struct rb_error *err)
{
	struct json_object *doc = json_object_new_object();

	cli_json_add_string(doc, "target", o->target);
	cli_json_add_string(doc, "manifest", res->manifest);
	json_object_object_add(doc, "ok", json_object_new_boolean(!err && !res->nr_problems));
	json_object_object_add(doc, "files", json_object_new_int64((int64_t)res->nr_files));
	json_object_object_add(doc, "modes", json_object_new_boolean(res->modes));
	cli_json_add_string(doc, "signature", rb_sig_status_name(res->signature));
	json_object_object_add(doc, "kept", json_object_new_int64((int64_t)res->nr_kept));
	json_object_object_add(doc, "kept_from", cli_json_strings(&res->kept_from));
	json_object_object_add(doc, "problems", cli_json_problems(res));
	cli_json_add_error(doc, err);
	cli_json_print(doc);
}

static void print_problems(struct cli *cli, const struct rb_verify_result *res)
{
	for (size_t i = 0; i < res->nr_problems; i++) {
		const struct rb_problem *p = &res->problems[i];
		const char *kind = rb_problem_kind_name(p->kind);

		if (p->kind == RB_PROBLEM_SIGNATURE)
			cli_note(cli, "%s: %s: %s", kind,
				 rb_sig_status_name(res->signature), p->path);
		else if (p->kind == RB_PROBLEM_MODE)
			cli_note(cli, "%s: %s (%04o, expected %04o)", kind,
				 p->path, p->mode, p->expected);
		else
			cli_note(cli, "%s: %s", kind, p->path);
	}
}

/* "DIR: OK (N files[, K kept from V, W][, signature valid])" */
static void print_ok(const struct verify_opts *o,
		     const struct rb_verify_result *res)
{
	tty_printf(stdout, "%s: OK (%zu files", o->target, res->nr_files);
	if (res->nr_kept) {
		tty_printf(stdout, ", %zu kept from ", res->nr_kept);
		for (size_t i = 0; i < res->kept_from.nr; i++)
			tty_printf(stdout, "%s%s", i ? ", " : "", res->kept_from.v[i]);
	}
	tty_printf(stdout, "%s)\n", res->signature == RB_SIG_VALID ? ", signature valid" : "");
}

static int run_verify(struct cli *cli, int argc, char **argv)
{
	struct verify_opts o = { NULL, NULL };
	struct rb_verify_opts vo = { .upgraded = 1 };
	struct rb_verify_result res;
	struct rb_error err = { 0 };
	struct cli_meter meter;
	struct rb_key key;
	int ret, r, at;

	r = cli_parse(cli, &cli_cmd_verify, argc, argv, verify_opt, &o, &at);
	if (r >= 0)
		return r;
	if (at == argc)
		return cli_usage(cli, "missing TARBALL or DIR");
	if (argc - at > 1)
		return cli_usage(cli, "too many arguments");
	o.target = argv[at];
	rb_key_init(&key);
	rb_verify_result_init(&res);
	r = 0;
	if (o.pubkey) {
		r = rb_key_load_public(&key, o.pubkey, &err);
		vo.pubkey = &key;
	}
	cli_meter_start(&meter, cli, "verify");
	vo.progress = cli_meter_hook(&meter);
	if (!r)
		r = is_dir(o.target) ? rb_verify_dir_opts(o.target, &vo, &res, &err)
				     : rb_verify_tarball_opts(o.target, &vo, &res,
							      &err);
	cli_meter_end(&meter);
	if (r < 0) {
		ret = cli_error(cli, &err);
		if (cli->json) {
			/* What the check found before it stopped is no verdict. */
			rb_verify_result_release(&res);
			print_json(&o, &res, &err);
		}
		goto out;
	}
	if (cli->json) {
		print_json(&o, &res, NULL);
	} else {
		print_problems(cli, &res);
		if (res.nr_problems)
			cli_note(cli, "'%s' does not match '%s' (%zu %s)",
				 o.target, res.manifest, res.nr_problems,
				 res.nr_problems == 1 ? "problem" : "problems");
		else if (!cli->quiet)
			print_ok(&o, &res);
	}
	ret = res.nr_problems ? 1 : 0;
out:
	rb_verify_result_release(&res);
	rb_key_release(&key);
	return ret;
}

const struct cli_cmd cli_cmd_verify = {
	.name = "verify",
	.operands = "TARBALL|DIR",
	.summary = "check a tarball or a release directory against its SHA256SUMS",
	.description =
		"Check every file of a release tarball (read as a stream, nothing is\n"
		"extracted) or of an unpacked or installed release directory against\n"
		"the releases/<vsn>/SHA256SUMS inside it, and each file's mode against\n"
		"releases/<vsn>/MODES.  A directory holding several versions is checked\n"
		"against the one releases/start_erl.data names; a file that a hot\n"
		"upgrade left there, listed by another version's SHA256SUMS with the\n"
		"hash found (and with --pubkey, signed), counts as kept, not as a\n"
		"problem.  Each problem is printed\n"
		"as 'missing: PATH', 'extra: PATH', 'changed: PATH', 'duplicate: PATH',\n"
		"'unsafe: PATH', 'mode: PATH (FOUND, expected LISTED)' or\n"
		"'signature: missing|invalid: PATH'.\n",
	.status = "0 all files match (and the signature is valid), 1 a\n"
		  "mismatch or an unreadable input, 2 a usage error or an unusable key\n",
	.opts = verify_opts,
	.flags = CLI_JSON,
	.run = run_verify,
};
