#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "helpers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "manifest.h"
#include "sign.h"
#include "tarball.h"
#include "util.h"

#define EPOCH 1700000000LL

struct fixture {
	char *tmp;  /* everything lives below this */
	char *root; /* tmp/rel: a release tree */
	char *key;  /* tmp/k: keygen prefix (k.pem, k.pub.pem) */
};

/* Run a shell command in dir t->tmp; its exit status. */
static int sh(const struct fixture *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int sh(const struct fixture *f, const char *fmt, ...)
{
	va_list ap;
	char *cmd, *full;
	int r;

	va_start(ap, fmt);
	if (vasprintf(&cmd, fmt, ap) < 0)
		abort();
	va_end(ap);
	full = xasprintf("cd '%s' && { %s; }", f->tmp, cmd);
	r = system(full);
	free(full);
	free(cmd);
	return WIFEXITED(r) ? WEXITSTATUS(r) : 128;
}

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	char tmpl[] = "/tmp/rb-sign-XXXXXX";
	struct rb_error err;

	assert_non_null(mkdtemp(tmpl));
	f->tmp = xstrdup(tmpl);
	f->root = path_join(f->tmp, "rel");
	f->key = path_join(f->tmp, "k");
	test_put(f->root, "bin/shop", "#!/bin/sh\necho shop\n", 0755);
	test_put(f->root, "lib/shop-0.1.0/ebin/shop.beam", "FOR1 beam", 0644);
	test_put(f->root, "releases/COOKIE", "secret", 0600);
	test_put(f->root, "releases/start_erl.data", "14.2 0.1.0\n", 0644);
	test_put(f->root, "releases/0.1.0/shop.rel", "{release,{\"shop\",\"0.1.0\"},{erts,\"14.2\"},[]}.\n", 0644);
	assert_int_equal(rb_keygen(f->key, NULL, NULL, &err), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	struct rb_error err;

	assert_int_equal(remove_tree(f->tmp, &err), 0);
	free(f->tmp);
	free(f->root);
	free(f->key);
	free(f);
	return 0;
}

static void load_pair(const char *prefix, struct rb_key *priv,
		      struct rb_key *pub)
{
	char *p = xasprintf("%s.pem", prefix), *q = xasprintf("%s.pub.pem", prefix);
	struct rb_error err;

	rb_key_init(priv);
	rb_key_init(pub);
	if (rb_key_load_private(priv, p, &err) < 0 ||
	    rb_key_load_public(pub, q, &err) < 0)
		fail_msg("%s", err.msg);
	free(p);
	free(q);
}

static void test_keygen_files(void **state)
{
	struct fixture *f = *state;
	struct rb_error err;
	struct stat st;
	char *priv = NULL, *pub = NULL, *prefix = path_join(f->tmp, "new");
	char *before, *after;

	umask(077);
	assert_int_equal(rb_keygen(prefix, &priv, &pub, &err), 0);
	umask(022);
	assert_true(has_suffix(priv, "/new.pem"));
	assert_true(has_suffix(pub, "/new.pub.pem"));
	assert_int_equal(lstat(priv, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(lstat(pub, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	before = test_slurp(priv, NULL);
	assert_true(has_prefix(before, "-----BEGIN PRIVATE KEY-----\n"));
	after = test_slurp(pub, NULL);
	assert_true(has_prefix(after, "-----BEGIN PUBLIC KEY-----\n"));
	free(after);
	/* openssl reads them as the Ed25519 pair they are. */
	assert_int_equal(sh(f, "openssl pkey -in new.pem -noout -text | grep -q 'ED25519 Private-Key' && "
			       "openssl pkey -in new.pem -pubout | cmp -s - new.pub.pem"), 0);

	/* Never overwritten, either half. */
	assert_int_equal(rb_keygen(prefix, NULL, NULL, &err), -1);
	assert_int_equal(err.code, RB_ECONFIG);
	assert_non_null(strstr(err.msg, "already exists"));
	assert_int_equal(unlink(pub), 0);
	assert_int_equal(rb_keygen(prefix, NULL, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "new.pem' already exists"));
	assert_false(path_exists(pub));
	after = test_slurp(priv, NULL);
	assert_string_equal(before, after);
	free(after);
	assert_int_equal(unlink(priv), 0);
	test_put(f->tmp, "new.pub.pem", "keep me", 0644);
	assert_int_equal(rb_keygen(prefix, NULL, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "new.pub.pem' already exists"));
	assert_false(path_exists(priv));

	/* A directory that is not there: an error, nothing left. */
	free(prefix);
	prefix = path_join(f->tmp, "no/such/dir/k");
	assert_int_equal(rb_keygen(prefix, NULL, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "cannot create"));

	free(before);
	free(prefix);
	free(priv);
	free(pub);
}

static void test_round_trip(void **state)
{
	struct fixture *f = *state;
	struct rb_key priv, pub, other_priv, other_pub;
	struct rb_error err;
	unsigned char sig[RB_SIG_SIZE], sig2[RB_SIG_SIZE];
	char *other = path_join(f->tmp, "other");
	static const char msg[] = "abc  bin/shop\n";

	load_pair(f->key, &priv, &pub);
	assert_true(priv.private);
	assert_false(pub.private);
	assert_int_equal(rb_sign(&priv, msg, strlen(msg), sig, &err), 0);
	/* Ed25519 is deterministic: the same message, the same signature. */
	assert_int_equal(rb_sign(&priv, msg, strlen(msg), sig2, &err), 0);
	assert_memory_equal(sig, sig2, RB_SIG_SIZE);
	assert_int_equal(rb_sig_check(&pub, msg, strlen(msg), sig, RB_SIG_SIZE, &err), 1);
	assert_int_equal(rb_sig_check(&priv, msg, strlen(msg), sig, RB_SIG_SIZE, &err), 1);
	/* Another message, a corrupted signature, a wrong length. */
	assert_int_equal(rb_sig_check(&pub, msg, strlen(msg) - 1, sig, RB_SIG_SIZE, &err), 0);
	sig2[10] ^= 0x01;
	assert_int_equal(rb_sig_check(&pub, msg, strlen(msg), sig2, RB_SIG_SIZE, &err), 0);
	assert_int_equal(rb_sig_check(&pub, msg, strlen(msg), sig, RB_SIG_SIZE - 1, &err), 0);
	assert_int_equal(rb_sig_check(&pub, msg, strlen(msg), "", 0, &err), 0);
	memset(sig2, 0xff, sizeof(sig2));
	assert_int_equal(rb_sig_check(&pub, msg, strlen(msg), sig2, RB_SIG_SIZE, &err), 0);
	/* The wrong key. */
	assert_int_equal(rb_keygen(other, NULL, NULL, &err), 0);
	load_pair(other, &other_priv, &other_pub);
	assert_int_equal(rb_sig_check(&other_pub, msg, strlen(msg), sig, RB_SIG_SIZE, &err), 0);
	/* A public key cannot sign. */
	assert_int_equal(rb_sign(&pub, msg, strlen(msg), sig2, &err), -1);
	assert_non_null(strstr(err.msg, "private key"));

	rb_key_release(&other_priv);
	rb_key_release(&other_pub);
	rb_key_release(&priv);
	rb_key_release(&pub);
	rb_key_release(&pub); /* twice is harmless */
	free(other);
}

static void expect_load_error(const char *path, int private,
			      const char *want)
{
	struct rb_key k;
	struct rb_error err = { 0 };
	int r;

	rb_key_init(&k);
	r = private ? rb_key_load_private(&k, path, &err)
		    : rb_key_load_public(&k, path, &err);
	if (r != -1)
		fail_msg("'%s' loaded as a %s key", path, private ? "private" : "public");
	assert_null(k.pkey);
	assert_int_equal(err.code, RB_ECONFIG);
	if (!strstr(err.msg, want))
		fail_msg("'%s': got '%s', want '%s'", path, err.msg, want);
	rb_key_release(&k);
}

static void test_bad_keys(void **state)
{
	struct fixture *f = *state;
	char *p;

	assert_int_equal(sh(f, "openssl genpkey -algorithm rsa -pkeyopt rsa_keygen_bits:1024 -out rsa.pem 2>/dev/null && "
			       "openssl pkey -in rsa.pem -pubout -out rsa.pub.pem && "
			       "openssl genpkey -algorithm ec -pkeyopt ec_paramgen_curve:P-256 -out ec.pem && "
			       "openssl pkey -in ec.pem -pubout -out ec.pub.pem && "
			       "openssl genpkey -algorithm ed448 -out ed448.pem && "
			       "openssl pkey -in ed448.pem -pubout -out ed448.pub.pem && "
			       "openssl genpkey -algorithm x25519 -out x25519.pem && "
			       "openssl genpkey -algorithm ed25519 -out enc.pem -aes-128-cbc -pass pass:secret && "
			       "openssl rsa -in rsa.pem -traditional -out rsa-trad.pem 2>/dev/null && "
			       "printf 'not a key\\n' >junk.pem && : >empty.pem"), 0);

#define K(name) (free(p), p = path_join(f->tmp, name))
	p = NULL;
	K("rsa.pem");
	expect_load_error(p, 1, "is not an Ed25519 key (it is RSA)");
	K("rsa.pub.pem");
	expect_load_error(p, 0, "is not an Ed25519 key (it is RSA)");
	K("rsa-trad.pem");
	expect_load_error(p, 1, "is not an Ed25519 key (it is RSA)");
	K("ec.pem");
	expect_load_error(p, 1, "is not an Ed25519 key (it is EC)");
	K("ec.pub.pem");
	expect_load_error(p, 0, "is not an Ed25519 key (it is EC)");
	K("ed448.pem");
	expect_load_error(p, 1, "is not an Ed25519 key (it is ED448)");
	K("ed448.pub.pem");
	expect_load_error(p, 0, "is not an Ed25519 key (it is ED448)");
	K("x25519.pem");
	expect_load_error(p, 1, "is not an Ed25519 key (it is X25519)");
	K("enc.pem");
	expect_load_error(p, 1, "is encrypted");
	K("junk.pem");
	expect_load_error(p, 1, "cannot load private key");
	expect_load_error(p, 0, "cannot load public key");
	K("empty.pem");
	expect_load_error(p, 1, "cannot load private key");
	K("nope.pem");
	expect_load_error(p, 1, "cannot open key");
	expect_load_error(f->tmp, 0, "is not a regular file");
	/* The wrong half, each way round. */
	K("k.pub.pem");
	expect_load_error(p, 1, "is a public key; signing needs the private key");
	K("k.pem");
	expect_load_error(p, 0, "is a private key; give its public key");
#undef K
	free(p);
}

/* Keys made by openssl, signatures checked by openssl, both ways. */
static void test_openssl_cross_check(void **state)
{
	struct fixture *f = *state;
	struct rb_key priv, pub;
	struct rb_error err;
	char *text, *sig, *prefix = path_join(f->tmp, "o");
	size_t len, siglen;

	assert_int_equal(sh(f, "openssl genpkey -algorithm ed25519 -out o.pem && "
			       "openssl pkey -in o.pem -pubout -out o.pub.pem"), 0);
	load_pair(prefix, &priv, &pub);

	/* Ours, checked by openssl. */
	assert_int_equal(rb_manifest_write(f->root, "0.1.0", NULL, &err), 0);
	assert_int_equal(rb_sign_manifest(&priv, f->root, "0.1.0", &err), 0);
	assert_int_equal(sh(f, "cd rel/releases/0.1.0 && test \"$(stat -c %%a SHA256SUMS.sig)\" = 644 && "
			       "test \"$(stat -c %%s SHA256SUMS.sig)\" = 64 && "
			       "openssl pkeyutl -verify -pubin -inkey ../../../o.pub.pem -rawin "
			       "-in SHA256SUMS -sigfile SHA256SUMS.sig | grep -q 'Signature Verified Successfully'"),
			 0);
	/* ... and refused by openssl with the other key, or once changed. */
	assert_int_equal(sh(f, "cd rel/releases/0.1.0 && "
			       "openssl pkeyutl -verify -pubin -inkey ../../../k.pub.pem -rawin "
			       "-in SHA256SUMS -sigfile SHA256SUMS.sig >/dev/null 2>&1"), 1);
	/* relbuild keygen's keys work with openssl too. */
	assert_int_equal(sh(f, "printf 'hello\\n' >msg && "
			       "openssl pkeyutl -sign -inkey k.pem -rawin -in msg -out msg.sig && "
			       "openssl pkeyutl -verify -pubin -inkey k.pub.pem -rawin -in msg -sigfile msg.sig >/dev/null"),
			 0);

	/* openssl's signature, checked by us. */
	assert_int_equal(sh(f, "openssl pkeyutl -sign -inkey o.pem -rawin "
			       "-in rel/releases/0.1.0/SHA256SUMS -out ossl.sig"), 0);
	text = path_join(f->root, "releases/0.1.0/SHA256SUMS");
	sig = path_join(f->tmp, "ossl.sig");
	{
		char *t = test_slurp(text, &len), *s = test_slurp(sig, &siglen);
		char *ours = path_join(f->root, "releases/0.1.0/SHA256SUMS.sig");
		char *o = test_slurp(ours, NULL);

		assert_int_equal(siglen, RB_SIG_SIZE);
		assert_int_equal(rb_sig_check(&pub, t, len, s, siglen, &err), 1);
		/* Deterministic: openssl's signature is ours, byte for byte. */
		assert_memory_equal(s, o, RB_SIG_SIZE);
		free(o);
		free(ours);
		free(t);
		free(s);
	}
	free(sig);
	free(text);
	rb_key_release(&priv);
	rb_key_release(&pub);
	free(prefix);
}

#define SIG_PATH "releases/0.1.0/SHA256SUMS.sig"

/* Verify dir (or tarball when tar) with key; the signature status. */
static enum rb_sig_status check(const char *target, int tar,
				const struct rb_key *key, size_t nr_problems)
{
	struct rb_verify_opts opts = { .pubkey = key };
	struct rb_verify_result res;
	struct rb_error err;
	enum rb_sig_status s;
	int r;

	rb_verify_result_init(&res);
	r = tar ? rb_verify_tarball_opts(target, &opts, &res, &err)
		: rb_verify_dir_opts(target, &opts, &res, &err);
	if (r < 0)
		fail_msg("%s", err.msg);
	if (res.nr_problems != nr_problems)
		fail_msg("%zu problems, want %zu (first: %s %s)", res.nr_problems,
			 nr_problems,
			 res.nr_problems ? rb_problem_kind_name(res.problems[0].kind) : "-",
			 res.nr_problems ? res.problems[0].path : "-");
	s = res.signature;
	if (s == RB_SIG_MISSING || s == RB_SIG_INVALID)
		assert_true(test_has_problem(&res, RB_PROBLEM_SIGNATURE, SIG_PATH));
	else
		assert_false(test_has_problem(&res, RB_PROBLEM_SIGNATURE, SIG_PATH));
	rb_verify_result_release(&res);
	return s;
}

static void test_verify_signature(void **state)
{
	struct fixture *f = *state;
	struct rb_key priv, pub, wrong_priv, wrong_pub;
	struct rb_tarball t;
	struct rb_error err;
	char *wrong = path_join(f->tmp, "wrong");
	char *sigfile = path_join(f->root, SIG_PATH);
	char *copy = path_join(f->tmp, "copy");
	char *tar = path_join(f->tmp, "repacked.tar.gz");
	char *s;
	size_t len;

	load_pair(f->key, &priv, &pub);
	assert_int_equal(rb_keygen(wrong, NULL, NULL, &err), 0);
	load_pair(wrong, &wrong_priv, &wrong_pub);

	assert_int_equal(rb_manifest_write(f->root, "0.1.0", NULL, &err), 0);
	assert_int_equal(rb_sign_manifest(&priv, f->root, "0.1.0", &err), 0);
	rb_tarball_init(&t);
	assert_int_equal(rb_tarball_make(&t, f->root, "shop", "0.1.0",
					 &(struct rb_pack){ .compression = RB_COMPRESS_GZIP }, EPOCH, &err), 0);
	/* The tarball carries the signature. */
	assert_int_equal(sh(f, "tar -tzf '%s' | grep -qx '%s'", t.path, SIG_PATH), 0);

	/* Good, without a key, with the wrong key. */
	assert_int_equal(check(f->root, 0, &pub, 0), RB_SIG_VALID);
	assert_int_equal(check(t.path, 1, &pub, 0), RB_SIG_VALID);
	assert_int_equal(check(f->root, 0, NULL, 0), RB_SIG_UNCHECKED);
	assert_int_equal(check(t.path, 1, NULL, 0), RB_SIG_UNCHECKED);
	assert_int_equal(check(f->root, 0, &wrong_pub, 1), RB_SIG_INVALID);
	assert_int_equal(check(t.path, 1, &wrong_pub, 1), RB_SIG_INVALID);
	/* A private key checks too. */
	assert_int_equal(check(t.path, 1, &priv, 0), RB_SIG_VALID);

	/* Corrupted: one flipped bit, cut short, grown. */
	s = test_slurp(sigfile, &len);
	assert_int_equal(len, RB_SIG_SIZE);
	s[0] ^= 0x40;
	assert_int_equal(write_file(sigfile, s, len, 0644, &err), 0);
	assert_int_equal(check(f->root, 0, &pub, 1), RB_SIG_INVALID);
	assert_int_equal(write_file(sigfile, s, 0, 0644, &err), 0);
	assert_int_equal(check(f->root, 0, &pub, 1), RB_SIG_INVALID);
	s[0] ^= 0x40;
	assert_int_equal(write_file(sigfile, s, len, 0644, &err), 0);
	assert_int_equal(check(f->root, 0, &pub, 0), RB_SIG_VALID);
	{
		/* binary: may hold a NUL, so no string functions */
		char *grown = xmalloc(len + 1);

		memcpy(grown, s, len);
		grown[len] = '\n';
		assert_int_equal(write_file(sigfile, grown, len + 1, 0644, &err), 0);
		assert_int_equal(check(f->root, 0, &pub, 1), RB_SIG_INVALID);
		free(grown);
	}
	assert_int_equal(write_file(sigfile, s, len, 0644, &err), 0);

	/* The tarball repacked with a corrupted, then without, signature. */
	assert_int_equal(sh(f, "mkdir copy && tar -xzf '%s' -C copy", t.path), 0);
	{
		/* flip a bit: a fixed byte might be the one already there */
		char *p = path_join(copy, SIG_PATH), *b;
		size_t l;

		b = test_slurp(p, &l);
		b[5] ^= 0x01;
		assert_int_equal(write_file(p, b, l, 0644, &err), 0);
		free(b);
		free(p);
	}
	assert_int_equal(sh(f, "tar -czf '%s' -C copy .", tar), 0);
	assert_int_equal(check(copy, 0, &pub, 1), RB_SIG_INVALID);
	assert_int_equal(check(tar, 1, &pub, 1), RB_SIG_INVALID);
	assert_int_equal(sh(f, "rm copy/%s && tar -czf '%s' -C copy .", SIG_PATH, tar), 0);
	assert_int_equal(check(copy, 0, &pub, 1), RB_SIG_MISSING);
	assert_int_equal(check(tar, 1, &pub, 1), RB_SIG_MISSING);
	/* Missing is no problem when no key is given. */
	assert_int_equal(check(tar, 1, NULL, 0), RB_SIG_UNCHECKED);

	/*
	 * A forger who changes a file and rewrites SHA256SUMS to match
	 * gets past the hashes, not the signature.
	 */
	test_put(f->root, "lib/shop-0.1.0/ebin/shop.beam", "FOR1 evil", 0644);
	assert_int_equal(rb_manifest_write(f->root, "0.1.0", NULL, &err), 0);
	assert_int_equal(check(f->root, 0, NULL, 0), RB_SIG_UNCHECKED);
	assert_int_equal(check(f->root, 0, &pub, 1), RB_SIG_INVALID);
	/* A mode change rewritten into MODES likewise. */
	assert_int_equal(rb_sign_manifest(&priv, f->root, "0.1.0", &err), 0);
	assert_int_equal(check(f->root, 0, &pub, 0), RB_SIG_VALID);
	{
		char *beam = path_join(f->root, "lib/shop-0.1.0/ebin/shop.beam");

		assert_int_equal(chmod(beam, 0755), 0);
		assert_int_equal(check(f->root, 0, &pub, 1), RB_SIG_VALID);
		assert_int_equal(rb_manifest_write(f->root, "0.1.0", NULL, &err), 0);
		assert_int_equal(check(f->root, 0, &pub, 1), RB_SIG_INVALID);
		free(beam);
	}

	free(s);
	rb_tarball_release(&t);
	rb_key_release(&priv);
	rb_key_release(&pub);
	rb_key_release(&wrong_priv);
	rb_key_release(&wrong_pub);
	free(tar);
	free(copy);
	free(sigfile);
	free(wrong);
}

/* The commands, through the built binary. */
static void test_commands(void **state)
{
	struct fixture *f = *state;
	struct rb_key priv;
	struct rb_tarball t;
	struct rb_error err;
	const char *bin = TEST_BINARY_DIR "/relbuild";
	char *key = xasprintf("%s.pem", f->key);
	char *log = path_join(f->tmp, "log");
	char *text, *want;

	if (access(bin, X_OK) < 0)
		fail_msg("'%s' is not built", bin);
	assert_int_equal(sh(f, "'%s' keygen --out made >'%s' 2>&1", bin, log), 0);
	text = test_slurp(log, NULL);
	assert_string_equal(text, "private made.pem\npublic  made.pub.pem\n");
	free(text);
	assert_int_equal(sh(f, "'%s' keygen --out made >'%s' 2>&1", bin, log), 2);
	text = test_slurp(log, NULL);
	assert_string_equal(text, "relbuild: keygen: 'made.pem' already exists; not overwriting it\n");
	free(text);
	/* The default prefix, in the current directory. */
	assert_int_equal(sh(f, "'%s' keygen >/dev/null && test -s relbuild.pem && "
			       "test -s relbuild.pub.pem", bin), 0);
	assert_int_equal(sh(f, "'%s' keygen --bogus 2>/dev/null", bin), 2);
	assert_int_equal(sh(f, "'%s' keygen --help | grep -q 'usage: relbuild keygen'", bin), 0);

	rb_key_init(&priv);
	assert_int_equal(rb_key_load_private(&priv, key, &err), 0);
	assert_int_equal(rb_manifest_write(f->root, "0.1.0", NULL, &err), 0);
	assert_int_equal(rb_sign_manifest(&priv, f->root, "0.1.0", &err), 0);
	rb_tarball_init(&t);
	assert_int_equal(rb_tarball_make(&t, f->root, "shop", "0.1.0",
					 &(struct rb_pack){ .compression = RB_COMPRESS_GZIP }, EPOCH, &err), 0);

	assert_int_equal(sh(f, "'%s' verify --pubkey k.pub.pem '%s' >'%s' 2>&1", bin,
			    t.path, log), 0);
	text = test_slurp(log, NULL);
	want = xasprintf("%s: OK (6 files, signature valid)\n", t.path);
	assert_string_equal(text, want);
	free(want);
	free(text);
	assert_int_equal(sh(f, "'%s' verify --pubkey=k.pub.pem rel >'%s' 2>&1", bin, log), 0);

	assert_int_equal(sh(f, "'%s' verify --pubkey made.pub.pem '%s' >'%s' 2>&1", bin,
			    t.path, log), 1);
	text = test_slurp(log, NULL);
	assert_true(has_prefix(text, "relbuild: verify: signature: invalid: " SIG_PATH "\n"));
	free(text);
	assert_int_equal(sh(f, "rm rel/%s && '%s' verify --pubkey k.pub.pem rel >'%s' 2>&1",
			    SIG_PATH, bin, log), 1);
	text = test_slurp(log, NULL);
	assert_true(has_prefix(text, "relbuild: verify: signature: missing: " SIG_PATH "\n"));
	free(text);
	assert_int_equal(sh(f, "'%s' verify --json --pubkey k.pub.pem rel >'%s'", bin, log), 1);
	assert_int_equal(sh(f, "python3 -c 'import json,sys; o = json.load(open(sys.argv[1])); "
			       "assert o[\"ok\"] is False and o[\"signature\"] == \"missing\", o; "
			       "assert o[\"problems\"] == [{\"kind\": \"signature\", \"path\": \"%s\", "
			       "\"signature\": \"missing\"}], o' '%s'", SIG_PATH, log), 0);

	/* Unusable keys are usage errors, also in JSON mode. */
	assert_int_equal(sh(f, "'%s' verify --pubkey k.pem rel 2>'%s'", bin, log), 2);
	text = test_slurp(log, NULL);
	assert_non_null(strstr(text, "is a private key"));
	free(text);
	assert_int_equal(sh(f, "'%s' verify --json --pubkey nope.pem rel >'%s' 2>/dev/null", bin, log), 2);
	assert_int_equal(sh(f, "python3 -c 'import json,sys; o = json.load(open(sys.argv[1])); "
			       "assert o[\"ok\"] is False and \"cannot open key\" in o[\"error\"], o' '%s'",
			    log), 0);
	assert_int_equal(sh(f, "'%s' verify --pubkey 2>/dev/null", bin), 2);

	rb_tarball_release(&t);
	rb_key_release(&priv);
	free(log);
	free(key);
}

/*
 * A hot-upgraded directory: with a key, another version's files are
 * kept only when that version's manifest is signed by it.
 */
static void test_verify_upgraded_signed(void **state)
{
	struct fixture *f = *state;
	struct rb_verify_opts opts = { .upgraded = 1 };
	struct rb_key priv, pub, wrong_priv, wrong_pub;
	struct rb_verify_result res;
	struct rb_error err;
	char *wrong = path_join(f->tmp, "wrong");
	char hex[RB_SHA256_HEX], *line;
	const struct {
		const struct rb_key *sign_with, *check_with;
		size_t nr_problems;
	} cases[] = {
		{ NULL, &pub, 1 },           /* 0.2.0 not signed */
		{ NULL, NULL, 0 },           /* no key: checksums only */
		{ &wrong_priv, &pub, 1 },    /* signed by another key */
		{ &priv, &pub, 0 },          /* signed by ours */
	};

	load_pair(f->key, &priv, &pub);
	assert_int_equal(rb_keygen(wrong, NULL, NULL, &err), 0);
	load_pair(wrong, &wrong_priv, &wrong_pub);
	assert_int_equal(rb_manifest_write(f->root, "0.1.0", NULL, &err), 0);
	assert_int_equal(rb_sign_manifest(&priv, f->root, "0.1.0", &err), 0);
	test_put(f->root, "lib/new-0.2.0/ebin/new.beam", "new", 0644);
	assert_int_equal(rb_sha256_buf("new", 3, hex, &err), 0);
	line = xasprintf("%s  lib/new-0.2.0/ebin/new.beam\n", hex);
	test_put(f->root, "releases/0.2.0/SHA256SUMS", line, 0644);
	free(line);

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		if (cases[i].sign_with)
			assert_int_equal(rb_sign_manifest(cases[i].sign_with, f->root,
							  "0.2.0", &err), 0);
		opts.pubkey = cases[i].check_with;
		rb_verify_result_init(&res);
		assert_int_equal(rb_verify_dir_opts(f->root, &opts, &res, &err), 0);
		assert_string_equal(res.manifest, "releases/0.1.0/SHA256SUMS");
		assert_int_equal(res.nr_problems, cases[i].nr_problems);
		assert_int_equal(res.nr_kept, 1 - cases[i].nr_problems);
		if (cases[i].nr_problems)
			assert_true(test_has_problem(&res, RB_PROBLEM_EXTRA,
						"lib/new-0.2.0/ebin/new.beam"));
		rb_verify_result_release(&res);
	}
	rb_key_release(&priv);
	rb_key_release(&pub);
	rb_key_release(&wrong_priv);
	rb_key_release(&wrong_pub);
	free(wrong);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_keygen_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_openssl_cross_check, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_signature, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify_upgraded_signed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commands, setup, teardown),
	};

	umask(022);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
