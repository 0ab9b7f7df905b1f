#ifndef RB_TERM_H
#define RB_TERM_H

#include <stddef.h>

#include "error.h"
#include "util.h"

/*
 * Erlang terms as written in .app, .appup, .rel and sys.config files
 * (what file:consult/1 reads), and a printer that writes them back.
 *
 * A string "abc" stays a string (RB_TERM_STRING) rather than becoming a
 * list of integers; "" is an empty string, [] an empty list.  Both are
 * the same term to Erlang, and rb_term_string() accepts either.  Integers
 * are limited to 64 bits.  Improper lists are rejected, except
 * [a|[b]] which is the proper list [a,b].  Maps are kept as a flat list
 * of items: key, value, key, value, ...
 *
 * Ownership: every struct rb_term is heap-allocated and owns its text and
 * its items; rb_term_free() frees a whole tree.  A term pushed into a
 * tuple, list or map belongs to it from then on.
 */

enum rb_term_type {
	RB_TERM_ATOM,
	RB_TERM_STRING,  /* "..." (UTF-8 in text) */
	RB_TERM_BINARY,  /* <<...>> (bytes in text, may hold NULs) */
	RB_TERM_INTEGER,
	RB_TERM_FLOAT,
	RB_TERM_TUPLE,
	RB_TERM_LIST,
	RB_TERM_MAP,     /* items: key, value, key, value, ... */
};

struct rb_term {
	enum rb_term_type type;
	char *text;     /* atom, string, binary: NUL-terminated; else NULL */
	size_t len;     /* bytes in text, without the NUL */
	long long ival; /* RB_TERM_INTEGER */
	double fval;    /* RB_TERM_FLOAT */
	struct rb_term **items; /* tuple, list and map elements */
	size_t nr;
	size_t alloc;
	int line, col;  /* where the term started; 0 when built in code */
};

/* A growable array of owned terms, as read from a file. */
struct rb_terms {
	struct rb_term **v;
	size_t nr;
	size_t alloc;
};
#define RB_TERMS_INIT { NULL, 0, 0 }

void rb_terms_init(struct rb_terms *terms);
/* Free every term and the array. */
void rb_terms_release(struct rb_terms *terms);

/*
 * Parse every '.'-terminated term in buf (which need not be
 * NUL-terminated) and append them to out.  path is used only in error
 * messages, "path:line:col: what is wrong" (RB_EFAIL).  On error, out
 * holds whatever was appended before; release it either way.
 */
int rb_term_parse_all(struct rb_terms *out, const char *path,
		      const char *buf, size_t len, struct rb_error *err);
/* Exactly one '.'-terminated term; *out is the caller's to free. */
int rb_term_parse_one(struct rb_term **out, const char *path,
		      const char *buf, size_t len, struct rb_error *err);
/* file:consult/1: read a file and parse all its terms. */
int rb_term_consult(struct rb_terms *out, const char *path,
		    struct rb_error *err);

/* Constructors: each returns a new term that the caller (or the parent
 * it is pushed into) owns. */
struct rb_term *rb_term_new(enum rb_term_type type);
struct rb_term *rb_term_new_atom(const char *name);
struct rb_term *rb_term_new_string(const char *s);
struct rb_term *rb_term_new_binary(const void *data, size_t len);
struct rb_term *rb_term_new_int(long long v);
struct rb_term *rb_term_new_float(double v);
/* A tuple of n terms, which it takes over: rb_term_tuple(2, a, b). */
struct rb_term *rb_term_tuple(size_t n, ...);
/* Append child to a tuple, list or map, which takes it over; returns
 * parent. */
struct rb_term *rb_term_push(struct rb_term *parent, struct rb_term *child);
/* A deep copy; the caller frees it. */
struct rb_term *rb_term_dup(const struct rb_term *t);
/* Free t and everything under it; NULL is fine. */
void rb_term_free(struct rb_term *t);

/* Structural equality ("" equals [], as in Erlang; 1 does not equal 1.0). */
int rb_term_equal(const struct rb_term *a, const struct rb_term *b);

/* The atom's name, or NULL when t is not an atom. */
const char *rb_term_atom(const struct rb_term *t);
/* 1 when t is the atom name. */
int rb_term_is_atom(const struct rb_term *t, const char *name);
/* A string's text ("" for []), or NULL when t is not a string. */
const char *rb_term_string(const struct rb_term *t);
/* Elements of a list, characters of a string; -1 for anything else. */
long rb_term_list_length(const struct rb_term *t);
/*
 * In a proplist (a list), the first tuple whose first element is the
 * atom key, or NULL.  rb_term_proplist_get() returns the value of the
 * first {key, Value} pair instead.
 */
const struct rb_term *rb_term_proplist_find(const struct rb_term *list,
					    const char *key);
const struct rb_term *rb_term_proplist_get(const struct rb_term *list,
					   const char *key);
/* Append the names of a list of atoms to out; -1 when t is not one. */
int rb_term_atoms(const struct rb_term *t, struct strvec *out);

/* 1 when an atom's name must be written in quotes. */
int rb_term_atom_needs_quotes(const char *name);

/*
 * Write t in Erlang syntax, without the final '.', on one line as
 * io:format("~w") does (strings stay strings, atoms are quoted when
 * needed).  What it writes reads back as an equal term.
 */
void rb_term_format(const struct rb_term *t, struct strbuf *out);
/*
 * The same, broken over lines as io:format("~p") does when a term does
 * not fit in 80 columns; indent is the column where t starts.
 */
void rb_term_format_pretty(const struct rb_term *t, struct strbuf *out,
			   int indent);

#endif
