/*
 * relbuild verify TARBALL|DIR: check a release tarball, or an unpacked
 * release directory, against the releases/<vsn>/SHA256SUMS it carries,
 * the modes MODES lists, and with --pubkey its signature; name every
 * missing, extra, changed or mode-changed file.
 */
#include <stdio.h>
#include <string.h>

#include "tarball.h"
#include "cmd.h"
#include "cmd_opt.h"
#include "manifest.h"
#include "sign.h"
#include "util.h"

static const char verify_usage[] =
	"usage: relbuild verify [--pubkey PUB.pem] [--json] TARBALL\n"
	"       relbuild verify [--pubkey PUB.pem] [--json] DIR\n"
	"\n"
	"Check every file of a release tarball (read as a stream, nothing is\n"
	"extracted) or of an unpacked or installed release directory against\n"
	"the releases/<vsn>/SHA256SUMS inside it, and each file's mode against\n"
	"releases/<vsn>/MODES.  A directory holding several versions is checked\n"
	"against the one releases/start_erl.data names; a file that a hot\n"
	"upgrade left there, listed by another version's SHA256SUMS with the\n"
	"hash found (and with --pubkey, signed), counts as kept, not as a\n"
	"problem.  Each problem is printed\n"
	"as 'missing: PATH', 'extra: PATH', 'changed: PATH', 'duplicate: PATH',\n"
	"'unsafe: PATH', 'mode: PATH (FOUND, expected LISTED)' or\n"
	"'signature: missing|invalid: PATH'.\n"
	"\n"
	"  --pubkey PUB.pem   also check releases/<vsn>/SHA256SUMS.sig, the\n"
	"                     Ed25519 signature of SHA256SUMS, with this key\n"
	"  --json             print the result as one JSON object on stdout\n"
	"\n"
	"exit status: 0 all files match (and the signature is valid), 1 a\n"
	"mismatch or an unreadable input, 2 a usage error or an unusable key\n";

struct verify_opts {
	const char *target; /* TARBALL or DIR */
	const char *pubkey; /* --pubkey */
	int json;           /* --json */
};

/* The length of the valid UTF-8 sequence at p, 0 if it is not one. */
static size_t utf8_len(const unsigned char *p)
{
	unsigned char c = p[0];
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	/* No overlong forms, no surrogates, nothing past U+10FFFF. */
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

/* s as a JSON string; bytes that are not UTF-8 become U+FFFD. */
static void json_string(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	if (!s) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	while (*p) {
		size_t n = utf8_len(p);

		if (!n) {
			fputs("\\ufffd", f);
			p++;
		} else if (n > 1) {
			fwrite(p, 1, n, f);
			p += n;
		} else {
			if (*p == '"' || *p == '\\')
				tty_printf(f, "\\%c", *p);
			else if (*p < 0x20 || *p == 0x7f)
				tty_printf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
			p++;
		}
	}
	fputc('"', f);
}

static void print_json(const struct verify_opts *o,
		       const struct rb_verify_result *res, const char *error)
{
	FILE *f = stdout;

	fputs("{\"target\":", f);
	json_string(f, o->target);
	fputs(",\"manifest\":", f);
	json_string(f, res->manifest);
	tty_printf(f, ",\"ok\":%s,\"files\":%zu,\"modes\":%s,\"signature\":",
		!error && !res->nr_problems ? "true" : "false", res->nr_files,
		res->modes ? "true" : "false");
	json_string(f, rb_sig_status_name(res->signature));
	tty_printf(f, ",\"kept\":%zu,\"kept_from\":[", res->nr_kept);
	for (size_t i = 0; i < res->kept_from.nr; i++) {
		if (i)
			fputc(',', f);
		json_string(f, res->kept_from.v[i]);
	}
	fputs("],\"problems\":[", f);
	for (size_t i = 0; i < res->nr_problems; i++) {
		const struct rb_problem *p = &res->problems[i];

		fputs(i ? ",{\"kind\":" : "{\"kind\":", f);
		json_string(f, rb_problem_kind_name(p->kind));
		fputs(",\"path\":", f);
		json_string(f, p->path);
		if (p->kind == RB_PROBLEM_MODE)
			tty_printf(f, ",\"mode\":\"%04o\",\"expected\":\"%04o\"",
				p->mode, p->expected);
		if (p->kind == RB_PROBLEM_SIGNATURE) {
			fputs(",\"signature\":", f);
			json_string(f, rb_sig_status_name(res->signature));
		}
		fputc('}', f);
	}
	fputc(']', f);
	if (error) {
		fputs(",\"error\":", f);
		json_string(f, error);
	}
	fputs("}\n", f);
}

static void print_problems(const struct rb_verify_result *res)
{
	for (size_t i = 0; i < res->nr_problems; i++) {
		const struct rb_problem *p = &res->problems[i];

		tty_printf(stderr, "relbuild: verify: %s: ",
			rb_problem_kind_name(p->kind));
		if (p->kind == RB_PROBLEM_SIGNATURE)
			tty_printf(stderr, "%s: ", rb_sig_status_name(res->signature));
		print_sanitized(stderr, p->path);
		if (p->kind == RB_PROBLEM_MODE)
			tty_printf(stderr, " (%04o, expected %04o)", p->mode,
				p->expected);
		fputc('\n', stderr);
	}
}

/* "DIR: OK (N files[, K kept from V, W][, signature valid])" */
static void print_ok(const struct verify_opts *o,
		     const struct rb_verify_result *res)
{
	tty_printf(stdout, "%s: OK (%zu files", o->target, res->nr_files);
	if (res->nr_kept) {
		tty_printf(stdout, ", %zu kept from ", res->nr_kept);
		for (size_t i = 0; i < res->kept_from.nr; i++)
			tty_printf(stdout, "%s%s", i ? ", " : "", res->kept_from.v[i]);
	}
	tty_printf(stdout, "%s)\n", res->signature == RB_SIG_VALID ? ", signature valid" : "");
}

static int parse_args(struct verify_opts *o, int argc, char **argv)
{
	int dashdash = 0;

	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];

		if (!dashdash && (!strcmp(arg, "--help") || !strcmp(arg, "-h"))) {
			fputs(verify_usage, stdout);
			return 0;
		}
		if (!dashdash && !strcmp(arg, "--")) {
			dashdash = 1;
			continue;
		}
		if (!dashdash && !strcmp(arg, "--json")) {
			o->json = 1;
			continue;
		}
		if (!dashdash && !strcmp(arg, "--pubkey")) {
			if (i + 1 >= argc)
				return usage_error("verify",
						   "verify: option '--pubkey' needs a value");
			o->pubkey = argv[++i];
			continue;
		}
		if (!dashdash && has_prefix(arg, "--pubkey=")) {
			o->pubkey = arg + strlen("--pubkey=");
			continue;
		}
		if (!dashdash && arg[0] == '-' && arg[1])
			return usage_error("verify", "verify: unknown option '%s'",
					   arg);
		if (o->target)
			return usage_error("verify", "verify: too many arguments");
		o->target = arg;
	}
	if (!o->target)
		return usage_error("verify", "verify: missing TARBALL or DIR");
	if (o->pubkey && !*o->pubkey)
		return usage_error("verify", "verify: empty '--pubkey'");
	return -1;
}

int cmd_verify(int argc, char **argv)
{
	struct verify_opts o = { NULL, NULL, 0 };
	struct rb_verify_opts vo = { NULL, NULL, 1 };
	struct rb_verify_result res;
	struct rb_error err = { 0, "" };
	struct rb_key key;
	int ret, r;

	r = parse_args(&o, argc, argv);
	if (r >= 0)
		return r;
	rb_key_init(&key);
	rb_verify_result_init(&res);
	r = 0;
	if (o.pubkey) {
		r = rb_key_load_public(&key, o.pubkey, &err);
		vo.pubkey = &key;
	}
	if (!r)
		r = is_dir(o.target) ? rb_verify_dir_opts(o.target, &vo, &res, &err)
				     : rb_verify_tarball_opts(o.target, &vo, &res,
							      &err);
	if (r < 0) {
		tty_printf(stderr, "relbuild: verify: %s\n", err.msg);
		if (o.json) {
			/* What the check found before it stopped is no verdict. */
			rb_verify_result_release(&res);
			print_json(&o, &res, err.msg);
		}
		ret = err.code == RB_ECONFIG ? 2 : 1;
		goto out;
	}
	if (o.json) {
		print_json(&o, &res, NULL);
	} else {
		print_problems(&res);
		if (res.nr_problems)
			tty_printf(stderr, "relbuild: verify: '%s' does not match '%s' (%zu %s)\n",
				o.target, res.manifest, res.nr_problems,
				res.nr_problems == 1 ? "problem" : "problems");
		else
			print_ok(&o, &res);
	}
	ret = res.nr_problems ? 1 : 0;
out:
	rb_verify_result_release(&res);
	rb_key_release(&key);
	return ret;
}
