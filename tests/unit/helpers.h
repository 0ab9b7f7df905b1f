#ifndef RB_TEST_HELPERS_H
#define RB_TEST_HELPERS_H

/*
 * Fixture helpers shared by the unit tests (linked into each of them).
 * Include after <cmocka.h>: failures are cmocka assertions.
 */
#include <stddef.h>
#include <sys/types.h>

#include "manifest.h"

/* Write root/rel with content and exactly mode, making its directories. */
void test_put(const char *root, const char *rel, const char *content,
	      mode_t mode);

/* Write root/rel with len bytes of data and mode, making its directories. */
void test_put_bytes(const char *root, const char *rel, const void *data,
		    size_t len, mode_t mode);

/* test_put_bytes() of a string, mode 0644. */
void test_put_text(const char *root, const char *rel, const char *text);

/*
 * A minimal beam of module mod: atoms (mod, f, maybe code_change),
 * exports f/0 and with code_change code_change/3, and a Code chunk
 * holding variant (the same variant, the same code); *len its size.
 * Caller frees.
 */
char *test_fake_beam(const char *mod, int code_change, const char *variant,
		     size_t *len);

/* test_fake_beam() written to root/rel. */
void test_put_beam(const char *root, const char *rel, const char *mod,
		   int code_change, const char *variant);

/*
 * The gzip tarball of the release at root (version vsn) at dest, as a
 * build packs it (one thread); a failure fails the test.
 */
void test_write_tarball(const char *root, const char *vsn, const char *dest);

/* The whole of a file (NUL-terminated; *len may be NULL); caller frees. */
char *test_slurp(const char *path, size_t *len);

/* Whether a verification found a problem of this kind at path. */
int test_has_problem(const struct rb_verify_result *res,
		     enum rb_problem_kind kind, const char *path);

/*
 * Start argv (PATH searched) from cwd (NULL: this one) and return its
 * pid once it has exec'd.  Stop it with test_stop() in teardown too.
 */
pid_t test_spawn(const char *cwd, char *const argv[]);

/* Kill (SIGKILL) and reap a process test_spawn() started; 0 is a no-op. */
void test_stop(pid_t pid);

#endif
