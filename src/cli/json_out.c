/* --json output on json-c (json_out.h). */
#include "json_out.h"

#include <stdio.h>
#include <string.h>

#include "manifest.h"
#include "util.h"

/* The length of the valid UTF-8 sequence at p, 0 if it is not one. */
static size_t utf8_len(const unsigned char *p)
{
	unsigned char c = p[0];
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	/* No overlong forms, no surrogates, nothing past U+10FFFF. */
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

struct json_object *cli_json_string(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	struct strbuf sb = STRBUF_INIT;
	struct json_object *o;

	if (!s)
		return NULL;
	while (*p) {
		size_t n = utf8_len(p);

		if (n) {
			sb_add(&sb, p, n);
			p += n;
		} else {
			sb_adds(&sb, "\xef\xbf\xbd"); /* U+FFFD */
			p++;
		}
	}
	o = json_object_new_string_len(sb_str(&sb), (int)sb.len);
	sb_release(&sb);
	return o;
}

struct json_object *cli_json_strings(const struct strvec *sv)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; i < sv->nr; i++)
		json_object_array_add(a, cli_json_string(sv->v[i]));
	return a;
}

void cli_json_add_string(struct json_object *obj, const char *key,
			 const char *s)
{
	json_object_object_add(obj, key, cli_json_string(s));
}

void cli_json_add_error(struct json_object *doc, const struct rb_error *err)
{
	struct json_object *o;

	cli_json_add_string(doc, "error", err ? err->msg : NULL);
	if (!err) {
		json_object_object_add(doc, "error_info", NULL);
		return;
	}
	o = json_object_new_object();
	cli_json_add_string(o, "code", err->code == RB_ECONFIG ? "config" : "failure");
	if (err->path[0]) {
		cli_json_add_string(o, "path", err->path);
		if (err->line)
			json_object_object_add(o, "line", json_object_new_int64((int64_t)err->line));
		if (err->col)
			json_object_object_add(o, "column", json_object_new_int64((int64_t)err->col));
	}
	json_object_object_add(doc, "error_info", o);
}

struct json_object *cli_json_problems(const struct rb_verify_result *v)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; i < v->nr_problems; i++) {
		const struct rb_problem *p = &v->problems[i];
		struct json_object *o = json_object_new_object();
		char mode[16];

		cli_json_add_string(o, "kind", rb_problem_kind_name(p->kind));
		cli_json_add_string(o, "path", p->path);
		if (p->kind == RB_PROBLEM_MODE) {
			snprintf(mode, sizeof(mode), "%04o", p->mode);
			cli_json_add_string(o, "mode", mode);
			snprintf(mode, sizeof(mode), "%04o", p->expected);
			cli_json_add_string(o, "expected", mode);
		}
		if (p->kind == RB_PROBLEM_SIGNATURE)
			cli_json_add_string(o, "signature",
					    rb_sig_status_name(v->signature));
		json_object_array_add(a, o);
	}
	return a;
}

void cli_json_print(struct json_object *doc)
{
	fputs(json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN |
						      JSON_C_TO_STRING_NOSLASHESCAPE),
	      stdout);
	fputc('\n', stdout);
	fflush(stdout);
	json_object_put(doc);
}
