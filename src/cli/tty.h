#ifndef RB_TTY_H
#define RB_TTY_H

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

/*
 * Whether colour goes to f: when (a cli_color) is CLI_COLOR_ALWAYS;
 * with CLI_COLOR_AUTO when f is a terminal, NO_COLOR is unset or empty
 * (no-color.org) and TERM is not "dumb".
 */
int tty_color(FILE *f, int when);

/*
 * Whether a progress line may go to f: a terminal, outside CI (CI set
 * and not "false"), TERM not "dumb".
 */
int tty_progress(FILE *f);

#endif
