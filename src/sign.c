#include "sign.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "util.h"

/* A key file bigger than this is not an Ed25519 key. */
#define MAX_KEY_FILE 16384

void rb_key_init(struct rb_key *k)
{
	k->pkey = NULL;
	k->private = 0;
}

void rb_key_release(struct rb_key *k)
{
	EVP_PKEY_free(k->pkey);
	rb_key_init(k);
}

/* OpenSSL's reason for the last failure, and an empty queue after. */
static const char *ssl_reason(void)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;

	ERR_clear_error();
	return r ? r : "unknown error";
}

/*
 * Read a key file into buf (cap bytes, on the caller's stack so that
 * the caller can wipe it; no copy is left in freed heap memory).
 */
static int read_key_file(const char *path, char *buf, size_t cap,
			 size_t *len, struct rb_error *err)
{
	struct stat st;
	size_t n = 0;
	int fd, ret = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return rb_error(err, RB_ECONFIG, "cannot open key '%s': %s", path,
				strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		rb_error(err, RB_ECONFIG, "key '%s' is not a regular file", path);
		goto out;
	}
	for (;;) {
		ssize_t r = read_retry(fd, buf + n, cap - n);

		if (r < 0) {
			rb_error(err, RB_ECONFIG, "cannot read key '%s': %s", path,
				 strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n == cap) {
			rb_error(err, RB_ECONFIG, "key '%s' is too large to be an Ed25519 key",
				 path);
			goto out;
		}
	}
	*len = n;
	ret = 0;
out:
	close(fd);
	return ret;
}

/* The label of the first PEM block ("PRIVATE KEY"), in label[]. */
static void pem_label(const char *pem, size_t len, char *label, size_t cap)
{
	static const char begin[] = "-----BEGIN ";
	const char *p = memmem(pem, len, begin, strlen(begin));
	const char *end;

	label[0] = '\0';
	if (!p)
		return;
	p += strlen(begin);
	end = memmem(p, (size_t)(pem + len - p), "-----", 5);
	if (end && (size_t)(end - p) < cap && !memchr(p, '\n', (size_t)(end - p))) {
		memcpy(label, p, (size_t)(end - p));
		label[end - p] = '\0';
	}
}

/* Never prompt for a pass phrase: library code does not talk. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

static int check_ed25519(struct rb_key *k, const char *path,
			 struct rb_error *err)
{
	const char *type;

	if (EVP_PKEY_get_id(k->pkey) == EVP_PKEY_ED25519)
		return 0;
	type = EVP_PKEY_get0_type_name(k->pkey);
	rb_error(err, RB_ECONFIG, "key '%s' is not an Ed25519 key (it is %s)",
		 path, type ? type : "of another type");
	rb_key_release(k);
	return -1;
}

static int load_key(struct rb_key *k, const char *path, int private,
		    struct rb_error *err)
{
	char pem[MAX_KEY_FILE];
	char label[64];
	size_t len = 0;
	BIO *bio = NULL;
	int ret = -1;

	if (read_key_file(path, pem, sizeof(pem), &len, err) < 0)
		goto out;
	pem_label(pem, len, label, sizeof(label));
	if (!strcmp(label, "ENCRYPTED PRIVATE KEY")) {
		rb_error(err, RB_ECONFIG,
			 "key '%s' is encrypted; relbuild needs an unencrypted one", path);
		goto out;
	}
	if (private && has_suffix(label, "PUBLIC KEY")) {
		rb_error(err, RB_ECONFIG,
			 "key '%s' is a public key; signing needs the private key", path);
		goto out;
	}
	if (!private && has_suffix(label, "PRIVATE KEY")) {
		rb_error(err, RB_ECONFIG,
			 "key '%s' is a private key; give its public key (openssl pkey -in KEY -pubout)",
			 path);
		goto out;
	}
	bio = BIO_new_mem_buf(pem, (int)len);
	if (!bio) {
		rb_fail(err, "out of memory");
		goto out;
	}
	k->pkey = private ? PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL)
			  : PEM_read_bio_PUBKEY(bio, NULL, no_passphrase, NULL);
	if (!k->pkey) {
		rb_error(err, RB_ECONFIG, "cannot load %s key '%s': %s",
			 private ? "private" : "public", path, ssl_reason());
		goto out;
	}
	k->private = private;
	ret = check_ed25519(k, path, err);
out:
	BIO_free(bio);
	OPENSSL_cleanse(pem, sizeof(pem));
	ERR_clear_error();
	return ret;
}

int rb_key_load_private(struct rb_key *k, const char *path,
			struct rb_error *err)
{
	return load_key(k, path, 1, err);
}

int rb_key_load_public(struct rb_key *k, const char *path,
		       struct rb_error *err)
{
	return load_key(k, path, 0, err);
}

int rb_sign(const struct rb_key *k, const void *msg, size_t len,
	    unsigned char sig[RB_SIG_SIZE], struct rb_error *err)
{
	EVP_MD_CTX *ctx = NULL;
	size_t siglen = RB_SIG_SIZE;
	int ret = -1;

	if (!k->pkey || !k->private)
		return rb_fail(err, "signing needs a private key");
	ctx = EVP_MD_CTX_new();
	if (!ctx) {
		rb_fail(err, "out of memory");
		goto out;
	}
	/* Ed25519 hashes the message itself: no digest is named. */
	if (EVP_DigestSignInit(ctx, NULL, NULL, NULL, k->pkey) != 1 ||
	    EVP_DigestSign(ctx, sig, &siglen, msg, len) != 1) {
		rb_fail(err, "cannot sign: %s", ssl_reason());
		goto out;
	}
	if (siglen != RB_SIG_SIZE) {
		rb_fail(err, "cannot sign: unexpected signature size %zu", siglen);
		goto out;
	}
	ret = 0;
out:
	EVP_MD_CTX_free(ctx);
	ERR_clear_error();
	return ret;
}

int rb_sig_check(const struct rb_key *k, const void *msg, size_t len,
		 const void *sig, size_t siglen, struct rb_error *err)
{
	EVP_MD_CTX *ctx = NULL;
	int ret = -1;

	if (!k->pkey)
		return rb_fail(err, "no key to check the signature with");
	if (siglen != RB_SIG_SIZE)
		return 0;
	ctx = EVP_MD_CTX_new();
	if (!ctx) {
		rb_fail(err, "out of memory");
		goto out;
	}
	if (EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, k->pkey) != 1) {
		rb_fail(err, "cannot check the signature: %s", ssl_reason());
		goto out;
	}
	/* Anything but 1 (also a malformed signature's error) is not valid. */
	ret = EVP_DigestVerify(ctx, sig, siglen, msg, len) == 1;
out:
	EVP_MD_CTX_free(ctx);
	ERR_clear_error();
	return ret;
}

int rb_sign_manifest(const struct rb_key *k, const char *root,
		     const char *vsn, struct rb_error *err)
{
	unsigned char sig[RB_SIG_SIZE];
	char *path = xasprintf("%s/releases/%s/SHA256SUMS", root, vsn);
	char *sigpath = xasprintf("%s.sig", path);
	char *text = NULL;
	size_t len = 0;
	int ret = -1;

	if (read_file(path, &text, &len, err) < 0 ||
	    rb_sign(k, text, len, sig, err) < 0 ||
	    write_file(sigpath, sig, sizeof(sig), 0644, err) < 0)
		goto out;
	ret = 0;
out:
	free(text);
	free(sigpath);
	free(path);
	return ret;
}

/* Create path, which must not exist, holding data with exactly mode. */
static int write_new_file(const char *path, const void *data, size_t len,
			  mode_t mode, struct rb_error *err)
{
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	if (fd < 0) {
		if (errno == EEXIST)
			return rb_error(err, RB_ECONFIG,
					"'%s' already exists; not overwriting it", path);
		return rb_fail_errno(err, "cannot create '%s'", path);
	}
	if (write_all(fd, data, len) < 0)
		goto fail;
	if (fchmod(fd, mode) < 0 || fsync(fd) < 0)
		goto fail;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	return 0;
fail:
	rb_fail_errno(err, "cannot write '%s'", path);
	if (fd >= 0)
		close(fd);
	unlink(path);
	return -1;
}

/* Write a key as PEM into a new file; private keys go through secure memory. */
static int write_pem(EVP_PKEY *pkey, int private, const char *path,
		     struct rb_error *err)
{
	/* A secure-memory BIO wipes its buffer when it grows and when freed. */
	BIO *bio = BIO_new(private ? BIO_s_secmem() : BIO_s_mem());
	char *data = NULL;
	long len;
	int ret = -1;

	if (!bio) {
		rb_fail(err, "out of memory");
		goto out;
	}
	if ((private ? PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0,
						NULL, NULL)
		     : PEM_write_bio_PUBKEY(bio, pkey)) != 1) {
		rb_fail(err, "cannot encode the %s key: %s",
			private ? "private" : "public", ssl_reason());
		goto out;
	}
	len = BIO_get_mem_data(bio, &data);
	if (len <= 0 || !data) {
		rb_fail(err, "cannot encode the %s key", private ? "private" : "public");
		goto out;
	}
	ret = write_new_file(path, data, (size_t)len, private ? 0600 : 0644, err);
	OPENSSL_cleanse(data, (size_t)len);
out:
	BIO_free(bio);
	ERR_clear_error();
	return ret;
}

int rb_keygen(const char *prefix, char **priv, char **pub,
	      struct rb_error *err)
{
	char *privpath = xasprintf("%s.pem", prefix);
	char *pubpath = xasprintf("%s.pub.pem", prefix);
	EVP_PKEY *pkey = NULL;
	int ret = -1;

	if (!*prefix) {
		rb_error(err, RB_ECONFIG, "empty key file prefix");
		goto out;
	}
	/* Checked first so that an existing public key is not half a pair. */
	if (path_exists(privpath) || path_exists(pubpath)) {
		rb_error(err, RB_ECONFIG, "'%s' already exists; not overwriting it",
			 path_exists(privpath) ? privpath : pubpath);
		goto out;
	}
	pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (!pkey) {
		rb_fail(err, "cannot make an Ed25519 key: %s", ssl_reason());
		goto out;
	}
	if (write_pem(pkey, 1, privpath, err) < 0)
		goto out;
	if (write_pem(pkey, 0, pubpath, err) < 0) {
		unlink(privpath);
		goto out;
	}
	if (priv) {
		*priv = privpath;
		privpath = NULL;
	}
	if (pub) {
		*pub = pubpath;
		pubpath = NULL;
	}
	ret = 0;
out:
	EVP_PKEY_free(pkey);
	ERR_clear_error();
	free(privpath);
	free(pubpath);
	return ret;
}
