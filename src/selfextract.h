#ifndef RB_SELFEXTRACT_H
#define RB_SELFEXTRACT_H

#include "error.h"

/*
 * A self-extracting release (relbuild --executable), <name>-<vsn>.run: a
 * POSIX sh header (templates/run_header.sh) followed by the release's
 * tarball byte for byte.  The header holds the tarball's size, offset
 * and SHA-256 (which names the directory it is extracted into), and on
 * its second line, "RB_RUN_SHA256='<64 hex>'", the SHA-256 of the whole
 * file less those 64 digits, which it checks before it extracts.  Same
 * tarball, name and version: same bytes.
 */

/* Where the 64 hex digits of RB_RUN_SHA256 start in the file. */
#define RB_RUN_SUM_AT 25

/*
 * Write the executable of the tarball at tarball (a .tar.gz, .tar.zst or
 * .tar that relbuild wrote for release name vsn) to out, mode 0755.  It
 * is written under a temporary name in out's directory
 * (".relbuild-tmp-*", which SHA256SUMS and the tarball leave out) and
 * renamed into place: on failure nothing is left at out, nor beside it.
 * A signal can leave the temporary file; the build writes out into its
 * stage, which is removed then.
 */
int rb_write_executable(const char *tarball, const char *out,
			const char *name, const char *vsn,
			struct rb_error *err);

#endif
