/* Unit tests for tty.c: what the front end prints is sanitized. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tty.h"

static char *printed(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	print_sanitized(f, s);
	fclose(f);
	return buf;
}

static void test_sanitized(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "plain/path-1.0", "plain/path-1.0" },
		{ "two\nlines\tand tab", "two\nlines\tand tab" },
		{ "\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m" },
		{ "bell\a cr\r bs\b del\x7f", "bell\\x07 cr\\x0d bs\\x08 del\\x7f" },
		{ "csi\xc2\x9b" "2J", "csi\\u009b2J" },
		{ "caf\xc3\xa9 \xe2\x9c\x93", "caf\xc3\xa9 \xe2\x9c\x93" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = printed(cases[i].in);

		assert_string_equal(got, cases[i].out);
		free(got);
	}
}

static void test_tty_printf(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	tty_printf(f, "relbuild: %s: %d\n", "lib/\x1b]0;pwned\x07x", 3);
	fclose(f);
	assert_string_equal(buf, "relbuild: lib/\\x1b]0;pwned\\x07x: 3\n");
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sanitized),
		cmocka_unit_test(test_tty_printf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
