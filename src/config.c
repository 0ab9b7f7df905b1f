#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "systemd.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

const char *const rb_hook_events[] = {
	"pre_configure", "post_configure", "pre_start", "post_start",
	"pre_stop", "post_stop", "pre_upgrade", "post_upgrade", NULL,
};
const size_t rb_nr_hook_events = ARRAY_LEN(rb_hook_events) - 1;

const char *const rb_builtin_commands[] = {
	"start", "foreground", "console", "remote", "stop", "restart",
	"reboot", "ping", "pid", "rpc", "eval", "command", "describe",
	"versions", "version", "unpack", "install", "upgrade", "downgrade",
	"help", "daemon", "nodetool", "daemon_iex", "start_iex",
	"remote_console", "attach", "run_erl_daemon", NULL,
};
const size_t rb_nr_builtin_commands = ARRAY_LEN(rb_builtin_commands) - 1;

/* Indexed by the enums. */
static const char *const start_types[] = {
	"permanent", "transient", "temporary", "load", "none", NULL,
};
static const char *const compressions[] = { "gzip", "zstd", "none", NULL };
static const char *const undefined_calls_modes[] = {
	"warn", "error", "ignore", NULL,
};
static const char *const overlay_kinds[] = { "mkdir", "copy", "template", NULL };

static const char *const top_keys[] = {
	"default_release", "default_environment", "environments", "releases",
	NULL,
};
static const char *const settings_keys[] = {
	"dev_mode", "include_erts", "include_src", "strip_debug_info", "tar",
	"cookie", "vm_args", "sys_config", "output_dir", "lib_dirs", "hooks",
	"commands", "overlays", "undefined_calls", "remote_vm_args", "env_sh",
	"no_warn_undefined", "follow_links_under", "systemd", "executable", NULL,
};
static const char *const release_keys[] = { "version", "applications", NULL };
static const char *const tar_keys[] = { "compression", NULL };
static const char *const version_keys[] = { "from_app", NULL };
static const char *const overlay_keys[] = { "from", "to", NULL };
static const char *const systemd_keys[] = { "root", "user", "group", NULL };

const char *rb_start_type_name(enum rb_start_type t)
{
	if ((size_t)t < ARRAY_LEN(start_types) - 1)
		return start_types[t];
	return "?";
}

const char *rb_compression_name(enum rb_compression c)
{
	if ((size_t)c < ARRAY_LEN(compressions) - 1)
		return compressions[c];
	return "?";
}

static int in_list(const char *s, const char *const *list)
{
	for (size_t i = 0; list[i]; i++)
		if (!strcmp(s, list[i]))
			return (int)i;
	return -1;
}

/*
 * Optimal string alignment distance, case-insensitive, so that a swapped
 * pair of letters counts as one typo.
 */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), w = lb + 1, ret;
	size_t *d;

	if (la > 64 || lb > 64)
		return (size_t)-1;
	d = xcalloc((la + 1) * w, sizeof(*d));
	for (size_t i = 0; i <= la; i++)
		d[i * w] = i;
	for (size_t j = 0; j <= lb; j++)
		d[j] = j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			int ca = tolower((unsigned char)a[i - 1]);
			int cb = tolower((unsigned char)b[j - 1]);
			size_t best = d[(i - 1) * w + j - 1] + (ca != cb);

			if (d[(i - 1) * w + j] + 1 < best)
				best = d[(i - 1) * w + j] + 1;
			if (d[i * w + j - 1] + 1 < best)
				best = d[i * w + j - 1] + 1;
			if (i > 1 && j > 1 &&
			    ca == tolower((unsigned char)b[j - 2]) &&
			    cb == tolower((unsigned char)a[i - 2]) &&
			    d[(i - 2) * w + j - 2] + 1 < best)
				best = d[(i - 2) * w + j - 2] + 1;
			d[i * w + j] = best;
		}
	}
	ret = d[la * w + lb];
	free(d);
	return ret;
}

/* The closest name in one of two NULL-terminated lists, if close enough. */
static const char *closest(const char *word, const char *const *a,
			   const char *const *b)
{
	const char *const *lists[] = { a, b };
	const char *best = NULL;
	size_t best_d = (size_t)-1;

	for (size_t l = 0; l < ARRAY_LEN(lists); l++) {
		for (size_t i = 0; lists[l] && lists[l][i]; i++) {
			const char *cand = lists[l][i];
			size_t d = edit_distance(word, cand);
			size_t len = strlen(cand);

			if (strlen(word) > len)
				len = strlen(word);
			/* At most one edit in three characters. */
			if (d * 3 <= len && d < best_d) {
				best = cand;
				best_d = d;
			}
		}
	}
	return best;
}

static void join_names(struct strbuf *sb, const char *const *names)
{
	for (size_t i = 0; names[i]; i++) {
		if (i)
			sb_adds(sb, ", ");
		sb_adds(sb, names[i]);
	}
}

/* Config errors are one line, whatever the names in them hold. */
static void one_line(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

struct parse {
	const char *path;
	yaml_document_t *doc;
	struct rb_error *err;
};

static int verror_at(struct parse *p, size_t line, size_t col,
		     const char *fmt, va_list ap)
{
	char msg[1536];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	rb_error_at(p->err, RB_ECONFIG, p->path, line + 1, col + 1, "%s", msg);
	if (p->err)
		one_line(p->err->msg);
	return -1;
}

__attribute__((format(printf, 3, 4)))
static int error_mark(struct parse *p, yaml_mark_t m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verror_at(p, m.line, m.column, fmt, ap);
	va_end(ap);
	return -1;
}

__attribute__((format(printf, 3, 4)))
static int error_node(struct parse *p, const yaml_node_t *n,
		      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verror_at(p, n->start_mark.line, n->start_mark.column, fmt, ap);
	va_end(ap);
	return -1;
}

static yaml_node_t *node_at(struct parse *p, int i)
{
	return yaml_document_get_node(p->doc, i);
}

static const char *scalar(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

static int is_plain(const yaml_node_t *n)
{
	return n->type == YAML_SCALAR_NODE &&
	       n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

static int is_null(const yaml_node_t *n)
{
	const char *s;

	if (!is_plain(n))
		return 0;
	s = scalar(n);
	return !*s || !strcmp(s, "~") || !strcmp(s, "null") ||
	       !strcmp(s, "Null") || !strcmp(s, "NULL");
}

/* 1 or 0 for a plain true/false/yes/no in any case, -1 otherwise. */
static int bool_value(const yaml_node_t *n)
{
	const char *s;

	if (!is_plain(n))
		return -1;
	s = scalar(n);
	if (!strcasecmp(s, "true") || !strcasecmp(s, "yes"))
		return 1;
	if (!strcasecmp(s, "false") || !strcasecmp(s, "no"))
		return 0;
	return -1;
}

/* A scalar that is neither null nor a boolean nor holds a NUL. */
static int is_string(const yaml_node_t *n)
{
	return n->type == YAML_SCALAR_NODE && !is_null(n) &&
	       bool_value(n) < 0 &&
	       strlen(scalar(n)) == n->data.scalar.length;
}

static int is_map(const yaml_node_t *n)
{
	return n->type == YAML_MAPPING_NODE;
}

static size_t map_len(const yaml_node_t *n)
{
	return (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
}

static size_t seq_len(const yaml_node_t *n)
{
	return (size_t)(n->data.sequence.items.top -
			n->data.sequence.items.start);
}

/* what is a description with its quotes: "'hooks'", "release 'shop'". */
static int check_map(struct parse *p, const yaml_node_t *n, const char *what)
{
	yaml_node_pair_t *start, *top;

	if (!is_map(n))
		return error_node(p, n, "%s must be a map", what);
	start = n->data.mapping.pairs.start;
	top = n->data.mapping.pairs.top;
	for (yaml_node_pair_t *pr = start; pr < top; pr++) {
		yaml_node_t *k = node_at(p, pr->key);

		if (k->type != YAML_SCALAR_NODE ||
		    strlen(scalar(k)) != k->data.scalar.length)
			return error_node(p, k, "keys in %s must be strings",
					  what);
		for (yaml_node_pair_t *q = start; q < pr; q++) {
			yaml_node_t *prev = node_at(p, q->key);

			if (!strcmp(scalar(prev), scalar(k)))
				return error_node(p, k,
					"duplicate key '%s' (first at %zu:%zu)",
					scalar(k), prev->start_mark.line + 1,
					prev->start_mark.column + 1);
		}
	}
	return 0;
}

/*
 * The walk below meets an aliased node once per use: a few anchors
 * named again and again (or one naming itself) would make it quadratic
 * or endless.  Count the nodes as it would meet them first, and refuse
 * a config beyond these bounds, far above what a real one holds.
 */
#define MAX_NODES 10000
#define MAX_DEPTH 64

static int count_nodes(struct parse *p, const yaml_node_t *n, int depth,
		       size_t *count)
{
	if (++*count > MAX_NODES)
		return error_node(p, n,
			"the config is too large: more than %d YAML nodes (an alias counts each time it is used)",
			MAX_NODES);
	if (depth > MAX_DEPTH)
		return error_node(p, n, "the config nests deeper than %d levels",
				  MAX_DEPTH);
	if (n->type == YAML_SEQUENCE_NODE) {
		for (yaml_node_item_t *it = n->data.sequence.items.start;
		     it < n->data.sequence.items.top; it++)
			if (count_nodes(p, node_at(p, *it), depth + 1, count))
				return -1;
	} else if (n->type == YAML_MAPPING_NODE) {
		for (yaml_node_pair_t *pr = n->data.mapping.pairs.start;
		     pr < n->data.mapping.pairs.top; pr++)
			if (count_nodes(p, node_at(p, pr->key), depth + 1,
					count) ||
			    count_nodes(p, node_at(p, pr->value), depth + 1,
					count))
				return -1;
	}
	return 0;
}

/*
 * The nesting, measured on the event stream before the document is
 * loaded: libyaml's loader takes quadratic time over deep nesting
 * (100000 '[' take a minute), the event parser stops at the first level
 * too deep.  Syntax errors are left to the load, which reports them.
 */
static int check_depth(struct parse *p, const char *text, size_t len)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	int depth = 0, ret = 0, done = 0;

	if (!yaml_parser_initialize(&parser))
		return 0;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	while (!done && !ret && yaml_parser_parse(&parser, &ev)) {
		switch (ev.type) {
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (++depth > MAX_DEPTH)
				ret = error_mark(p, ev.start_mark,
					"the config nests deeper than %d levels",
					MAX_DEPTH);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			depth--;
			break;
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	return ret;
}

static int check_seq(struct parse *p, const yaml_node_t *n, const char *what)
{
	if (n->type != YAML_SEQUENCE_NODE)
		return error_node(p, n, "%s must be a list", what);
	return 0;
}

static int unknown_key(struct parse *p, const yaml_node_t *k,
		       const char *const *a, const char *const *b)
{
	const char *best = closest(scalar(k), a, b);

	if (best)
		return error_node(p, k, "unknown key '%s' (did you mean '%s'?)",
				  scalar(k), best);
	return error_node(p, k, "unknown key '%s'", scalar(k));
}

/* "unknown hook event 'x' (did you mean 'y'?)", or the known names. */
static int unknown_name(struct parse *p, const yaml_node_t *n,
			const char *what, const char *word,
			const char *const *names)
{
	const char *best = closest(word, names, NULL);
	struct strbuf sb = STRBUF_INIT;

	if (best) {
		error_node(p, n, "unknown %s '%s' (did you mean '%s'?)", what,
			   word, best);
	} else {
		join_names(&sb, names);
		error_node(p, n, "unknown %s '%s' (known: %s)", what, word,
			   sb_str(&sb));
	}
	sb_release(&sb);
	return -1;
}

static int get_bool(struct parse *p, const yaml_node_t *n, const char *key,
		    int *out)
{
	int b = bool_value(n);

	if (b < 0)
		return error_node(p, n, "'%s' must be true or false", key);
	*out = b;
	return 0;
}

static int get_string(struct parse *p, const yaml_node_t *n, const char *what,
		      int allow_empty, char **out)
{
	if (!is_string(n))
		return error_node(p, n, "%s must be a string", what);
	if (!allow_empty && !*scalar(n))
		return error_node(p, n, "%s must not be empty", what);
	free(*out);
	*out = xstrdup(scalar(n));
	return 0;
}

int rb_config_valid_name(const char *s)
{
	if (!*s || *s == '-' || strlen(s) > 255)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-')
			return 0;
	return 1;
}

/* An unquoted Erlang atom, as mix and rebar3 require of app names. */
static int valid_app_name(const char *s)
{
	if (!islower((unsigned char)*s))
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '@')
			return 0;
	return 1;
}

static int valid_command_name(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) &&
		    *s != '_' && *s != '-')
			return 0;
	return 1;
}

/* The version names a directory: releases/<vsn>/. */
static int valid_version(const char *s)
{
	if (!*s || !strcmp(s, ".") || !strcmp(s, ".."))
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f || *s == '/' ||
		    *s == '\\')
			return 0;
	return 1;
}

/* A path inside the release: relative, without "..". */
static int valid_target(const char *s)
{
	const char *c = s;

	if (!*s || *s == '/')
		return 0;
	while (*c) {
		size_t n = strcspn(c, "/");

		if (n == 2 && c[0] == '.' && c[1] == '.')
			return 0;
		c += n;
		if (*c == '/')
			c++;
	}
	return 1;
}

/* Whether a release path is tmp/ or below it ("./" components aside). */
static int under_tmp(const char *s)
{
	while (s[0] == '.' && s[1] == '/')
		s += 2 + strspn(s + 2, "/");
	return !strncmp(s, "tmp", 3) && (s[3] == '\0' || s[3] == '/');
}

/*
 * Replace ${VAR} and ${VAR:-default} (default also when VAR is empty)
 * from the process environment.  With out NULL, only check the syntax.
 */
static int expand_vars(const char *s, struct strbuf *out)
{
	while (*s) {
		const char *name, *q, *def = NULL;
		size_t dlen = 0;

		if (s[0] != '$' || s[1] != '{') {
			if (out)
				sb_addc(out, *s);
			s++;
			continue;
		}
		name = q = s + 2;
		if (!isalpha((unsigned char)*q) && *q != '_')
			return -1;
		while (isalnum((unsigned char)*q) || *q == '_')
			q++;
		if (q[0] == ':' && q[1] == '-') {
			def = q + 2;
			q = strchr(def, '}');
			if (!q)
				return -1;
			dlen = (size_t)(q - def);
		} else if (*q != '}') {
			return -1;
		}
		if (out) {
			char *var = xstrndup(name, (size_t)(strcspn(name, ":}")));
			const char *val = getenv(var);

			free(var);
			if (val && *val)
				sb_adds(out, val);
			else if (def)
				sb_add(out, def, dlen);
		}
		s = q + 1;
	}
	return 0;
}

static void settings_init(struct rb_settings *s)
{
	memset(s, 0, sizeof(*s));
	s->dev_mode = RB_UNSET;
	s->include_erts = RB_UNSET;
	s->include_src = RB_UNSET;
	s->executable = RB_UNSET;
	s->strip_debug_info = RB_UNSET;
	s->tar = RB_UNSET;
	s->compression = RB_UNSET;
	s->undefined_calls = RB_UNSET;
	s->systemd = RB_UNSET;
}

static void named_free(struct rb_named_path *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].path);
	}
	free(v);
}

static void overlays_free(struct rb_overlay *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].from);
		free(v[i].to);
	}
	free(v);
}

static void apps_free(struct rb_app_ref *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}

static void settings_release(struct rb_settings *s)
{
	free(s->erts_path);
	free(s->cookie);
	free(s->vm_args);
	free(s->remote_vm_args);
	free(s->env_sh);
	free(s->sys_config);
	free(s->output_dir);
	strvec_clear(&s->lib_dirs);
	strvec_clear(&s->no_warn_undefined);
	strvec_clear(&s->follow_links_under);
	named_free(s->hooks, s->nr_hooks);
	named_free(s->commands, s->nr_commands);
	overlays_free(s->overlays, s->nr_overlays);
	free(s->systemd_root);
	free(s->systemd_user);
	free(s->systemd_group);
	settings_init(s);
}

static int parse_include_erts(struct parse *p, const yaml_node_t *v,
			      struct rb_settings *s)
{
	int b = bool_value(v);

	if (b >= 0) {
		s->include_erts = b;
		return 0;
	}
	if (!is_string(v) || !*scalar(v))
		return error_node(p, v,
			"'include_erts' must be true, false or a path");
	s->include_erts = 1;
	s->erts_path = xstrdup(scalar(v));
	return 0;
}

static int parse_tar(struct parse *p, const yaml_node_t *v,
		     struct rb_settings *s)
{
	int b = bool_value(v);

	if (b >= 0) {
		s->tar = b;
		return 0;
	}
	if (!is_map(v))
		return error_node(p, v,
			"'tar' must be false or a map such as { compression: gzip }");
	if (check_map(p, v, "'tar'"))
		return -1;
	for (yaml_node_pair_t *pr = v->data.mapping.pairs.start;
	     pr < v->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = node_at(p, pr->key), *c = node_at(p, pr->value);
		int i;

		if (strcmp(scalar(k), "compression"))
			return unknown_key(p, k, tar_keys, NULL);
		if (!is_string(c))
			return error_node(p, c,
				"'compression' must be gzip, zstd or none");
		/* A plain "none" would be fine, but "no" is a boolean. */
		i = in_list(scalar(c), compressions);
		if (i < 0)
			return unknown_name(p, c, "compression", scalar(c),
					    compressions);
		s->compression = i;
	}
	s->tar = 1;
	return 0;
}

/*
 * systemd: true, false, or a map of root, user and group (a map turns
 * it on).  The values go into the unit unquoted: checked here, at
 * their line.
 */
static int parse_systemd(struct parse *p, const yaml_node_t *v,
			 struct rb_settings *s)
{
	int b = bool_value(v);

	if (b >= 0) {
		s->systemd = b;
		return 0;
	}
	if (!is_map(v))
		return error_node(p, v,
			"'systemd' must be true, false or a map such as { root: /opt/NAME, user: NAME }");
	if (check_map(p, v, "'systemd'"))
		return -1;
	for (yaml_node_pair_t *pr = v->data.mapping.pairs.start;
	     pr < v->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = node_at(p, pr->key), *c = node_at(p, pr->value);
		const char *key = scalar(k);
		char what[32];
		char **out;

		if (!strcmp(key, "root"))
			out = &s->systemd_root;
		else if (!strcmp(key, "user"))
			out = &s->systemd_user;
		else if (!strcmp(key, "group"))
			out = &s->systemd_group;
		else
			return unknown_key(p, k, systemd_keys, NULL);
		snprintf(what, sizeof(what), "'%s' in 'systemd'", key);
		if (get_string(p, c, what, 0, out))
			return -1;
		if (out == &s->systemd_root && !rb_systemd_valid_root(*out))
			return error_node(p, c,
				"invalid 'root' in 'systemd': '%s' (an absolute path of letters, digits and '/._-+@', without '.' or '..' components)",
				*out);
		if (out != &s->systemd_root && !rb_systemd_valid_user(*out))
			return error_node(p, c,
				"invalid '%s' in 'systemd': '%s' (a letter or '_', then letters, digits, '_' or '-', at most 31)",
				key, *out);
	}
	s->systemd = 1;
	return 0;
}

/* A list of strings (lib_dirs, no_warn_undefined, follow_links_under). */
static int parse_strings(struct parse *p, const yaml_node_t *v,
			 const char *key, struct strvec *out, int *given)
{
	char *what = xasprintf("'%s'", key);
	char *each = xasprintf("each entry of '%s'", key);
	int ret = -1;

	if (check_seq(p, v, what))
		goto out;
	for (yaml_node_item_t *it = v->data.sequence.items.start;
	     it < v->data.sequence.items.top; it++) {
		char *str = NULL;

		if (get_string(p, node_at(p, *it), each, 0, &str))
			goto out;
		strvec_push(out, str);
		free(str);
	}
	*given = 1;
	ret = 0;
out:
	free(what);
	free(each);
	return ret;
}

static int parse_hooks(struct parse *p, const yaml_node_t *v,
		       struct rb_settings *s)
{
	char what[256];

	if (check_map(p, v, "'hooks'"))
		return -1;
	s->hooks = xcalloc(map_len(v), sizeof(*s->hooks));
	for (yaml_node_pair_t *pr = v->data.mapping.pairs.start;
	     pr < v->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = node_at(p, pr->key), *d = node_at(p, pr->value);
		struct rb_named_path *h = &s->hooks[s->nr_hooks];

		if (in_list(scalar(k), rb_hook_events) < 0)
			return unknown_name(p, k, "hook event", scalar(k),
					    rb_hook_events);
		snprintf(what, sizeof(what), "hook '%s'", scalar(k));
		if (get_string(p, d, what, 0, &h->path))
			return -1;
		h->name = xstrdup(scalar(k));
		s->nr_hooks++;
	}
	s->has_hooks = 1;
	return 0;
}

static int parse_commands(struct parse *p, const yaml_node_t *v,
			  struct rb_settings *s)
{
	char what[256];

	if (check_map(p, v, "'commands'"))
		return -1;
	s->commands = xcalloc(map_len(v), sizeof(*s->commands));
	for (yaml_node_pair_t *pr = v->data.mapping.pairs.start;
	     pr < v->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = node_at(p, pr->key), *d = node_at(p, pr->value);
		struct rb_named_path *c = &s->commands[s->nr_commands];
		const char *name = scalar(k);

		if (!valid_command_name(name))
			return error_node(p, k,
				"invalid command name '%s' (use a-z, 0-9, '_' and '-')",
				name);
		if (in_list(name, rb_builtin_commands) >= 0)
			return error_node(p, k,
				"command '%s' clashes with the built-in command of that name",
				name);
		snprintf(what, sizeof(what), "command '%s'", name);
		if (get_string(p, d, what, 0, &c->path))
			return -1;
		c->name = xstrdup(name);
		s->nr_commands++;
	}
	s->has_commands = 1;
	return 0;
}

static int parse_target(struct parse *p, const yaml_node_t *n,
			const char *what, char **out)
{
	if (get_string(p, n, what, 0, out))
		return -1;
	if (!valid_target(*out))
		return error_node(p, n,
			"%s '%s' must be a relative path inside the release",
			what, *out);
	if (under_tmp(*out))
		return error_node(p, n,
			"%s '%s' is under tmp/, the control script's scratch "
			"directory, which no release ships", what, *out);
	return 0;
}

static int parse_overlay(struct parse *p, const yaml_node_t *item,
			 struct rb_overlay *o)
{
	yaml_node_t *k, *v;
	char what[64];
	int kind;

	if (!is_map(item) || map_len(item) != 1)
		return error_node(p, item,
			"each overlay must be a map with one key: mkdir, copy or template");
	if (check_map(p, item, "an overlay"))
		return -1;
	k = node_at(p, item->data.mapping.pairs.start->key);
	v = node_at(p, item->data.mapping.pairs.start->value);
	kind = in_list(scalar(k), overlay_kinds);
	if (kind < 0)
		return unknown_name(p, k, "overlay kind", scalar(k),
				    overlay_kinds);
	o->kind = kind;
	if (o->kind == RB_OVERLAY_MKDIR)
		return parse_target(p, v, "'mkdir'", &o->to);

	snprintf(what, sizeof(what), "overlay '%s'", scalar(k));
	if (!is_map(v))
		return error_node(p, v, "%s must be a map { from: ..., to: ... }",
				  what);
	if (check_map(p, v, what))
		return -1;
	for (yaml_node_pair_t *pr = v->data.mapping.pairs.start;
	     pr < v->data.mapping.pairs.top; pr++) {
		yaml_node_t *fk = node_at(p, pr->key), *fv = node_at(p, pr->value);

		if (!strcmp(scalar(fk), "from")) {
			if (get_string(p, fv, "'from'", 0, &o->from))
				return -1;
		} else if (!strcmp(scalar(fk), "to")) {
			if (parse_target(p, fv, "'to'", &o->to))
				return -1;
		} else {
			return unknown_key(p, fk, overlay_keys, NULL);
		}
	}
	if (!o->from)
		return error_node(p, v, "%s has no 'from'", what);
	if (!o->to)
		return error_node(p, v, "%s has no 'to'", what);
	return 0;
}

static int parse_overlays(struct parse *p, const yaml_node_t *v,
			  struct rb_settings *s)
{
	if (check_seq(p, v, "'overlays'"))
		return -1;
	s->overlays = xcalloc(seq_len(v), sizeof(*s->overlays));
	for (yaml_node_item_t *it = v->data.sequence.items.start;
	     it < v->data.sequence.items.top; it++) {
		/* Counted first: a half-filled overlay is freed too. */
		struct rb_overlay *o = &s->overlays[s->nr_overlays++];

		if (parse_overlay(p, node_at(p, *it), o))
			return -1;
	}
	s->has_overlays = 1;
	return 0;
}

static int parse_undefined_calls(struct parse *p, const yaml_node_t *v,
				 struct rb_settings *s)
{
	int i;

	if (!is_string(v))
		return error_node(p, v,
			"'undefined_calls' must be warn, error or ignore");
	i = in_list(scalar(v), undefined_calls_modes);
	if (i < 0)
		return unknown_name(p, v, "undefined_calls mode", scalar(v),
				    undefined_calls_modes);
	s->undefined_calls = i;
	return 0;
}

/* 1 when key is a setting and was parsed, 0 when it is not one. */
static int parse_setting(struct parse *p, const char *key,
			 const yaml_node_t *v, struct rb_settings *s)
{
	char what[64];
	int ret;

	snprintf(what, sizeof(what), "'%s'", key);
	if (!strcmp(key, "dev_mode"))
		ret = get_bool(p, v, key, &s->dev_mode);
	else if (!strcmp(key, "include_erts"))
		ret = parse_include_erts(p, v, s);
	else if (!strcmp(key, "include_src"))
		ret = get_bool(p, v, key, &s->include_src);
	else if (!strcmp(key, "executable"))
		ret = get_bool(p, v, key, &s->executable);
	else if (!strcmp(key, "strip_debug_info"))
		ret = get_bool(p, v, key, &s->strip_debug_info);
	else if (!strcmp(key, "tar"))
		ret = parse_tar(p, v, s);
	else if (!strcmp(key, "cookie")) {
		ret = get_string(p, v, what, 1, &s->cookie);
		if (!ret && expand_vars(s->cookie, NULL))
			ret = error_node(p, v,
				"bad variable reference in 'cookie' (use ${VAR} or ${VAR:-default})");
		for (const char *c = s->cookie; !ret && c && *c; c++)
			if ((unsigned char)*c < ' ' || *c == 0x7f)
				ret = error_node(p, v,
					"'cookie' holds a control character");
	} else if (!strcmp(key, "vm_args"))
		ret = get_string(p, v, what, 0, &s->vm_args);
	else if (!strcmp(key, "remote_vm_args"))
		ret = get_string(p, v, what, 0, &s->remote_vm_args);
	else if (!strcmp(key, "env_sh"))
		ret = get_string(p, v, what, 0, &s->env_sh);
	else if (!strcmp(key, "sys_config"))
		ret = get_string(p, v, what, 0, &s->sys_config);
	else if (!strcmp(key, "output_dir"))
		ret = get_string(p, v, what, 0, &s->output_dir);
	else if (!strcmp(key, "lib_dirs"))
		ret = parse_strings(p, v, key, &s->lib_dirs, &s->has_lib_dirs);
	else if (!strcmp(key, "follow_links_under"))
		ret = parse_strings(p, v, key, &s->follow_links_under,
				    &s->has_follow_links_under);
	else if (!strcmp(key, "hooks"))
		ret = parse_hooks(p, v, s);
	else if (!strcmp(key, "commands"))
		ret = parse_commands(p, v, s);
	else if (!strcmp(key, "overlays"))
		ret = parse_overlays(p, v, s);
	else if (!strcmp(key, "undefined_calls"))
		ret = parse_undefined_calls(p, v, s);
	else if (!strcmp(key, "no_warn_undefined"))
		ret = parse_strings(p, v, key, &s->no_warn_undefined,
				    &s->has_no_warn_undefined);
	else if (!strcmp(key, "systemd"))
		ret = parse_systemd(p, v, s);
	else
		return 0;
	return ret < 0 ? -1 : 1;
}

static int parse_version(struct parse *p, const yaml_node_t *v,
			 struct rb_release_config *r)
{
	if (is_string(v)) {
		if (strlen(scalar(v)) > 255)
			return error_node(p, v,
				"the version is %zu bytes long: at most 255 (it names releases/<vsn>/)",
				strlen(scalar(v)));
		if (!valid_version(scalar(v)))
			return error_node(p, v, "invalid version '%s'",
					  scalar(v));
		r->version = xstrdup(scalar(v));
		return 0;
	}
	if (!is_map(v))
		return error_node(p, v,
			"'version' must be a string or { from_app: NAME }");
	if (check_map(p, v, "'version'"))
		return -1;
	for (yaml_node_pair_t *pr = v->data.mapping.pairs.start;
	     pr < v->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = node_at(p, pr->key), *a = node_at(p, pr->value);

		if (strcmp(scalar(k), "from_app"))
			return unknown_key(p, k, version_keys, NULL);
		if (get_string(p, a, "'from_app'", 0, &r->version_from_app))
			return -1;
		if (!valid_app_name(r->version_from_app))
			return error_node(p, a, "invalid application name '%s'",
					  r->version_from_app);
	}
	if (!r->version_from_app)
		return error_node(p, v, "'version' has no 'from_app'");
	return 0;
}

static int parse_app(struct parse *p, const yaml_node_t *item,
		     struct rb_app_ref *a)
{
	const yaml_node_t *name = item, *type;
	int t;

	if (is_map(item) && map_len(item) == 1) {
		if (check_map(p, item, "an application"))
			return -1;
		name = node_at(p, item->data.mapping.pairs.start->key);
	} else if (!is_string(item)) {
		return error_node(p, item,
			"each application must be a name or 'name: start_type'");
	}
	if (!valid_app_name(scalar(name)))
		return error_node(p, name, "invalid application name '%s'",
				  scalar(name));
	a->name = xstrdup(scalar(name));
	a->line = (int)name->start_mark.line + 1;
	a->col = (int)name->start_mark.column + 1;
	if (name == item)
		return 0;

	type = node_at(p, item->data.mapping.pairs.start->value);
	if (!is_string(type))
		return error_node(p, type,
			"the start type of '%s' must be one of permanent, transient, temporary, load, none",
			a->name);
	t = in_list(scalar(type), start_types);
	if (t < 0)
		return unknown_name(p, type, "start type", scalar(type),
				    start_types);
	a->type = t;
	a->has_type = 1;
	return 0;
}

static int parse_apps(struct parse *p, const yaml_node_t *v,
		      struct rb_release_config *r)
{
	if (check_seq(p, v, "'applications'"))
		return -1;
	r->apps = xcalloc(seq_len(v), sizeof(*r->apps));
	for (yaml_node_item_t *it = v->data.sequence.items.start;
	     it < v->data.sequence.items.top; it++) {
		yaml_node_t *item = node_at(p, *it);
		/* Counted first: a half-filled entry is freed too. */
		struct rb_app_ref *a = &r->apps[r->nr_apps++];

		if (parse_app(p, item, a))
			return -1;
		for (size_t i = 0; i + 1 < r->nr_apps; i++)
			if (!strcmp(r->apps[i].name, a->name))
				return error_node(p, item,
					"application '%s' is listed twice",
					a->name);
	}
	return 0;
}

static int parse_release(struct parse *p, const yaml_node_t *k,
			 const yaml_node_t *v, struct rb_release_config *r)
{
	char what[256];

	snprintf(what, sizeof(what), "release '%s'", r->name);
	if (!is_null(v)) {
		if (check_map(p, v, what))
			return -1;
		for (yaml_node_pair_t *pr = v->data.mapping.pairs.start;
		     pr < v->data.mapping.pairs.top; pr++) {
			yaml_node_t *key = node_at(p, pr->key);
			yaml_node_t *val = node_at(p, pr->value);
			const char *name = scalar(key);
			int ret;

			if (!strcmp(name, "version"))
				ret = parse_version(p, val, r);
			else if (!strcmp(name, "applications"))
				ret = parse_apps(p, val, r);
			else if ((ret = parse_setting(p, name, val,
						      &r->settings)) == 0)
				ret = unknown_key(p, key, settings_keys,
						  release_keys);
			if (ret < 0)
				return -1;
		}
	}
	if (!r->version && !r->version_from_app)
		return error_node(p, k, "release '%s' has no version", r->name);
	return 0;
}

static int parse_env(struct parse *p, const yaml_node_t *v,
		     struct rb_env_config *e)
{
	char what[256];

	if (is_null(v))
		return 0;
	snprintf(what, sizeof(what), "environment '%s'", e->name);
	if (check_map(p, v, what))
		return -1;
	for (yaml_node_pair_t *pr = v->data.mapping.pairs.start;
	     pr < v->data.mapping.pairs.top; pr++) {
		yaml_node_t *key = node_at(p, pr->key);
		const char *name = scalar(key);
		int ret = parse_setting(p, name, node_at(p, pr->value),
					&e->settings);

		if (ret < 0)
			return -1;
		if (ret)
			continue;
		if (in_list(name, release_keys) >= 0)
			return error_node(p, key,
				"'%s' is only allowed in a release", name);
		return unknown_key(p, key, settings_keys, NULL);
	}
	return 0;
}

static int parse_envs(struct parse *p, const yaml_node_t *v,
		      struct rb_config *cfg)
{
	if (is_null(v))
		return 0;
	if (check_map(p, v, "'environments'"))
		return -1;
	cfg->envs = xcalloc(map_len(v), sizeof(*cfg->envs));
	for (yaml_node_pair_t *pr = v->data.mapping.pairs.start;
	     pr < v->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = node_at(p, pr->key);
		struct rb_env_config *e = &cfg->envs[cfg->nr_envs++];

		settings_init(&e->settings);
		if (!rb_config_valid_name(scalar(k)))
			return error_node(p, k,
				"invalid environment name '%s' (use letters, digits, '_' and '-')",
				scalar(k));
		e->name = xstrdup(scalar(k));
		if (parse_env(p, node_at(p, pr->value), e))
			return -1;
	}
	return 0;
}

static int parse_releases(struct parse *p, const yaml_node_t *v,
			  struct rb_config *cfg)
{
	if (is_null(v))
		return 0;
	if (check_map(p, v, "'releases'"))
		return -1;
	cfg->releases = xcalloc(map_len(v), sizeof(*cfg->releases));
	for (yaml_node_pair_t *pr = v->data.mapping.pairs.start;
	     pr < v->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = node_at(p, pr->key);
		struct rb_release_config *r =
			&cfg->releases[cfg->nr_releases++];

		settings_init(&r->settings);
		if (!rb_config_valid_name(scalar(k)))
			return error_node(p, k,
				"invalid release name '%s' (use letters, digits, '_' and '-')",
				scalar(k));
		r->name = xstrdup(scalar(k));
		if (parse_release(p, k, node_at(p, pr->value), r))
			return -1;
	}
	return 0;
}

static const struct rb_release_config *
find_release(const struct rb_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nr_releases; i++)
		if (!strcmp(cfg->releases[i].name, name))
			return &cfg->releases[i];
	return NULL;
}

static const struct rb_env_config *find_env(const struct rb_config *cfg,
					    const char *name)
{
	for (size_t i = 0; i < cfg->nr_envs; i++)
		if (!strcmp(cfg->envs[i].name, name))
			return &cfg->envs[i];
	return NULL;
}

static void release_names(const struct rb_config *cfg, struct strvec *sv)
{
	for (size_t i = 0; i < cfg->nr_releases; i++)
		strvec_push(sv, cfg->releases[i].name);
}

static void env_names(const struct rb_config *cfg, struct strvec *sv)
{
	for (size_t i = 0; i < cfg->nr_envs; i++)
		strvec_push(sv, cfg->envs[i].name);
}

/* default_release and default_environment must name what exists. */
static int check_default(struct parse *p, const yaml_node_t *n,
			 const char *key, const char *what,
			 const struct strvec *names)
{
	struct strbuf sb = STRBUF_INIT;
	const char *best;

	if (strvec_contains(names, scalar(n)))
		return 0;
	best = names->nr ? closest(scalar(n), (const char *const *)names->v,
				   NULL) : NULL;
	if (best) {
		sb_addf(&sb, "did you mean '%s'?", best);
	} else if (names->nr) {
		sb_adds(&sb, "known: ");
		join_names(&sb, (const char *const *)names->v);
	} else {
		sb_adds(&sb, "none is defined");
	}
	error_node(p, n, "%s '%s' is not a known %s (%s)", key, scalar(n),
		   what, sb_str(&sb));
	sb_release(&sb);
	return -1;
}

static int parse_top(struct parse *p, const yaml_node_t *root,
		     struct rb_config *cfg)
{
	const yaml_node_t *def_rel = NULL, *def_env = NULL, *rels = NULL;
	struct strvec names = STRVEC_INIT;
	int ret = -1;

	if (!is_map(root)) {
		ret = error_node(p, root,
			"the config must be a map with 'releases' and 'environments'");
		goto out;
	}
	if (check_map(p, root, "the config"))
		goto out;
	for (yaml_node_pair_t *pr = root->data.mapping.pairs.start;
	     pr < root->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = node_at(p, pr->key), *v = node_at(p, pr->value);
		const char *key = scalar(k);

		if (!strcmp(key, "default_release")) {
			if (get_string(p, v, "'default_release'", 0,
				       &cfg->default_release))
				goto out;
			def_rel = v;
		} else if (!strcmp(key, "default_environment")) {
			if (get_string(p, v, "'default_environment'", 0,
				       &cfg->default_environment))
				goto out;
			def_env = v;
		} else if (!strcmp(key, "environments")) {
			if (parse_envs(p, v, cfg))
				goto out;
		} else if (!strcmp(key, "releases")) {
			if (parse_releases(p, v, cfg))
				goto out;
			rels = k;
		} else if (in_list(key, settings_keys) >= 0 ||
			   in_list(key, release_keys) >= 0) {
			error_node(p, k,
				"'%s' belongs in a release or an environment, not at the top level",
				key);
			goto out;
		} else {
			unknown_key(p, k, top_keys, NULL);
			goto out;
		}
	}
	if (!cfg->nr_releases) {
		error_node(p, rels ? rels : root,
			   "no releases: define one under 'releases'");
		goto out;
	}
	if (def_rel) {
		release_names(cfg, &names);
		if (check_default(p, def_rel, "default_release", "release",
				  &names))
			goto out;
		strvec_clear(&names);
	}
	if (def_env) {
		env_names(cfg, &names);
		if (check_default(p, def_env, "default_environment",
				  "environment", &names))
			goto out;
	}
	ret = 0;
out:
	strvec_clear(&names);
	return ret;
}

/* The libyaml error, at its mark (or at the offset for reader errors). */
static int yaml_problem(struct parse *p, const yaml_parser_t *parser,
			const char *text, size_t len)
{
	const char *problem = parser->problem ? parser->problem : "bad YAML";
	size_t line = parser->problem_mark.line;
	size_t col = parser->problem_mark.column;

	if (parser->error == YAML_MEMORY_ERROR)
		return rb_error(p->err, RB_ECONFIG, "%s: out of memory",
				p->path);
	if (parser->error == YAML_READER_ERROR) {
		line = col = 0;
		for (size_t i = 0; i < parser->problem_offset && i < len; i++) {
			if (text[i] == '\n') {
				line++;
				col = 0;
			} else if (((unsigned char)text[i] & 0xc0) != 0x80) {
				col++;
			}
		}
		return error_mark(p, (yaml_mark_t){ 0, line, col },
				  "%s", problem);
	}
	if (parser->context)
		return error_mark(p, (yaml_mark_t){ 0, line, col },
				  "%s (%s at %zu:%zu)", problem,
				  parser->context,
				  parser->context_mark.line + 1,
				  parser->context_mark.column + 1);
	return error_mark(p, (yaml_mark_t){ 0, line, col }, "%s", problem);
}

int rb_config_parse(struct rb_config *cfg, const char *path, const char *text,
		    size_t len, struct rb_error *err)
{
	struct parse p = { path, NULL, err };
	yaml_parser_t parser;
	yaml_document_t doc, extra;
	int have_parser = 0, have_doc = 0, have_extra = 0, ret = -1;
	size_t nodes = 0;
	yaml_node_t *root;

	memset(cfg, 0, sizeof(*cfg));
	cfg->path = xstrdup(path);
	if (!yaml_parser_initialize(&parser)) {
		ret = rb_error(err, RB_ECONFIG, "%s: out of memory", path);
		goto out;
	}
	have_parser = 1;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (check_depth(&p, text, len))
		goto out;
	if (!yaml_parser_load(&parser, &doc)) {
		yaml_problem(&p, &parser, text, len);
		goto out;
	}
	have_doc = 1;
	p.doc = &doc;
	root = yaml_document_get_root_node(&doc);
	if (!root || is_null(root)) {
		error_mark(&p, (yaml_mark_t){ 0, 0, 0 },
			   "the config is empty (expected 'releases')");
		goto out;
	}
	if (!yaml_parser_load(&parser, &extra)) {
		yaml_problem(&p, &parser, text, len);
		goto out;
	}
	have_extra = 1;
	if (yaml_document_get_root_node(&extra)) {
		error_mark(&p, extra.start_mark,
			   "only one YAML document is allowed");
		goto out;
	}
	if (count_nodes(&p, root, 0, &nodes) || parse_top(&p, root, cfg))
		goto out;
	ret = 0;
out:
	if (have_extra)
		yaml_document_delete(&extra);
	if (have_doc)
		yaml_document_delete(&doc);
	if (have_parser)
		yaml_parser_delete(&parser);
	if (ret) {
		/* Nothing half-parsed escapes, but the path stays for messages. */
		char *keep = cfg->path;

		cfg->path = NULL;
		rb_config_release(cfg);
		cfg->path = keep;
	}
	return ret;
}

int rb_config_load(struct rb_config *cfg, const char *path,
		   struct rb_error *err)
{
	char *text = NULL;
	size_t len = 0;
	int ret;

	memset(cfg, 0, sizeof(*cfg));
	if (read_file(path, &text, &len, err)) {
		cfg->path = xstrdup(path);
		if (err)
			err->code = RB_ECONFIG;
		return -1;
	}
	ret = rb_config_parse(cfg, path, text, len, err);
	free(text);
	return ret;
}

void rb_config_release(struct rb_config *cfg)
{
	for (size_t i = 0; i < cfg->nr_envs; i++) {
		free(cfg->envs[i].name);
		settings_release(&cfg->envs[i].settings);
	}
	free(cfg->envs);
	for (size_t i = 0; i < cfg->nr_releases; i++) {
		struct rb_release_config *r = &cfg->releases[i];

		free(r->name);
		free(r->version);
		free(r->version_from_app);
		apps_free(r->apps, r->nr_apps);
		settings_release(&r->settings);
	}
	free(cfg->releases);
	free(cfg->path);
	free(cfg->default_release);
	free(cfg->default_environment);
	memset(cfg, 0, sizeof(*cfg));
}

static char *xstrdup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static struct rb_named_path *dup_named(const struct rb_named_path *v,
				       size_t n)
{
	struct rb_named_path *r = xcalloc(n, sizeof(*r));

	for (size_t i = 0; i < n; i++) {
		r[i].name = xstrdup(v[i].name);
		r[i].path = xstrdup(v[i].path);
	}
	return r;
}

static int pick(int env, int rel, int def)
{
	if (env != RB_UNSET)
		return env;
	if (rel != RB_UNSET)
		return rel;
	return def;
}

static const char *pick_str(const char *env, const char *rel)
{
	return env ? env : rel;
}

static void merge(struct rb_plan *plan, const struct rb_settings *r,
		  const struct rb_settings *e)
{
	const struct rb_settings *s;

	plan->dev_mode = pick(e->dev_mode, r->dev_mode, 0);
	/* A path and a boolean are one setting: take both from one side. */
	s = e->include_erts != RB_UNSET ? e : r;
	plan->include_erts = s->include_erts != RB_UNSET ? s->include_erts : 1;
	plan->erts_path = xstrdup_or_null(s->erts_path);
	plan->include_src = pick(e->include_src, r->include_src, 0);
	plan->executable = pick(e->executable, r->executable, 0);
	/* On, as mix release strips: debug info triples a tarball's size. */
	plan->strip_debug_info = pick(e->strip_debug_info,
				      r->strip_debug_info, 1);
	plan->tar = pick(e->tar, r->tar, 1);
	if (plan->dev_mode)
		plan->tar = 0;
	plan->compression = pick(e->compression, r->compression,
				 RB_COMPRESS_GZIP);
	plan->undefined_calls = pick(e->undefined_calls, r->undefined_calls,
				     RB_UNDEFINED_WARN);
	plan->vm_args = xstrdup_or_null(pick_str(e->vm_args, r->vm_args));
	plan->remote_vm_args = xstrdup_or_null(pick_str(e->remote_vm_args,
							r->remote_vm_args));
	plan->env_sh = xstrdup_or_null(pick_str(e->env_sh, r->env_sh));
	plan->sys_config = xstrdup_or_null(pick_str(e->sys_config,
						    r->sys_config));
	plan->output_dir = xstrdup_or_null(pick_str(e->output_dir,
						    r->output_dir));

	s = e->has_lib_dirs ? e : r;
	for (size_t i = 0; i < s->lib_dirs.nr; i++)
		strvec_push(&plan->lib_dirs, s->lib_dirs.v[i]);
	s = e->has_no_warn_undefined ? e : r;
	for (size_t i = 0; i < s->no_warn_undefined.nr; i++)
		strvec_push(&plan->no_warn_undefined, s->no_warn_undefined.v[i]);
	s = e->has_follow_links_under ? e : r;
	for (size_t i = 0; i < s->follow_links_under.nr; i++)
		strvec_push(&plan->follow_links_under, s->follow_links_under.v[i]);
	s = e->has_hooks ? e : r;
	plan->hooks = dup_named(s->hooks, s->nr_hooks);
	plan->nr_hooks = s->nr_hooks;
	s = e->has_commands ? e : r;
	plan->commands = dup_named(s->commands, s->nr_commands);
	plan->nr_commands = s->nr_commands;
	s = e->has_overlays ? e : r;
	plan->overlays = xcalloc(s->nr_overlays, sizeof(*plan->overlays));
	for (size_t i = 0; i < s->nr_overlays; i++) {
		plan->overlays[i].kind = s->overlays[i].kind;
		plan->overlays[i].from = xstrdup_or_null(s->overlays[i].from);
		plan->overlays[i].to = xstrdup(s->overlays[i].to);
	}
	plan->nr_overlays = s->nr_overlays;
	plan->systemd = pick(e->systemd, r->systemd, 0);
	plan->systemd_root = xstrdup_or_null(pick_str(e->systemd_root,
						      r->systemd_root));
	plan->systemd_user = xstrdup_or_null(pick_str(e->systemd_user,
						      r->systemd_user));
	plan->systemd_group = xstrdup_or_null(pick_str(e->systemd_group,
						       r->systemd_group));
}

int rb_plan_systemd_defaults(struct rb_plan *plan, const char *path,
			     struct rb_error *err)
{
	if (!plan->systemd_root)
		plan->systemd_root = rb_systemd_default_root(plan->release);
	if (!plan->systemd_user) {
		if (!rb_systemd_valid_user(plan->release))
			return rb_error(err, RB_ECONFIG,
				"%s: 'systemd' needs a 'user': the release name '%s' is not a valid user name",
				path, plan->release);
		plan->systemd_user = xstrdup(plan->release);
	}
	if (!plan->systemd_group)
		plan->systemd_group = xstrdup(plan->systemd_user);
	/* what the unit's own rules refuse (a release name too long) */
	{
		struct rb_systemd_unit u = {
			plan->release, plan->systemd_root, plan->systemd_user,
			plan->systemd_group,
		};
		struct rb_error e = { 0 };
		char *text;

		if (rb_systemd_render(&u, &text, &e) < 0)
			return rb_error(err, RB_ECONFIG, "%s: %s", path, e.msg);
		free(text);
	}
	return 0;
}

static int resolve_cookie(const struct rb_config *cfg, const char *cookie,
			  struct rb_plan *plan, struct rb_error *err)
{
	struct strbuf sb = STRBUF_INIT;
	int ret = -1;

	if (!cookie)
		return 0;
	if (expand_vars(cookie, &sb)) {
		rb_error(err, RB_ECONFIG,
			 "%s: bad variable reference in 'cookie'", cfg->path);
		goto out;
	}
	for (size_t i = 0; i < sb.len; i++) {
		unsigned char c = (unsigned char)sb.buf[i];

		if (c <= ' ' || c == 0x7f) {
			rb_error(err, RB_ECONFIG,
				 "%s: 'cookie' holds a space or control character once expanded",
				 cfg->path);
			goto out;
		}
	}
	if (sb.len)
		plan->cookie = sb_detach(&sb);
	ret = 0;
out:
	if (sb.buf)
		explicit_bzero(sb.buf, sb.alloc);
	sb_release(&sb);
	return ret;
}

static int unknown_in_config(const struct rb_config *cfg, const char *what,
			     const char *name, const struct strvec *known,
			     struct rb_error *err)
{
	struct strbuf sb = STRBUF_INIT;

	if (known->nr)
		join_names(&sb, (const char *const *)known->v);
	rb_error(err, RB_ECONFIG, "%s: unknown %s '%s' (known: %s)", cfg->path,
		 what, name, known->nr ? sb_str(&sb) : "none");
	sb_release(&sb);
	if (err)
		one_line(err->msg);
	return -1;
}

int rb_config_resolve(const struct rb_config *cfg, const char *release,
		      const char *env, struct rb_plan *plan,
		      struct rb_error *err)
{
	const struct rb_release_config *r = NULL;
	const struct rb_env_config *e = NULL;
	struct rb_settings none;
	struct strvec names = STRVEC_INIT;
	struct strbuf sb = STRBUF_INIT;
	const char *env_name;
	int ret = -1;

	memset(plan, 0, sizeof(*plan));
	settings_init(&none);
	release_names(cfg, &names);
	if (!release)
		release = cfg->default_release;
	if (!release && cfg->nr_releases == 1)
		release = cfg->releases[0].name;
	if (!release) {
		if (names.nr)
			join_names(&sb, (const char *const *)names.v);
		rb_error(err, RB_ECONFIG,
			 "%s: no default_release: choose one of %s",
			 cfg->path, sb.len ? sb_str(&sb) : "(none)");
		goto out;
	}
	r = find_release(cfg, release);
	if (!r) {
		unknown_in_config(cfg, "release", release, &names, err);
		goto out;
	}

	strvec_clear(&names);
	env_names(cfg, &names);
	if (env) {
		e = find_env(cfg, env);
		if (!e) {
			unknown_in_config(cfg, "environment", env, &names,
					  err);
			goto out;
		}
	} else if (cfg->default_environment) {
		e = find_env(cfg, cfg->default_environment);
		if (!e) {
			unknown_in_config(cfg, "environment",
					  cfg->default_environment, &names,
					  err);
			goto out;
		}
	} else {
		e = find_env(cfg, "prod");
	}
	env_name = e ? e->name : "prod";

	plan->release = xstrdup(r->name);
	plan->env = xstrdup(env_name);
	plan->version = xstrdup_or_null(r->version);
	plan->version_from_app = xstrdup_or_null(r->version_from_app);
	if (r->nr_apps) {
		plan->apps = xcalloc(r->nr_apps, sizeof(*plan->apps));
		for (size_t i = 0; i < r->nr_apps; i++) {
			plan->apps[i] = r->apps[i];
			plan->apps[i].name = xstrdup(r->apps[i].name);
		}
		plan->nr_apps = r->nr_apps;
	} else {
		plan->apps = xcalloc(1, sizeof(*plan->apps));
		plan->apps[0].name = xstrdup(r->name);
		plan->nr_apps = 1;
	}
	merge(plan, &r->settings, e ? &e->settings : &none);
	if (!plan->output_dir)
		plan->output_dir = xasprintf("_build/%s/rel", env_name);
	if (resolve_cookie(cfg, pick_str(e ? e->settings.cookie : NULL,
					 r->settings.cookie), plan, err))
		goto out;
	if (plan->systemd && rb_plan_systemd_defaults(plan, cfg->path, err))
		goto out;
	ret = 0;
out:
	strvec_clear(&names);
	sb_release(&sb);
	if (ret)
		rb_plan_release(plan);
	return ret;
}

void rb_plan_release(struct rb_plan *plan)
{
	free(plan->release);
	free(plan->env);
	free(plan->version);
	free(plan->version_from_app);
	apps_free(plan->apps, plan->nr_apps);
	free(plan->erts_path);
	if (plan->cookie)
		explicit_bzero(plan->cookie, strlen(plan->cookie));
	free(plan->cookie);
	free(plan->vm_args);
	free(plan->remote_vm_args);
	free(plan->env_sh);
	free(plan->sys_config);
	free(plan->output_dir);
	strvec_clear(&plan->lib_dirs);
	strvec_clear(&plan->no_warn_undefined);
	strvec_clear(&plan->follow_links_under);
	named_free(plan->hooks, plan->nr_hooks);
	named_free(plan->commands, plan->nr_commands);
	overlays_free(plan->overlays, plan->nr_overlays);
	free(plan->systemd_root);
	free(plan->systemd_user);
	free(plan->systemd_group);
	memset(plan, 0, sizeof(*plan));
}
