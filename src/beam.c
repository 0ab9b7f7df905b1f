#include "beam.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/*
 * Mix.Release.strip_beam/2 asks beam_lib:chunks/3 for exactly these, with
 * allow_missing_chunks, and rebuilds the module with the ones found in
 * this order.  OTP 25's Meta and Type chunks are optional to the loader
 * and go, as do LocT, CInf, Dbgi, Docs and ExCk.
 */
const char *const rb_beam_strip_chunks[] = {
	"Atom", "AtU8", "Attr", "Code", "StrT",
	"ImpT", "ExpT", "FunT", "LitT", "Line",
	NULL,
};

#define FORM_HEADER 12 /* "FOR1" <size> "BEAM" */
#define CHUNK_HEADER 8 /* <id> <size> */

static uint32_t get_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static void put_be32(unsigned char *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static size_t padded(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

int rb_beam_is_compressed(const void *data, size_t len)
{
	const unsigned char *p = data;

	return len >= 2 && p[0] == 0x1f && p[1] == 0x8b;
}

static int valid_id(const unsigned char *p)
{
	int i;

	for (i = 0; i < 4; i++)
		if (p[i] < 0x20 || p[i] > 0x7e)
			return 0;
	return 1;
}

static int scan(struct rb_beam *beam, struct rb_error *err)
{
	const unsigned char *p = beam->data;
	size_t len = beam->len, form_end, off;

	if (rb_beam_is_compressed(p, len))
		return rb_fail(err, "compressed beam (gzip) cannot be read");
	if (len < FORM_HEADER || memcmp(p, "FOR1", 4) ||
	    memcmp(p + 8, "BEAM", 4))
		return rb_fail(err, "not a BEAM file (no FOR1/BEAM header)");
	form_end = (size_t)get_be32(p + 4) + 8;
	if (form_end < FORM_HEADER || form_end > len)
		return rb_fail(err, "bad BEAM form size %zu for a file of %zu bytes",
			       form_end - 8, len);

	for (off = FORM_HEADER; off < form_end;) {
		struct rb_beam_chunk *c;
		size_t size;

		if (form_end - off < CHUNK_HEADER)
			return rb_fail(err, "truncated chunk header at offset %zu",
				       off);
		if (!valid_id(p + off))
			return rb_fail(err, "bad chunk id at offset %zu", off);
		size = get_be32(p + off + 4);
		if (size > form_end - off - CHUNK_HEADER)
			return rb_fail(err, "chunk '%.4s' at offset %zu overruns the file",
				       (const char *)p + off, off);
		ALLOC_GROW(beam->chunks, beam->nr + 1, beam->alloc);
		c = &beam->chunks[beam->nr++];
		memcpy(c->id, p + off, 4);
		c->id[4] = '\0';
		c->offset = off + CHUNK_HEADER;
		c->size = size;
		off += CHUNK_HEADER + padded(size);
		/* the last chunk's padding may be cut off */
		if (off > form_end)
			off = form_end;
	}
	return 0;
}

int rb_beam_parse(struct rb_beam *beam, const void *data, size_t len,
		  struct rb_error *err)
{
	memset(beam, 0, sizeof(*beam));
	beam->data = data;
	beam->len = len;
	if (scan(beam, err) < 0) {
		rb_beam_release(beam);
		return -1;
	}
	return 0;
}

int rb_beam_load(struct rb_beam *beam, const char *path,
		 struct rb_error *err)
{
	struct rb_error e;
	char *buf = NULL;
	size_t len;

	memset(beam, 0, sizeof(*beam));
	if (read_file(path, &buf, &len, err) < 0)
		return -1;
	if (rb_beam_parse(beam, buf, len, &e) < 0) {
		free(buf);
		return rb_fail(err, "'%s': %s", path, e.msg);
	}
	beam->owned = (unsigned char *)buf;
	return 0;
}

void rb_beam_release(struct rb_beam *beam)
{
	free(beam->chunks);
	free(beam->owned);
	memset(beam, 0, sizeof(*beam));
}

const struct rb_beam_chunk *rb_beam_find(const struct rb_beam *beam,
					 const char *id)
{
	size_t i;

	for (i = 0; i < beam->nr; i++)
		if (!strcmp(beam->chunks[i].id, id))
			return &beam->chunks[i];
	return NULL;
}

static int listed(const char *const *ids, size_t nr, const char *id)
{
	size_t i;

	for (i = 0; i < nr; i++)
		if (!strcmp(ids[i], id))
			return 1;
	return 0;
}

int rb_beam_strip(const void *data, size_t len, const char *const *keep,
		  unsigned char **out, size_t *out_len, struct rb_error *err)
{
	struct rb_beam beam = RB_BEAM_INIT;
	const struct rb_beam_chunk **picked = NULL;
	const char **ids = NULL;
	size_t ids_nr = 0, ids_alloc = 0, picked_nr = 0, picked_alloc = 0;
	size_t i, total, off;
	unsigned char *buf;
	int ret = -1;

	*out = NULL;
	*out_len = 0;
	if (rb_beam_is_compressed(data, len)) {
		*out = xmalloc(len);
		memcpy(*out, data, len);
		*out_len = len;
		return 0;
	}
	if (rb_beam_parse(&beam, data, len, err) < 0)
		goto out;

	/* the default list, then the extra ids, each once */
	for (i = 0; rb_beam_strip_chunks[i]; i++) {
		ALLOC_GROW(ids, ids_nr + 1, ids_alloc);
		ids[ids_nr++] = rb_beam_strip_chunks[i];
	}
	for (i = 0; keep && keep[i]; i++) {
		if (strlen(keep[i]) != 4) {
			rb_error(err, RB_ECONFIG, "bad chunk name '%s' (ids have 4 characters)",
				 keep[i]);
			goto out;
		}
		if (listed(ids, ids_nr, keep[i]))
			continue;
		ALLOC_GROW(ids, ids_nr + 1, ids_alloc);
		ids[ids_nr++] = keep[i];
	}

	total = FORM_HEADER;
	for (i = 0; i < ids_nr; i++) {
		const struct rb_beam_chunk *c = rb_beam_find(&beam, ids[i]);

		if (!c)
			continue;
		ALLOC_GROW(picked, picked_nr + 1, picked_alloc);
		picked[picked_nr++] = c;
		total += CHUNK_HEADER + padded(c->size);
	}
	if (total - 8 > UINT32_MAX) {
		rb_fail(err, "stripped beam too large");
		goto out;
	}

	buf = xcalloc(1, total);
	memcpy(buf, "FOR1", 4);
	put_be32(buf + 4, (uint32_t)(total - 8));
	memcpy(buf + 8, "BEAM", 4);
	off = FORM_HEADER;
	for (i = 0; i < picked_nr; i++) {
		const struct rb_beam_chunk *c = picked[i];

		memcpy(buf + off, c->id, 4);
		put_be32(buf + off + 4, (uint32_t)c->size);
		memcpy(buf + off + CHUNK_HEADER, beam.data + c->offset, c->size);
		off += CHUNK_HEADER + padded(c->size); /* padding: calloc'd */
	}
	*out = buf;
	*out_len = total;
	ret = 0;
out:
	free(picked);
	free(ids);
	rb_beam_release(&beam);
	return ret;
}

int rb_beam_strip_file(const char *from, const char *to,
		       struct rb_error *err)
{
	struct rb_error e;
	struct stat st;
	char *buf = NULL;
	unsigned char *out = NULL;
	size_t len, out_len;
	mode_t mode;
	int ret = -1;

	if (read_file_st(from, &buf, &len, &st, err) < 0)
		return -1;
	mode = rb_normal_mode(st.st_mode); /* as copy_file() */
	if (rb_beam_strip(buf, len, NULL, &out, &out_len, &e) < 0) {
		rb_error(err, e.code, "cannot strip '%s': %s", from, e.msg);
		goto out;
	}
	/* in place: replaced whole; elsewhere: written where it is */
	ret = strcmp(from, to) ? write_file_in_place(to, out, out_len, mode, err)
			       : write_file(to, out, out_len, mode, err);
out:
	free(out);
	free(buf);
	return ret;
}

/*
 * An atom length in OTP 28's compact form (AtU8 with a negative count):
 * the tag bits are ignored, the value is what the loader reads.
 */
static int compact_len(const unsigned char *p, size_t avail, size_t *len,
		       size_t *used)
{
	unsigned char b;
	size_t n, i;

	if (!avail)
		return -1;
	b = p[0];
	if (!(b & 0x08)) {
		*len = b >> 4;
		*used = 1;
		return 0;
	}
	if (!(b & 0x10)) {
		if (avail < 2)
			return -1;
		*len = (size_t)(b & 0xe0) << 3 | p[1];
		*used = 2;
		return 0;
	}
	n = (b >> 5) + 2;
	if (n > 4 || avail < 1 + n) /* no atom is that long */
		return -1;
	*len = 0;
	for (i = 0; i < n; i++)
		*len = *len << 8 | p[1 + i];
	*used = 1 + n;
	return 0;
}

static char *latin1_to_utf8(const unsigned char *s, size_t n)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	sb_add(&sb, "", 0);
	for (i = 0; i < n; i++) {
		if (s[i] < 0x80) {
			sb_addc(&sb, (char)s[i]);
		} else {
			sb_addc(&sb, (char)(0xc0 | s[i] >> 6));
			sb_addc(&sb, (char)(0x80 | (s[i] & 0x3f)));
		}
	}
	return sb_detach(&sb);
}

static int read_atoms(const struct rb_beam *beam, struct strvec *atoms,
		      struct rb_error *err)
{
	const struct rb_beam_chunk *c;
	const unsigned char *p, *end;
	int32_t count;
	int utf8 = 1, compact;
	size_t i, nr;

	c = rb_beam_find(beam, "AtU8");
	if (!c) {
		c = rb_beam_find(beam, "Atom");
		utf8 = 0;
	}
	if (!c)
		return rb_fail(err, "no atom table (AtU8 or Atom chunk)");
	p = beam->data + c->offset;
	end = p + c->size;
	if (c->size < 4)
		return rb_fail(err, "truncated %s chunk", c->id);
	count = (int32_t)get_be32(p);
	p += 4;
	compact = count < 0;
	nr = compact ? (size_t)-(int64_t)count : (size_t)count;
	if (nr > c->size) /* every atom takes a byte at least */
		return rb_fail(err, "bad atom count %zu in %s", nr, c->id);

	for (i = 0; i < nr; i++) {
		size_t len, used = 1;

		if (compact) {
			if (compact_len(p, end - p, &len, &used) < 0)
				return rb_fail(err, "bad atom length in %s (atom %zu)",
					       c->id, i + 1);
		} else {
			if (p >= end)
				return rb_fail(err, "truncated %s chunk (atom %zu)",
					       c->id, i + 1);
			len = *p;
		}
		p += used;
		if (len > (size_t)(end - p))
			return rb_fail(err, "truncated %s chunk (atom %zu)",
				       c->id, i + 1);
		if (memchr(p, 0, len))
			return rb_fail(err, "NUL in atom %zu of %s", i + 1, c->id);
		/* strvec_push() would copy again: hand over the string */
		ALLOC_GROW(atoms->v, atoms->nr + 2, atoms->alloc);
		atoms->v[atoms->nr++] = utf8 ? xstrndup((const char *)p, len)
					     : latin1_to_utf8(p, len);
		atoms->v[atoms->nr] = NULL;
		p += len;
	}
	return 0;
}

static int read_exports(const struct rb_beam *beam, struct rb_beam_info *info,
			struct rb_error *err)
{
	const struct rb_beam_chunk *c = rb_beam_find(beam, "ExpT");
	const unsigned char *p;
	size_t i, nr;

	if (!c)
		return rb_fail(err, "no export table (ExpT chunk)");
	p = beam->data + c->offset;
	if (c->size < 4)
		return rb_fail(err, "truncated ExpT chunk");
	nr = get_be32(p);
	p += 4;
	if (nr > (c->size - 4) / 12)
		return rb_fail(err, "truncated ExpT chunk (%zu exports)", nr);
	for (i = 0; i < nr; i++, p += 12) {
		struct rb_beam_export *e;
		uint32_t atom = get_be32(p);

		if (atom < 1 || atom > info->atoms.nr)
			return rb_fail(err, "export %zu names atom %u of %zu",
				       i + 1, (unsigned)atom, info->atoms.nr);
		ALLOC_GROW(info->exports, info->exports_nr + 1,
			   info->exports_alloc);
		e = &info->exports[info->exports_nr++];
		e->name = info->atoms.v[atom - 1];
		e->arity = get_be32(p + 4);
		e->label = get_be32(p + 8);
	}
	return 0;
}

int rb_beam_read_info(const struct rb_beam *beam, struct rb_beam_info *info,
		      struct rb_error *err)
{
	if (read_atoms(beam, &info->atoms, err) < 0 ||
	    read_exports(beam, info, err) < 0) {
		rb_beam_info_release(info);
		return -1;
	}
	return 0;
}

static void imports_clear(struct rb_beam_info *info)
{
	free(info->imports);
	info->imports = NULL;
	info->imports_nr = info->imports_alloc = 0;
}

void rb_beam_info_release(struct rb_beam_info *info)
{
	strvec_clear(&info->atoms);
	free(info->exports);
	info->exports = NULL;
	info->exports_nr = info->exports_alloc = 0;
	imports_clear(info);
}

/* ImpT: <count:32>, then <module atom:32> <function atom:32> <arity:32> each. */
int rb_beam_read_imports(const struct rb_beam *beam, struct rb_beam_info *info,
			 struct rb_error *err)
{
	const struct rb_beam_chunk *c = rb_beam_find(beam, "ImpT");
	const unsigned char *p;
	size_t i, nr;

	imports_clear(info);
	if (!c)
		return rb_fail(err, "no import table (ImpT chunk)");
	p = beam->data + c->offset;
	if (c->size < 4)
		return rb_fail(err, "truncated ImpT chunk");
	nr = get_be32(p);
	p += 4;
	if (nr > (c->size - 4) / 12)
		return rb_fail(err, "truncated ImpT chunk (%zu imports)", nr);
	for (i = 0; i < nr; i++, p += 12) {
		struct rb_beam_import *im;
		uint32_t mod = get_be32(p), fun = get_be32(p + 4);

		if (mod < 1 || mod > info->atoms.nr ||
		    fun < 1 || fun > info->atoms.nr) {
			rb_fail(err, "import %zu names atom %u of %zu", i + 1,
				(unsigned)(mod < 1 || mod > info->atoms.nr ? mod : fun),
				info->atoms.nr);
			imports_clear(info);
			return -1;
		}
		ALLOC_GROW(info->imports, info->imports_nr + 1,
			   info->imports_alloc);
		im = &info->imports[info->imports_nr++];
		im->module = info->atoms.v[mod - 1];
		im->function = info->atoms.v[fun - 1];
		im->arity = get_be32(p + 8);
	}
	return 0;
}

const char *rb_beam_info_module(const struct rb_beam_info *info)
{
	return info->atoms.nr ? info->atoms.v[0] : NULL;
}

int rb_beam_info_exports(const struct rb_beam_info *info, const char *name,
			 unsigned arity)
{
	size_t i;

	for (i = 0; i < info->exports_nr; i++)
		if (info->exports[i].arity == arity &&
		    !strcmp(info->exports[i].name, name))
			return 1;
	return 0;
}

/*
 * The Line chunk: <version:32> <flags:32> <instructions:32> <items:32>
 * <names:32>, the line items as compact terms (an integer per item, an
 * atom before each change of file), then each file name as
 * <length:16> <bytes>.  Finds where the names start; -1 when the chunk
 * is not that.
 */
static int line_names(const unsigned char *p, size_t size, size_t *names_off,
		      uint32_t *nr_names)
{
	uint32_t items, seen = 0;
	size_t off = 20;

	if (size < 20 || get_be32(p) != 0)
		return -1;
	items = get_be32(p + 12);
	*nr_names = get_be32(p + 16);
	while (seen < items) {
		size_t val, used;
		unsigned tag;

		if (off >= size || compact_len(p + off, size - off, &val, &used) < 0)
			return -1;
		tag = p[off] & 7;
		if (tag == 1) /* an integer: a line */
			seen++;
		else if (tag != 2) /* an atom: a file index */
			return -1;
		off += used;
	}
	*names_off = off;
	return 0;
}

/* The next file name's last path component, moving *off past it. */
static int line_name(const unsigned char *p, size_t size, size_t *off,
		     const unsigned char **base, size_t *base_len)
{
	size_t len;
	const unsigned char *name;

	if (size - *off < 2)
		return -1;
	len = (size_t)p[*off] << 8 | p[*off + 1];
	if (len > size - *off - 2)
		return -1;
	name = p + *off + 2;
	*off += 2 + len;
	*base = name;
	for (size_t i = 0; i < len; i++)
		if (name[i] == '/')
			*base = name + i + 1;
	*base_len = (size_t)(name + len - *base);
	return 0;
}

/* Line chunks equal but for the directories of their file names. */
static int same_lines(const unsigned char *a, size_t alen,
		      const unsigned char *b, size_t blen)
{
	size_t aoff, boff;
	uint32_t an, bn;

	if (line_names(a, alen, &aoff, &an) < 0 ||
	    line_names(b, blen, &boff, &bn) < 0 ||
	    aoff != boff || an != bn || memcmp(a, b, aoff))
		return 0;
	for (uint32_t i = 0; i < an; i++) {
		const unsigned char *x, *y;
		size_t xl, yl;

		if (line_name(a, alen, &aoff, &x, &xl) < 0 ||
		    line_name(b, blen, &boff, &y, &yl) < 0 ||
		    xl != yl || memcmp(x, y, xl))
			return 0;
	}
	return aoff == alen && boff == blen;
}

int rb_beam_same_code(const void *a, size_t alen, const void *b, size_t blen,
		      struct rb_error *err)
{
	struct rb_beam ba = RB_BEAM_INIT, bb = RB_BEAM_INIT;
	unsigned char *sa = NULL, *sb = NULL;
	size_t la, lb;
	int ret = -1;

	if (alen == blen && !memcmp(a, b, alen))
		return 1;
	if (rb_beam_is_compressed(a, alen) || rb_beam_is_compressed(b, blen))
		return 0;
	if (rb_beam_strip(a, alen, NULL, &sa, &la, err) < 0 ||
	    rb_beam_strip(b, blen, NULL, &sb, &lb, err) < 0)
		goto out;
	if (la == lb && !memcmp(sa, sb, la)) {
		ret = 1;
		goto out;
	}
	if (rb_beam_parse(&ba, sa, la, err) < 0 ||
	    rb_beam_parse(&bb, sb, lb, err) < 0)
		goto out;
	ret = ba.nr == bb.nr;
	for (size_t i = 0; ret && i < ba.nr; i++) {
		const struct rb_beam_chunk *x = &ba.chunks[i], *y = &bb.chunks[i];
		const unsigned char *xd = ba.data + x->offset, *yd = bb.data + y->offset;

		if (strcmp(x->id, y->id))
			ret = 0;
		else if (!strcmp(x->id, "Line"))
			ret = same_lines(xd, x->size, yd, y->size);
		else
			ret = x->size == y->size && !memcmp(xd, yd, x->size);
	}
out:
	rb_beam_release(&ba);
	rb_beam_release(&bb);
	free(sa);
	free(sb);
	return ret;
}
