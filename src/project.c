/*
 * Which kind of project a directory is, and where its compiled
 * applications live.
 */
#include "project.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A Makefile that includes erlang.mk ("include erlang.mk", or a path to it). */
static int makefile_includes_erlang_mk(const char *root)
{
	static const char *const names[] = { "GNUmakefile", "makefile", "Makefile", NULL };

	for (const char *const *n = names; *n; n++) {
		char *path = path_join(root, *n), *text = NULL;
		int found = 0;

		if (is_file(path) && read_file(path, &text, NULL, NULL) == 0) {
			for (char *line = text; line && *line;) {
				char *end = strchr(line, '\n');

				if (end)
					*end = '\0';
				line += strspn(line, " \t");
				if ((has_prefix(line, "include ") ||
				     has_prefix(line, "-include ")) &&
				    strstr(line, "erlang.mk"))
					found = 1;
				line = end ? end + 1 : NULL;
			}
		}
		free(text);
		free(path);
		if (found)
			return 1;
	}
	return 0;
}

static int ident_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

const char *rb_mix_keyword(const char *text, const char *from, const char *key)
{
	size_t n = strlen(key);
	const char *p = from ? from : text;

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
		if (!strncmp(p, key, n) && p[n] == ':' &&
		    (p == text || (!ident_char(p[-1]) && p[-1] != ':')))
			return p;
		p++;
	}
	return NULL;
}

/* mix.exs says apps_path: an umbrella project. */
static int mix_is_umbrella(const char *mix_exs)
{
	char *text = NULL;
	int ret;

	if (read_file(mix_exs, &text, NULL, NULL) < 0)
		return 0;
	ret = rb_mix_keyword(text, NULL, "apps_path") != NULL;
	free(text);
	return ret;
}

static int has_app_file(const char *ebin)
{
	struct strvec names = STRVEC_INIT;
	int found = 0;

	if (is_dir(ebin) && list_dir(ebin, &names, NULL) == 0)
		for (size_t i = 0; i < names.nr && !found; i++)
			found = has_suffix(names.v[i], ".app");
	strvec_clear(&names);
	return found;
}

int rb_project_detect(struct rb_project *p, const char *dir, const char *env,
		      struct rb_error *err)
{
	char *mix = path_join(dir, "mix.exs");
	char *rebar = path_join(dir, "rebar.config");
	char *emk_file = path_join(dir, "erlang.mk");
	char *build = xasprintf("%s/_build", dir);
	int emk;

	(void)err;
	memset(p, 0, sizeof(*p));
	p->root = xstrdup(dir);
	emk = is_file(emk_file) || makefile_includes_erlang_mk(dir);
	if (is_file(mix)) {
		p->kind = RB_PROJECT_MIX;
		p->umbrella = mix_is_umbrella(mix);
	} else if (is_file(rebar) && (is_dir(build) || !emk)) {
		/* rebar3 wins when it built the project (or there is no erlang.mk) */
		p->kind = RB_PROJECT_REBAR3;
	} else if (emk) {
		p->kind = RB_PROJECT_ERLANG_MK;
	} else {
		p->kind = RB_PROJECT_PLAIN;
	}

	switch (p->kind) {
	case RB_PROJECT_MIX:
	case RB_PROJECT_REBAR3:
		p->build_lib = xasprintf("%s/_build/%s/lib", dir, env);
		if (p->kind == RB_PROJECT_REBAR3 && !is_dir(p->build_lib)) {
			/* rebar3 builds the default profile unless told "as <env>" */
			char *def = path_join(dir, "_build/default/lib");

			if (is_dir(def)) {
				free(p->build_lib);
				p->build_lib = def;
			} else {
				free(def);
			}
		}
		strvec_push(&p->lib_dirs, p->build_lib);
		break;
	case RB_PROJECT_ERLANG_MK:
		/* erlang.mk builds in place: the project is an application
		 * directory, with more under apps/ and its deps under deps/ */
		p->build_lib = path_join(dir, "deps");
		strvec_push(&p->lib_dirs, dir);
		strvec_pushf(&p->lib_dirs, "%s/apps", dir);
		strvec_push(&p->lib_dirs, p->build_lib);
		break;
	case RB_PROJECT_PLAIN:
		break;
	}
	free(mix);
	free(rebar);
	free(emk_file);
	free(build);
	return 0;
}

void rb_project_release(struct rb_project *p)
{
	free(p->root);
	free(p->build_lib);
	strvec_clear(&p->lib_dirs);
	memset(p, 0, sizeof(*p));
}

const char *rb_project_kind_name(enum rb_project_kind kind)
{
	switch (kind) {
	case RB_PROJECT_MIX: return "mix";
	case RB_PROJECT_REBAR3: return "rebar3";
	case RB_PROJECT_ERLANG_MK: return "erlang.mk";
	case RB_PROJECT_PLAIN: return "plain";
	}
	return "?";
}

const char *rb_project_compile_hint(const struct rb_project *p, const char *env)
{
	static char hint[128];

	switch (p->kind) {
	case RB_PROJECT_MIX:
		snprintf(hint, sizeof(hint), "MIX_ENV=%s mix compile", env);
		return hint;
	case RB_PROJECT_REBAR3:
		if (!strcmp(env, "default"))
			return "rebar3 compile";
		snprintf(hint, sizeof(hint), "rebar3 as %s compile", env);
		return hint;
	case RB_PROJECT_ERLANG_MK:
		return "make";
	case RB_PROJECT_PLAIN:
		break;
	}
	return NULL;
}

int rb_project_compiled(const struct rb_project *p, const char *env,
			struct rb_error *err)
{
	char *ebin;
	int ok;

	switch (p->kind) {
	case RB_PROJECT_MIX:
	case RB_PROJECT_REBAR3:
		if (is_dir(p->build_lib))
			return 1;
		rb_fail(err, "'%s' does not exist: the project has not been compiled; run '%s' first",
			p->build_lib, rb_project_compile_hint(p, env));
		return 0;
	case RB_PROJECT_ERLANG_MK:
		ebin = path_join(p->root, "ebin");
		ok = has_app_file(ebin);
		if (!ok)
			rb_fail(err, "'%s' holds no .app file: the project has not been compiled; run 'make' first",
				ebin);
		free(ebin);
		return ok;
	case RB_PROJECT_PLAIN:
		break;
	}
	return 1;
}
