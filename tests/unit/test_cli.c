/*
 * Unit tests for cli.c: option tables parsed by getopt_long, the
 * common options, usage errors and their exit statuses, --help made
 * from the tables.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum { OPT_ROOT = CLI_OPT, OPT_FORCE };

static const struct cli_opt opts[] = {
	{ "root", OPT_ROOT, "DIR", "the root" },
	{ "force", OPT_FORCE, NULL, "force it\nreally" },
	{ "jobs", 'j', "N", "threads" },
	{ NULL, 0, NULL, NULL },
};

struct seen {
	const char *root, *jobs;
	int force;
};

static int opt(struct cli *cli, void *ctx, int key, const char *arg)
{
	struct seen *s = ctx;

	switch (key) {
	case OPT_ROOT: s->root = arg; break;
	case OPT_FORCE: s->force = 1; break;
	case 'j':
		if (strcmp(arg, "2"))
			return cli_usage(cli, "--jobs: not '%s'", arg);
		s->jobs = arg;
		break;
	}
	return 0;
}

static const struct cli_cmd with_json = {
	.name = "t", .operands = "X", .opts = opts, .flags = CLI_JSON,
	.description = "Does t.\n", .status = "0 ok\n",
};
static const struct cli_cmd without_json = { .name = "u", .opts = opts };

/* Parse the NULL-ended words; the status, and *at the first operand. */
static int parse(const struct cli_cmd *cmd, struct cli *cli, struct seen *s,
		 int *at, ...)
{
	char *argv[16];
	int argc = 0;
	va_list ap;

	va_start(ap, at);
	while ((argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	memset(cli, 0, sizeof(*cli));
	memset(s, 0, sizeof(*s));
	return cli_parse(cli, cmd, argc, argv, opt, s, at);
}

static void test_options_and_operands(void **state)
{
	char w[][16] = { "t", "a", "--root", "/r", "-j2", "b", "--force", "-q" };
	struct cli cli;
	struct seen s;
	int at;

	(void)state;
	assert_int_equal(parse(&with_json, &cli, &s, &at, w[0], w[1], w[2], w[3],
			       w[4], w[5], w[6], w[7], NULL), -1);
	assert_string_equal(s.root, "/r");
	assert_string_equal(s.jobs, "2");
	assert_int_equal(s.force, 1);
	assert_int_equal(cli.quiet, 1);
	/* GNU order: the operands are moved after the options */
	assert_int_equal(at, 6);
}

static void test_equals_and_dashdash(void **state)
{
	char w[][16] = { "t", "--root=/x", "--json", "--", "--force" };
	struct cli cli;
	struct seen s;
	int at;

	(void)state;
	assert_int_equal(parse(&with_json, &cli, &s, &at, w[0], w[1], w[2], w[3],
			       w[4], NULL), -1);
	assert_string_equal(s.root, "/x");
	assert_int_equal(cli.json, 1);
	assert_int_equal(s.force, 0);
	assert_int_equal(at, 4); /* "--force" after "--" is an operand */
}

static void test_usage_errors(void **state)
{
	char w[][16] = { "t", "--root", "--nope", "--force=1", "--json", "-j3",
			 "--color=pink", "--root=" };
	struct cli cli;
	struct seen s;
	int at;

	(void)state;
	assert_int_equal(parse(&with_json, &cli, &s, &at, w[0], w[1], NULL), 2);
	assert_int_equal(parse(&with_json, &cli, &s, &at, w[0], w[2], NULL), 2);
	assert_int_equal(parse(&with_json, &cli, &s, &at, w[0], w[3], NULL), 2);
	/* --json only where the command takes it */
	assert_int_equal(parse(&without_json, &cli, &s, &at, w[0], w[4], NULL), 2);
	/* the command's own check of a value */
	assert_int_equal(parse(&with_json, &cli, &s, &at, w[0], w[5], NULL), 2);
	assert_int_equal(parse(&with_json, &cli, &s, &at, w[0], w[6], NULL), 2);
	/* an empty value is a missing one */
	assert_int_equal(parse(&with_json, &cli, &s, &at, w[0], w[7], NULL), 2);
}

static void test_color(void **state)
{
	char w[][16] = { "t", "--color=always", "--color=never", "--color" };
	struct cli cli;
	struct seen s;
	int at;

	(void)state;
	assert_int_equal(parse(&with_json, &cli, &s, &at, w[0], w[1], NULL), -1);
	assert_int_equal(cli.color, 1);
	assert_int_equal(parse(&with_json, &cli, &s, &at, w[0], w[2], NULL), -1);
	assert_int_equal(cli.color, 0);
	assert_int_equal(parse(&with_json, &cli, &s, &at, w[0], w[3], NULL), -1);
	assert_int_equal(cli.color, 1);
}

static void test_help(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	assert_non_null(f);
	cli_help(&with_json, f);
	fclose(f);
	assert_string_equal(buf,
		"usage: relbuild t [options] X\n"
		"\n"
		"Does t.\n"
		"\n"
		"options:\n"
		"  --root DIR          the root\n"
		"  --force             force it\n"
		"                      really\n"
		"  -j, --jobs N        threads\n"
		"  --json              print the result as one JSON document on stdout\n"
		"  -q, --quiet         print nothing but errors\n"
		"  -v, --verbose       say more about what is done\n"
		"  --color[=WHEN]      colour on stderr: auto (a terminal, NO_COLOR unset),\n"
		"                      always, never (--color alone: always)\n"
		"  -h, --help          print this help and exit\n"
		"\n"
		"exit status: 0 ok\n");
	free(buf);
}

static void test_size_arg(void **state)
{
	uint64_t v;

	(void)state;
	assert_int_equal(parse_size_arg("10", &v), 0);
	assert_int_equal(v, 10);
	assert_int_equal(parse_size_arg("2M", &v), 0);
	assert_int_equal(v, 2u << 20);
	assert_int_equal(parse_size_arg("x", &v), -1);
	assert_int_equal(parse_size_arg("1Q", &v), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_options_and_operands),
		cmocka_unit_test(test_equals_and_dashdash),
		cmocka_unit_test(test_usage_errors),
		cmocka_unit_test(test_color),
		cmocka_unit_test(test_help),
		cmocka_unit_test(test_size_arg),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
