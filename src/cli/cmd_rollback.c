/*
 * relbuild rollback --root DIR [VERSION]: switch DIR/current back to
 * DIR/previous, or to a named installed version, atomically.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "install.h"
#include "json_out.h"
#include "tty.h"
#include "util.h"

struct rollback_opts {
	const char *root; /* --root DIR */
	int force;        /* --force */
};

enum { OPT_ROOT = CLI_OPT, OPT_FORCE };

static const struct cli_opt rollback_opts[] = {
	{ "root", OPT_ROOT, "DIR", "the install root (required)" },
	{ "force", OPT_FORCE, NULL, "switch even to a release that does not verify" },
	{ NULL, 0, NULL, NULL },
};

static int rollback_opt(struct cli *cli, void *ctx, int key, const char *arg)
{
	struct rollback_opts *o = ctx;

	(void)cli;
	if (key == OPT_ROOT) {
		strip_trailing_slashes((char *)arg); /* argv's own */
		o->root = arg;
	} else if (key == OPT_FORCE) {
		o->force = 1;
	}
	return 0;
}

/* {"ok", "root", "name", "version", "was", "switched", "problems", "error"} */
static void print_json(const char *root, const struct rb_install_result *res,
		       const struct rb_error *err)
{
	struct json_object *doc = json_object_new_object();

	json_object_object_add(doc, "ok", json_object_new_boolean(!err));
	cli_json_add_string(doc, "root", root);
	cli_json_add_string(doc, "name", res->name);
	cli_json_add_string(doc, "version", res->vsn);
	cli_json_add_string(doc, "was", res->was);
	json_object_object_add(doc, "switched", json_object_new_boolean(res->switched));
	json_object_object_add(doc, "problems", cli_json_problems(&res->verify));
	cli_json_add_error(doc, err);
	cli_json_print(doc);
}

static int current_exists(const char *root)
{
	char *p = xasprintf("%s/current", root);
	struct stat st;
	int r = lstat(p, &st) == 0;

	free(p);
	return r;
}

static int run_rollback(struct cli *cli, int argc, char **argv)
{
	struct rb_install_result res;
	struct rb_error err = { 0 };
	struct rollback_opts o = { NULL, 0 };
	const char *version;
	int ret, at;

	ret = cli_parse(cli, &cli_cmd_rollback, argc, argv, rollback_opt, &o, &at);
	if (ret >= 0)
		return ret;
	if (argc - at > 1)
		return cli_usage(cli, "too many arguments");
	if (!o.root)
		return cli_usage(cli, "missing --root DIR");
	version = at < argc ? argv[at] : NULL;

	rb_install_result_init(&res);
	if (rb_rollback(o.root, version, o.force, &res, &err) < 0) {
		for (size_t i = 0; i < res.verify.nr_problems; i++)
			cli_note(cli, "%s: %s",
				 rb_problem_kind_name(res.verify.problems[i].kind),
				 res.verify.problems[i].path);
		ret = cli_error(cli, &err);
		if (!res.switched && current_exists(o.root))
			cli_note(cli, "'%s/current' is unchanged", o.root);
		if (cli->json)
			print_json(o.root, &res, &err);
		goto out;
	}
	if (res.verify.nr_problems)
		cli_warn(cli, "switched to '%s', which does not match its SHA256SUMS (%zu %s)",
			 res.name, res.verify.nr_problems,
			 res.verify.nr_problems == 1 ? "problem" : "problems");
	if (cli->json)
		print_json(o.root, &res, NULL);
	else if (!cli->quiet)
		tty_printf(stdout, "current -> versions/%s%s%s%s\n", res.name,
			   res.was ? " (was " : "", res.was ? res.was : "",
			   res.was ? ")" : "");
	ret = 0;
out:
	rb_install_result_release(&res);
	return ret;
}

const struct cli_cmd cli_cmd_rollback = {
	.name = "rollback",
	.operands = "[VERSION]",
	.summary = "switch an install root back to another installed version",
	.description =
		"Switch DIR/current atomically to VERSION (a name under DIR/versions/,\n"
		"or a release version: its most recent install), or without VERSION to\n"
		"DIR/previous, the release current replaced last; previous then names\n"
		"the release that was current, so two rollbacks come back.  The target\n"
		"is verified against its SHA256SUMS first and refused if it does not\n"
		"match.\n",
	.status = "0 switched, 1 refused or failed, 2 a usage error\n",
	.opts = rollback_opts,
	.flags = CLI_JSON,
	.run = run_rollback,
};
