#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "beam.h"
#include "util.h"

/*
 * Real beams are compiled once for the whole group with erlc (and
 * elixirc, when installed); the tests that need them skip without.
 */
struct fixture {
	char *tmp;      /* everything lives below this */
	int have_erl;   /* erlc and erl found, m.beam and plain.beam built */
	int have_ex;    /* elixirc and elixir found, Elixir.Ex.beam built */
};

static const char m_erl[] =
	"-module(m).\n"
	"-behaviour(gen_server).\n"
	"-export([start_link/0, get/0, f/1]).\n"
	"-export([init/1, handle_call/3, handle_cast/2, code_change/3]).\n"
	"-record(s, {n = 0}).\n"
	"start_link() -> gen_server:start_link({local, ?MODULE}, ?MODULE, [], []).\n"
	"get() -> gen_server:call(?MODULE, get).\n"
	"f(X) -> fun(Y) -> {X, Y, \"lit\", <<\"bin\">>, 3.14, 'h\\x{e9}llo'} end.\n"
	"init([]) -> {ok, #s{}}.\n"
	"handle_call(get, _F, S) -> {reply, S#s.n, S}.\n"
	"handle_cast(_, S) -> {noreply, S}.\n"
	"code_change(_Old, S, _Extra) -> {ok, S}.\n";

static const char plain_erl[] =
	"-module(plain).\n"
	"-export([code_change/2, hello/0]).\n"
	"code_change(A, B) -> {A, B}.\n"
	"hello() -> world.\n";

static const char ex_ex[] =
	"defmodule Ex do\n"
	"  @moduledoc \"Documented, so the beam has a Docs chunk.\"\n"
	"  @doc \"Doubles.\"\n"
	"  def double(x) when is_integer(x), do: x * 2\n"
	"  def code_change(_old, state, _extra), do: {:ok, state}\n"
	"  def caf\xc3\xa9, do: :\"h\xc3\xa9\"\n"
	"end\n";

static int run(const char *const *argv, const char *cwd)
{
	struct strbuf out = STRBUF_INIT;
	struct rb_error err;
	int status = run_capture(argv, cwd, &out, &err);

	if (status != 0)
		fprintf(stderr, "%s exited %d: %s%s\n", argv[0], status,
			sb_str(&out), status < 0 ? err.msg : "");
	sb_release(&out);
	return status;
}

static char *tpath(const struct fixture *f, const char *rel)
{
	return path_join(f->tmp, rel);
}

static void write_text(const char *path, const char *text)
{
	struct rb_error err;

	assert_int_equal(write_file(path, text, strlen(text), 0644, &err), 0);
}

static int group_setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	char tmpl[] = "/tmp/test_beam.XXXXXX";
	struct rb_error err;
	char *erlc = which("erlc"), *erl = which("erl");
	char *elixirc = which("elixirc"), *elixir = which("elixir");
	char *p;

	if (!mkdtemp(tmpl))
		return -1;
	f->tmp = xstrdup(tmpl);
	p = tpath(f, "src");
	if (mkdir_p(p, &err) < 0)
		return -1;
	free(p);

	if (erlc && erl) {
		const char *argv[] = { "erlc", "+debug_info", "-o", f->tmp,
				       "src/m.erl", "src/plain.erl", NULL };

		p = tpath(f, "src/m.erl");
		write_text(p, m_erl);
		free(p);
		p = tpath(f, "src/plain.erl");
		write_text(p, plain_erl);
		free(p);
		f->have_erl = run(argv, f->tmp) == 0;
	}
	if (f->have_erl && elixirc && elixir) {
		const char *argv[] = { "elixirc", "--ignore-module-conflict",
				       "-o", f->tmp, "src/ex.ex", NULL };

		p = tpath(f, "src/ex.ex");
		write_text(p, ex_ex);
		free(p);
		f->have_ex = run(argv, f->tmp) == 0;
	}
	free(erlc);
	free(erl);
	free(elixirc);
	free(elixir);
	*state = f;
	return 0;
}

static int group_teardown(void **state)
{
	struct fixture *f = *state;
	struct rb_error err;

	if (f) {
		remove_tree(f->tmp, &err);
		free(f->tmp);
		free(f);
	}
	return 0;
}

static void need_erl(const struct fixture *f)
{
	if (!f->have_erl)
		skip();
}

static void need_ex(const struct fixture *f)
{
	if (!f->have_ex)
		skip();
}

static int has_chunk(const struct rb_beam *b, const char *id)
{
	return rb_beam_find(b, id) != NULL;
}

/* Every chunk of b is a strip chunk, in rb_beam_strip_chunks order. */
static void assert_stripped(const struct rb_beam *b)
{
	size_t i, k = 0;

	for (i = 0; i < b->nr; i++) {
		while (rb_beam_strip_chunks[k] &&
		       strcmp(rb_beam_strip_chunks[k], b->chunks[i].id))
			k++;
		if (!rb_beam_strip_chunks[k])
			fail_msg("chunk '%s' is kept or out of order",
				 b->chunks[i].id);
		k++;
	}
	assert_false(has_chunk(b, "Dbgi"));
	assert_false(has_chunk(b, "Docs"));
	assert_false(has_chunk(b, "ExCk"));
	assert_false(has_chunk(b, "CInf"));
	assert_false(has_chunk(b, "LocT"));
}

/* Load module mod from dir in a fresh erl; 0 when it loaded from there. */
static int erl_loads(const char *dir, const char *mod)
{
	char *expr = xasprintf(
		"case code:load_file('%s') of"
		" {module, _} -> case lists:prefix(\"%s/\", code:which('%s')) of"
		"   true -> halt(0);"
		"   false -> io:format(\"loaded from ~s~n\", [code:which('%s')]), halt(2)"
		"  end;"
		" E -> io:format(\"~p~n\", [E]), halt(1) "
		"end.", mod, dir, mod, mod);
	const char *argv[] = { "erl", "-noshell", "-pa", dir, "-eval", expr,
			       NULL };
	int status = run(argv, NULL);

	free(expr);
	return status;
}

static void test_list_chunks(void **state)
{
	struct fixture *f = *state;
	struct rb_beam b = RB_BEAM_INIT;
	struct rb_error err;
	char *path;
	size_t i, end = 12;

	need_erl(f);
	path = tpath(f, "m.beam");
	assert_int_equal(rb_beam_load(&b, path, &err), 0);
	assert_true(has_chunk(&b, "AtU8"));
	assert_true(has_chunk(&b, "Code"));
	assert_true(has_chunk(&b, "ExpT"));
	assert_true(has_chunk(&b, "Dbgi"));
	assert_true(has_chunk(&b, "Attr"));
	assert_null(rb_beam_find(&b, "Nope"));
	for (i = 0; i < b.nr; i++) {
		assert_int_equal(strlen(b.chunks[i].id), 4);
		assert_int_equal(b.chunks[i].offset, end + 8);
		end = b.chunks[i].offset + ((b.chunks[i].size + 3) & ~3UL);
	}
	assert_int_equal(end, b.len);
	rb_beam_release(&b);
	free(path);
}

static void test_strip_erlang(void **state)
{
	struct fixture *f = *state;
	struct rb_beam b = RB_BEAM_INIT;
	struct rb_error err;
	char *dir = tpath(f, "stripped"), *from, *to;
	struct stat st;

	need_erl(f);
	from = tpath(f, "m.beam");
	to = tpath(f, "stripped/m.beam");
	assert_int_equal(mkdir_p(dir, &err), 0);
	assert_int_equal(rb_beam_strip_file(from, to, &err), 0);

	assert_int_equal(rb_beam_load(&b, to, &err), 0);
	assert_stripped(&b);
	assert_true(has_chunk(&b, "AtU8"));
	assert_true(has_chunk(&b, "Attr"));
	assert_true(has_chunk(&b, "Code"));
	assert_true(has_chunk(&b, "FunT"));
	assert_true(has_chunk(&b, "LitT"));
	assert_true(has_chunk(&b, "Line"));
	assert_false(has_chunk(&b, "Type"));
	assert_false(has_chunk(&b, "Meta"));
	rb_beam_release(&b);
	assert_int_equal(stat(to, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);

	/* stripping twice changes nothing */
	{
		char *a = NULL, *c = NULL;
		size_t alen, clen;

		assert_int_equal(read_file(to, &a, &alen, &err), 0);
		assert_int_equal(rb_beam_strip_file(to, to, &err), 0);
		assert_int_equal(read_file(to, &c, &clen, &err), 0);
		assert_int_equal(alen, clen);
		assert_memory_equal(a, c, alen);
		free(a);
		free(c);
	}

	assert_int_equal(erl_loads(dir, "m"), 0);
	free(dir);
	free(from);
	free(to);
}

/* Same bytes as beam_lib:build_module of mix's chunk list. */
static void test_strip_matches_beam_lib(void **state)
{
	struct fixture *f = *state;
	struct rb_error err;
	char *in = NULL, *ref = NULL, *ours = NULL, *refpath;
	unsigned char *out = NULL;
	size_t inlen, reflen, outlen;
	const char *keep[] = { "Dbgi", "Line", NULL };

	need_erl(f);
	refpath = tpath(f, "m.ref");
	{
		const char *argv[] = { "erl", "-noshell", "-eval",
			"{ok, {_, Cs}} = beam_lib:chunks(\"m.beam\","
			" [\"Atom\", \"AtU8\", \"Attr\", \"Code\", \"StrT\","
			"  \"ImpT\", \"ExpT\", \"FunT\", \"LitT\", \"Line\","
			"  \"Dbgi\"], [allow_missing_chunks]),"
			"{ok, B} = beam_lib:build_module("
			"  [C || {_, D} = C <- Cs, is_binary(D)]),"
			"ok = file:write_file(\"m.ref\", B), halt().",
			NULL };

		assert_int_equal(run(argv, f->tmp), 0);
	}
	ours = tpath(f, "m.beam");
	assert_int_equal(read_file(ours, &in, &inlen, &err), 0);
	assert_int_equal(read_file(refpath, &ref, &reflen, &err), 0);
	/* Line is already in the default list: kept once */
	assert_int_equal(rb_beam_strip(in, inlen, keep, &out, &outlen, &err), 0);
	assert_int_equal(outlen, reflen);
	assert_memory_equal(out, ref, reflen);

	free(out);
	free(in);
	free(ref);
	free(ours);
	free(refpath);
}

static void test_strip_elixir_matches_mix(void **state)
{
	struct fixture *f = *state;
	struct rb_beam b = RB_BEAM_INIT;
	struct rb_error err;
	char *src = tpath(f, "Elixir.Ex.beam");
	char *dir = tpath(f, "ex"), *to, *mix = NULL, *ours = NULL;
	size_t mixlen, ourslen;

	need_ex(f);
	assert_int_equal(rb_beam_load(&b, src, &err), 0);
	assert_true(has_chunk(&b, "Docs"));
	assert_true(has_chunk(&b, "ExCk"));
	assert_true(has_chunk(&b, "Dbgi"));
	rb_beam_release(&b);

	assert_int_equal(mkdir_p(dir, &err), 0);
	to = tpath(f, "ex/Elixir.Ex.beam");
	assert_int_equal(rb_beam_strip_file(src, to, &err), 0);
	assert_int_equal(rb_beam_load(&b, to, &err), 0);
	assert_stripped(&b);
	rb_beam_release(&b);
	assert_int_equal(erl_loads(dir, "Elixir.Ex"), 0);

	{
		const char *argv[] = { "elixir", "-e",
			"{:ok, b} = Mix.Release.strip_beam("
			"File.read!(\"Elixir.Ex.beam\"));"
			"File.write!(\"Elixir.Ex.mix\", b)", NULL };
		char *p = tpath(f, "Elixir.Ex.mix");

		assert_int_equal(run(argv, f->tmp), 0);
		assert_int_equal(read_file(p, &mix, &mixlen, &err), 0);
		free(p);
	}
	assert_int_equal(read_file(to, &ours, &ourslen, &err), 0);
	assert_int_equal(ourslen, mixlen);
	assert_memory_equal(ours, mix, mixlen);

	free(mix);
	free(ours);
	free(src);
	free(dir);
	free(to);
}

static void test_exports(void **state)
{
	struct fixture *f = *state;
	struct rb_beam b = RB_BEAM_INIT;
	struct rb_beam_info info = RB_BEAM_INFO_INIT;
	struct rb_error err;
	char *path;

	need_erl(f);
	path = tpath(f, "m.beam");
	assert_int_equal(rb_beam_load(&b, path, &err), 0);
	assert_int_equal(rb_beam_read_info(&b, &info, &err), 0);
	assert_string_equal(rb_beam_info_module(&info), "m");
	assert_true(strvec_contains(&info.atoms, "h\xc3\xa9llo"));
	assert_true(rb_beam_info_exports(&info, "code_change", 3));
	assert_true(rb_beam_info_exports(&info, "handle_call", 3));
	assert_true(rb_beam_info_exports(&info, "module_info", 0));
	assert_true(rb_beam_info_exports(&info, "module_info", 1));
	assert_false(rb_beam_info_exports(&info, "code_change", 2));
	assert_false(rb_beam_info_exports(&info, "handle_info", 2));
	/* start_link get f init handle_call handle_cast code_change + 2 */
	assert_int_equal(info.exports_nr, 9);
	rb_beam_info_release(&info);
	rb_beam_release(&b);
	free(path);

	path = tpath(f, "plain.beam");
	assert_int_equal(rb_beam_load(&b, path, &err), 0);
	assert_int_equal(rb_beam_read_info(&b, &info, &err), 0);
	assert_string_equal(rb_beam_info_module(&info), "plain");
	assert_false(rb_beam_info_exports(&info, "code_change", 3));
	assert_true(rb_beam_info_exports(&info, "code_change", 2));
	rb_beam_info_release(&info);
	rb_beam_release(&b);
	free(path);

	/* the tables survive stripping */
	path = tpath(f, "stripped/m.beam");
	if (is_file(path)) {
		assert_int_equal(rb_beam_load(&b, path, &err), 0);
		assert_int_equal(rb_beam_read_info(&b, &info, &err), 0);
		assert_true(rb_beam_info_exports(&info, "code_change", 3));
		rb_beam_info_release(&info);
		rb_beam_release(&b);
	}
	free(path);
}

static void test_exports_elixir(void **state)
{
	struct fixture *f = *state;
	struct rb_beam b = RB_BEAM_INIT;
	struct rb_beam_info info = RB_BEAM_INFO_INIT;
	struct rb_error err;
	char *path;

	need_ex(f);
	path = tpath(f, "Elixir.Ex.beam");
	assert_int_equal(rb_beam_load(&b, path, &err), 0);
	assert_int_equal(rb_beam_read_info(&b, &info, &err), 0);
	assert_string_equal(rb_beam_info_module(&info), "Elixir.Ex");
	assert_true(rb_beam_info_exports(&info, "code_change", 3));
	assert_true(rb_beam_info_exports(&info, "double", 1));
	assert_true(rb_beam_info_exports(&info, "caf\xc3\xa9", 0));
	assert_true(rb_beam_info_exports(&info, "__info__", 1));
	rb_beam_info_release(&info);
	rb_beam_release(&b);
	free(path);
}

/* Our import table, "M:F/A" per entry, sorted as beam_lib sorts it. */
static void imports_text(const struct rb_beam_info *info, struct strbuf *sb)
{
	struct strvec lines = STRVEC_INIT;

	for (size_t i = 0; i < info->imports_nr; i++)
		strvec_pushf(&lines, "%s:%s/%u\n", info->imports[i].module,
			     info->imports[i].function, info->imports[i].arity);
	strvec_sort(&lines);
	for (size_t i = 0; i < lines.nr; i++)
		sb_adds(sb, lines.v[i]);
	strvec_clear(&lines);
}

/* The import table of the .beam at path, as imports_text() writes it, into sb. */
static void file_imports_text(const char *path, struct strbuf *sb)
{
	struct rb_beam b = RB_BEAM_INIT;
	struct rb_beam_info info = RB_BEAM_INFO_INIT;
	struct rb_error err;

	assert_int_equal(rb_beam_load(&b, path, &err), 0);
	assert_int_equal(rb_beam_read_info(&b, &info, &err), 0);
	assert_int_equal(rb_beam_read_imports(&b, &info, &err), 0);
	imports_text(&info, sb);
	rb_beam_info_release(&info);
	rb_beam_release(&b);
}

/* The import table, as beam_lib:chunks(Beam, [imports]) reads it. */
static void test_imports(void **state)
{
	struct fixture *f = *state;
	struct rb_beam b = RB_BEAM_INIT;
	struct rb_beam_info info = RB_BEAM_INFO_INIT;
	struct strbuf ours = STRBUF_INIT, ref = STRBUF_INIT;
	struct rb_error err;
	const char *argv[] = { "erl", "-noshell", "-eval",
		"{ok, {_, [{imports, I}]}} = beam_lib:chunks(\"m.beam\", [imports]),"
		"[io:format(\"~s:~s/~b~n\", [M, F, A]) || {M, F, A} <- I],"
		"halt().", NULL };
	char *path;

	need_erl(f);
	path = tpath(f, "m.beam");
	assert_int_equal(rb_beam_load(&b, path, &err), 0);
	assert_int_equal(rb_beam_read_info(&b, &info, &err), 0);
	assert_int_equal(rb_beam_read_imports(&b, &info, &err), 0);
	imports_text(&info, &ours);
	assert_non_null(strstr(sb_str(&ours), "gen_server:start_link/4\n"));
	assert_non_null(strstr(sb_str(&ours), "gen_server:call/2\n"));
	assert_non_null(strstr(sb_str(&ours), "erlang:get_module_info/1\n"));
	assert_int_equal(run_capture(argv, f->tmp, &ref, &err), 0);
	assert_string_equal(sb_str(&ours), sb_str(&ref));

	/* read again: replaced, not appended */
	assert_int_equal(rb_beam_read_imports(&b, &info, &err), 0);
	sb_reset(&ours);
	imports_text(&info, &ours);
	assert_string_equal(sb_str(&ours), sb_str(&ref));
	rb_beam_info_release(&info);
	assert_null(info.imports);
	rb_beam_release(&b);
	free(path);

	/* the table survives stripping */
	path = tpath(f, "stripped/m.beam");
	if (is_file(path)) {
		sb_reset(&ours);
		file_imports_text(path, &ours);
		assert_string_equal(sb_str(&ours), sb_str(&ref));
	}
	free(path);
	sb_release(&ours);
	sb_release(&ref);
}

/* Elixir calls into the elixir application show in ImpT as Erlang atoms. */
static void test_imports_elixir(void **state)
{
	struct fixture *f = *state;
	struct strbuf ours = STRBUF_INIT;
	char *path;

	need_ex(f);
	path = tpath(f, "Elixir.Ex.beam");
	file_imports_text(path, &ours);
	assert_non_null(strstr(sb_str(&ours), "erlang:get_module_info/"));
	sb_release(&ours);
	free(path);
}

/* Append a chunk to a hand-made beam (header size fixed by finish()). */
static void chunk(struct strbuf *sb, const char *id, const void *data,
		  size_t len, int pad)
{
	unsigned char n[4] = { len >> 24, len >> 16, len >> 8, len };

	sb_add(sb, id, 4);
	sb_add(sb, n, 4);
	sb_add(sb, data, len);
	while (pad && len++ % 4)
		sb_addc(sb, '\0');
}

static void finish(struct strbuf *sb)
{
	size_t n = sb->len - 8;

	sb->buf[4] = n >> 24;
	sb->buf[5] = n >> 16;
	sb->buf[6] = n >> 8;
	sb->buf[7] = n;
}

static void start(struct strbuf *sb)
{
	sb_add(sb, "FOR1\0\0\0\0BEAM", 12);
}

static void test_synthetic(void **state)
{
	/* latin-1 atoms "m" and "caf\xe9"; ExpT: caf\xe9/2 */
	static const unsigned char atoms[] = {
		0, 0, 0, 2, 1, 'm', 4, 'c', 'a', 'f', 0xe9 };
	static const unsigned char expt[] = {
		0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 7 };
	struct strbuf sb = STRBUF_INIT;
	struct rb_beam b = RB_BEAM_INIT;
	struct rb_beam_info info = RB_BEAM_INFO_INIT;
	struct rb_error err;
	unsigned char *out = NULL;
	size_t outlen;
	const char *keep[] = { "Abcd", NULL };

	(void)state;
	start(&sb);
	chunk(&sb, "Dbgi", "xxxxx", 5, 1);
	chunk(&sb, "ExpT", expt, sizeof(expt), 1);
	chunk(&sb, "Abcd", "y", 1, 1);
	chunk(&sb, "Atom", atoms, sizeof(atoms), 0); /* last, unpadded */
	finish(&sb);

	assert_int_equal(rb_beam_parse(&b, sb.buf, sb.len, &err), 0);
	assert_int_equal(b.nr, 4);
	assert_string_equal(b.chunks[3].id, "Atom");
	assert_int_equal(b.chunks[3].size, sizeof(atoms));
	assert_int_equal(rb_beam_read_info(&b, &info, &err), 0);
	assert_string_equal(rb_beam_info_module(&info), "m");
	assert_string_equal(info.atoms.v[1], "caf\xc3\xa9");
	assert_true(rb_beam_info_exports(&info, "caf\xc3\xa9", 2));
	assert_int_equal(info.exports[0].label, 7);
	rb_beam_info_release(&info);
	rb_beam_release(&b);

	/* Atom before ExpT, then the extra chunk; Dbgi gone; padded */
	assert_int_equal(rb_beam_strip(sb.buf, sb.len, keep, &out, &outlen,
				       &err), 0);
	assert_int_equal(outlen, 12 + (8 + 12) + (8 + 16) + (8 + 4));
	assert_memory_equal(out, "FOR1", 4);
	assert_int_equal(out[7], outlen - 8);
	assert_int_equal(rb_beam_parse(&b, out, outlen, &err), 0);
	assert_int_equal(b.nr, 3);
	assert_string_equal(b.chunks[0].id, "Atom");
	assert_string_equal(b.chunks[1].id, "ExpT");
	assert_string_equal(b.chunks[2].id, "Abcd");
	assert_memory_equal(out + 12 + 8 + sizeof(atoms), "\0", 1);
	rb_beam_release(&b);
	free(out);

	keep[0] = "Toolong";
	assert_int_equal(rb_beam_strip(sb.buf, sb.len, keep, &out, &outlen,
				       &err), -1);
	assert_null(out);
	assert_int_equal(err.code, RB_ECONFIG);
	sb_release(&sb);
}

/* Hand-made import tables: what a well-formed one holds, and bad ones. */
static void test_imports_synthetic(void **state)
{
	static const unsigned char atoms[] = {
		0, 0, 0, 4, 1, 'm', 7, 'c', 'o', 'm', 'p', 'i', 'l', 'e',
		4, 'f', 'i', 'l', 'e', 1, 'x' };
	static const unsigned char expt[] = { 0, 0, 0, 0 };
	/* compile:file/2, m:x/0 */
	static const unsigned char impt[] = {
		0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 2,
		0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0, 0 };
	/* the function names atom 5 of 4 */
	static const unsigned char bad_atom[] = {
		0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 5, 0, 0, 0, 2 };
	/* two entries announced, one there */
	static const unsigned char short_impt[] = {
		0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 2 };
	static const struct { const void *data; size_t len; const char *what; } bad[] = {
		{ bad_atom, sizeof(bad_atom), "atom 5 of 4" },
		{ short_impt, sizeof(short_impt), "truncated ImpT" },
		{ "\0\0", 2, "truncated ImpT" },
		{ NULL, 0, "no import table" },
	};
	struct strbuf sb = STRBUF_INIT;
	struct rb_beam b = RB_BEAM_INIT;
	struct rb_beam_info info = RB_BEAM_INFO_INIT;
	struct rb_error err;

	(void)state;
	start(&sb);
	chunk(&sb, "Atom", atoms, sizeof(atoms), 1);
	chunk(&sb, "ExpT", expt, sizeof(expt), 1);
	chunk(&sb, "ImpT", impt, sizeof(impt), 0);
	finish(&sb);
	assert_int_equal(rb_beam_parse(&b, sb.buf, sb.len, &err), 0);
	assert_int_equal(rb_beam_read_info(&b, &info, &err), 0);
	assert_int_equal(rb_beam_read_imports(&b, &info, &err), 0);
	assert_int_equal(info.imports_nr, 2);
	assert_string_equal(info.imports[0].module, "compile");
	assert_string_equal(info.imports[0].function, "file");
	assert_int_equal(info.imports[0].arity, 2);
	assert_string_equal(info.imports[1].module, "m");
	assert_string_equal(info.imports[1].function, "x");
	assert_int_equal(info.imports[1].arity, 0);
	rb_beam_info_release(&info);
	rb_beam_release(&b);
	sb_release(&sb);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		start(&sb);
		chunk(&sb, "Atom", atoms, sizeof(atoms), 1);
		chunk(&sb, "ExpT", expt, sizeof(expt), 1);
		if (bad[i].data)
			chunk(&sb, "ImpT", bad[i].data, bad[i].len, 1);
		finish(&sb);
		assert_int_equal(rb_beam_parse(&b, sb.buf, sb.len, &err), 0);
		assert_int_equal(rb_beam_read_info(&b, &info, &err), 0);
		assert_int_equal(rb_beam_read_imports(&b, &info, &err), -1);
		if (!strstr(err.msg, bad[i].what))
			fail_msg("'%s' does not mention '%s'", err.msg, bad[i].what);
		assert_int_equal(info.imports_nr, 0);
		assert_null(info.imports);
		rb_beam_info_release(&info);
		rb_beam_release(&b);
		sb_release(&sb);
	}
}

/* OTP 28 writes AtU8 with a negative count and compact lengths. */
static void test_compact_atoms(void **state)
{
	static const unsigned char atoms[] = {
		0xff, 0xff, 0xff, 0xfd,             /* -3 */
		0x10, 'm',                          /* 1 */
		0x00,                               /* 0: '' */
		0x08 | 0x20, 20,                    /* (1 << 8) | 20 = 276 */
	};
	struct strbuf sb = STRBUF_INIT, data = STRBUF_INIT;
	struct rb_beam b = RB_BEAM_INIT;
	struct rb_beam_info info = RB_BEAM_INFO_INIT;
	struct rb_error err;
	static const unsigned char expt[] = { 0, 0, 0, 0 };
	int i;

	(void)state;
	sb_add(&data, atoms, sizeof(atoms));
	for (i = 0; i < 276; i++)
		sb_addc(&data, 'a');
	start(&sb);
	chunk(&sb, "AtU8", data.buf, data.len, 1);
	chunk(&sb, "ExpT", expt, sizeof(expt), 1);
	finish(&sb);
	assert_int_equal(rb_beam_parse(&b, sb.buf, sb.len, &err), 0);
	assert_int_equal(rb_beam_read_info(&b, &info, &err), 0);
	assert_int_equal(info.atoms.nr, 3);
	assert_string_equal(info.atoms.v[0], "m");
	assert_string_equal(info.atoms.v[1], "");
	assert_int_equal(strlen(info.atoms.v[2]), 276);
	rb_beam_info_release(&info);
	rb_beam_release(&b);
	sb_release(&sb);
	sb_release(&data);
}

static void test_compressed(void **state)
{
	struct fixture *f = *state;
	static const unsigned char gz[] = { 0x1f, 0x8b, 8, 0, 1, 2, 3 };
	struct rb_beam b = RB_BEAM_INIT;
	struct rb_error err;
	unsigned char *out = NULL;
	char *path = tpath(f, "gz.beam"), *back = NULL;
	size_t outlen, backlen;

	assert_true(rb_beam_is_compressed(gz, sizeof(gz)));
	assert_int_equal(rb_beam_strip(gz, sizeof(gz), NULL, &out, &outlen,
				       &err), 0);
	assert_int_equal(outlen, sizeof(gz));
	assert_memory_equal(out, gz, sizeof(gz));
	free(out);

	assert_int_equal(rb_beam_parse(&b, gz, sizeof(gz), &err), -1);
	assert_non_null(strstr(err.msg, "compressed"));
	rb_beam_release(&b);

	assert_int_equal(write_file(path, gz, sizeof(gz), 0644, &err), 0);
	assert_int_equal(rb_beam_strip_file(path, path, &err), 0);
	assert_int_equal(read_file(path, &back, &backlen, &err), 0);
	assert_int_equal(backlen, sizeof(gz));
	assert_memory_equal(back, gz, sizeof(gz));
	free(back);
	free(path);
}

/* A real gzip-compressed beam, as compile's `compressed` option makes. */
static void test_compressed_real(void **state)
{
	struct fixture *f = *state;
	struct rb_error err;
	char *dir = tpath(f, "gz"), *path, *before = NULL, *after = NULL;
	size_t blen, alen;
	const char *argv[] = { "erl", "-noshell", "-eval",
		"{ok, m} = compile:file(\"src/m\", [compressed, {outdir, \"gz\"}]),"
		" halt().", NULL };

	need_erl(f);
	assert_int_equal(mkdir_p(dir, &err), 0);
	assert_int_equal(run(argv, f->tmp), 0);
	path = tpath(f, "gz/m.beam");
	assert_int_equal(read_file(path, &before, &blen, &err), 0);
	assert_true(rb_beam_is_compressed(before, blen));
	assert_int_equal(rb_beam_strip_file(path, path, &err), 0);
	assert_int_equal(read_file(path, &after, &alen, &err), 0);
	assert_int_equal(alen, blen);
	assert_memory_equal(after, before, blen);
	assert_int_equal(erl_loads(dir, "m"), 0);
	free(before);
	free(after);
	free(path);
	free(dir);
}

static void expect_bad(const void *data, size_t len, const char *what)
{
	struct rb_beam b = RB_BEAM_INIT;
	struct rb_error err = { 0 };
	unsigned char *out = (unsigned char *)"untouched";
	size_t outlen;

	assert_int_equal(rb_beam_parse(&b, data, len, &err), -1);
	if (!strstr(err.msg, what))
		fail_msg("'%s' does not mention '%s'", err.msg, what);
	rb_beam_release(&b);
	assert_int_equal(rb_beam_strip(data, len, NULL, &out, &outlen, &err),
			 -1);
	assert_null(out);
}

static void test_malformed(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct rb_beam b = RB_BEAM_INIT;
	struct rb_beam_info info = RB_BEAM_INFO_INIT;
	struct rb_error err;
	static const unsigned char expt[] = {
		0, 0, 0, 1, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0 };
	static const unsigned char atoms[] = { 0, 0, 0, 1, 1, 'm' };

	(void)state;
	expect_bad("", 0, "not a BEAM");
	expect_bad("FOR1\0\0\0\4BEAX", 12, "not a BEAM");
	expect_bad("FOR1\0\0\0\x10" "BEAM", 12, "form size");
	expect_bad("FOR1\0\0\0\0BEAM", 12, "form size");
	expect_bad("FOR1\0\0\0\x08" "BEAMAtU8", 16, "truncated chunk header");
	expect_bad("FOR1\0\0\0\x0c" "BEAMAtU8\0\0\0\x01", 20, "overruns");
	expect_bad("FOR1\0\0\0\x0c" "BEAMAt\nU\0\0\0\0", 20, "bad chunk id");

	/* the export table names an atom the module does not have */
	start(&sb);
	chunk(&sb, "AtU8", atoms, sizeof(atoms), 1);
	chunk(&sb, "ExpT", expt, sizeof(expt), 1);
	finish(&sb);
	assert_int_equal(rb_beam_parse(&b, sb.buf, sb.len, &err), 0);
	assert_int_equal(rb_beam_read_info(&b, &info, &err), -1);
	assert_non_null(strstr(err.msg, "atom 9"));
	assert_int_equal(info.atoms.nr, 0);
	rb_beam_release(&b);
	sb_release(&sb);

	/* no tables at all */
	start(&sb);
	chunk(&sb, "Code", "abcd", 4, 1);
	finish(&sb);
	assert_int_equal(rb_beam_parse(&b, sb.buf, sb.len, &err), 0);
	assert_int_equal(rb_beam_read_info(&b, &info, &err), -1);
	assert_non_null(strstr(err.msg, "atom table"));
	rb_beam_release(&b);
	sb_release(&sb);

	assert_int_equal(rb_beam_load(&b, "/nonexistent/x.beam", &err), -1);
	assert_non_null(strstr(err.msg, "/nonexistent/x.beam"));
}

/*
 * Corrupt a real beam a byte at a time: every outcome is fine except a
 * crash or an out-of-bounds read, which ASan reports.
 */
static void test_corrupt(void **state)
{
	struct fixture *f = *state;
	struct rb_error err;
	char *path, *orig = NULL;
	unsigned char *buf, *out;
	size_t len, outlen, i, bad = 0;
	unsigned seed = 12345;

	need_erl(f);
	path = tpath(f, "m.beam");
	assert_int_equal(read_file(path, &orig, &len, &err), 0);
	buf = xmalloc(len);
	for (i = 0; i < 4000; i++) {
		struct rb_beam b = RB_BEAM_INIT;
		struct rb_beam_info info = RB_BEAM_INFO_INIT;
		size_t at, cut;

		memcpy(buf, orig, len);
		seed = seed * 1103515245 + 12345;
		at = (seed >> 8) % len;
		buf[at] ^= (unsigned char)(1u << (seed % 8));
		cut = i % 3 ? len : (seed >> 4) % (len + 1);
		if (rb_beam_parse(&b, buf, cut, &err) == 0) {
			if (rb_beam_read_info(&b, &info, &err) == 0) {
				rb_beam_read_imports(&b, &info, &err);
				rb_beam_info_release(&info);
			}
		} else {
			bad++;
		}
		rb_beam_release(&b);
		out = NULL;
		if (rb_beam_strip(buf, cut, NULL, &out, &outlen, &err) == 0)
			free(out);
	}
	assert_true(bad > 0);
	free(buf);
	free(orig);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list_chunks),
		cmocka_unit_test(test_strip_erlang),
		cmocka_unit_test(test_strip_matches_beam_lib),
		cmocka_unit_test(test_strip_elixir_matches_mix),
		cmocka_unit_test(test_exports),
		cmocka_unit_test(test_exports_elixir),
		cmocka_unit_test(test_imports),
		cmocka_unit_test(test_imports_elixir),
		cmocka_unit_test(test_synthetic),
		cmocka_unit_test(test_imports_synthetic),
		cmocka_unit_test(test_compact_atoms),
		cmocka_unit_test(test_compressed),
		cmocka_unit_test(test_compressed_real),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_corrupt),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
