#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "term.h"
#include "util.h"

static struct rb_term *parse(const char *s)
{
	struct rb_error err = { 0 };
	struct rb_term *t = NULL;

	if (rb_term_parse_one(&t, "t.config", s, strlen(s), &err) < 0) {
		print_error("unexpected error for %s: %s\n", s, err.msg);
		fail();
	}
	return t;
}

/* Parse s and expect an error message that is exactly msg. */
static void parse_fails(const char *s, const char *msg)
{
	struct rb_error err = { 0 };
	struct rb_term *t = NULL;

	assert_int_equal(rb_term_parse_one(&t, "t.config", s, strlen(s), &err), -1);
	assert_null(t);
	assert_int_equal(err.code, RB_EFAIL);
	assert_string_equal(err.msg, msg);
}

/* Parse s, print it, and compare with want. */
static void roundtrip(const char *s, const char *want)
{
	struct rb_term *t = parse(s), *again;
	struct strbuf sb = STRBUF_INIT;
	struct rb_error err = { 0 };

	rb_term_format(t, &sb);
	assert_string_equal(sb_str(&sb), want);
	sb_adds(&sb, ".");
	assert_int_equal(rb_term_parse_one(&again, "again", sb.buf, sb.len, &err), 0);
	assert_true(rb_term_equal(t, again));
	rb_term_free(again);
	rb_term_free(t);
	sb_release(&sb);
}

static void test_app_file(void **state)
{
	const char *src =
		"%% comment\n"
		"{application, shop,\n"
		" [{description, \"the \\\"shop\\\"\"},\n"
		"  {vsn, \"0.1.0\"},\n"
		"  {modules, ['Elixir.Shop', 'Elixir.Shop.Repo', shop_sup]},\n"
		"  {applications, [kernel, stdlib, elixir, logger]},\n"
		"  {mod, {'Elixir.Shop.Application', []}},\n"
		"  {env, []}\n"
		" ]}.\n";
	struct rb_term *t = parse(src);
	const struct rb_term *props, *v;
	struct strvec sv = STRVEC_INIT;

	(void)state;
	assert_int_equal(t->type, RB_TERM_TUPLE);
	assert_int_equal(t->nr, 3);
	assert_true(rb_term_is_atom(t->items[0], "application"));
	assert_string_equal(rb_term_atom(t->items[1]), "shop");
	assert_int_equal(t->line, 2);
	assert_int_equal(t->col, 1);
	props = t->items[2];
	assert_int_equal(rb_term_list_length(props), 6);
	assert_string_equal(rb_term_string(rb_term_proplist_get(props, "vsn")), "0.1.0");
	assert_string_equal(rb_term_string(rb_term_proplist_get(props, "description")),
			    "the \"shop\"");
	assert_int_equal(rb_term_atoms(rb_term_proplist_get(props, "modules"), &sv), 0);
	assert_int_equal(sv.nr, 3);
	assert_string_equal(sv.v[0], "Elixir.Shop");
	assert_string_equal(sv.v[2], "shop_sup");
	/* env: [] is also the empty string. */
	v = rb_term_proplist_get(props, "env");
	assert_int_equal(rb_term_list_length(v), 0);
	assert_string_equal(rb_term_string(v), "");
	assert_non_null(rb_term_proplist_find(props, "mod"));
	assert_null(rb_term_proplist_get(props, "registered"));
	assert_null(rb_term_string(rb_term_proplist_get(props, "modules")));
	/* A list of non-atoms is not a list of atoms. */
	assert_int_equal(rb_term_atoms(rb_term_proplist_get(props, "mod"), &sv), -1);
	strvec_clear(&sv);
	rb_term_free(t);
}

static void test_scalars(void **state)
{
	struct rb_term *t;

	(void)state;
	t = parse("-42.");
	assert_int_equal(t->type, RB_TERM_INTEGER);
	assert_int_equal(t->ival, -42);
	rb_term_free(t);
	t = parse("16#FF.");
	assert_int_equal(t->ival, 255);
	rb_term_free(t);
	t = parse("-2#1010.");
	assert_int_equal(t->ival, -10);
	rb_term_free(t);
	t = parse("36#zz.");
	assert_int_equal(t->ival, 35 * 36 + 35);
	rb_term_free(t);
	t = parse("1_000_000.");
	assert_int_equal(t->ival, 1000000);
	rb_term_free(t);
	t = parse("$a.");
	assert_int_equal(t->ival, 'a');
	rb_term_free(t);
	t = parse("$\\n.");
	assert_int_equal(t->ival, '\n');
	rb_term_free(t);
	t = parse("$\\\\.");
	assert_int_equal(t->ival, '\\');
	rb_term_free(t);
	t = parse("$ .");
	assert_int_equal(t->ival, ' ');
	rb_term_free(t);
	t = parse("$é.");
	assert_int_equal(t->ival, 0xE9);
	rb_term_free(t);
	t = parse("$\\x{263A}.");
	assert_int_equal(t->ival, 0x263A);
	rb_term_free(t);
	t = parse("9223372036854775807.");
	assert_true(t->ival == 9223372036854775807LL);
	rb_term_free(t);
	t = parse("-9223372036854775808.");
	assert_true(t->ival == (-9223372036854775807LL - 1));
	rb_term_free(t);
	t = parse("3.25.");
	assert_int_equal(t->type, RB_TERM_FLOAT);
	assert_true(t->fval == 3.25);
	rb_term_free(t);
	t = parse("-1.5e3.");
	assert_true(t->fval == -1500.0);
	rb_term_free(t);
	t = parse("2.0E-2.");
	assert_true(t->fval == 0.02);
	rb_term_free(t);
	t = parse("'Elixir.Foo'.");
	assert_string_equal(rb_term_atom(t), "Elixir.Foo");
	rb_term_free(t);
	t = parse("'a\\'b\\\\c\\n'.");
	assert_string_equal(rb_term_atom(t), "a'b\\c\n");
	rb_term_free(t);
	t = parse("node@host.");
	assert_string_equal(rb_term_atom(t), "node@host");
	rb_term_free(t);
	t = parse("café.");
	assert_string_equal(rb_term_atom(t), "café");
	rb_term_free(t);
}

static void test_strings(void **state)
{
	struct rb_term *t;

	(void)state;
	t = parse("\"a\\nb\\t\\\"c\\\\d\\s\\e\\x41\\101\\x{e9}\\^a\".");
	assert_int_equal(t->type, RB_TERM_STRING);
	assert_string_equal(t->text, "a\nb\t\"c\\d \033AA\xc3\xa9\001");
	assert_int_equal(rb_term_list_length(t), 14);
	rb_term_free(t);
	/* Adjacent literals are one string, as in Erlang. */
	t = parse("\"ab\" \"cd\"\n\"e\".");
	assert_string_equal(rb_term_string(t), "abcde");
	rb_term_free(t);
	t = parse("\"multi\nline\".");
	assert_string_equal(rb_term_string(t), "multi\nline");
	rb_term_free(t);
	t = parse("\"héllo\".");
	assert_string_equal(rb_term_string(t), "héllo");
	assert_int_equal(rb_term_list_length(t), 5);
	rb_term_free(t);
	t = parse("\"a % not a comment\".");
	assert_string_equal(rb_term_string(t), "a % not a comment");
	rb_term_free(t);
	/* A NUL in the middle is kept. */
	t = parse("\"a\\0b\".");
	assert_int_equal(t->len, 3);
	assert_memory_equal(t->text, "a\0b", 3);
	rb_term_free(t);
}

static void test_binaries(void **state)
{
	struct rb_term *t;

	(void)state;
	t = parse("<<\"abc\">>.");
	assert_int_equal(t->type, RB_TERM_BINARY);
	assert_int_equal(t->len, 3);
	assert_memory_equal(t->text, "abc", 3);
	rb_term_free(t);
	t = parse("<<1, 2,255>>.");
	assert_int_equal(t->len, 3);
	assert_memory_equal(t->text, "\001\002\377", 3);
	rb_term_free(t);
	t = parse("<< >>.");
	assert_int_equal(t->len, 0);
	rb_term_free(t);
	t = parse("<<\"a\", 0, $b, 1:16, 1:16/little, -1>>.");
	assert_int_equal(t->len, 8);
	assert_memory_equal(t->text, "a\0b\0\001\001\0\377", 8);
	rb_term_free(t);
	/* Without /utf8 each character is one byte, as in Erlang. */
	t = parse("<<\"é\">>.");
	assert_int_equal(t->len, 1);
	assert_int_equal((unsigned char)t->text[0], 0xE9);
	rb_term_free(t);
	t = parse("<<\"é\"/utf8, 8364/utf8>>.");
	assert_int_equal(t->len, 5);
	assert_memory_equal(t->text, "\xc3\xa9\xe2\x82\xac", 5);
	rb_term_free(t);
	t = parse("<<1:32/big-unsigned-integer>>.");
	assert_int_equal(t->len, 4);
	assert_memory_equal(t->text, "\0\0\0\001", 4);
	rb_term_free(t);
}

static void test_containers(void **state)
{
	struct rb_term *t;

	(void)state;
	t = parse("{}.");
	assert_int_equal(t->type, RB_TERM_TUPLE);
	assert_int_equal(t->nr, 0);
	rb_term_free(t);
	t = parse("[].");
	assert_int_equal(t->type, RB_TERM_LIST);
	assert_int_equal(rb_term_list_length(t), 0);
	rb_term_free(t);
	t = parse("[a|[b,c]].");
	assert_int_equal(t->nr, 3);
	assert_true(rb_term_is_atom(t->items[2], "c"));
	rb_term_free(t);
	t = parse("[a|[]].");
	assert_int_equal(t->nr, 1);
	rb_term_free(t);
	t = parse("#{a => 1, \"b\" => [x], #{} => {}}.");
	assert_int_equal(t->type, RB_TERM_MAP);
	assert_int_equal(t->nr, 6);
	assert_true(rb_term_is_atom(t->items[0], "a"));
	assert_int_equal(t->items[1]->ival, 1);
	assert_int_equal(t->items[4]->type, RB_TERM_MAP);
	rb_term_free(t);
	t = parse("\xEF\xBB\xBF{bom}.");
	assert_int_equal(t->col, 1);
	rb_term_free(t);
	t = parse("% leading\n  { a , % inside\n [ 1 , 2 ] } % after\n . % done\n");
	assert_int_equal(t->nr, 2);
	rb_term_free(t);
}

static void test_several_terms(void **state)
{
	const char *src =
		"{\"0.2.0\",\n"
		" [{\"0.1.0\", [{load_module, shop}]}],\n"
		" [{\"0.1.0\", [{load_module, shop}]}]}.\n"
		"{second, 2}.\n"
		"%% trailing comment";
	struct rb_terms terms = RB_TERMS_INIT;
	struct rb_error err = { 0 };

	(void)state;
	assert_int_equal(rb_term_parse_all(&terms, "x.appup", src, strlen(src), &err), 0);
	assert_int_equal(terms.nr, 2);
	assert_string_equal(rb_term_string(terms.v[0]->items[0]), "0.2.0");
	assert_int_equal(terms.v[1]->line, 4);
	rb_terms_release(&terms);

	/* Nothing at all is zero terms, not an error. */
	assert_int_equal(rb_term_parse_all(&terms, "x", "  %% c\n", 7, &err), 0);
	assert_int_equal(terms.nr, 0);

	/* An error in the second term keeps the first. */
	assert_int_equal(rb_term_parse_all(&terms, "x", "a.\nB.\n", 6, &err), -1);
	assert_int_equal(terms.nr, 1);
	assert_string_equal(err.msg, "x:2:1: unexpected variable 'B' (atoms starting with an uppercase letter must be quoted)");
	rb_terms_release(&terms);

	/* The buffer need not be NUL-terminated: only len bytes count. */
	assert_int_equal(rb_term_parse_all(&terms, "x", "a. garbage", 3, &err), 0);
	assert_int_equal(terms.nr, 1);
	rb_terms_release(&terms);
}

static void test_errors(void **state)
{
	(void)state;
	parse_fails("{a, b}", "t.config:1:7: unexpected end of input, expected '.' after the term");
	parse_fails("{a, b", "t.config:1:6: unexpected end of input, expected ',' or '}'");
	parse_fails("{a b}.", "t.config:1:4: expected ',' or '}' in tuple");
	parse_fails("[a,\n  ,b].", "t.config:2:3: unexpected ','");
	parse_fails("\"abc", "t.config:1:1: unterminated string");
	parse_fails("\n 'abc", "t.config:2:2: unterminated quoted atom");
	parse_fails("[a|b].", "t.config:1:3: improper lists are not supported");
	parse_fails("Foo.", "t.config:1:1: unexpected variable 'Foo' (atoms starting with an uppercase letter must be quoted)");
	parse_fails("{a, end}.", "t.config:1:5: unexpected reserved word 'end'");
	parse_fails("a.b.", "t.config:1:2: expected '.' followed by white space after the term");
	parse_fails("a. b.", "t.config:1:4: expected one term, found more");
	parse_fails("", "t.config:1:1: unexpected end of input, expected a term");
	parse_fails("9223372036854775808.", "t.config:1:1: integer out of range");
	parse_fails("99999999999999999999999.", "t.config:1:1: integer out of range");
	parse_fails("37#1.", "t.config:1:1: bad base in integer");
	parse_fails("16#.", "t.config:1:3: missing digits after '#'");
	parse_fails("\"\\xZZ\".", "t.config:1:2: bad escape sequence");
	parse_fails("#{a => }.", "t.config:1:8: unexpected '}'");
	parse_fails("#{a, b}.", "t.config:1:4: expected '=>' in map");
	parse_fails("#rec{a = 1}.", "t.config:1:1: records are not supported");
	parse_fails("<<a>>.", "t.config:1:3: unsupported binary segment");
	parse_fails("<<1:4>>.", "t.config:1:5: unsupported segment size (whole bytes only)");
	parse_fails("<<1/float>>.", "t.config:1:5: unsupported binary segment type 'float'");
	parse_fails("- a.", "t.config:1:3: expected a number after '-'");
	parse_fails("{a, \x80}.", "t.config:1:5: unexpected byte 0x80");
	parse_fails("{a, fun}.", "t.config:1:5: unexpected reserved word 'fun'");
}

static void test_deep_nesting(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct rb_error err = { 0 };
	struct rb_term *t = NULL;

	(void)state;
	for (int i = 0; i < 100000; i++)
		sb_addc(&sb, '[');
	assert_int_equal(rb_term_parse_one(&t, "deep", sb.buf, sb.len, &err), -1);
	assert_non_null(strstr(err.msg, "term nested too deeply"));
	sb_release(&sb);
}

static void test_format(void **state)
{
	(void)state;
	roundtrip("{release, {\"shop\", \"0.1.0\"}, {erts, \"13.1.5\"}, [{kernel, \"8.5.3\"}, {'Elixir.Foo', x, load}]}.",
		  "{release,{\"shop\",\"0.1.0\"},{erts,\"13.1.5\"},[{kernel,\"8.5.3\"},{'Elixir.Foo',x,load}]}");
	roundtrip("['end', 'Foo', '_x', '', 'a b', 'a\\'b', node@h, a1_B, 'é', 'a\\nb'].",
		  "['end','Foo','_x','','a b','a\\'b',node@h,a1_B,'é','a\\nb']");
	roundtrip("\"q\\\"\\\\\\n\\t\\r\\001é\".", "\"q\\\"\\\\\\n\\t\\r\\001é\"");
	roundtrip("[-5, 16#ff, $a, 0].", "[-5,255,97,0]");
	roundtrip("[1.0, -0.5, 1.0e10, 1.5e-7, 0.1, 123456.789].",
		  "[1.0,-0.5,10000000000.0,1.5e-07,0.1,123456.789]");
	roundtrip("[1.0e300, 2.5e-300, 3.0E+2, 1.0e15, -7.0e16].",
		  "[1.0e+300,2.5e-300,300.0,1.0e+15,-7.0e+16]");
	roundtrip("<<\"abc\\n\">>.", "<<\"abc\\n\">>");
	roundtrip("<<1, 200, 0>>.", "<<1,200,0>>");
	roundtrip("<<>>.", "<<>>");
	roundtrip("#{a => [], <<\"k\">> => #{}}.", "#{a => [],<<\"k\">> => #{}}");
	roundtrip("{}.", "{}");
	roundtrip("\"\".", "\"\"");
}

static void test_build_and_pretty(void **state)
{
	struct rb_term *apps = rb_term_new(RB_TERM_LIST), *rel, *again, *copy, *copy2;
	struct strbuf sb = STRBUF_INIT;
	struct rb_error err = { 0 };
	char name[32];

	(void)state;
	for (int i = 0; i < 12; i++) {
		snprintf(name, sizeof(name), "application_%d", i);
		rb_term_push(apps, rb_term_tuple(3, rb_term_new_atom(name),
						 rb_term_new_string("1.2.3"),
						 rb_term_new_atom(i % 2 ? "load" : "permanent")));
	}
	rel = rb_term_tuple(4, rb_term_new_atom("release"),
			    rb_term_tuple(2, rb_term_new_string("shop"),
					  rb_term_new_string("0.1.0")),
			    rb_term_tuple(2, rb_term_new_atom("erts"),
					  rb_term_new_string("13.1.5")),
			    apps);
	rb_term_format_pretty(rel, &sb, 0);
	assert_true(has_prefix(sb.buf,
		"{release,{\"shop\",\"0.1.0\"},\n"
		"         {erts,\"13.1.5\"},\n"
		"         [{application_0,\"1.2.3\",permanent},\n"
		"          {application_1,\"1.2.3\",load},\n"));
	/* Every line fits in 80 columns. */
	for (char *line = sb.buf, *nl; line; line = nl ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		assert_true((nl ? (size_t)(nl - line) : strlen(line)) <= 80);
	}
	sb_adds(&sb, ".\n");
	assert_int_equal(rb_term_parse_one(&again, "p", sb.buf, sb.len, &err), 0);
	assert_true(rb_term_equal(rel, again));
	copy = rb_term_dup(rel);
	assert_true(rb_term_equal(copy, again));
	rb_term_free(copy->items[3]->items[0]);
	copy->items[3]->items[0] = rb_term_new_int(1);
	assert_false(rb_term_equal(copy, again));

	sb_reset(&sb);
	copy2 = rb_term_new_binary("a\0b", 3);
	rb_term_format(copy2, &sb);
	assert_string_equal(sb.buf, "<<97,0,98>>");
	rb_term_free(copy2);
	sb_release(&sb);
	rb_term_free(copy);
	rb_term_free(again);
	rb_term_free(rel);
}

/* Every .app file of the installed Erlang and Elixir must parse. */
static int parse_apps_under(const char *lib, size_t *count)
{
	struct strvec dirs = STRVEC_INIT;
	struct rb_error err = { 0 };
	int ret = 0;

	if (!is_dir(lib))
		return 0;
	if (list_dir(lib, &dirs, &err) < 0) {
		print_error("%s\n", err.msg);
		return -1;
	}
	for (size_t i = 0; i < dirs.nr && !ret; i++) {
		struct strvec files = STRVEC_INIT;
		char *ebin = xasprintf("%s/%s/ebin", lib, dirs.v[i]);

		if (is_dir(ebin) && list_dir(ebin, &files, &err) == 0) {
			for (size_t j = 0; j < files.nr; j++) {
				struct rb_terms terms = RB_TERMS_INIT;
				char *path;
				const struct rb_term *t;

				if (!has_suffix(files.v[j], ".app") &&
				    !has_suffix(files.v[j], ".appup"))
					continue;
				path = path_join(ebin, files.v[j]);
				if (rb_term_consult(&terms, path, &err) < 0) {
					print_error("%s\n", err.msg);
					ret = -1;
				} else if (has_suffix(path, ".app")) {
					if (terms.nr != 1)
						ret = -1;
					t = terms.v[0];
					if (t->nr != 3 || !rb_term_is_atom(t->items[0], "application") ||
					    !rb_term_string(rb_term_proplist_get(t->items[2], "vsn"))) {
						print_error("%s: unexpected shape\n", path);
						ret = -1;
					}
					(*count)++;
				}
				rb_terms_release(&terms);
				free(path);
			}
		}
		strvec_clear(&files);
		free(ebin);
	}
	strvec_clear(&dirs);
	return ret;
}

static void test_real_app_files(void **state)
{
	size_t count = 0;

	(void)state;
	assert_int_equal(parse_apps_under("/usr/lib/erlang/lib", &count), 0);
	assert_int_equal(parse_apps_under("/usr/lib/elixir/lib", &count), 0);
	if (!count)
		skip();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_app_file),
		cmocka_unit_test(test_scalars),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_binaries),
		cmocka_unit_test(test_containers),
		cmocka_unit_test(test_several_terms),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_build_and_pretty),
		cmocka_unit_test(test_real_app_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
