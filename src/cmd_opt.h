#ifndef RB_CMD_OPT_H
#define RB_CMD_OPT_H

#include <stdint.h>
#include <stdio.h>

/*
 * The one way the front end prints: names and messages may come from a
 * hostile tarball or project, so every control character but newline
 * and tab is escaped ("\x1b", C1 as "\u009b") and cannot drive the
 * terminal.
 */
void print_sanitized(FILE *f, const char *s);
/* printf(3) through print_sanitized(). */
void tty_printf(FILE *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A count or size: digits, optionally K, M, G or T (powers of 1024). */
int parse_size_arg(const char *s, uint64_t *out);

/*
 * "--opt VALUE" or "--opt=VALUE": 1 and *val set when argv[*i] is opt
 * (*i moved past the value), -1 when its value is missing, 0 when
 * argv[*i] is another argument.
 */
int option_value(int argc, char **argv, int *i, const char *opt,
		 const char **val);

/* "DIR///" -> "DIR" in place ("/" stays), for tidy messages. */
void strip_trailing_slashes(char *path);

#endif
