/*
 * libFuzzer target for the parsers of releases/<vsn>/SHA256SUMS and
 * releases/<vsn>/MODES.  Every input goes to both.  What a parser
 * accepts must be sorted, free of duplicates and of unsafe paths, and
 * come back the same from what the formatter writes; then it goes
 * through the checks that use it (compare, the mode check).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manifest.h"

static void die(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_manifest: %s: %s\n", what, detail);
	abort();
}

static int safe_path(const char *p)
{
	return *p && *p != '/' && !strstr(p, "//") && strcmp(p, ".") &&
	       strcmp(p, "..") && strncmp(p, "./", 2) &&
	       strncmp(p, "../", 3) && !strstr(p, "/./") &&
	       !strstr(p, "/../") && !has_suffix(p, "/") &&
	       !has_suffix(p, "/.") && !has_suffix(p, "/..");
}

static void check_list(const struct rb_manifest *m, int modes)
{
	for (size_t i = 0; i < m->nr; i++) {
		const struct rb_manifest_entry *e = &m->v[i];

		if (i && strcmp(m->v[i - 1].path, e->path) >= 0)
			die("not sorted, or a duplicate", e->path);
		if (!safe_path(e->path))
			die("unsafe path accepted", e->path);
		for (const char *s = e->path; *s; s++)
			if ((unsigned char)*s < 0x20 || *s == 0x7f)
				die("control character accepted", e->path);
		if (modes ? e->mode < 0 || e->mode > 07777 || e->hash[0]
			  : e->mode != -1 || strlen(e->hash) != 64 ||
				    strspn(e->hash, "0123456789abcdef") != 64)
			die("bad entry", e->path);
		if (rb_manifest_find(m, e->path) != e)
			die("rb_manifest_find() misses", e->path);
	}
}

static void same(const struct rb_manifest *a, const struct rb_manifest *b)
{
	if (a->nr != b->nr)
		die("formatted text parses to another length", "");
	for (size_t i = 0; i < a->nr; i++)
		if (strcmp(a->v[i].path, b->v[i].path) ||
		    strcmp(a->v[i].hash, b->v[i].hash) ||
		    a->v[i].mode != b->v[i].mode)
			die("formatted text parses differently", a->v[i].path);
}

typedef int (*parse_fn)(struct rb_manifest *, const char *, const char *,
			size_t, struct rb_error *);
typedef char *(*format_fn)(const struct rb_manifest *);

static int parse(struct rb_manifest *m, parse_fn fn, format_fn format,
		 int modes, const uint8_t *data, size_t size)
{
	struct rb_manifest again = RB_MANIFEST_INIT;
	struct rb_error err;
	char *text;

	if (fn(m, "SUMS", (const char *)data, size, &err) < 0) {
		if (strncmp(err.msg, "SUMS:", 5))
			die("error without the name", err.msg);
		return -1;
	}
	check_list(m, modes);
	text = format(m);
	if (fn(&again, "again", text ? text : "", text ? strlen(text) : 0,
	       &err) < 0)
		die("formatted text does not parse", err.msg);
	same(m, &again);
	rb_manifest_release(&again);
	free(text);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char modes_path[] = "releases/1/MODES";
	struct rb_manifest sums = RB_MANIFEST_INIT, modes = RB_MANIFEST_INIT;
	struct rb_manifest expected = RB_MANIFEST_INIT;
	struct rb_verify_result res;
	struct rb_error err;
	char hex[RB_SHA256_HEX];
	int have_sums, have_modes;

	have_sums = !parse(&sums, rb_manifest_parse, rb_manifest_format, 0,
			   data, size);
	have_modes = !parse(&modes, rb_modes_parse, rb_modes_format, 1, data,
			    size);

	rb_verify_result_init(&res);
	if (have_sums && have_modes) {
		/* The files found are the MODES entries: compare and check. */
		rb_manifest_compare(&sums, &modes, &res);
		if (res.nr_problems > sums.nr + modes.nr)
			die("too many problems", "");
	}
	/*
	 * This text as the MODES of a release whose SHA256SUMS lists it,
	 * against files found with modes of their own: it is checked just
	 * when rb_modes_parse() takes it.
	 */
	if (rb_sha256_buf(data, size, hex, &err) < 0)
		die("rb_sha256_buf", err.msg);
	rb_manifest_add(&expected, modes_path, hex);
	for (size_t i = 0; i < sums.nr; i++)
		sums.v[i].mode = (int)(sums.v[i].hash[0] & 0777);
	if (have_modes != (rb_verify_modes(&expected, &sums,
					   "releases/1/SHA256SUMS",
					   (const char *)data, size, &res,
					   &err) == 0) ||
	    have_modes != res.modes)
		die("the mode check and rb_modes_parse() disagree", "");
	rb_verify_result_release(&res);
	rb_manifest_release(&expected);
	rb_manifest_release(&sums);
	rb_manifest_release(&modes);
	return 0;
}
