#ifndef RB_ERROR_H
#define RB_ERROR_H

/*
 * Library code never prints or exits: it fills a struct rb_error and
 * returns -1.  Only the front end (src/cli/) prints it and chooses the
 * exit status from the code.
 */

enum rb_error_code {
	RB_EFAIL = 1,   /* the operation failed: exit 1 */
	RB_ECONFIG = 2, /* bad configuration or usage: exit 2 */
};

/*
 * msg is the whole message as printed ("rel/config.yml:12:5: unknown
 * key 'x'"); an error about a place in a file also has that place as
 * fields, for --json and whoever reads it as data.
 */
struct rb_error {
	int code;
	char msg[2048];
	char path[1024];           /* the file, or "" */
	unsigned long line, col;   /* 1-based; 0 when not known */
};

/* Fill err (which may be NULL) and return -1. */
int rb_error(struct rb_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * rb_error() about line:col of path (col 0: the whole line), the
 * message printed as "path:line:col: MSG" ("path:line: MSG").
 */
int rb_error_at(struct rb_error *err, int code, const char *path,
		unsigned long line, unsigned long col, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

/* Shorthand for rb_error(err, RB_EFAIL, ...). */
int rb_fail(struct rb_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* rb_fail() with ": <strerror(errno)>" appended. */
int rb_fail_errno(struct rb_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
