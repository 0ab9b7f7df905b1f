/*
 * Printing to a terminal: what is printed is sanitized, and colour and
 * the progress line appear only where a person reads them.
 */
#include "tty.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

void print_sanitized(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	for (; *p; p++) {
		if ((*p < 0x20 && *p != '\n' && *p != '\t') || *p == 0x7f)
			fprintf(f, "\\x%02x", *p);
		else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
			fprintf(f, "\\u%04x", p[1]), p++; /* C1: U+0080..U+009F */
		else
			fputc(*p, f);
	}
}

void tty_printf(FILE *f, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) >= 0) {
		print_sanitized(f, s);
		free(s);
	}
	va_end(ap);
}

static int dumb_term(void)
{
	const char *term = getenv("TERM");

	return term && !strcmp(term, "dumb");
}

int tty_color(FILE *f, int when)
{
	const char *no = getenv("NO_COLOR");

	if (when != CLI_COLOR_AUTO)
		return when == CLI_COLOR_ALWAYS;
	return isatty(fileno(f)) && !(no && *no) && !dumb_term();
}

int tty_progress(FILE *f)
{
	const char *ci = getenv("CI");

	return isatty(fileno(f)) && !(ci && *ci && strcmp(ci, "false")) &&
	       !dumb_term();
}
