/*
 * libFuzzer target for the BEAM chunk reader: the chunk list, the atom,
 * export and import tables, stripping and the same-code comparison.
 * What rb_beam_strip() writes must parse, strip to itself, and hold the
 * same code as what it came from.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "beam.h"

static void die(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_beam: %s%s%s\n", what, detail ? ": " : "",
		detail ? detail : "");
	abort();
}

static void read_tables(const struct rb_beam *beam)
{
	struct rb_beam_info info = RB_BEAM_INFO_INIT;
	struct rb_error err;

	if (rb_beam_read_info(beam, &info, &err) < 0) {
		if (info.atoms.nr || info.exports_nr)
			die("tables left after an error", err.msg);
		return;
	}
	for (size_t i = 0; i < info.exports_nr; i++)
		if (!rb_beam_info_exports(&info, info.exports[i].name,
					  info.exports[i].arity))
			die("an export not found", info.exports[i].name);
	(void)rb_beam_info_module(&info);
	if (rb_beam_read_imports(beam, &info, &err) < 0 && info.imports_nr)
		die("imports left after an error", err.msg);
	for (size_t i = 0; i < info.imports_nr; i++)
		if (!info.imports[i].module || !info.imports[i].function)
			die("an import without names", NULL);
	rb_beam_info_release(&info);
}

/* The same beam with one byte of its Line chunk changed, or NULL. */
static unsigned char *other_lines(const struct rb_beam *beam)
{
	const struct rb_beam_chunk *c = rb_beam_find(beam, "Line");
	unsigned char *copy;

	if (!c || !c->size)
		return NULL;
	copy = xmalloc(beam->len);
	memcpy(copy, beam->data, beam->len);
	copy[c->offset + c->size - 1] ^= '/';
	return copy;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keep[] = { "Docs", "ExCk", "Dbgi", NULL };
	struct rb_beam beam = RB_BEAM_INIT, again = RB_BEAM_INIT;
	unsigned char *strip = NULL, *strip2 = NULL, *other;
	size_t len, len2;
	struct rb_error err;
	int r;

	r = rb_beam_parse(&beam, data, size, &err);
	if (r < 0 && (beam.nr || beam.chunks))
		die("chunks left after an error", err.msg);
	if (r == 0) {
		for (size_t i = 0; i < beam.nr; i++) {
			const struct rb_beam_chunk *c = &beam.chunks[i];

			if (c->offset > size || c->size > size - c->offset)
				die("a chunk beyond the data", c->id);
		}
		read_tables(&beam);
	}

	if (rb_beam_strip(data, size, keep, &strip, &len, &err) == 0) {
		if (rb_beam_is_compressed(data, size)) {
			if (len != size || memcmp(strip, data, size))
				die("a compressed beam changed", NULL);
		} else {
			if (rb_beam_parse(&again, strip, len, &err) < 0)
				die("the stripped beam does not parse", err.msg);
			read_tables(&again);
			rb_beam_release(&again);
			if (rb_beam_strip(strip, len, keep, &strip2, &len2,
					  &err) < 0)
				die("the stripped beam does not strip", err.msg);
			if (len2 != len || memcmp(strip, strip2, len))
				die("stripping is not idempotent", NULL);
			free(strip2);
		}
		if (rb_beam_same_code(data, size, strip, len, &err) != 1)
			die("a beam and its stripped form differ", NULL);
	} else if (r == 0 && !rb_beam_is_compressed(data, size)) {
		die("a beam that parses does not strip", err.msg);
	}
	free(strip);

	if (r == 0 && (other = other_lines(&beam))) {
		if (rb_beam_same_code(data, size, other, size, &err) < 0)
			die("rb_beam_same_code() refused a copy", err.msg);
		free(other);
	}
	rb_beam_release(&beam);
	return 0;
}
