/*
 * sys.config from a mix project's config/config.exs, the way mix release
 * makes it: one run of elixir evaluates the config with Config.Reader and
 * merges it over the configured sys.config (if any).
 */
#include "mixconfig.h"

#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "templates.h"
#include "util.h"

/*
 * The program is templates/mixconfig.exs, run as `elixir -e PROGRAM --
 * CONFIG ENV OUT BASE` in the project root, OUT in a directory of its own: paths come from System.argv,
 * never quoted into the code.  BASE's
 * ${VAR} placeholders (in strings or bare) become atoms while its terms
 * are read and merged, and are put back in the output.  A failure prints
 * one "relbuild-error: " line and exits 1.
 */

#define ERROR_MARK "relbuild-error: "

int rb_mixconfig_exists(const char *root)
{
	char *path = path_join(root, RB_MIX_CONFIG);
	int r = is_file(path);

	free(path);
	return r;
}

/* The message of a failed run: its error line, or all of its output on one line. */
static void run_failed(const char *output, struct rb_error *err)
{
	const char *mark = NULL, *p = output;
	char *msg;
	size_t n;

	while ((p = strstr(p, ERROR_MARK)) != NULL) {
		if (p == output || p[-1] == '\n')
			mark = p;
		p += strlen(ERROR_MARK);
	}
	if (mark) {
		mark += strlen(ERROR_MARK);
		msg = xstrndup(mark, strcspn(mark, "\n"));
	} else {
		msg = xstrdup(output);
		for (char *q = msg; *q; q++)
			if (*q == '\n')
				*q = ' ';
	}
	n = strlen(msg);
	while (n && msg[n - 1] == ' ')
		msg[--n] = '\0';
	if (mark)
		rb_fail(err, "%s", msg);
	else
		rb_fail(err, "cannot evaluate " RB_MIX_CONFIG ": %s",
			*msg ? msg : "elixir failed");
	free(msg);
}

int rb_mixconfig_start(struct rb_mixconfig_run *r, const char *root,
		       const char *env, const char *base, struct rb_error *err)
{
	char *elixir = which("elixir"), *out = NULL;
	int ret = -1;

	memset(r, 0, sizeof(*r));
	r->child.in = r->child.out = -1;
	if (!elixir)
		return rb_fail(err, "cannot evaluate " RB_MIX_CONFIG ": there is no 'elixir' on PATH");
	r->tmp = rb_cleanup_mkdtemp("relbuild-config", err);
	if (!r->tmp)
		goto out;
	out = path_join(r->tmp, "sys.config");
	{
		const char *argv[] = {
			elixir, "-e", rb_template_find("mixconfig.exs")->data, "--", RB_MIX_CONFIG,
			env, out, base ? base : "", NULL,
		};

		ret = rb_child_start(&r->child, argv, root, 0, err);
	}
out:
	if (ret < 0)
		rb_mixconfig_abort(r);
	free(out);
	free(elixir);
	return ret;
}

int rb_mixconfig_finish(struct rb_mixconfig_run *r, const char *dst,
			struct rb_error *err)
{
	struct strbuf out = STRBUF_INIT;
	char *made = path_join(r->tmp, "sys.config"), *text = NULL;
	size_t len;
	int status, ret = -1;

	status = rb_child_wait(&r->child, &out, err);
	if (status > 0)
		run_failed(sb_str(&out), err);
	else if (!status && read_file(made, &text, &len, err) == 0)
		ret = write_file(dst, text, len, 0644, err);
	sb_release(&out);
	free(text);
	free(made);
	rb_mixconfig_abort(r);
	return ret;
}

void rb_mixconfig_abort(struct rb_mixconfig_run *r)
{
	rb_child_stop(&r->child);
	if (r->tmp) {
		remove_tree(r->tmp, NULL);
		rb_cleanup_forget(r->tmp);
		free(r->tmp);
		r->tmp = NULL;
	}
}
