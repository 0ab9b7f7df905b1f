#ifndef RB_UTIL_H
#define RB_UTIL_H

#include <stddef.h>
#include <sys/types.h>

#include "error.h"

/*
 * Allocation failure is not recoverable in a command-line tool: these
 * abort with a message, as git's xmalloc() does.
 */
void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Grow array p (of *alloc elements of size sz) to hold at least nr. */
#define ALLOC_GROW(p, nr, alloc)                                          \
	do {                                                              \
		if ((nr) > (alloc)) {                                     \
			(alloc) = (alloc) < 8 ? 8 : (alloc) * 2;          \
			if ((alloc) < (nr))                               \
				(alloc) = (nr);                           \
			(p) = xrealloc((p), (alloc) * sizeof(*(p)));      \
		}                                                         \
	} while (0)

/* A growable NUL-terminated string buffer. */
struct strbuf {
	char *buf; /* always NUL-terminated once anything was added */
	size_t len;
	size_t alloc;
};
#define STRBUF_INIT { NULL, 0, 0 }

void sb_init(struct strbuf *sb);
void sb_release(struct strbuf *sb);
void sb_reset(struct strbuf *sb);
void sb_add(struct strbuf *sb, const void *data, size_t len);
void sb_adds(struct strbuf *sb, const char *s);
void sb_addc(struct strbuf *sb, char c);
void sb_addf(struct strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The contents, "" when empty; valid until the next change. */
const char *sb_str(const struct strbuf *sb);
/* Hand the buffer to the caller, who frees it; sb is left empty. */
char *sb_detach(struct strbuf *sb);

/* A growable NULL-terminated array of owned strings. */
struct strvec {
	char **v;
	size_t nr;
	size_t alloc;
};
#define STRVEC_INIT { NULL, 0, 0 }

void strvec_push(struct strvec *sv, const char *s);
void strvec_pushf(struct strvec *sv, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void strvec_clear(struct strvec *sv);
int strvec_contains(const struct strvec *sv, const char *s);
void strvec_sort(struct strvec *sv);

/* "a" + "/" + "b", without doubling the slash; caller frees. */
char *path_join(const char *a, const char *b);
/* The directory part of path: "a/b" -> "a", "/b" -> "/", "b" -> ".". */
char *path_dir(const char *path);
/* s names one entry of a directory: not empty, no '/', not "." or "..". */
int is_path_component(const char *s);
int path_exists(const char *path);
int is_dir(const char *path);     /* follows symlinks */
int is_file(const char *path);    /* follows symlinks */
int has_suffix(const char *s, const char *suffix);
/* The value of the hex digit c (either case), -1 when c is none. */
int hex_value(int c);
int has_prefix(const char *s, const char *prefix);

/* mkdir -p with mode 0755. */
int mkdir_p(const char *path, struct rb_error *err);
/* rm -rf; a missing path is not an error. */
int remove_tree(const char *path, struct rb_error *err);
/*
 * Read a whole regular file; *out is NUL-terminated, caller frees.  A
 * FIFO, device or directory is refused (without blocking).
 */
int read_file(const char *path, char **out, size_t *len,
	      struct rb_error *err);
/* read_file(), and *st the file's fstat (when st is not NULL). */
struct stat;
int read_file_st(const char *path, char **out, size_t *len, struct stat *st,
		 struct rb_error *err);
/*
 * read(2) up to len bytes, again after EINTR: what read returns otherwise
 * (0 at the end, -1 with errno).
 */
ssize_t read_retry(int fd, void *buf, size_t len);
/* write(2) all of data, retrying after EINTR; -1 with errno on failure. */
int write_all(int fd, const void *data, size_t len);
/* Write a whole file with the given mode (via a temp file and rename). */
int write_file(const char *path, const void *data, size_t len, mode_t mode,
	       struct rb_error *err);
/*
 * Write a whole file with the given mode in place (created or
 * truncated): not atomic, for a file in a tree nothing else reads yet.
 */
int write_file_in_place(const char *path, const void *data, size_t len,
		   mode_t mode, struct rb_error *err);
/*
 * The mode a release file is stored with (type bits of st_mode count):
 * directories 0755, symlinks 0777; files 0755 if any execute bit is
 * set, else 0644, but a file others may not read stays private (0700
 * or 0600).  Never setuid, setgid or sticky.
 */
mode_t rb_normal_mode(mode_t st_mode);
/* "a FIFO", "a socket", "a device", "a directory"… for messages. */
const char *file_kind(mode_t st_mode);
/* Copy one regular file, with the mode rb_normal_mode() gives. */
int copy_file(const char *from, const char *to, struct rb_error *err);
/* A hard link of from at to (replacing to), or else a copy. */
int link_or_copy(const char *from, const char *to, struct rb_error *err);
/*
 * Copy a directory tree.  Symlinks are followed (mix and rebar3 link
 * priv/ into _build); directories are 0755, files as copy_file().
 */
int copy_tree(const char *from, const char *to, struct rb_error *err);
/* copy_tree(), with copy() making each regular file. */
typedef int (*rb_copy_fn)(const char *from, const char *to,
			  struct rb_error *err);
int copy_tree_with(const char *from, const char *to, rb_copy_fn copy,
		   struct rb_error *err);
/* The sorted names in a directory, without "." and "..". */
int list_dir(const char *path, struct strvec *out, struct rb_error *err);

/* Find an executable on PATH; returns its path (caller frees) or NULL. */
char *which(const char *prog);

/*
 * Run argv (argv[0] looked up on PATH), capturing stdout and stderr
 * together into *output (may be NULL to discard).  Returns the exit
 * status, or -1 with err filled when the program could not be run.
 */
int run_capture(const char *const *argv, const char *cwd,
		struct strbuf *output, struct rb_error *err);

/*
 * A program running beside this one: started with rb_child_start(), its
 * stdout and stderr going to an unlinked temporary file (it never
 * blocks on a full pipe however long it waits to be reaped), its stdin
 * a pipe (in) or /dev/null (in -1).
 */
struct rb_child {
	pid_t pid; /* 0: not started */
	int in;
	int out;
};

/* Start argv in cwd (NULL: here); with_stdin gives it a pipe in c->in. */
int rb_child_start(struct rb_child *c, const char *const *argv,
		   const char *cwd, int with_stdin, struct rb_error *err);

/*
 * Close its stdin, wait for it to end and append its output to output
 * (may be NULL).  Returns what run_capture() returns.  Nothing to wait
 * for (never started, or waited for): 0.
 */
int rb_child_wait(struct rb_child *c, struct strbuf *output,
		  struct rb_error *err);

/* Stop it (SIGTERM) if it runs, and reap it. */
void rb_child_stop(struct rb_child *c);

#endif
