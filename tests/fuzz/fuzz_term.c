/*
 * libFuzzer target for the Erlang term parser (.app, .appup, .rel,
 * sys.config files).  Every term it accepts must come back equal from
 * what the printers write, as term.h promises, and survive a deep copy.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "term.h"

static void die(const char *what, const struct strbuf *text,
		const struct rb_error *err)
{
	fprintf(stderr, "fuzz_term: %s\n  text: %s\n  error: %s\n", what,
		sb_str(text), err ? err->msg : "-");
	abort();
}

/* What the printer wrote, with the final '.', reads back as t. */
static void reads_back(const struct rb_term *t, struct strbuf *text,
		       const char *printer)
{
	struct rb_term *again = NULL;
	struct rb_error err;

	sb_adds(text, ".\n");
	if (rb_term_parse_one(&again, "printed", text->buf, text->len,
			      &err) < 0)
		die(printer, text, &err);
	if (!rb_term_equal(t, again))
		die(printer, text, NULL);
	rb_term_free(again);
}

/* Each term below t: the accessors the .app and appup readers use. */
static void walk(const struct rb_term *t)
{
	struct strvec atoms = STRVEC_INIT;
	struct strbuf sb = STRBUF_INIT;

	if (t->type == RB_TERM_ATOM && strlen(t->text) == t->len &&
	    !rb_term_atom_needs_quotes(t->text)) {
		rb_term_format(t, &sb);
		if (strcmp(sb_str(&sb), t->text))
			die("an atom that needs no quotes printed otherwise",
			    &sb, NULL);
		sb_release(&sb);
	}
	(void)rb_term_list_length(t);
	(void)rb_term_string(t);
	(void)rb_term_proplist_get(t, "vsn");
	(void)rb_term_proplist_find(t, "applications");
	if (rb_term_atoms(t, &atoms) == 0 && atoms.nr != t->nr)
		abort();
	strvec_clear(&atoms);
	for (size_t i = 0; i < t->nr; i++)
		walk(t->items[i]);
}

static void check(const struct rb_term *t)
{
	struct strbuf flat = STRBUF_INIT, pretty = STRBUF_INIT;
	struct rb_term *copy = rb_term_dup(t);

	if (!rb_term_equal(t, copy))
		abort();
	rb_term_free(copy);
	rb_term_format(t, &flat);
	reads_back(t, &flat, "rb_term_format() does not read back");
	rb_term_format_pretty(t, &pretty, 4);
	reads_back(t, &pretty, "rb_term_format_pretty() does not read back");
	sb_release(&flat);
	sb_release(&pretty);
	walk(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rb_terms terms = RB_TERMS_INIT;
	struct rb_term *one = NULL;
	struct rb_error err;
	int all, single;

	all = rb_term_parse_all(&terms, "fuzz.config", (const char *)data,
				size, &err);
	for (size_t i = 0; i < terms.nr; i++)
		check(terms.v[i]);
	single = rb_term_parse_one(&one, "fuzz.config", (const char *)data,
				   size, &err);
	/* One term alone parses either way, the same. */
	if (single == 0 && (all < 0 || terms.nr != 1 ||
			    !rb_term_equal(one, terms.v[0])))
		abort();
	if (single < 0 && one)
		abort();
	rb_term_free(one);
	rb_terms_release(&terms);
	return 0;
}
