/*
 * relbuild list --root DIR: the versions installed under DIR, newest
 * install first, current marked '*', each verified against its
 * SHA256SUMS.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "install.h"
#include "json_out.h"
#include "tty.h"

struct list_opts {
	const char *root; /* --root DIR */
	int verify;       /* not --no-verify */
};

enum { OPT_ROOT = CLI_OPT, OPT_NO_VERIFY };

static const struct cli_opt list_opts[] = {
	{ "root", OPT_ROOT, "DIR", "the install root (required)" },
	{ "no-verify", OPT_NO_VERIFY, NULL,
	  "do not check the files (fast); the status is 'unchecked'" },
	{ NULL, 0, NULL, NULL },
};

static int list_opt(struct cli *cli, void *ctx, int key, const char *arg)
{
	struct list_opts *o = ctx;

	(void)cli;
	if (key == OPT_ROOT) {
		strip_trailing_slashes((char *)arg); /* argv's own */
		o->root = arg;
	} else if (key == OPT_NO_VERIFY) {
		o->verify = 0;
	}
	return 0;
}

/* [{name, version, current, previous, verified, problems, error}] */
static void print_json(const struct rb_installed_list *l, int verify)
{
	struct json_object *doc = json_object_new_array();

	for (size_t i = 0; i < l->nr; i++) {
		const struct rb_installed *it = &l->v[i];
		struct json_object *o = json_object_new_object();

		cli_json_add_string(o, "name", it->name);
		cli_json_add_string(o, "version", it->vsn);
		json_object_object_add(o, "current", json_object_new_boolean(it->current));
		json_object_object_add(o, "previous", json_object_new_boolean(it->previous));
		json_object_object_add(o, "verified", !verify ? NULL :
				       json_object_new_boolean(it->checked && !it->nr_problems));
		if (it->checked)
			json_object_object_add(o, "problems",
					       json_object_new_int64((int64_t)it->nr_problems));
		if (it->error)
			cli_json_add_string(o, "error", it->error);
		json_object_array_add(doc, o);
	}
	cli_json_print(doc);
}

static void print_text(struct cli *cli, const struct rb_installed_list *l,
		       int verify)
{
	for (size_t i = 0; i < l->nr; i++) {
		const struct rb_installed *it = &l->v[i];

		tty_printf(stdout, "%c %s  ", it->current ? '*' : ' ', it->name);
		if (!verify)
			fputs("unchecked", stdout);
		else if (it->error)
			fputs("UNREADABLE", stdout);
		else if (!it->nr_problems)
			fputs("verified", stdout);
		else
			tty_printf(stdout, "MODIFIED (%zu %s)", it->nr_problems,
				   it->nr_problems == 1 ? "problem" : "problems");
		if (it->previous)
			fputs("  previous", stdout);
		putchar('\n');
		if (it->error)
			cli_note(cli, "%s: %s", it->name, it->error);
	}
}

static int run_list(struct cli *cli, int argc, char **argv)
{
	struct rb_installed_list l = { 0 };
	struct rb_error err = { 0 };
	struct list_opts o = { NULL, 1 };
	int r, at, found = 0;

	r = cli_parse(cli, &cli_cmd_list, argc, argv, list_opt, &o, &at);
	if (r >= 0)
		return r;
	if (at < argc)
		return cli_usage(cli, "unexpected argument '%s'", argv[at]);
	if (!o.root)
		return cli_usage(cli, "missing --root DIR");

	if (rb_list(o.root, o.verify, &l, &err) < 0) {
		rb_installed_list_release(&l);
		r = cli_error(cli, &err);
		if (cli->json) {
			struct json_object *doc = json_object_new_object();

			json_object_object_add(doc, "ok", json_object_new_boolean(0));
			cli_json_add_string(doc, "root", o.root);
			cli_json_add_error(doc, &err);
			cli_json_print(doc);
		}
		return r;
	}
	if (cli->json) {
		print_json(&l, o.verify);
	} else {
		print_text(cli, &l, o.verify);
		if (!l.nr)
			cli_note(cli, "nothing is installed under '%s'", o.root);
		for (size_t i = 0; i < l.nr; i++)
			found |= l.v[i].current;
		if (l.current && !found)
			cli_warn(cli, "'%s/current' points to '%s', which is not installed",
				 o.root, l.current);
	}
	rb_installed_list_release(&l);
	return 0;
}

const struct cli_cmd cli_cmd_list = {
	.name = "list",
	.summary = "list the versions installed under a root",
	.description =
		"List the versions installed under DIR/versions/, most recent install\n"
		"first, one a line: '*' marks DIR/current, then the name, then whether\n"
		"its files match its releases/<vsn>/SHA256SUMS:\n"
		"\n"
		"  * 0.2.0  verified\n"
		"    0.1.0  MODIFIED (3 problems)  previous\n"
		"\n"
		"'previous' marks DIR/previous (where a plain rollback goes).  A name\n"
		"'<vsn>~N' is a version installed again with install --force.  With\n"
		"--json: one array of {name, version, current, previous, verified,\n"
		"problems, error}.\n",
	.status = "0 listed (whatever the verification found), 1 DIR cannot be\n"
		  "read, 2 a usage error\n",
	.opts = list_opts,
	.flags = CLI_JSON,
	.run = run_list,
};
