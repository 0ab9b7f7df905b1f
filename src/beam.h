#ifndef RB_BEAM_H
#define RB_BEAM_H

#include <stddef.h>

#include "error.h"
#include "util.h"

/*
 * BEAM files: an IFF container, "FOR1" <size:32> "BEAM" then chunks of
 * <id:4 bytes> <size:32> <data>, each padded with zeros to 4 bytes; all
 * sizes big-endian.  A beam may also be gzip-compressed as a whole
 * (mix's `strip_beams: [compress: true]`); those are only recognised.
 */

struct rb_beam_chunk {
	char id[5];    /* four characters and a NUL */
	size_t offset; /* of the data, from the start of the file */
	size_t size;   /* of the data, without padding */
};

/*
 * A parsed beam.  data is borrowed from the caller (rb_beam_parse) or
 * owned (rb_beam_load); rb_beam_release() frees what the struct owns.
 */
struct rb_beam {
	const unsigned char *data;
	size_t len;
	unsigned char *owned; /* data, when loaded from a file */
	struct rb_beam_chunk *chunks;
	size_t nr;
	size_t alloc;
};
#define RB_BEAM_INIT { NULL, 0, NULL, NULL, 0, 0 }

/* One entry of the export table (ExpT). */
struct rb_beam_export {
	const char *name; /* points into the atom table it was read with */
	unsigned arity;
	unsigned label;
};

/*
 * One entry of the import table (ImpT): a function of another module
 * (or of this one, called as M:F) that the code calls by name.
 */
struct rb_beam_import {
	const char *module;   /* both point into the atom table */
	const char *function;
	unsigned arity;
};

/*
 * The atom, export and import tables of a module.  atoms.v[0] is atom
 * 1, the module's own name.  Filled by rb_beam_read_info() and
 * rb_beam_read_imports(); free with rb_beam_info_release().
 */
struct rb_beam_info {
	struct strvec atoms;
	struct rb_beam_export *exports;
	size_t exports_nr;
	size_t exports_alloc;
	struct rb_beam_import *imports;
	size_t imports_nr;
	size_t imports_alloc;
};
#define RB_BEAM_INFO_INIT { STRVEC_INIT, NULL, 0, 0, NULL, 0, 0 }

/*
 * The chunks mix release and relbuild keep when stripping, in the order
 * they are written (Mix.Release.strip_beam/2; NULL-terminated).
 */
extern const char *const rb_beam_strip_chunks[];

/* Whether data starts like a gzip stream (0x1f 0x8b). */
int rb_beam_is_compressed(const void *data, size_t len);

/*
 * Parse the chunk list of data[0..len), which must stay valid while beam
 * is used.  Compressed and malformed beams are errors (beam is then
 * empty); bytes after the FOR1 form are ignored, as the loader does.
 */
int rb_beam_parse(struct rb_beam *beam, const void *data, size_t len,
		  struct rb_error *err);
/* Read and parse a .beam file. */
int rb_beam_load(struct rb_beam *beam, const char *path,
		 struct rb_error *err);
void rb_beam_release(struct rb_beam *beam);

/* The first chunk with this id, or NULL. */
const struct rb_beam_chunk *rb_beam_find(const struct rb_beam *beam,
					 const char *id);

/*
 * Strip a beam the way mix release does: keep only the chunks in
 * rb_beam_strip_chunks, then those named in keep (a NULL-terminated list
 * of extra ids such as "Docs", or NULL), in that order, dropping the ones
 * the module lacks.  *out (caller frees) is a complete beam of *out_len
 * bytes.  A compressed beam is copied unchanged.
 */
int rb_beam_strip(const void *data, size_t len, const char *const *keep,
		  unsigned char **out, size_t *out_len, struct rb_error *err);
/*
 * Write the rb_beam_strip()ped form of file from to file to, mode 0644,
 * or 0755 if from has an executable bit (as rb_normal_mode()).  to may be
 * from itself, then replaced atomically; another to is written in place
 * (write_file_in_place()).  A compressed beam is copied unchanged.
 */
int rb_beam_strip_file(const char *from, const char *to,
		       struct rb_error *err);

/*
 * Whether two beams hold the same code: equal once both are
 * rb_beam_strip()ped, except that the source file names in the Line
 * chunk count without their directories, so that neither debug
 * information nor the directory a module was compiled in makes a
 * difference.  Compressed beams are compared byte for byte.  Returns 1
 * (same), 0 (different) or -1 (a malformed beam, err filled).
 */
int rb_beam_same_code(const void *a, size_t alen, const void *b, size_t blen,
		      struct rb_error *err);

/*
 * Read the atom table (AtU8, or the older latin-1 Atom, converted to
 * UTF-8) and the export table (ExpT) into info, which the caller has
 * set to RB_BEAM_INFO_INIT.
 */
int rb_beam_read_info(const struct rb_beam *beam, struct rb_beam_info *info,
		      struct rb_error *err);
void rb_beam_info_release(struct rb_beam_info *info);

/*
 * Read the import table (ImpT) into info->imports, in the module's
 * order; info must hold the beam's atoms (rb_beam_read_info()).  A beam
 * without ImpT or naming an atom it lacks is an error (imports is then
 * empty).
 */
int rb_beam_read_imports(const struct rb_beam *beam, struct rb_beam_info *info,
			 struct rb_error *err);

/* The module name (atom 1), or NULL when the atom table is empty. */
const char *rb_beam_info_module(const struct rb_beam_info *info);
/* Whether the module exports name/arity. */
int rb_beam_info_exports(const struct rb_beam_info *info, const char *name,
			 unsigned arity);

#endif
