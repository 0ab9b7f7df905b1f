#include "term.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Deeper nesting than this is refused rather than risk the C stack. */
#define MAX_DEPTH 500
/* As in Erlang: atoms are at most 255 characters. */
#define MAX_ATOM_CHARS 255

void rb_terms_init(struct rb_terms *terms)
{
	terms->v = NULL;
	terms->nr = terms->alloc = 0;
}

void rb_terms_release(struct rb_terms *terms)
{
	for (size_t i = 0; i < terms->nr; i++)
		rb_term_free(terms->v[i]);
	free(terms->v);
	rb_terms_init(terms);
}

static void terms_push(struct rb_terms *terms, struct rb_term *t)
{
	ALLOC_GROW(terms->v, terms->nr + 1, terms->alloc);
	terms->v[terms->nr++] = t;
}

/* Constructors and destruction */

struct rb_term *rb_term_new(enum rb_term_type type)
{
	struct rb_term *t = xcalloc(1, sizeof(*t));

	t->type = type;
	return t;
}

static struct rb_term *new_text(enum rb_term_type type, const void *data,
				size_t len)
{
	struct rb_term *t = rb_term_new(type);

	t->text = xmalloc(len + 1);
	if (len)
		memcpy(t->text, data, len);
	t->text[len] = '\0';
	t->len = len;
	return t;
}

struct rb_term *rb_term_new_atom(const char *name)
{
	return new_text(RB_TERM_ATOM, name, strlen(name));
}

struct rb_term *rb_term_new_string(const char *s)
{
	return new_text(RB_TERM_STRING, s, strlen(s));
}

struct rb_term *rb_term_new_binary(const void *data, size_t len)
{
	return new_text(RB_TERM_BINARY, data, len);
}

struct rb_term *rb_term_new_int(long long v)
{
	struct rb_term *t = rb_term_new(RB_TERM_INTEGER);

	t->ival = v;
	return t;
}

struct rb_term *rb_term_new_float(double v)
{
	struct rb_term *t = rb_term_new(RB_TERM_FLOAT);

	t->fval = v;
	return t;
}

struct rb_term *rb_term_push(struct rb_term *parent, struct rb_term *child)
{
	ALLOC_GROW(parent->items, parent->nr + 1, parent->alloc);
	parent->items[parent->nr++] = child;
	return parent;
}

struct rb_term *rb_term_tuple(size_t n, ...)
{
	struct rb_term *t = rb_term_new(RB_TERM_TUPLE);
	va_list ap;

	va_start(ap, n);
	for (size_t i = 0; i < n; i++)
		rb_term_push(t, va_arg(ap, struct rb_term *));
	va_end(ap);
	return t;
}

struct rb_term *rb_term_dup(const struct rb_term *t)
{
	struct rb_term *c = rb_term_new(t->type);

	c->ival = t->ival;
	c->fval = t->fval;
	c->line = t->line;
	c->col = t->col;
	if (t->text) {
		c->text = xmalloc(t->len + 1);
		memcpy(c->text, t->text, t->len + 1);
		c->len = t->len;
	}
	for (size_t i = 0; i < t->nr; i++)
		rb_term_push(c, rb_term_dup(t->items[i]));
	return c;
}

void rb_term_free(struct rb_term *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nr; i++)
		rb_term_free(t->items[i]);
	free(t->items);
	free(t->text);
	free(t);
}

/* Accessors */

static int is_empty_string(const struct rb_term *t)
{
	return (t->type == RB_TERM_STRING && !t->len) ||
	       (t->type == RB_TERM_LIST && !t->nr);
}

int rb_term_equal(const struct rb_term *a, const struct rb_term *b)
{
	if (is_empty_string(a) && is_empty_string(b))
		return 1;
	if (a->type != b->type)
		return 0;
	switch (a->type) {
	case RB_TERM_ATOM:
	case RB_TERM_STRING:
	case RB_TERM_BINARY:
		return a->len == b->len && !memcmp(a->text, b->text, a->len);
	case RB_TERM_INTEGER:
		return a->ival == b->ival;
	case RB_TERM_FLOAT:
		return a->fval == b->fval;
	case RB_TERM_TUPLE:
	case RB_TERM_LIST:
	case RB_TERM_MAP:
		if (a->nr != b->nr)
			return 0;
		for (size_t i = 0; i < a->nr; i++)
			if (!rb_term_equal(a->items[i], b->items[i]))
				return 0;
		return 1;
	}
	return 0;
}

const char *rb_term_atom(const struct rb_term *t)
{
	return t && t->type == RB_TERM_ATOM ? t->text : NULL;
}

int rb_term_is_atom(const struct rb_term *t, const char *name)
{
	const char *a = rb_term_atom(t);

	return a && !strcmp(a, name);
}

const char *rb_term_string(const struct rb_term *t)
{
	if (!t)
		return NULL;
	if (t->type == RB_TERM_STRING)
		return t->text;
	if (t->type == RB_TERM_LIST && !t->nr)
		return "";
	return NULL;
}

long rb_term_list_length(const struct rb_term *t)
{
	long n = 0;

	if (!t)
		return -1;
	if (t->type == RB_TERM_LIST)
		return (long)t->nr;
	if (t->type != RB_TERM_STRING)
		return -1;
	/* Count UTF-8 lead bytes: one per character. */
	for (size_t i = 0; i < t->len; i++)
		if (((unsigned char)t->text[i] & 0xC0) != 0x80)
			n++;
	return n;
}

const struct rb_term *rb_term_proplist_find(const struct rb_term *list,
					    const char *key)
{
	if (!list || list->type != RB_TERM_LIST)
		return NULL;
	for (size_t i = 0; i < list->nr; i++) {
		const struct rb_term *e = list->items[i];

		if (e->type == RB_TERM_TUPLE && e->nr >= 1 &&
		    rb_term_is_atom(e->items[0], key))
			return e;
	}
	return NULL;
}

const struct rb_term *rb_term_proplist_get(const struct rb_term *list,
					   const char *key)
{
	if (!list || list->type != RB_TERM_LIST)
		return NULL;
	for (size_t i = 0; i < list->nr; i++) {
		const struct rb_term *e = list->items[i];

		if (e->type == RB_TERM_TUPLE && e->nr == 2 &&
		    rb_term_is_atom(e->items[0], key))
			return e->items[1];
	}
	return NULL;
}

int rb_term_atoms(const struct rb_term *t, struct strvec *out)
{
	if (!t || (t->type != RB_TERM_LIST && !is_empty_string(t)))
		return -1;
	for (size_t i = 0; i < t->nr; i++)
		if (t->items[i]->type != RB_TERM_ATOM)
			return -1;
	for (size_t i = 0; i < t->nr; i++)
		strvec_push(out, t->items[i]->text);
	return 0;
}

/* UTF-8 */

static void utf8_encode(struct strbuf *sb, uint32_t cp)
{
	char b[4];

	if (cp < 0x80) {
		sb_addc(sb, (char)cp);
		return;
	}
	if (cp < 0x800) {
		b[0] = (char)(0xC0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3F));
		sb_add(sb, b, 2);
	} else if (cp < 0x10000) {
		b[0] = (char)(0xE0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		b[2] = (char)(0x80 | (cp & 0x3F));
		sb_add(sb, b, 3);
	} else {
		b[0] = (char)(0xF0 | (cp >> 18));
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		b[3] = (char)(0x80 | (cp & 0x3F));
		sb_add(sb, b, 4);
	}
}

/*
 * Decode one character at s (n bytes available); returns its length in
 * bytes, or 0 when the bytes are not valid UTF-8.
 */
static size_t utf8_decode(const char *s, size_t n, uint32_t *cp)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t len;
	uint32_t c, min;

	if (!n)
		return 0;
	if (u[0] < 0x80) {
		*cp = u[0];
		return 1;
	} else if ((u[0] & 0xE0) == 0xC0) {
		len = 2, c = u[0] & 0x1F, min = 0x80;
	} else if ((u[0] & 0xF0) == 0xE0) {
		len = 3, c = u[0] & 0x0F, min = 0x800;
	} else if ((u[0] & 0xF8) == 0xF0) {
		len = 4, c = u[0] & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((u[i] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (u[i] & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	*cp = c;
	return len;
}

/* The parser */

struct parser {
	const char *path;
	const char *p, *end;
	const char *line_start;
	int line;
	int depth;
	struct rb_error *err;
};

static int col_of(const struct parser *ps, const char *at)
{
	return (int)(at - ps->line_start) + 1;
}

__attribute__((format(printf, 3, 4)))
static int perr_at(struct parser *ps, const char *at, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return rb_error_at(ps->err, RB_EFAIL, ps->path, ps->line, col_of(ps, at), "%s", msg);
}

#define perr(ps, ...) perr_at((ps), (ps)->p, __VA_ARGS__)

static int at_end(const struct parser *ps)
{
	return ps->p >= ps->end;
}

static int peek(const struct parser *ps)
{
	return ps->p < ps->end ? (unsigned char)*ps->p : -1;
}

static int peek2(const struct parser *ps)
{
	return ps->p + 1 < ps->end ? (unsigned char)ps->p[1] : -1;
}

/* Move past one byte, keeping track of lines. */
static void advance(struct parser *ps)
{
	if (*ps->p == '\n') {
		ps->line++;
		ps->line_start = ps->p + 1;
	}
	ps->p++;
}

static void skip_ws(struct parser *ps)
{
	while (!at_end(ps)) {
		unsigned char c = (unsigned char)*ps->p;

		if (c == '%') {
			while (!at_end(ps) && *ps->p != '\n')
				ps->p++;
		} else if (c <= ' ') {
			advance(ps);
		} else {
			break;
		}
	}
}

/* Describe the character at the cursor for "unexpected …" messages. */
static int unexpected(struct parser *ps)
{
	int c = peek(ps);

	if (c < 0)
		return perr(ps, "unexpected end of input");
	if (c >= 0x20 && c < 0x7f)
		return perr(ps, "unexpected '%c'", c);
	return perr(ps, "unexpected byte 0x%02x", (unsigned)c);
}

static int expect(struct parser *ps, char c, const char *what)
{
	skip_ws(ps);
	if (peek(ps) != (unsigned char)c) {
		if (at_end(ps))
			return perr(ps, "unexpected end of input, expected %s",
				    what);
		return perr(ps, "expected %s", what);
	}
	ps->p++;
	return 0;
}

/* One character as written, at the cursor (not at the end). */
static void read_plain_char(struct parser *ps, uint32_t *cp)
{
	size_t n = utf8_decode(ps->p, (size_t)(ps->end - ps->p), cp);

	if (!n) {
		/* Not UTF-8: take the byte as a Latin-1 character. */
		*cp = (unsigned char)*ps->p;
		n = 1;
	}
	if (*ps->p == '\n')
		advance(ps);
	else
		ps->p += n;
}

/*
 * Read one character of a quoted string, atom or char literal, escapes
 * included; the cursor is on it.
 */
static int read_char(struct parser *ps, uint32_t *cp)
{
	const char *start = ps->p;
	int c;

	if (at_end(ps))
		return perr(ps, "unexpected end of input");
	if (*ps->p != '\\') {
		read_plain_char(ps, cp);
		return 0;
	}
	ps->p++;
	c = peek(ps);
	if (c < 0)
		return perr(ps, "unexpected end of input in escape sequence");
	if (c >= '0' && c <= '7') {
		uint32_t v = 0;

		for (int i = 0; i < 3 && peek(ps) >= '0' && peek(ps) <= '7'; i++)
			v = v * 8 + (uint32_t)(*ps->p++ - '0');
		*cp = v;
		return 0;
	}
	if (c == 'x') {
		uint32_t v = 0;

		ps->p++;
		if (peek(ps) == '{') {
			int digits = 0;

			ps->p++;
			while (hex_value(peek(ps)) >= 0) {
				if (v > 0x10FFFF)
					break;
				v = v * 16 + (uint32_t)hex_value(*ps->p++);
				digits++;
			}
			if (!digits || peek(ps) != '}')
				return perr_at(ps, start, "bad escape sequence");
			ps->p++;
		} else {
			if (hex_value(peek(ps)) < 0 || hex_value(peek2(ps)) < 0)
				return perr_at(ps, start, "bad escape sequence");
			v = (uint32_t)(hex_value(ps->p[0]) * 16 + hex_value(ps->p[1]));
			ps->p += 2;
		}
		if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
			return perr_at(ps, start, "bad character code in escape sequence");
		*cp = v;
		return 0;
	}
	if (c == '^') {
		ps->p++;
		c = peek(ps);
		if (c < 0 || !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			       c == '@' || c == '[' || c == '\\' || c == ']' ||
			       c == '^' || c == '_' || c == '?'))
			return perr_at(ps, start, "bad escape sequence");
		ps->p++;
		*cp = c == '?' ? 127 : (uint32_t)(c & 31);
		return 0;
	}
	switch (c) {
	case 'b': *cp = 8; break;
	case 'd': *cp = 127; break;
	case 'e': *cp = 27; break;
	case 'f': *cp = 12; break;
	case 'n': *cp = 10; break;
	case 'r': *cp = 13; break;
	case 's': *cp = 32; break;
	case 't': *cp = 9; break;
	case 'v': *cp = 11; break;
	default:
		/* \\ \" \' and any other character stand for themselves. */
		read_plain_char(ps, cp);
		return 0;
	}
	ps->p++;
	return 0;
}

/* A quoted string or atom body; the cursor is on the opening quote. */
static int read_quoted(struct parser *ps, char quote, struct strbuf *out)
{
	const char *start = ps->p;
	int start_line = ps->line;
	const char *start_ls = ps->line_start;

	ps->p++;
	for (;;) {
		uint32_t cp;

		if (at_end(ps)) {
			ps->line = start_line;
			ps->line_start = start_ls;
			return perr_at(ps, start, "unterminated %s",
				       quote == '"' ? "string" : "quoted atom");
		}
		if (*ps->p == quote) {
			ps->p++;
			return 0;
		}
		if (*ps->p != '\\') {
			/* Keep the bytes as written: the file is UTF-8. */
			sb_addc(out, *ps->p);
			advance(ps);
			continue;
		}
		if (read_char(ps, &cp) < 0)
			return -1;
		utf8_encode(out, cp);
	}
}

static struct rb_term *new_at(struct parser *ps, enum rb_term_type type,
			      const char *at)
{
	struct rb_term *t = rb_term_new(type);

	t->line = ps->line;
	t->col = col_of(ps, at);
	return t;
}

static void set_text(struct rb_term *t, struct strbuf *sb)
{
	t->len = sb->len;
	t->text = sb_detach(sb);
}

static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* Latin-1 letters, which Erlang allows in unquoted atoms. */
static int is_latin1_lower(uint32_t cp)
{
	return cp >= 0xDF && cp <= 0xFF && cp != 0xF7;
}

static int is_latin1_letter(uint32_t cp)
{
	return cp >= 0xC0 && cp <= 0xFF && cp != 0xD7 && cp != 0xF7;
}

static int is_name_char(uint32_t cp)
{
	return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') ||
	       is_digit((int)cp) || cp == '_' || cp == '@' ||
	       is_latin1_letter(cp);
}

static const char *const reserved_words[] = {
	"after", "and", "andalso", "band", "begin", "bnot", "bor", "bsl",
	"bsr", "bxor", "case", "catch", "cond", "div", "else", "end", "fun",
	"if", "let", "maybe", "not", "of", "or", "orelse", "receive", "rem",
	"try", "when", "xor",
};

static int is_reserved(const char *s)
{
	for (size_t i = 0; i < sizeof(reserved_words) / sizeof(*reserved_words); i++)
		if (!strcmp(s, reserved_words[i]))
			return 1;
	return 0;
}

/* An unquoted name (atom or variable) at the cursor. */
static void read_name(struct parser *ps, struct strbuf *out)
{
	for (;;) {
		uint32_t cp;
		size_t n = utf8_decode(ps->p, (size_t)(ps->end - ps->p), &cp);

		if (!n || !is_name_char(cp))
			break;
		sb_add(out, ps->p, n);
		ps->p += n;
	}
}

static size_t utf8_chars(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			n++;
	return n;
}

static int parse_atom(struct parser *ps, struct rb_term **out)
{
	const char *start = ps->p;
	struct strbuf sb = STRBUF_INIT;
	struct rb_term *t;

	if (*ps->p == '\'') {
		if (read_quoted(ps, '\'', &sb) < 0)
			goto fail;
	} else {
		read_name(ps, &sb);
		if (is_reserved(sb_str(&sb))) {
			perr_at(ps, start, "unexpected reserved word '%s'",
				sb_str(&sb));
			goto fail;
		}
	}
	if (utf8_chars(sb_str(&sb), sb.len) > MAX_ATOM_CHARS) {
		perr_at(ps, start, "atom too long");
		goto fail;
	}
	t = new_at(ps, RB_TERM_ATOM, start);
	set_text(t, &sb);
	*out = t;
	return 0;
fail:
	sb_release(&sb);
	return -1;
}

/* A string, with adjacent literals joined: "ab" "cd" is "abcd". */
static int parse_string(struct parser *ps, struct rb_term **out)
{
	const char *start = ps->p;
	int line = ps->line, col = col_of(ps, start);
	struct strbuf sb = STRBUF_INIT;
	struct rb_term *t;

	sb_add(&sb, "", 0);
	for (;;) {
		if (read_quoted(ps, '"', &sb) < 0) {
			sb_release(&sb);
			return -1;
		}
		skip_ws(ps);
		if (peek(ps) != '"')
			break;
	}
	t = rb_term_new(RB_TERM_STRING);
	t->line = line;
	t->col = col;
	set_text(t, &sb);
	*out = t;
	return 0;
}

/* Digits (with '_' between digits) in base; appended to out. */
static int read_digits(struct parser *ps, int base, struct strbuf *out)
{
	int n = 0;

	for (;;) {
		int c = peek(ps), v = hex_value(c);

		if (c >= 'g' && c <= 'z')
			v = c - 'a' + 10;
		else if (c >= 'G' && c <= 'Z')
			v = c - 'A' + 10;
		if (c >= 0 && v >= 0 && v < base) {
			sb_addc(out, (char)c);
			ps->p++;
			n++;
			continue;
		}
		if (c == '_' && n && ps->p + 1 < ps->end) {
			int d = (unsigned char)ps->p[1], dv = hex_value(d);

			if (d >= 'g' && d <= 'z')
				dv = d - 'a' + 10;
			else if (d >= 'G' && d <= 'Z')
				dv = d - 'A' + 10;
			if (dv >= 0 && dv < base) {
				ps->p++;
				continue;
			}
		}
		return n;
	}
}

static int digits_value(const char *s, int base, unsigned long long *out)
{
	unsigned long long v = 0;

	for (; *s; s++) {
		int d = hex_value(*s);

		if (*s >= 'g' && *s <= 'z')
			d = *s - 'a' + 10;
		else if (*s >= 'G' && *s <= 'Z')
			d = *s - 'A' + 10;
		if (__builtin_mul_overflow(v, (unsigned long long)base, &v) ||
		    __builtin_add_overflow(v, (unsigned long long)d, &v))
			return -1;
	}
	*out = v;
	return 0;
}

static int make_int(struct parser *ps, const char *start, int neg,
		    unsigned long long mag, struct rb_term **out)
{
	struct rb_term *t;

	if (neg ? mag > (unsigned long long)LLONG_MAX + 1 : mag > LLONG_MAX)
		return perr_at(ps, start, "integer out of range");
	t = new_at(ps, RB_TERM_INTEGER, start);
	if (neg)
		t->ival = mag == (unsigned long long)LLONG_MAX + 1 ?
			  LLONG_MIN : -(long long)mag;
	else
		t->ival = (long long)mag;
	*out = t;
	return 0;
}

/* A number or a $c character, after an optional sign at start. */
static int parse_number(struct parser *ps, const char *start, int neg,
			struct rb_term **out)
{
	struct strbuf sb = STRBUF_INIT;
	unsigned long long mag;
	int ret = -1;

	if (peek(ps) == '$') {
		uint32_t cp;

		ps->p++;
		if (read_char(ps, &cp) < 0)
			return -1;
		return make_int(ps, start, neg, cp, out);
	}
	read_digits(ps, 10, &sb);
	if (peek(ps) == '#') {
		const char *hash = ps->p;
		unsigned long long base;

		if (digits_value(sb.buf, 10, &base) < 0 || base < 2 || base > 36) {
			perr_at(ps, start, "bad base in integer");
			goto out;
		}
		ps->p++;
		sb_reset(&sb);
		if (!read_digits(ps, (int)base, &sb)) {
			perr_at(ps, hash, "missing digits after '#'");
			goto out;
		}
		if (digits_value(sb.buf, (int)base, &mag) < 0) {
			perr_at(ps, start, "integer out of range");
			goto out;
		}
		ret = make_int(ps, start, neg, mag, out);
		goto out;
	}
	if (peek(ps) == '.' && is_digit(peek2(ps))) {
		struct rb_term *t;
		char *endp;
		double v;

		sb_addc(&sb, '.');
		ps->p++;
		read_digits(ps, 10, &sb);
		if ((peek(ps) == 'e' || peek(ps) == 'E') &&
		    (is_digit(peek2(ps)) ||
		     ((peek2(ps) == '-' || peek2(ps) == '+') &&
		      ps->p + 2 < ps->end && is_digit((unsigned char)ps->p[2])))) {
			sb_addc(&sb, 'e');
			ps->p++;
			if (peek(ps) == '-' || peek(ps) == '+')
				sb_addc(&sb, *ps->p++);
			read_digits(ps, 10, &sb);
		}
		errno = 0;
		v = strtod(sb.buf, &endp);
		if (errno == ERANGE && fabs(v) > 1.0) {
			perr_at(ps, start, "float out of range");
			goto out;
		}
		t = new_at(ps, RB_TERM_FLOAT, start);
		t->fval = neg ? -v : v;
		*out = t;
		ret = 0;
		goto out;
	}
	if (digits_value(sb.buf, 10, &mag) < 0) {
		perr_at(ps, start, "integer out of range");
		goto out;
	}
	ret = make_int(ps, start, neg, mag, out);
out:
	sb_release(&sb);
	return ret;
}

static int parse_term(struct parser *ps, struct rb_term **out);

/* Items up to the closing character; the opening one is consumed. */
static int parse_items(struct parser *ps, struct rb_term *t, char close,
		       const char *what)
{
	skip_ws(ps);
	if (peek(ps) == (unsigned char)close) {
		ps->p++;
		return 0;
	}
	for (;;) {
		struct rb_term *item;

		if (parse_term(ps, &item) < 0)
			return -1;
		rb_term_push(t, item);
		skip_ws(ps);
		if (peek(ps) == ',') {
			ps->p++;
			continue;
		}
		if (peek(ps) == (unsigned char)close) {
			ps->p++;
			return 0;
		}
		if (close == ']' && peek(ps) == '|') {
			const char *bar = ps->p;
			struct rb_term *tail;

			ps->p++;
			if (parse_term(ps, &tail) < 0)
				return -1;
			if (tail->type != RB_TERM_LIST &&
			    !is_empty_string(tail)) {
				rb_term_free(tail);
				return perr_at(ps, bar, "improper lists are not supported");
			}
			/* [a|[b,c]] is just [a,b,c]. */
			for (size_t i = 0; i < tail->nr; i++)
				rb_term_push(t, tail->items[i]);
			tail->nr = 0;
			rb_term_free(tail);
			return expect(ps, ']', "']'");
		}
		if (at_end(ps))
			return perr(ps, "unexpected end of input, expected ',' or '%c'",
				    close);
		return perr(ps, "expected ',' or '%c' in %s", close, what);
	}
}

static int parse_map(struct parser *ps, struct rb_term *t)
{
	skip_ws(ps);
	if (peek(ps) == '}') {
		ps->p++;
		return 0;
	}
	for (;;) {
		struct rb_term *item;

		if (parse_term(ps, &item) < 0)
			return -1;
		rb_term_push(t, item);
		skip_ws(ps);
		if (peek(ps) != '=' || peek2(ps) != '>')
			return perr(ps, "expected '=>' in map");
		ps->p += 2;
		if (parse_term(ps, &item) < 0)
			return -1;
		rb_term_push(t, item);
		skip_ws(ps);
		if (peek(ps) == ',') {
			ps->p++;
			continue;
		}
		if (peek(ps) == '}') {
			ps->p++;
			return 0;
		}
		return perr(ps, "expected ',' or '}' in map");
	}
}

/* Append value as an integer of bits bits (a multiple of 8). */
static void put_int(struct strbuf *sb, unsigned long long v, long bits,
		    int little)
{
	long bytes = bits / 8;

	for (long i = 0; i < bytes; i++) {
		long shift = little ? i * 8 : (bytes - 1 - i) * 8;

		sb_addc(sb, shift >= 64 ? 0 : (char)((v >> shift) & 0xFF));
	}
}

/*
 * One segment of a binary: a string, an integer or a character, with an
 * optional :Size (in bits, whole bytes only) and /Type list, from the
 * types that make sense in a literal: integer, utf8, big, little,
 * signed, unsigned.
 */
static int parse_segment(struct parser *ps, struct strbuf *bytes)
{
	const char *start;
	struct rb_term *v = NULL;
	long bits = 8;
	int has_size = 0, utf8 = 0, little = 0, ret = -1;

	skip_ws(ps);
	start = ps->p;
	if (peek(ps) == '"') {
		if (parse_string(ps, &v) < 0)
			return -1;
	} else if (is_digit(peek(ps)) || peek(ps) == '$' || peek(ps) == '-') {
		int neg = peek(ps) == '-';

		if (neg) {
			ps->p++;
			skip_ws(ps);
		}
		if (!is_digit(peek(ps)) && peek(ps) != '$')
			return unexpected(ps);
		if (parse_number(ps, start, neg, &v) < 0)
			return -1;
		if (v->type != RB_TERM_INTEGER) {
			perr_at(ps, start, "unsupported binary segment");
			goto out;
		}
	} else {
		return at_end(ps) ? unexpected(ps) :
		       perr(ps, "unsupported binary segment");
	}
	skip_ws(ps);
	if (peek(ps) == ':') {
		struct rb_term *size;
		const char *at;

		ps->p++;
		skip_ws(ps);
		at = ps->p;
		if (!is_digit(peek(ps))) {
			perr(ps, "expected a size after ':'");
			goto out;
		}
		if (parse_number(ps, at, 0, &size) < 0)
			goto out;
		if (size->type != RB_TERM_INTEGER || size->ival % 8 ||
		    size->ival > 1024) {
			rb_term_free(size);
			perr_at(ps, at, "unsupported segment size (whole bytes only)");
			goto out;
		}
		bits = (long)size->ival;
		has_size = 1;
		rb_term_free(size);
		skip_ws(ps);
	}
	if (peek(ps) == '/') {
		do {
			struct strbuf ty = STRBUF_INIT;
			const char *at;

			ps->p++;
			skip_ws(ps);
			at = ps->p;
			read_name(ps, &ty);
			if (!strcmp(sb_str(&ty), "utf8"))
				utf8 = 1;
			else if (!strcmp(sb_str(&ty), "little"))
				little = 1;
			else if (strcmp(sb_str(&ty), "big") &&
				 strcmp(sb_str(&ty), "integer") &&
				 strcmp(sb_str(&ty), "signed") &&
				 strcmp(sb_str(&ty), "unsigned")) {
				if (ty.len)
					perr_at(ps, at, "unsupported binary segment type '%s'",
						sb_str(&ty));
				else
					perr_at(ps, at, "expected a type after '/'");
				sb_release(&ty);
				goto out;
			}
			sb_release(&ty);
			skip_ws(ps);
		} while (peek(ps) == '-');
		if (utf8 && has_size) {
			perr_at(ps, start, "a utf8 segment takes no size");
			goto out;
		}
	}
	if (v->type == RB_TERM_INTEGER) {
		if (utf8) {
			if (v->ival < 0 || v->ival > 0x10FFFF ||
			    (v->ival >= 0xD800 && v->ival <= 0xDFFF)) {
				perr_at(ps, start, "bad character code in utf8 segment");
				goto out;
			}
			utf8_encode(bytes, (uint32_t)v->ival);
		} else {
			put_int(bytes, (unsigned long long)v->ival, bits, little);
		}
	} else if (utf8) {
		/* The string is already UTF-8. */
		sb_add(bytes, v->text, v->len);
	} else {
		/* Each character is an integer segment of its own. */
		for (size_t i = 0; i < v->len;) {
			uint32_t cp;
			size_t n = utf8_decode(v->text + i, v->len - i, &cp);

			if (!n) {
				cp = (unsigned char)v->text[i];
				n = 1;
			}
			put_int(bytes, cp, bits, little);
			i += n;
		}
	}
	ret = 0;
out:
	rb_term_free(v);
	return ret;
}

static int parse_binary(struct parser *ps, struct rb_term *t)
{
	struct strbuf bytes = STRBUF_INIT;

	sb_add(&bytes, "", 0);
	skip_ws(ps);
	if (peek(ps) == '>' && peek2(ps) == '>') {
		ps->p += 2;
		goto done;
	}
	for (;;) {
		if (parse_segment(ps, &bytes) < 0) {
			sb_release(&bytes);
			return -1;
		}
		skip_ws(ps);
		if (peek(ps) == ',') {
			ps->p++;
			continue;
		}
		if (peek(ps) == '>' && peek2(ps) == '>') {
			ps->p += 2;
			break;
		}
		sb_release(&bytes);
		if (at_end(ps))
			return perr(ps, "unexpected end of input, expected ',' or '>>'");
		return perr(ps, "expected ',' or '>>' in binary");
	}
done:
	set_text(t, &bytes);
	return 0;
}

static int parse_term(struct parser *ps, struct rb_term **out)
{
	const char *start;
	struct rb_term *t = NULL;
	uint32_t cp;
	int c, ret = -1;

	*out = NULL;
	skip_ws(ps);
	start = ps->p;
	c = peek(ps);
	if (c < 0)
		return unexpected(ps);
	if (++ps->depth > MAX_DEPTH) {
		perr(ps, "term nested too deeply");
		goto out;
	}
	switch (c) {
	case '{':
		t = new_at(ps, RB_TERM_TUPLE, start);
		ps->p++;
		ret = parse_items(ps, t, '}', "tuple");
		goto out;
	case '[':
		t = new_at(ps, RB_TERM_LIST, start);
		ps->p++;
		ret = parse_items(ps, t, ']', "list");
		goto out;
	case '#':
		ps->p++;
		skip_ws(ps);
		if (peek(ps) != '{') {
			ret = perr_at(ps, start, "records are not supported");
			goto out;
		}
		ps->p++;
		t = new_at(ps, RB_TERM_MAP, start);
		ret = parse_map(ps, t);
		goto out;
	case '<':
		if (peek2(ps) != '<') {
			ret = unexpected(ps);
			goto out;
		}
		t = new_at(ps, RB_TERM_BINARY, start);
		ps->p += 2;
		ret = parse_binary(ps, t);
		goto out;
	case '"':
		ret = parse_string(ps, &t);
		goto out;
	case '\'':
		ret = parse_atom(ps, &t);
		goto out;
	case '-':
	case '+':
		ps->p++;
		skip_ws(ps);
		if (!is_digit(peek(ps)) && peek(ps) != '$') {
			ret = at_end(ps) ? unexpected(ps) :
			      perr(ps, "expected a number after '%c'", c);
			goto out;
		}
		ret = parse_number(ps, start, c == '-', &t);
		goto out;
	case '$':
		ret = parse_number(ps, start, 0, &t);
		goto out;
	}
	if (is_digit(c)) {
		ret = parse_number(ps, start, 0, &t);
		goto out;
	}
	if (utf8_decode(ps->p, (size_t)(ps->end - ps->p), &cp) &&
	    ((cp >= 'a' && cp <= 'z') || is_latin1_lower(cp))) {
		ret = parse_atom(ps, &t);
		goto out;
	}
	if ((c >= 'A' && c <= 'Z') || c == '_') {
		struct strbuf name = STRBUF_INIT;

		read_name(ps, &name);
		ret = perr_at(ps, start, "unexpected variable '%s' (atoms starting with an uppercase letter must be quoted)",
			      sb_str(&name));
		sb_release(&name);
		goto out;
	}
	ret = unexpected(ps);
out:
	ps->depth--;
	if (ret < 0) {
		rb_term_free(t);
		return -1;
	}
	*out = t;
	return 0;
}

/* The '.' that ends a term: followed by white space, a comment or EOF. */
static int parse_dot(struct parser *ps)
{
	skip_ws(ps);
	if (at_end(ps))
		return perr(ps, "unexpected end of input, expected '.' after the term");
	if (*ps->p != '.')
		return perr(ps, "expected '.' after the term");
	if (ps->p + 1 < ps->end && (unsigned char)ps->p[1] > ' ' &&
	    ps->p[1] != '%')
		return perr(ps, "expected '.' followed by white space after the term");
	ps->p++;
	return 0;
}

static void parser_init(struct parser *ps, const char *path, const char *buf,
			size_t len, struct rb_error *err)
{
	ps->path = path ? path : "<string>";
	ps->p = ps->line_start = buf;
	ps->end = buf + len;
	/* A UTF-8 byte order mark is not part of the text. */
	if (len >= 3 && !memcmp(buf, "\xEF\xBB\xBF", 3))
		ps->p = ps->line_start = buf + 3;
	ps->line = 1;
	ps->depth = 0;
	ps->err = err;
}

int rb_term_parse_all(struct rb_terms *out, const char *path,
		      const char *buf, size_t len, struct rb_error *err)
{
	struct parser ps;

	parser_init(&ps, path, buf, len, err);
	for (;;) {
		struct rb_term *t;

		skip_ws(&ps);
		if (at_end(&ps))
			return 0;
		if (parse_term(&ps, &t) < 0)
			return -1;
		if (parse_dot(&ps) < 0) {
			rb_term_free(t);
			return -1;
		}
		terms_push(out, t);
	}
}

int rb_term_parse_one(struct rb_term **out, const char *path,
		      const char *buf, size_t len, struct rb_error *err)
{
	struct parser ps;
	struct rb_term *t;

	*out = NULL;
	parser_init(&ps, path, buf, len, err);
	skip_ws(&ps);
	if (at_end(&ps))
		return perr(&ps, "unexpected end of input, expected a term");
	if (parse_term(&ps, &t) < 0)
		return -1;
	if (parse_dot(&ps) < 0) {
		rb_term_free(t);
		return -1;
	}
	skip_ws(&ps);
	if (!at_end(&ps)) {
		rb_term_free(t);
		return perr(&ps, "expected one term, found more");
	}
	*out = t;
	return 0;
}

int rb_term_consult(struct rb_terms *out, const char *path,
		    struct rb_error *err)
{
	char *buf;
	size_t len;
	int ret;

	if (read_file(path, &buf, &len, err) < 0)
		return -1;
	ret = rb_term_parse_all(out, path, buf, len, err);
	free(buf);
	return ret;
}

/* The printer */

int rb_term_atom_needs_quotes(const char *name)
{
	const unsigned char *s = (const unsigned char *)name;

	if (!(*s >= 'a' && *s <= 'z'))
		return 1;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      is_digit(*s) || *s == '_' || *s == '@'))
			return 1;
	return is_reserved(name);
}

/* Characters between quotes; bytes from 0x80 up pass through (UTF-8). */
static void format_quoted(struct strbuf *out, const char *s, size_t len,
			  char quote)
{
	sb_addc(out, quote);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		switch (c) {
		case '\n': sb_adds(out, "\\n"); break;
		case '\t': sb_adds(out, "\\t"); break;
		case '\r': sb_adds(out, "\\r"); break;
		case '\\': sb_adds(out, "\\\\"); break;
		default:
			if (c == (unsigned char)quote)
				sb_addf(out, "\\%c", quote);
			else if (c < 0x20 || c == 0x7f)
				sb_addf(out, "\\%03o", c);
			else
				sb_addc(out, (char)c);
		}
	}
	sb_addc(out, quote);
}

static void format_atom(struct strbuf *out, const char *name, size_t len)
{
	if (rb_term_atom_needs_quotes(name) || strlen(name) != len)
		format_quoted(out, name, len, '\'');
	else
		sb_add(out, name, len);
}

static void format_float(struct strbuf *out, double v)
{
	char buf[64], *e;

	if (!isfinite(v)) {
		/* Erlang has no literal for these: write something readable. */
		sb_adds(out, isnan(v) ? "nan" : v > 0 ? "inf" : "'-inf'");
		return;
	}
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	e = strchr(buf, 'e');
	/* %g goes to 3e+02 for whole numbers; 300.0 reads better. */
	if (e && fabs(v) >= 1e-4 && fabs(v) < 1e15) {
		snprintf(buf, sizeof(buf), "%.1f", v);
		e = NULL;
	}
	/* Erlang wants digits on both sides of the point: 1.0e20. */
	if (!strchr(buf, '.')) {
		if (e) {
			sb_add(out, buf, (size_t)(e - buf));
			sb_adds(out, ".0");
			sb_adds(out, e);
		} else {
			sb_adds(out, buf);
			sb_adds(out, ".0");
		}
		return;
	}
	sb_adds(out, buf);
}

static int binary_is_text(const struct rb_term *t)
{
	for (size_t i = 0; i < t->len; i++) {
		unsigned char c = (unsigned char)t->text[i];

		if ((c < 0x20 || c >= 0x7f) && c != '\n' && c != '\t' && c != '\r')
			return 0;
	}
	return 1;
}

void rb_term_format(const struct rb_term *t, struct strbuf *out)
{
	sb_add(out, "", 0);
	switch (t->type) {
	case RB_TERM_ATOM:
		format_atom(out, t->text, t->len);
		return;
	case RB_TERM_STRING:
		format_quoted(out, t->text, t->len, '"');
		return;
	case RB_TERM_BINARY:
		sb_adds(out, "<<");
		if (t->len && binary_is_text(t)) {
			format_quoted(out, t->text, t->len, '"');
		} else {
			for (size_t i = 0; i < t->len; i++)
				sb_addf(out, "%s%u", i ? "," : "",
					(unsigned char)t->text[i]);
		}
		sb_adds(out, ">>");
		return;
	case RB_TERM_INTEGER:
		sb_addf(out, "%lld", t->ival);
		return;
	case RB_TERM_FLOAT:
		format_float(out, t->fval);
		return;
	case RB_TERM_TUPLE:
	case RB_TERM_LIST:
		sb_addc(out, t->type == RB_TERM_TUPLE ? '{' : '[');
		for (size_t i = 0; i < t->nr; i++) {
			if (i)
				sb_addc(out, ',');
			rb_term_format(t->items[i], out);
		}
		sb_addc(out, t->type == RB_TERM_TUPLE ? '}' : ']');
		return;
	case RB_TERM_MAP:
		sb_adds(out, "#{");
		for (size_t i = 0; i + 1 < t->nr; i += 2) {
			if (i)
				sb_addc(out, ',');
			rb_term_format(t->items[i], out);
			sb_adds(out, " => ");
			rb_term_format(t->items[i + 1], out);
		}
		sb_addc(out, '}');
		return;
	}
}

#define PRETTY_WIDTH 80

static void newline_indent(struct strbuf *out, int indent)
{
	sb_addc(out, '\n');
	for (int i = 0; i < indent; i++)
		sb_addc(out, ' ');
}

static void format_pretty(const struct rb_term *t, struct strbuf *out,
			  int indent, int trail)
{
	struct strbuf flat = STRBUF_INIT;
	size_t first = 0;
	int inner;

	rb_term_format(t, &flat);
	if ((size_t)indent + flat.len + (size_t)trail <= PRETTY_WIDTH ||
	    t->nr == 0 ||
	    (t->type != RB_TERM_TUPLE && t->type != RB_TERM_LIST &&
	     t->type != RB_TERM_MAP)) {
		sb_add(out, flat.buf, flat.len);
		sb_release(&flat);
		return;
	}
	sb_release(&flat);
	if (t->type == RB_TERM_MAP) {
		sb_adds(out, "#{");
		inner = indent + 2;
		for (size_t i = 0; i + 1 < t->nr; i += 2) {
			struct strbuf key = STRBUF_INIT;

			if (i) {
				sb_addc(out, ',');
				newline_indent(out, inner);
			}
			rb_term_format(t->items[i], &key);
			sb_add(out, key.buf, key.len);
			sb_adds(out, " => ");
			format_pretty(t->items[i + 1], out,
				      inner + (int)key.len + 4,
				      i + 2 < t->nr ? 1 : trail + 1);
			sb_release(&key);
		}
		sb_addc(out, '}');
		return;
	}
	sb_addc(out, t->type == RB_TERM_TUPLE ? '{' : '[');
	inner = indent + 1;
	/* {tag, A, B}: the rest lines up after "{tag,", as ~p does. */
	if (t->type == RB_TERM_TUPLE && t->nr > 1 &&
	    t->items[0]->type == RB_TERM_ATOM && t->items[0]->len < 20) {
		struct strbuf tag = STRBUF_INIT;

		rb_term_format(t->items[0], &tag);
		sb_add(out, tag.buf, tag.len);
		sb_addc(out, ',');
		inner += (int)tag.len + 1;
		sb_release(&tag);
		first = 1;
	}
	for (size_t i = first; i < t->nr; i++) {
		if (i > first) {
			sb_addc(out, ',');
			newline_indent(out, inner);
		}
		format_pretty(t->items[i], out, inner,
			      i + 1 < t->nr ? 1 : trail + 1);
	}
	sb_addc(out, t->type == RB_TERM_TUPLE ? '}' : ']');
}

void rb_term_format_pretty(const struct rb_term *t, struct strbuf *out,
			   int indent)
{
	sb_add(out, "", 0);
	format_pretty(t, out, indent, 0);
}
