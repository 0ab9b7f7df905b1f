#ifndef RB_CLI_JSON_OUT_H
#define RB_CLI_JSON_OUT_H

/*
 * --json output, on json-c: every command builds one document and
 * prints it with cli_json_print().  The schemas are in the README.
 */
#include <json-c/json.h>

#include "error.h"

/*
 * s as a JSON string (NULL: null).  Names may come from a hostile
 * tarball: bytes that are not UTF-8 become U+FFFD, so the document
 * is always valid.
 */
struct json_object *cli_json_string(const char *s);

/*
 * "error": the message (null without err), as the first --json
 * documents had it, and "error_info": {"code": "config"|"failure",
 * and "path", "line", "column" when the error is about a place in a
 * file} (null without err).
 */
void cli_json_add_error(struct json_object *doc, const struct rb_error *err);

struct rb_verify_result;
struct strvec;

/*
 * A verify result's problems: [{"kind", "path", and for "mode" the
 * "mode" found and "expected", for "signature" its "signature"}].
 */
struct json_object *cli_json_problems(const struct rb_verify_result *v);

/* A list of strings as an array of cli_json_string()s. */
struct json_object *cli_json_strings(const struct strvec *sv);

/* Add key: cli_json_string(s) to obj. */
void cli_json_add_string(struct json_object *obj, const char *key,
			 const char *s);

/* The document on stdout, one line, and its reference dropped. */
void cli_json_print(struct json_object *doc);

#endif
