#ifndef RB_CLEANUP_H
#define RB_CLEANUP_H

#include "error.h"

/*
 * Temporary paths that must not outlive the process: a release being
 * assembled, an old release unpacked for an upgrade.  Each registered
 * path (a file or a whole tree) is removed by rb_cleanup_now(), which
 * main() calls before it returns, and by the handler of SIGINT, SIGTERM,
 * SIGHUP and SIGQUIT, which then dies of the signal as it would have.
 * Paths must be absolute.  SIGKILL leaves them: what writes them makes
 * sure that they are never mistaken for a finished result (a dot name,
 * an atomic rename into place) and sweeps them up later.
 */

/* Remove path at exit or on a fatal signal; -1 if the table is full. */
int rb_cleanup_add(const char *path);
/* Keep path after all (it was renamed into place, or removed). */
void rb_cleanup_forget(const char *path);
/*
 * A new directory <TMPDIR>/<prefix>-XXXXXX (/tmp unless TMPDIR is an
 * absolute path), registered; the caller frees the name, and removes
 * and forgets the directory when done with it.
 */
char *rb_cleanup_mkdtemp(const char *prefix, struct rb_error *err);
/* Remove every registered path now; async-signal-safe. */
void rb_cleanup_now(void);

#endif
