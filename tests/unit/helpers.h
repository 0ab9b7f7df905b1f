#ifndef RB_TEST_HELPERS_H
#define RB_TEST_HELPERS_H

/*
 * Fixture helpers shared by the unit tests (linked into each of them).
 * Include after <cmocka.h>: failures are cmocka assertions.
 */
#include <stddef.h>
#include <sys/types.h>

/* Write root/rel with content and exactly mode, making its directories. */
void test_put(const char *root, const char *rel, const char *content,
	      mode_t mode);

/* The whole of a file (NUL-terminated; *len may be NULL); caller frees. */
char *test_slurp(const char *path, size_t *len);

#endif
