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
