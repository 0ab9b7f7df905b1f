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
	const char *p = text;

	while (*p) {
		if (*p == '#') { /* a comment, to the end of the line */
			while (*p && *p != '\n')
				p++;
			continue;
		}
		if (*p == '"' || *p == '\'') { /* a string or charlist */
			char q = *p++;

			while (*p && *p != q)
				p += (*p == '\\' && p[1]) ? 2 : 1;
			if (*p)
				p++;
			continue;
		}
		if (!strncmp(p, "app:", 4) &&
		    (p == text || (!ident_char(p[-1]) && p[-1] != ':'))) {
			const char *s = p + 4, *e;

			while (*s == ' ' || *s == '\t')
				s++;
			if (*s == ':' && (islower((unsigned char)s[1]) || s[1] == '_')) {
				for (e = ++s; ident_char(*e); e++)
					;
				return xstrndup(s, (size_t)(e - s));
			}
			p += 4;
			continue;
		}
		p++;
	}
	return NULL;
}

static int rebar3_app_name(const char *root, char **out, struct rb_error *err)
{
	struct strvec names = STRVEC_INIT;
	struct rb_terms terms = RB_TERMS_INIT;
	char *src = path_join(root, "src");
	char *app_src = NULL, *path = NULL;
	const struct rb_term *t;
	int ret = -1;

	if (!is_dir(src)) {
		rb_fail(err, "no src/ directory to find the application's .app.src in");
		goto out;
	}
	if (list_dir(src, &names, err) < 0)
		goto out;
	for (size_t i = 0; i < names.nr; i++) {
		if (!has_suffix(names.v[i], ".app.src"))
			continue;
		if (app_src) {
			rb_fail(err, "more than one .app.src in src/ ('%s', '%s')",
				app_src, names.v[i]);
			goto out;
		}
		app_src = names.v[i];
	}
	if (!app_src) {
		rb_fail(err, "no src/<app>.app.src");
		goto out;
	}
	path = path_join(src, app_src);
	if (rb_term_consult(&terms, path, err) < 0)
		goto out;
	t = terms.nr ? terms.v[0] : NULL;
	if (!t || t->type != RB_TERM_TUPLE || t->nr != 3 ||
	    !rb_term_is_atom(t->items[0], "application") ||
	    !rb_term_atom(t->items[1])) {
		rb_fail(err, "'src/%s' is not {application, Name, [...]}", app_src);
		goto out;
	}
	*out = xstrdup(rb_term_atom(t->items[1]));
	ret = 0;
out:
	rb_terms_release(&terms);
	strvec_clear(&names);
	free(src);
	free(path);
	return ret;
}

int rb_project_app_name(const struct rb_project *p, char **out,
			struct rb_error *err)
{
	char *path = NULL, *text = NULL;
	int ret = -1;

	*out = NULL;
	if (p->kind == RB_PROJECT_REBAR3)
		return rebar3_app_name(p->root, out, err);
	path = path_join(p->root, "mix.exs");
	if (read_file(path, &text, NULL, err) < 0)
		goto out;
	*out = rb_mix_app_name(text);
	if (!*out) {
		rb_fail(err, "no 'app: :name' in 'mix.exs'");
		goto out;
	}
	ret = 0;
out:
	free(path);
	free(text);
	return ret;
}

/* 1 when the text before p (from start) ends with suffix. */
static int preceded_by(const char *start, const char *p, const char *suffix)
{
	size_t n = strlen(suffix);

	return (size_t)(p - start) >= n && !memcmp(p - n, suffix, n);
}

char *rb_init_render(const char *text, const char *release, const char *app)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p = text;

	while (*p) {
		if (!strncmp(p, "myapp", 5)) {
			int is_app = preceded_by(text, p, "- ") ||
				     preceded_by(text, p, "from_app: ") ||
				     preceded_by(text, p, "[") ||
				     preceded_by(text, p, "{");

			sb_adds(&sb, is_app ? app : release);
			p += 5;
		} else if (!strncmp(p, "MYAPP", 5)) {
			for (const char *r = release; *r; r++)
				sb_addc(&sb, *r == '-' ? '_' :
					(char)toupper((unsigned char)*r));
			p += 5;
		} else {
			sb_addc(&sb, *p++);
		}
	}
	return sb_detach(&sb);
}
