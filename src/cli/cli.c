/*
 * The command-line layer: option tables on getopt_long, --help made
 * from them, and the one reporter of errors (cli.h).
 */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "tty.h"
#include "util.h"

enum common_key {
	KEY_HELP = 'h',
	KEY_QUIET = 'q',
	KEY_VERBOSE = 'v',
	KEY_COLOR = CLI_OPT + 200,
	KEY_JSON,
};

static const struct cli_opt common_opts[] = {
	{ "json", KEY_JSON, NULL, "print the result as one JSON document on stdout" },
	{ "quiet", KEY_QUIET, NULL, "print nothing but errors" },
	{ "verbose", KEY_VERBOSE, NULL, "say more about what is done" },
	{ "color", KEY_COLOR, "[=WHEN]",
	  "colour on stderr: auto (a terminal, NO_COLOR unset),\nalways, never (--color alone: always)" },
	{ "help", KEY_HELP, NULL, "print this help and exit" },
	{ NULL, 0, NULL, NULL },
};

static int takes(const struct cli_cmd *cmd, const struct cli_opt *o)
{
	return o->key != KEY_JSON || (cmd->flags & CLI_JSON);
}

static size_t nr_opts(const struct cli_opt *o)
{
	size_t n = 0;

	while (o && o[n].name)
		n++;
	return n;
}

static int is_short(int key)
{
	return key > 0 && key < 128;
}

/* "-j, --jobs N" or "--color[=WHEN]", as --help shows it. */
static void opt_label(const struct cli_opt *o, struct strbuf *sb)
{
	if (is_short(o->key))
		sb_addf(sb, "-%c, ", o->key);
	sb_addf(sb, "--%s", o->name);
	if (o->arg)
		sb_addf(sb, "%s%s", o->arg[0] == '[' ? "" : " ", o->arg);
}

static void help_opts(const struct cli_cmd *cmd, const struct cli_opt *opts,
		      FILE *f)
{
	enum { COL = 22 };

	for (const struct cli_opt *o = opts; o && o->name; o++) {
		struct strbuf sb = STRBUF_INIT;
		const char *h = o->help, *nl;

		if (!takes(cmd, o))
			continue;
		opt_label(o, &sb);
		fprintf(f, "  %-*s", COL - 2, sb_str(&sb));
		if (sb.len + 2 >= COL)
			fprintf(f, "\n%*s", COL, "");
		sb_release(&sb);
		while ((nl = strchr(h, '\n'))) {
			fprintf(f, "%.*s\n%*s", (int)(nl - h), h, COL, "");
			h = nl + 1;
		}
		fprintf(f, "%s\n", h);
	}
}

void cli_help(const struct cli_cmd *cmd, FILE *f)
{
	if (cmd->flags & CLI_BARE)
		fprintf(f, "usage: relbuild [%s] [options]%s%s\n", cmd->name,
			cmd->operands ? " " : "", cmd->operands ? cmd->operands : "");
	else
		fprintf(f, "usage: relbuild %s [options]%s%s\n", cmd->name,
			cmd->operands ? " " : "", cmd->operands ? cmd->operands : "");
	if (cmd->description)
		fprintf(f, "\n%s", cmd->description);
	fputs("\noptions:\n", f);
	help_opts(cmd, cmd->opts, f);
	help_opts(cmd, common_opts, f);
	if (cmd->status)
		fprintf(f, "\nexit status: %s", cmd->status);
}

/* "relbuild: " or "relbuild: CMD: " */
static void prefix(struct cli *cli, FILE *f)
{
	fputs("relbuild: ", f);
	if (cli->cmd && !(cli->cmd->flags & CLI_BARE))
		tty_printf(f, "%s: ", cli->cmd->name);
}

static void vnote(struct cli *cli, const char *what, const char *color,
		  const char *fmt, va_list ap)
{
	char *msg;

	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	fflush(stdout); /* what was said before comes first on a terminal */
	prefix(cli, stderr);
	if (what)
		fprintf(stderr, "%s%s:%s ", cli->color ? color : "", what,
			cli->color ? "\033[m" : "");
	print_sanitized(stderr, msg ? msg : fmt);
	fputc('\n', stderr);
	free(msg);
}

int cli_usage(struct cli *cli, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vnote(cli, NULL, NULL, fmt, ap);
	va_end(ap);
	fprintf(stderr, "run 'relbuild %s --help' for usage\n",
		cli->cmd ? cli->cmd->name : "");
	return 2;
}

int cli_status(const struct rb_error *err)
{
	return err->code == RB_ECONFIG ? 2 : 1;
}

int cli_error(struct cli *cli, const struct rb_error *err)
{
	fflush(stdout);
	prefix(cli, stderr);
	if (cli->color)
		fputs("\033[1;31m", stderr);
	print_sanitized(stderr, err->msg[0] ? err->msg : "failed");
	if (cli->color)
		fputs("\033[m", stderr);
	fputc('\n', stderr);
	return cli_status(err);
}

void cli_warn(struct cli *cli, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vnote(cli, "warning", "\033[1;33m", fmt, ap);
	va_end(ap);
}

void cli_note(struct cli *cli, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vnote(cli, NULL, NULL, fmt, ap);
	va_end(ap);
}

static int parse_color(const char *arg)
{
	if (!arg || !strcmp(arg, "always"))
		return CLI_COLOR_ALWAYS;
	if (!strcmp(arg, "never"))
		return CLI_COLOR_NEVER;
	if (!strcmp(arg, "auto"))
		return CLI_COLOR_AUTO;
	return -1;
}

/* The option argv[optind - 1] names, for a message: "--jobs", "-j". */
static const char *named(char **argv, int at, int key)
{
	static char shortopt[3];

	if (at > 0 && argv[at - 1][0] == '-' && argv[at - 1][1] == '-')
		return argv[at - 1];
	shortopt[0] = '-';
	shortopt[1] = (char)key;
	return shortopt;
}

int cli_parse(struct cli *cli, const struct cli_cmd *cmd, int argc,
	      char **argv,
	      int (*opt)(struct cli *cli, void *ctx, int key, const char *arg),
	      void *ctx, int *operand)
{
	const struct cli_opt *tables[2] = { cmd->opts, common_opts };
	size_t n = nr_opts(cmd->opts) + nr_opts(common_opts), nl = 0;
	struct option *longs = xcalloc(n + 1, sizeof(*longs));
	struct strbuf shorts = STRBUF_INIT;
	int color = CLI_COLOR_AUTO, ret = -1, c;

	cli->cmd = cmd;
	/* ':' first: a missing value is ':', not '?'; no '+': options may
	 * follow operands, as GNU tools allow */
	sb_adds(&shorts, ":");
	for (size_t t = 0; t < 2; t++)
		for (const struct cli_opt *o = tables[t]; o && o->name; o++) {
			if (!takes(cmd, o))
				continue;
			longs[nl].name = o->name;
			longs[nl].has_arg = !o->arg ? no_argument :
					    o->arg[0] == '[' ? optional_argument :
							       required_argument;
			longs[nl].val = o->key;
			nl++;
			if (is_short(o->key)) {
				sb_addf(&shorts, "%c", o->key);
				if (o->arg)
					sb_adds(&shorts, o->arg[0] == '[' ? "::" : ":");
			}
		}

	optind = 0; /* glibc: start afresh (the tests parse many times) */
	opterr = 0;
	while (ret < 0 && (c = getopt_long(argc, argv, sb_str(&shorts), longs,
					   NULL)) != -1) {
		switch (c) {
		case '?': {
			const char *a = argv[optind - 1];

			if (a[0] != '-' || a[1] != '-')
				ret = cli_usage(cli, "unknown option '-%c'", optopt);
			else if (optopt)
				ret = cli_usage(cli, "option '%.*s' takes no value",
						(int)strcspn(a, "="), a);
			else
				ret = cli_usage(cli, "unknown option '%s'", a);
			break;
		}
		case ':':
			ret = cli_usage(cli, "option '%s' needs a value",
					named(argv, optind, optopt));
			break;
		case KEY_HELP:
			cli_help(cmd, stdout);
			ret = 0;
			break;
		case KEY_QUIET:
			cli->quiet = 1;
			break;
		case KEY_VERBOSE:
			cli->verbose = 1;
			break;
		case KEY_JSON:
			cli->json = 1;
			break;
		case KEY_COLOR:
			if ((color = parse_color(optarg)) < 0)
				ret = cli_usage(cli, "--color takes auto, always or never, not '%s'",
						optarg);
			break;
		default:
			if (optarg && !*optarg)
				ret = cli_usage(cli, "option '%s' needs a value",
						named(argv, optind, c));
			else
				ret = opt(cli, ctx, c, optarg) ? 2 : -1;
			break;
		}
	}
	cli->color = color >= 0 && tty_color(stderr, color);
	cli->progress = !cli->quiet && !cli->json && tty_progress(stderr);
	*operand = optind;
	free(longs);
	sb_release(&shorts);
	return ret;
}

int parse_size_arg(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	switch (*end) {
	case '\0': break;
	case 'K': case 'k': shift = 10; end++; break;
	case 'M': case 'm': shift = 20; end++; break;
	case 'G': case 'g': shift = 30; end++; break;
	case 'T': case 't': shift = 40; end++; break;
	default: return -1;
	}
	if (*end || (shift && v > (UINT64_MAX >> shift)))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

void strip_trailing_slashes(char *path)
{
	size_t n = strlen(path);

	while (n > 1 && path[n - 1] == '/')
		path[--n] = '\0';
}

/* "4.8 MiB", "914.2 KiB", "12 bytes" */
void cli_format_size(char *buf, size_t len, uint64_t n)
{
	if (n >= 1024 * 1024)
		snprintf(buf, len, "%.1f MiB", (double)n / (1024.0 * 1024.0));
	else if (n >= 1024)
		snprintf(buf, len, "%.1f KiB", (double)n / 1024.0);
	else
		snprintf(buf, len, "%llu bytes", (unsigned long long)n);
}
