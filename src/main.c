/*
 * relbuild: package a compiled BEAM project as an OTP release.
 *
 * The command table, as git.c has it: "relbuild verify …" runs
 * cmd_verify(); anything else (including no arguments, or a first
 * argument that is an option) is a build.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "cmd.h"
#include "cmd_opt.h"

#ifndef RELBUILD_VERSION
#define RELBUILD_VERSION "0.1.0"
#endif

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "init", cmd_init, "write rel/config.yml and the files it uses into the project" },
	{ "build", cmd_build, "build the release and its tarball (the default)" },
	{ "appup", cmd_appup, "write an application's generated appup to rel/appups/ for editing" },
	{ "verify", cmd_verify, "check a tarball or a release directory against its SHA256SUMS" },
	{ "install", cmd_install, "verify a tarball and install it under a root, switching atomically" },
	{ "rollback", cmd_rollback, "switch an install root back to another installed version" },
	{ "list", cmd_list, "list the versions installed under a root" },
	{ "keygen", cmd_keygen, "make an Ed25519 key pair for signing releases" },
	{ NULL, NULL, NULL },
};

static void print_help(FILE *f)
{
	fputs("usage: relbuild [build] [--env ENV] [--release NAME] [options]\n"
	      "       relbuild <command> [args]\n\n"
	      "commands:\n", f);
	for (const struct command *c = commands; c->name; c++)
		tty_printf(f, "  %-10s %s\n", c->name, c->summary);
	fputs("\nrun 'relbuild <command> --help' for a command's options\n", f);
}

int report_error(const struct rb_error *err)
{
	tty_printf(stderr, "relbuild: %s\n", err->msg);
	return err->code == RB_ECONFIG ? 2 : 1;
}

int usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	tty_printf(stderr, "relbuild: %s\nrun 'relbuild %s --help' for usage\n",
		   msg ? msg : fmt, cmd);
	free(msg);
	return 2;
}

/* A command, then whatever temporary paths it left (cleanup.h) removed. */
static int run(int (*fn)(int, char **), int argc, char **argv)
{
	int ret = fn(argc, argv);

	rb_cleanup_now();
	return ret;
}

/*
 * 0, 1 and 2 open (on /dev/null when they were closed), as git does:
 * otherwise the next file relbuild opens, a tarball say, would become
 * stdout and take in what is printed.
 */
static void sanitize_stdfds(void)
{
	int fd = open("/dev/null", O_RDWR);

	while (fd >= 0 && fd <= 2)
		fd = dup(fd);
	if (fd > 2)
		close(fd);
}

int main(int argc, char **argv)
{
	sanitize_stdfds();
	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
			 !strcmp(argv[1], "help"))) {
		print_help(stdout);
		return 0;
	}
	if (argc > 1 && !strcmp(argv[1], "--version")) {
		tty_printf(stdout, "relbuild %s\n", RELBUILD_VERSION);
		return 0;
	}
	if (argc > 1 && argv[1][0] != '-') {
		for (const struct command *c = commands; c->name; c++)
			if (!strcmp(argv[1], c->name))
				return run(c->fn, argc - 1, argv + 1);
		tty_printf(stderr, "relbuild: unknown command '%s'\n", argv[1]);
		print_help(stderr);
		return 2;
	}
	argv[0] = "build";
	return run(cmd_build, argc, argv);
}
