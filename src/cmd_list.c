/*
 * relbuild list --root DIR: the versions installed under DIR, newest
 * install first, current marked '*', each verified against its
 * SHA256SUMS.
 */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "cmd_opt.h"
#include "install.h"

static const char list_usage[] =
	"usage: relbuild list --root DIR [--no-verify] [--json]\n"
	"\n"
	"List the versions installed under DIR/versions/, most recent install\n"
	"first, one a line: '*' marks DIR/current, then the name, then whether\n"
	"its files match its releases/<vsn>/SHA256SUMS:\n"
	"\n"
	"  * 0.2.0  verified\n"
	"    0.1.0  MODIFIED (3 problems)  previous\n"
	"\n"
	"'previous' marks DIR/previous (where a plain rollback goes).  A name\n"
	"'<vsn>~N' is a version installed again with install --force.\n"
	"\n"
	"  --root DIR    the install root (required)\n"
	"  --no-verify   do not check the files (fast); the status is 'unchecked'\n"
	"  --json        one JSON array of {name, version, current, previous,\n"
	"                verified, problems, error}\n"
	"\n"
	"exit status: 0 listed (whatever the verification found), 1 DIR cannot be\n"
	"read, 2 a usage error\n";

/* Names are valid_name()s, versions come from paths: only '"' and '\\' need care. */
static void json_str(const char *s)
{
	putchar('"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			tty_printf(stdout, "\\%c", *p);
		else if (*p < 0x20)
			tty_printf(stdout, "\\u%04x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

int cmd_list(int argc, char **argv)
{
	struct rb_installed_list l = { 0 };
	struct rb_error err = { 0, "" };
	const char *root = NULL, *val;
	int verify = 1, json = 0;

	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		int r;

		if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
			fputs(list_usage, stdout);
			return 0;
		} else if (!strcmp(arg, "--no-verify")) {
			verify = 0;
		} else if (!strcmp(arg, "--json")) {
			json = 1;
		} else if ((r = option_value(argc, argv, &i, "--root", &val))) {
			if (r < 0 || !*val)
				return usage_error("list", "list: --root needs a directory");
			strip_trailing_slashes((char *)val); /* argv's own */
			root = val;
		} else if (arg[0] == '-') {
			return usage_error("list", "list: unknown option '%s'", arg);
		} else {
			return usage_error("list", "list: unexpected argument '%s'", arg);
		}
	}
	if (!root)
		return usage_error("list", "list: missing --root DIR");

	if (rb_list(root, verify, &l, &err) < 0) {
		rb_installed_list_release(&l);
		fputs("relbuild: list: ", stderr);
		print_sanitized(stderr, err.msg);
		fputc('\n', stderr);
		return err.code == RB_ECONFIG ? 2 : 1;
	}
	if (json)
		putchar('[');
	for (size_t i = 0; i < l.nr; i++) {
		const struct rb_installed *it = &l.v[i];

		if (json) {
			tty_printf(stdout, "%s{\"name\":", i ? "," : "");
			json_str(it->name);
			tty_printf(stdout, ",\"version\":");
			json_str(it->vsn);
			tty_printf(stdout, ",\"current\":%s,\"previous\":%s,\"verified\":%s",
			       it->current ? "true" : "false",
			       it->previous ? "true" : "false",
			       !verify ? "null" :
			       it->checked && !it->nr_problems ? "true" : "false");
			if (it->checked)
				tty_printf(stdout, ",\"problems\":%zu", it->nr_problems);
			if (it->error) {
				tty_printf(stdout, ",\"error\":");
				json_str(it->error);
			}
			putchar('}');
			continue;
		}
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
		if (it->error) {
			tty_printf(stderr, "relbuild: list: %s: ", it->name);
			print_sanitized(stderr, it->error);
			fputc('\n', stderr);
		}
	}
	if (json)
		puts("]");
	else if (!l.nr)
		tty_printf(stderr, "relbuild: list: nothing is installed under '%s'\n",
			root);
	if (l.current && !json) {
		int found = 0;

		for (size_t i = 0; i < l.nr; i++)
			found |= l.v[i].current;
		if (!found)
			tty_printf(stderr, "relbuild: list: warning: '%s/current' points to '%s', which is not installed\n",
				root, l.current);
	}
	rb_installed_list_release(&l);
	return 0;
}
