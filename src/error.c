#include "error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int set(struct rb_error *err, int code, const char *fmt, va_list ap)
{
	if (!err)
		return -1;
	err->code = code;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	err->path[0] = '\0';
	err->line = err->col = 0;
	return -1;
}

int rb_error_at(struct rb_error *err, int code, const char *path,
		unsigned long line, unsigned long col, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!err)
		return -1;
	err->code = code;
	if (!line)
		n = snprintf(err->msg, sizeof(err->msg), "%s: ", path);
	else if (!col)
		n = snprintf(err->msg, sizeof(err->msg), "%s:%lu: ", path, line);
	else
		n = snprintf(err->msg, sizeof(err->msg), "%s:%lu:%lu: ", path,
			     line, col);
	if (n < 0 || (size_t)n >= sizeof(err->msg))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(err->msg + n, sizeof(err->msg) - (size_t)n, fmt, ap);
	va_end(ap);
	snprintf(err->path, sizeof(err->path), "%s", path);
	err->line = line;
	err->col = col;
	return -1;
}

int rb_error(struct rb_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set(err, code, fmt, ap);
	va_end(ap);
	return -1;
}

int rb_fail(struct rb_error *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set(err, RB_EFAIL, fmt, ap);
	va_end(ap);
	return -1;
}

int rb_fail_errno(struct rb_error *err, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	set(err, RB_EFAIL, fmt, ap);
	va_end(ap);
	if (err) {
		n = strlen(err->msg);
		snprintf(err->msg + n, sizeof(err->msg) - n, ": %s",
			 strerror(saved));
	}
	errno = saved;
	return -1;
}
