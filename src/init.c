#include "init.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "term.h"
#include "util.h"

static int ident_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

char *rb_mix_app_name(const char *text)
{
	for (const char *p = NULL; (p = rb_mix_keyword(text, p, "app")); p += 4) {
		const char *s = p + 4, *e;

		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == ':' && (islower((unsigned char)s[1]) || s[1] == '_')) {
			for (e = ++s; ident_char(*e); e++)
				;
			return xstrndup(s, (size_t)(e - s));
		}
	}
	return NULL;
}

char *rb_mix_module(const char *text)
{
	const char *p = strstr(text, "defmodule ");
	const char *s, *e;

	if (!p)
		return NULL;
	s = p + strlen("defmodule ");
	while (*s == ' ')
		s++;
	e = strstr(s, ".MixProject");
	if (!e || !isupper((unsigned char)*s))
		return NULL;
	for (const char *c = s; c < e; c++)
		if (!ident_char(*c) && *c != '.')
			return NULL;
	return xstrndup(s, (size_t)(e - s));
}

/* The name in the {application, Name, _} term of path (.app or .app.src). */
static int app_term_name(const char *path, const char *shown, char **out,
			 struct rb_error *err)
{
	struct rb_terms terms = RB_TERMS_INIT;
	const struct rb_term *t;
	int ret = -1;

	if (rb_term_consult(&terms, path, err) < 0)
		goto out;
	t = terms.nr ? terms.v[0] : NULL;
	if (!t || t->type != RB_TERM_TUPLE || t->nr != 3 ||
	    !rb_term_is_atom(t->items[0], "application") ||
	    !rb_term_atom(t->items[1])) {
		rb_fail(err, "'%s' is not {application, Name, [...]}", shown);
		goto out;
	}
	*out = xstrdup(rb_term_atom(t->items[1]));
	ret = 0;
out:
	rb_terms_release(&terms);
	return ret;
}

/* The only file of dir ending in suffix, in *name (borrowed from names). */
static int only_file(const char *dir, const char *shown, const char *suffix,
		     struct strvec *names, const char **name,
		     struct rb_error *err)
{
	*name = NULL;
	if (list_dir(dir, names, err) < 0)
		return -1;
	for (size_t i = 0; i < names->nr; i++) {
		if (!has_suffix(names->v[i], suffix))
			continue;
		if (*name)
			return rb_fail(err, "more than one %s in %s ('%s', '%s')",
				       suffix, shown, *name, names->v[i]);
		*name = names->v[i];
	}
	if (!*name)
		return rb_fail(err, "no %s<app>%s", shown, suffix);
	return 0;
}

/* The application of a rebar3 app directory (root, or apps/<x>): src/<app>.app.src. */
static int rebar3_app_name(const char *root, const char *shown_dir,
			   char **out, struct rb_error *err)
{
	struct strvec names = STRVEC_INIT;
	char *src = path_join(root, "src");
	char *shown = xasprintf("%ssrc/", shown_dir);
	char *path = NULL, *shown_path = NULL;
	const char *app_src;
	int ret = -1;

	if (!is_dir(src)) {
		rb_fail(err, "no %s directory to find the application's .app.src in", shown);
		goto out;
	}
	if (only_file(src, shown, ".app.src", &names, &app_src, err) < 0)
		goto out;
	path = path_join(src, app_src);
	shown_path = xasprintf("%s%s", shown, app_src);
	ret = app_term_name(path, shown_path, out, err);
out:
	strvec_clear(&names);
	free(src);
	free(shown);
	free(path);
	free(shown_path);
	return ret;
}

/* app: of a mix.exs. */
static int mix_app_name(const char *mix_exs, const char *shown, char **out,
			struct rb_error *err)
{
	char *text = NULL;

	if (read_file(mix_exs, &text, NULL, err) < 0)
		return -1;
	*out = rb_mix_app_name(text);
	free(text);
	if (!*out)
		return rb_fail(err, "no 'app: :name' in '%s'", shown);
	return 0;
}

/*
 * Each apps/<dir> of an umbrella (mix: apps/<dir>/mix.exs; rebar3:
 * apps/<dir>/src/<app>.app.src), its application in out.
 */
static int umbrella_apps(const struct rb_project *p, struct strvec *out,
			 struct rb_error *err)
{
	struct strvec dirs = STRVEC_INIT;
	char *apps = path_join(p->root, "apps");
	int ret = -1;

	if (!is_dir(apps)) {
		rb_fail(err, "an umbrella project without an apps/ directory");
		goto out;
	}
	if (list_dir(apps, &dirs, err) < 0)
		goto out;
	for (size_t i = 0; i < dirs.nr; i++) {
		char *dir = path_join(apps, dirs.v[i]);
		char *mix = path_join(dir, "mix.exs");
		char *shown = xasprintf("apps/%s/", dirs.v[i]);
		char *name = NULL;
		int r = 0;

		if (dirs.v[i][0] == '.' || !is_dir(dir))
			;
		else if (p->kind == RB_PROJECT_MIX && is_file(mix))
			r = mix_app_name(mix, "apps/mix.exs", &name, err);
		else if (p->kind == RB_PROJECT_REBAR3)
			r = rebar3_app_name(dir, shown, &name, err);
		if (name)
			strvec_push(out, name);
		free(name);
		free(shown);
		free(mix);
		free(dir);
		if (r < 0)
			goto out;
	}
	if (!out->nr) {
		rb_fail(err, "no applications under apps/");
		goto out;
	}
	ret = 0;
out:
	strvec_clear(&dirs);
	free(apps);
	return ret;
}

/* erlang.mk: ebin/<app>.app once built, else PROJECT = <app> in the Makefile. */
static int erlang_mk_app_name(const char *root, char **out, struct rb_error *err)
{
	struct strvec names = STRVEC_INIT;
	char *ebin = path_join(root, "ebin"), *mk = path_join(root, "Makefile");
	char *path = NULL, *text = NULL;
	const char *app;
	int ret = -1;

	if (is_dir(ebin) && only_file(ebin, "ebin/", ".app", &names, &app, NULL) == 0) {
		path = path_join(ebin, app);
		ret = app_term_name(path, "ebin/", out, err);
		goto out;
	}
	if (is_file(mk) && read_file(mk, &text, NULL, NULL) == 0) {
		for (char *line = text; line && *line;) {
			char *end = strchr(line, '\n'), *e;

			if (end)
				*end = '\0';
			e = line + strlen("PROJECT");
			if (has_prefix(line, "PROJECT") && *(e += strspn(e, " \t")) == '=') {
				e++;
				e += strspn(e, " \t");
				*out = xstrndup(e, strcspn(e, " \t#"));
				if (**out) {
					ret = 0;
					goto out;
				}
				free(*out);
				*out = NULL;
			}
			line = end ? end + 1 : NULL;
		}
	}
	rb_fail(err, "no ebin/<app>.app (run 'make') and no PROJECT = <app> in 'Makefile'");
out:
	strvec_clear(&names);
	free(ebin);
	free(mk);
	free(path);
	free(text);
	return ret;
}

int rb_project_apps(const struct rb_project *p, struct strvec *out,
		    struct rb_error *err)
{
	char *path = NULL, *name = NULL, *src = path_join(p->root, "src");
	int ret = -1;

	switch (p->kind) {
	case RB_PROJECT_MIX:
		if (p->umbrella) {
			ret = umbrella_apps(p, out, err);
			break;
		}
		path = path_join(p->root, "mix.exs");
		ret = mix_app_name(path, "mix.exs", &name, err);
		break;
	case RB_PROJECT_REBAR3:
		if (!is_dir(src) && is_dir(path = path_join(p->root, "apps")))
			ret = umbrella_apps(p, out, err);
		else
			ret = rebar3_app_name(p->root, "", &name, err);
		break;
	case RB_PROJECT_ERLANG_MK:
		ret = erlang_mk_app_name(p->root, &name, err);
		break;
	case RB_PROJECT_PLAIN:
		rb_fail(err, "no mix.exs, rebar.config or erlang.mk here, so no application to name the release after");
		break;
	}
	if (name)
		strvec_push(out, name);
	free(name);
	free(path);
	free(src);
	return ret;
}

/* 1 when the text before p (from start) ends with suffix. */
static int preceded_by(const char *start, const char *p, const char *suffix)
{
	size_t n = strlen(suffix);

	return (size_t)(p - start) >= n && !memcmp(p - n, suffix, n);
}

static void add_upper(struct strbuf *sb, const char *release)
{
	for (const char *r = release; *r; r++)
		sb_addc(sb, *r == '-' ? '_' : (char)toupper((unsigned char)*r));
}

char *rb_init_render(const char *text, const struct rb_init_names *n)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p = text, *line = text;

	while (*p) {
		if (p == line) {
			/* "  - myapp  # comment": one list item an application */
			const char *q = p + strspn(p, " ");

			if (!strncmp(q, "- myapp", 7) && !ident_char(q[7]) && n->nr_apps > 1) {
				const char *eol = q + strcspn(q, "\n");

				for (size_t i = 0; i < n->nr_apps; i++) {
					sb_add(&sb, p, (size_t)(q - p));
					sb_addf(&sb, "- %s", n->apps[i]);
					if (!i)
						sb_add(&sb, q + 7, (size_t)(eol - q - 7));
					sb_addc(&sb, '\n');
				}
				p = *eol ? eol + 1 : eol;
				line = p;
				continue;
			}
		}
		if (!strncmp(p, "myapp", 5)) {
			int is_app = preceded_by(text, p, "- ") ||
				     preceded_by(text, p, "from_app: ") ||
				     preceded_by(text, p, "[") ||
				     preceded_by(text, p, "{");

			sb_adds(&sb, is_app ? n->apps[0] : n->release);
			p += 5;
		} else if (!strncmp(p, "MYAPP", 5)) {
			add_upper(&sb, n->release);
			p += 5;
		} else if (!strncmp(p, "MyApp", 5) && n->module) {
			sb_adds(&sb, n->module);
			p += 5;
		} else {
			if (*p == '\n')
				line = p + 1;
			sb_addc(&sb, *p++);
		}
	}
	return sb_detach(&sb);
}
