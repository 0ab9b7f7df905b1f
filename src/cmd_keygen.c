/*
 * relbuild keygen [--out PREFIX]: make an Ed25519 key pair for signing
 * releases (relbuild --sign PREFIX.pem, verify --pubkey PREFIX.pub.pem).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "cmd_opt.h"
#include "sign.h"
#include "util.h"

static const char keygen_usage[] =
	"usage: relbuild keygen [--out PREFIX]\n"
	"\n"
	"Make an Ed25519 key pair, as 'openssl genpkey -algorithm ed25519'\n"
	"does: PREFIX.pem, the private key (PKCS#8 PEM, mode 0600), and\n"
	"PREFIX.pub.pem, the public key.  Existing files are never\n"
	"overwritten.\n"
	"\n"
	"  --out PREFIX   where the keys go (default: relbuild)\n"
	"\n"
	"Sign with 'relbuild --sign PREFIX.pem', check with\n"
	"'relbuild verify --pubkey PREFIX.pub.pem TARBALL'.\n";

int cmd_keygen(int argc, char **argv)
{
	struct rb_error err = { 0, "" };
	const char *prefix = "relbuild";
	char *priv = NULL, *pub = NULL;

	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];

		if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
			fputs(keygen_usage, stdout);
			return 0;
		}
		if (!strcmp(arg, "--out")) {
			if (i + 1 >= argc)
				return usage_error("keygen",
						   "keygen: option '--out' needs a value");
			prefix = argv[++i];
		} else if (has_prefix(arg, "--out=")) {
			prefix = arg + strlen("--out=");
		} else if (arg[0] == '-') {
			return usage_error("keygen", "keygen: unknown option '%s'",
					   arg);
		} else {
			return usage_error("keygen", "keygen: unexpected argument '%s'",
					   arg);
		}
	}
	if (rb_keygen(prefix, &priv, &pub, &err) < 0) {
		tty_printf(stderr, "relbuild: keygen: %s\n", err.msg);
		return err.code == RB_ECONFIG ? 2 : 1;
	}
	tty_printf(stdout, "private %s\npublic  %s\n", priv, pub);
	free(priv);
	free(pub);
	return 0;
}
