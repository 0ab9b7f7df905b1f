/*
 * Unit tests for json_out.c: strings from hostile names stay valid JSON
 * (parsed back by json-c), errors carry their place as fields.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "json_out.h"
#include "util.h"

/* What o prints, parsed back: the round trip a reader makes. */
static struct json_object *round_trip(struct json_object *o)
{
	const char *text = json_object_to_json_string_ext(o,
		JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	struct json_object *back = json_tokener_parse(text);

	assert_non_null(back);
	return back;
}

static void test_strings(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "plain/path-1.0", "plain/path-1.0" },
		{ "caf\xc3\xa9 \xe2\x9c\x93", "caf\xc3\xa9 \xe2\x9c\x93" },
		{ "bad\xff\xfe", "bad\xef\xbf\xbd\xef\xbf\xbd" },
		{ "overlong\xc0\xaf", "overlong\xef\xbf\xbd\xef\xbf\xbd" },
		{ "surrogate\xed\xa0\x80", "surrogate\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
		{ "esc\x1b[31m \"q\" \\", "esc\x1b[31m \"q\" \\" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct json_object *o = json_object_new_object(), *back, *v;

		cli_json_add_string(o, "s", cases[i].in);
		back = round_trip(o);
		assert_true(json_object_object_get_ex(back, "s", &v));
		assert_string_equal(json_object_get_string(v), cases[i].out);
		json_object_put(back);
		json_object_put(o);
	}
	assert_null(cli_json_string(NULL));
}

static void test_error(void **state)
{
	struct json_object *o = json_object_new_object(), *back, *info, *v;
	struct rb_error err = { 0 };

	(void)state;
	rb_error_at(&err, RB_ECONFIG, "rel/config.yml", 12, 5, "unknown key '%s'", "x");
	assert_string_equal(err.msg, "rel/config.yml:12:5: unknown key 'x'");
	cli_json_add_error(o, &err);
	back = round_trip(o);
	assert_true(json_object_object_get_ex(back, "error", &v));
	assert_string_equal(json_object_get_string(v), "rel/config.yml:12:5: unknown key 'x'");
	assert_true(json_object_object_get_ex(back, "error_info", &info));
	assert_true(json_object_object_get_ex(info, "code", &v));
	assert_string_equal(json_object_get_string(v), "config");
	assert_true(json_object_object_get_ex(info, "path", &v));
	assert_string_equal(json_object_get_string(v), "rel/config.yml");
	assert_true(json_object_object_get_ex(info, "line", &v));
	assert_int_equal(json_object_get_int(v), 12);
	assert_true(json_object_object_get_ex(info, "column", &v));
	assert_int_equal(json_object_get_int(v), 5);
	json_object_put(back);
	json_object_put(o);

	/* a failure about no place: no path, line or column */
	o = json_object_new_object();
	rb_fail(&err, "cannot open '%s'", "t.tar.gz");
	assert_string_equal(err.path, "");
	cli_json_add_error(o, &err);
	back = round_trip(o);
	assert_true(json_object_object_get_ex(back, "error_info", &info));
	assert_false(json_object_object_get_ex(info, "path", &v));
	assert_true(json_object_object_get_ex(info, "code", &v));
	assert_string_equal(json_object_get_string(v), "failure");
	json_object_put(back);
	json_object_put(o);

	/* no error: both null */
	o = json_object_new_object();
	cli_json_add_error(o, NULL);
	assert_true(json_object_object_get_ex(o, "error", &v));
	assert_null(v);
	assert_true(json_object_object_get_ex(o, "error_info", &v));
	assert_null(v);
	json_object_put(o);
}

static void test_strings_array(void **state)
{
	struct strvec sv = STRVEC_INIT;
	struct json_object *a;

	(void)state;
	strvec_push(&sv, "a");
	strvec_push(&sv, "b\xff");
	a = cli_json_strings(&sv);
	assert_int_equal(json_object_array_length(a), 2);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(a, 1)),
			    "b\xef\xbf\xbd");
	json_object_put(a);
	strvec_clear(&sv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_error),
		cmocka_unit_test(test_strings_array),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
