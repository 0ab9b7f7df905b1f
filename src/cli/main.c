/*
 * relbuild: package a compiled BEAM project as an OTP release.
 *
 * The command table, as git.c has it: "relbuild verify …" runs
 * cli_cmd_verify; anything else (no arguments, or a first argument
 * that is an option) is a build.
 */
#include <archive.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>
#include <zlib.h>

#include "cleanup.h"
#include "cli.h"
#include "tty.h"

#ifndef RELBUILD_VERSION
#define RELBUILD_VERSION "0.1.0"
#endif

const struct cli_cmd *const cli_commands[] = {
	&cli_cmd_build, &cli_cmd_init, &cli_cmd_appup, &cli_cmd_verify,
	&cli_cmd_inspect, &cli_cmd_diff,
	&cli_cmd_install, &cli_cmd_rollback,
	&cli_cmd_list, &cli_cmd_keygen, &cli_cmd_clean, &cli_cmd_systemd_unit,
	NULL,
};

static void print_help(FILE *f)
{
	fputs("usage: relbuild [build] [--env ENV] [--release NAME] [options]\n"
	      "       relbuild <command> [options] [args]\n"
	      "       relbuild --version\n\n"
	      "commands:\n", f);
	for (const struct cli_cmd *const *c = cli_commands; *c; c++)
		fprintf(f, "  %-13s %s\n", (*c)->name, (*c)->summary);
	fputs("\nrun 'relbuild <command> --help' for a command's options\n", f);
}

/* The version, and those of the libraries it runs with (not built with). */
static void print_version(void)
{
	int major, minor, patch;

	yaml_get_version(&major, &minor, &patch);
	printf("relbuild %s\n", RELBUILD_VERSION);
	printf("%s\n", archive_version_details());
	printf("libyaml %d.%d.%d\n", major, minor, patch);
	printf("%s\n", OpenSSL_version(OPENSSL_VERSION));
	printf("zlib %s\n", zlibVersion());
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

/* A command, then whatever temporary paths it left (cleanup.h) removed. */
static int run(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct cli cli = { .cmd = cmd };
	int ret = cmd->run(&cli, argc, argv);

	rb_cleanup_now();
	return ret;
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
		print_version();
		return 0;
	}
	if (argc > 1 && argv[1][0] != '-') {
		for (const struct cli_cmd *const *c = cli_commands; *c; c++)
			if (!strcmp(argv[1], (*c)->name))
				return run(*c, argc - 1, argv + 1);
		tty_printf(stderr, "relbuild: unknown command '%s'\n", argv[1]);
		print_help(stderr);
		return 2;
	}
	argv[0] = "build";
	return run(&cli_cmd_build, argc, argv);
}
