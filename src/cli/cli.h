#ifndef RB_CLI_H
#define RB_CLI_H

/*
 * The front end's one layer, as git's parse-options and curl's tool
 * have theirs: each command is a struct cli_cmd in its own
 * cmd_<name>.c, with an option table that getopt_long(3) parses and
 * that --help, the man page and the README are checked against; the
 * options every command takes (--help, --quiet, --verbose, --color,
 * and --json where it applies) are parsed here once; and errors are
 * printed here only, from the fields of a struct rb_error.
 *
 * The core library (src/) never includes this header.
 */
#include <stdint.h>
#include <stdio.h>

#include "error.h"

/* An option's key: its short letter, or CLI_OPT + n for a long-only one. */
#define CLI_OPT 256

struct cli_opt {
	const char *name; /* the long name, without "--" */
	int key;          /* 'j' (also -j), or CLI_OPT + n */
	const char *arg;  /* "DIR", "[=WHEN]" (optional), NULL: a flag */
	const char *help; /* lines joined by '\n' */
};

enum cli_cmd_flags {
	CLI_JSON = 1, /* takes --json */
	/*
	 * Errors read "relbuild: MSG", not "relbuild: CMD: MSG": the build's,
	 * so that "relbuild: rel/config.yml:12:5: ..." reads as a compiler's
	 * "file:line:col" does.
	 */
	CLI_BARE = 2,
};

struct cli;

struct cli_cmd {
	const char *name;
	const char *operands;    /* after "[options]" in the usage line */
	const char *summary;     /* one line, for relbuild --help */
	const char *description; /* paragraphs, for CMD --help */
	const char *status;      /* the exit statuses, for CMD --help */
	const struct cli_opt *opts; /* the command's own; ends with { NULL } */
	unsigned flags;             /* enum cli_cmd_flags */
	int (*run)(struct cli *cli, int argc, char **argv);
};

enum cli_color { CLI_COLOR_AUTO, CLI_COLOR_ALWAYS, CLI_COLOR_NEVER };

struct cli {
	const struct cli_cmd *cmd;
	int quiet, verbose, json;
	int color;    /* 1: stderr gets colour (--color, NO_COLOR, a tty) */
	int progress; /* 1: a progress line on stderr (a tty, not CI) */
};

extern const struct cli_cmd cli_cmd_build, cli_cmd_init, cli_cmd_appup,
	cli_cmd_verify, cli_cmd_install, cli_cmd_rollback, cli_cmd_list,
	cli_cmd_keygen, cli_cmd_inspect, cli_cmd_diff, cli_cmd_clean,
	cli_cmd_systemd_unit;

/* Every command, in the order relbuild --help lists them; NULL ends it. */
extern const struct cli_cmd *const cli_commands[];

/*
 * Parse argv (argv[0] the command's name) with getopt_long.  The common
 * options set cli's fields; each of the command's own calls
 * opt(cli, ctx, key, optarg), which returns 0, or an exit status after
 * reporting a bad value with cli_usage().  Returns -1 with *operand the
 * index of the first operand (options and operands may mix, as GNU
 * tools allow; "--" ends the options), or the exit status to end with:
 * 0 after --help, 2 after a usage error.
 */
int cli_parse(struct cli *cli, const struct cli_cmd *cmd, int argc,
	      char **argv,
	      int (*opt)(struct cli *cli, void *ctx, int key, const char *arg),
	      void *ctx, int *operand);

/* CMD --help, generated from the command's table and the common one. */
void cli_help(const struct cli_cmd *cmd, FILE *f);

/* "relbuild: CMD: MSG" and a pointer to --help on stderr; returns 2. */
int cli_usage(struct cli *cli, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * The error on stderr ("relbuild: [CMD: ]MSG"), the one place an
 * rb_error is printed; returns its exit status: 2 for bad
 * configuration or usage, 1 for a failure.
 */
int cli_error(struct cli *cli, const struct rb_error *err);

/* The exit status for err, without printing it. */
int cli_status(const struct rb_error *err);

/* "relbuild: [CMD: ]warning: MSG" on stderr (even with --quiet). */
void cli_warn(struct cli *cli, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* "relbuild: [CMD: ]MSG" on stderr: a note, a hint, a problem found. */
void cli_note(struct cli *cli, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A count or size: digits, optionally K, M, G or T (powers of 1024). */
int parse_size_arg(const char *s, uint64_t *out);

/* A size for people: "4.8 MiB", "914.2 KiB", "12 bytes". */
void cli_format_size(char *buf, size_t len, uint64_t n);

/* "DIR///" -> "DIR" in place ("/" stays), for tidy messages. */
void strip_trailing_slashes(char *path);

#endif
