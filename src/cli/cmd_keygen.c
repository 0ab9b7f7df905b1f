/*
 * relbuild keygen [--out PREFIX]: make an Ed25519 key pair for signing
 * releases (relbuild --sign PREFIX.pem, verify --pubkey PREFIX.pub.pem).
 */
#include <stdlib.h>

#include "cli.h"
#include "sign.h"
#include "tty.h"

enum { OPT_OUT = CLI_OPT };

static const struct cli_opt keygen_opts[] = {
	{ "out", OPT_OUT, "PREFIX", "where the keys go (default: relbuild)" },
	{ NULL, 0, NULL, NULL },
};

static int keygen_opt(struct cli *cli, void *ctx, int key, const char *arg)
{
	(void)cli;
	if (key == OPT_OUT)
		*(const char **)ctx = arg;
	return 0;
}

static int run_keygen(struct cli *cli, int argc, char **argv)
{
	struct rb_error err = { 0 };
	const char *prefix = "relbuild";
	char *priv = NULL, *pub = NULL;
	int r, at;

	r = cli_parse(cli, &cli_cmd_keygen, argc, argv, keygen_opt, &prefix, &at);
	if (r >= 0)
		return r;
	if (at < argc)
		return cli_usage(cli, "unexpected argument '%s'", argv[at]);
	if (rb_keygen(prefix, &priv, &pub, &err) < 0)
		return cli_error(cli, &err);
	if (!cli->quiet)
		tty_printf(stdout, "private %s\npublic  %s\n", priv, pub);
	free(priv);
	free(pub);
	return 0;
}

const struct cli_cmd cli_cmd_keygen = {
	.name = "keygen",
	.summary = "make an Ed25519 key pair for signing releases",
	.description =
		"Make an Ed25519 key pair, as 'openssl genpkey -algorithm ed25519'\n"
		"does: PREFIX.pem, the private key (PKCS#8 PEM, mode 0600), and\n"
		"PREFIX.pub.pem, the public key.  Existing files are never\n"
		"overwritten.  Sign with 'relbuild --sign PREFIX.pem', check with\n"
		"'relbuild verify --pubkey PREFIX.pub.pem TARBALL'.\n",
	.status = "0 made, 1 failed (a file exists), 2 a usage error\n",
	.opts = keygen_opts,
	.run = run_keygen,
};
