#ifndef RB_ERROR_H
#define RB_ERROR_H

/*
 * Library code never prints or exits: it fills a struct rb_error and
 * returns -1.  Only main.c and cmd_*.c print the message and choose the
 * exit status from the code.
 */

enum rb_error_code {
	RB_EFAIL = 1,   /* the operation failed: exit 1 */
	RB_ECONFIG = 2, /* bad configuration or usage: exit 2 */
};

struct rb_error {
	int code;
	char msg[2048];
};

/* Fill err (which may be NULL) and return -1. */
int rb_error(struct rb_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Shorthand for rb_error(err, RB_EFAIL, ...). */
int rb_fail(struct rb_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* rb_fail() with ": <strerror(errno)>" appended. */
int rb_fail_errno(struct rb_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
