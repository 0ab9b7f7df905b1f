#ifndef RB_SIGN_H
#define RB_SIGN_H

#include <stddef.h>

#include "error.h"

/*
 * Ed25519 signatures of release manifests (OpenSSL EVP).
 *
 * releases/<vsn>/SHA256SUMS.sig holds the raw 64-byte signature of the
 * exact bytes of releases/<vsn>/SHA256SUMS (PureEdDSA: the message
 * itself, not a digest of it), so that plain OpenSSL checks it too:
 *
 *   openssl pkeyutl -verify -pubin -inkey KEY.pub.pem -rawin \
 *       -in SHA256SUMS -sigfile SHA256SUMS.sig
 *
 * Keys are PEM files as "openssl genpkey -algorithm ed25519" writes
 * them: the private key PKCS#8 ("BEGIN PRIVATE KEY", unencrypted), the
 * public key SubjectPublicKeyInfo ("BEGIN PUBLIC KEY").  Keys of any
 * other type are refused.  The signature covers SHA256SUMS only; it
 * covers every file SHA256SUMS lists (MODES included) through their
 * hashes.
 */

#define RB_SIG_SIZE 64
#define RB_SIG_NAME "SHA256SUMS.sig"

struct evp_pkey_st;

/* A loaded Ed25519 key, private or public. */
struct rb_key {
	struct evp_pkey_st *pkey;
	int private; /* holds the private half */
};

void rb_key_init(struct rb_key *k);
/* Free the key (OpenSSL wipes the private half); safe on an empty one. */
void rb_key_release(struct rb_key *k);

/*
 * Load an unencrypted PKCS#8 PEM Ed25519 private key, or a
 * SubjectPublicKeyInfo PEM Ed25519 public key.  Errors (RB_ECONFIG:
 * the file is the user's choice) name the file: unreadable, not PEM,
 * encrypted, the wrong half, or not Ed25519 ("... is an RSA key, not
 * Ed25519").  k must be initialised and empty.
 */
int rb_key_load_private(struct rb_key *k, const char *path,
			struct rb_error *err);
int rb_key_load_public(struct rb_key *k, const char *path,
		       struct rb_error *err);

/* Sign len bytes of msg with a private key. */
int rb_sign(const struct rb_key *k, const void *msg, size_t len,
	    unsigned char sig[RB_SIG_SIZE], struct rb_error *err);

/*
 * Check sig (siglen bytes, any length: a wrong one is not valid)
 * over msg.  Returns 1 valid, 0 not valid, -1 when the check could not
 * run.  k may be private or public.
 */
int rb_sig_check(const struct rb_key *k, const void *msg, size_t len,
		 const void *sig, size_t siglen, struct rb_error *err);

/*
 * Sign root/releases/<vsn>/SHA256SUMS, as it is on disk, into
 * root/releases/<vsn>/SHA256SUMS.sig (mode 0644).
 */
int rb_sign_manifest(const struct rb_key *k, const char *root,
		     const char *vsn, struct rb_error *err);

/*
 * Make a new Ed25519 key pair: PREFIX.pem (private, PKCS#8, mode 0600)
 * and PREFIX.pub.pem (public, 0644).  Neither file may exist already:
 * nothing is overwritten, and on failure nothing is left.  *priv and
 * *pub (may be NULL) receive the two paths; the caller frees them.
 */
int rb_keygen(const char *prefix, char **priv, char **pub,
	      struct rb_error *err);

#endif
