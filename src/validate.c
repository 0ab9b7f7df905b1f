#include "validate.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "term.h"

enum { MAX_DEPTH = 64 };

/* path relative to the project when it lies under it, else as is. */
static const char *shown(const char *project, const char *path)
{
	size_t n = project ? strlen(project) : 0;

	if (n && !strncmp(path, project, n) && path[n] == '/' && path[n + 1])
		return path + n + 1;
	return path;
}

/* Whether path (a real path) is root or lies below it. */
static int lies_under(const char *path, const char *root)
{
	size_t n = strlen(root);

	if (n == 1 && root[0] == '/')
		return 1;
	return !strncmp(path, root, n) && (path[n] == '/' || !path[n]);
}

static int may_lead_to(const struct rb_link_rules *r, const char *real)
{
	for (size_t i = 0; r->inside && i < r->inside->nr; i++)
		if (lies_under(real, r->inside->v[i]))
			return 1;
	for (size_t i = 0; r->allowed && i < r->allowed->nr; i++)
		if (lies_under(real, r->allowed->v[i]))
			return 1;
	return 0;
}

/* A link at path: where it leads must exist, be allowed, not loop. */
static int check_link(const struct rb_link_rules *r, const char *path,
		      const char *show, struct rb_error *err)
{
	char target[PATH_MAX];
	ssize_t n = readlink(path, target, sizeof(target) - 1);
	char *real = realpath(path, NULL);
	int ret = -1;

	target[n < 0 ? 0 : n] = '\0';
	if (!real) {
		if (errno == ELOOP)
			rb_error(err, RB_ECONFIG, "%s: a symlink loop (links to '%s')",
				 show, target);
		else
			rb_error(err, RB_ECONFIG, "%s: links to '%s', which does not exist",
				 show, target);
		return -1;
	}
	if (!may_lead_to(r, real)) {
		rb_error(err, RB_ECONFIG,
			 "%s: links to '%s', outside %s: not shipped; to ship it, list a directory above it in 'follow_links_under:'",
			 show, real, r->owner);
		goto out;
	}
	if (is_dir(real)) {
		/* A link to a directory that holds the link: a loop. */
		char *parent = xstrdup(path), *slash = strrchr(parent, '/');
		char *real_parent;

		if (slash)
			*slash = '\0';
		real_parent = realpath(slash ? parent : ".", NULL);
		if (real_parent && lies_under(real_parent, real)) {
			rb_error(err, RB_ECONFIG,
				 "%s: a symlink loop (links to '%s', which holds it)",
				 show, target);
			free(real_parent);
			free(parent);
			goto out;
		}
		free(real_parent);
		free(parent);
	}
	ret = 0;
out:
	free(real);
	return ret;
}

static int check_entry(const struct rb_link_rules *r, const char *path,
		       int depth, struct rb_error *err)
{
	const char *show = shown(r->project, path);
	struct strvec names = STRVEC_INIT;
	struct stat st;
	int ret = -1;

	if (depth > MAX_DEPTH)
		return rb_error(err, RB_ECONFIG, "%s: directories nested too deep",
				show);
	if (lstat(path, &st) < 0)
		return rb_error(err, RB_ECONFIG, "%s: cannot read: %s", show,
				strerror(errno));
	if (S_ISLNK(st.st_mode)) {
		if (check_link(r, path, show, err) < 0)
			return -1;
		if (stat(path, &st) < 0)
			return rb_error(err, RB_ECONFIG, "%s: cannot read: %s",
					show, strerror(errno));
	}
	if (S_ISREG(st.st_mode)) {
		if (access(path, R_OK) < 0)
			return rb_error(err, RB_ECONFIG, "%s: cannot read: %s",
					show, strerror(errno));
		return 0;
	}
	if (!S_ISDIR(st.st_mode))
		return rb_error(err, RB_ECONFIG,
				"%s: %s; a release holds only files and directories",
				show, file_kind(st.st_mode));
	if (list_dir(path, &names, err) < 0) {
		err->code = RB_ECONFIG;
		return -1;
	}
	for (size_t i = 0; i < names.nr; i++) {
		char *sub = path_join(path, names.v[i]);
		int r2 = check_entry(r, sub, depth + 1, err);

		free(sub);
		if (r2 < 0)
			goto out;
	}
	ret = 0;
out:
	strvec_clear(&names);
	return ret;
}

int rb_check_tree(const struct rb_link_rules *rules, const char *path,
		  struct rb_error *err)
{
	return check_entry(rules, path, 0, err);
}

int rb_check_app_keys(const struct rb_app *app, const char *show,
		      struct rb_error *err)
{
	static const char *const keys[] = {
		"description", "vsn", "modules", "registered", "applications",
		NULL,
	};
	const struct rb_term *props;

	if (!app->term || app->term->nr != 3)
		return 0;
	props = app->term->items[2];
	for (const char *const *k = keys; *k; k++)
		if (!rb_term_proplist_find(props, *k))
			return rb_error_at(err,
					RB_EFAIL, show, props->line, props->col, "application '%s' has no '%s' key; systools needs description, vsn, modules, registered and applications", app->name, *k);
	return 0;
}

/* Length of the ${NAME} or ${NAME:-default} at s ("$"), else 0. */
static size_t placeholder_len(const char *s, const char *end)
{
	const char *p = s + 2;

	if (end - s < 4 || s[1] != '{' ||
	    !(*p == '_' || (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')))
		return 0;
	while (p < end && (*p == '_' || (*p >= 'A' && *p <= 'Z') ||
			   (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')))
		p++;
	if (p + 1 < end && p[0] == ':' && p[1] == '-')
		while (p < end && *p != '}' && *p != '\n')
			p++;
	if (p >= end || *p != '}')
		return 0;
	return (size_t)(p + 1 - s);
}

/*
 * text with each ${…} that stands where a term may replaced by a quoted
 * atom of the same length, '$xx…' (so that columns stay where they
 * were), which is_placeholder() knows; inside strings and quoted atoms
 * by as many x's (its default may hold a quote); in comments, left.
 */
static char *mask_placeholders(const char *text, size_t len)
{
	char *out = xmalloc(len + 1);
	const char *end = text + len;
	char quote = 0;

	memcpy(out, text, len);
	out[len] = '\0';
	for (const char *p = text; p < end; p++) {
		if (quote) {
			size_t n = *p == '$' ? placeholder_len(p, end) : 0;

			if (n) {
				/* one unit: its default may hold quotes */
				memset(out + (p - text), 'x', n);
				p += n - 1;
			} else if (*p == '\\') {
				p += p + 1 < end && p[1] == '^' ? 2 : 1;
			} else if (*p == quote) {
				quote = 0;
			}
		} else if (*p == '"' || *p == '\'') {
			quote = *p;
		} else if (*p == '%') {
			while (p + 1 < end && p[1] != '\n')
				p++;
		} else if (*p == '$') {
			size_t n = placeholder_len(p, end);

			if (n) {
				char *m = out + (p - text);

				memset(m, 'x', n);
				m[0] = m[n - 1] = '\'';
				m[1] = '$';
				p += n - 1;
			} else if (p + 1 < end) {
				/* a character literal: $x, $\x, $\^x */
				p += p[1] != '\\' ? 1 :
				     p + 2 < end && p[2] == '^' ? 3 : 2;
			}
		}
	}
	return out;
}

/* A term that mask_placeholders() made: it may stand for any term. */
static int is_placeholder(const struct rb_term *t)
{
	return t->type == RB_TERM_ATOM && t->text[0] == '$';
}

static int config_error(struct rb_error *err, const char *show,
			const struct rb_term *t, const char *what)
{
	return rb_error_at(err, RB_ECONFIG, show, t->line, t->col, "%s",
			what);
}

int rb_check_sys_config(const char *text, size_t len, const char *show,
			struct rb_error *err)
{
	struct rb_terms terms = RB_TERMS_INIT;
	char *masked = mask_placeholders(text, len);
	const struct rb_term *list;
	int ret = -1;

	if (rb_term_parse_all(&terms, show, masked, len, err) < 0) {
		err->code = RB_ECONFIG;
		goto out;
	}
	if (terms.nr != 1) {
		if (terms.nr)
			config_error(err, show, terms.v[1],
				     "a second term; sys.config holds one list, ending in '.'");
		else
			rb_error_at(err, RB_ECONFIG, show, 1, 1,
				    "no term; sys.config holds one list ending in '.', e.g. [{my_app, [{key, value}]}].");
		goto out;
	}
	list = terms.v[0];
	if (list->type != RB_TERM_LIST && !is_placeholder(list)) {
		config_error(err, show, list,
			     "not a list; sys.config holds [{Application, [{Key, Value}]}, …].");
		goto out;
	}
	for (size_t i = 0; i < list->nr; i++) {
		const struct rb_term *e = list->items[i];

		if (e->type == RB_TERM_STRING || is_placeholder(e))
			continue; /* another config file, or filled in at boot */
		if (e->type != RB_TERM_TUPLE || e->nr != 2 ||
		    e->items[0]->type != RB_TERM_ATOM ||
		    (e->items[1]->type != RB_TERM_LIST &&
		     !is_placeholder(e->items[1]))) {
			config_error(err, show, e,
				     "not {Application, [{Key, Value}]} nor the name of a config file");
			goto out;
		}
		for (size_t j = 0; j < e->items[1]->nr; j++) {
			const struct rb_term *kv = e->items[1]->items[j];

			if (is_placeholder(kv))
				continue;
			if (kv->type != RB_TERM_TUPLE || kv->nr != 2 ||
			    kv->items[0]->type != RB_TERM_ATOM) {
				config_error(err, show, kv,
					     "not a {Key, Value} pair with an atom for a key");
				goto out;
			}
		}
	}
	ret = 0;
out:
	rb_terms_release(&terms);
	free(masked);
	return ret;
}

int rb_check_vm_args(const char *text, size_t len, const char *show,
		     struct strvec *warnings, struct rb_error *err)
{
	const char *p = text, *end = text + len;

	for (size_t line = 1; p < end; line++) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *start = p, *s = p, *e = eol ? eol : end;

		p = eol ? eol + 1 : end;
		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
			e--;
		if (s == e || *s == '#')
			continue;
		if (memchr(s, '\0', (size_t)(e - s)))
			return rb_error_at(err, RB_ECONFIG, show, line, 0, "a NUL byte");
		if (*s != '-' && *s != '+' && !placeholder_len(s, e))
			return rb_error_at(err, RB_ECONFIG, show, line,
					   (size_t)(s - start) + 1,
					   "'%.*s' is not a flag; vm.args holds one flag a line (-name n, +K true, -kernel key value) or # comments",
					   (int)(e - s > 40 ? 40 : e - s), s);
		if ((size_t)(e - s) >= 10 && !strncmp(s, "-setcookie", 10) &&
		    (e - s == 10 || s[10] == ' ' || s[10] == '\t')) {
			const char *v = s + 10;

			while (v < e && (*v == ' ' || *v == '\t'))
				v++;
			if (v == e)
				return rb_error_at(err, RB_ECONFIG, show, line, 0, "-setcookie needs a cookie");
			if (!placeholder_len(v, e))
				strvec_pushf(warnings,
					     "%s:%zu: -setcookie with the cookie in plain text: it ships in the tarball and shows in ps on every server; leave the line out and use the config's 'cookie:' key or the server's releases/COOKIE",
					     show, line);
			else
				strvec_pushf(warnings,
					     "%s:%zu: -setcookie puts the cookie on the VM's command line, which ps shows; leave the line out: bin/<name> gives the node RELEASE_COOKIE through a file only its user may read",
					     show, line);
		}
	}
	return 0;
}

/* The shell a script's "#!" line names, or "sh" without one; NULL: no shell. */
static char *script_shell(const char *head, size_t n)
{
	static const char *const shells[] = {
		"sh", "bash", "dash", "ksh", "mksh", "zsh", "ash", NULL,
	};
	const char *p = head + 2, *end = memchr(head, '\n', n);
	char *word, *base;

	if (n < 2 || head[0] != '#' || head[1] != '!')
		return xstrdup("sh");
	if (!end)
		end = head + n;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	word = xstrndup(p, strcspn(p, " \t\r\n") < (size_t)(end - p) ?
				   strcspn(p, " \t\r\n") : (size_t)(end - p));
	base = strrchr(word, '/') ? strrchr(word, '/') + 1 : word;
	if (!strcmp(base, "env")) {
		/* #!/usr/bin/env bash */
		p += strlen(word);
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		free(word);
		word = xstrndup(p, strcspn(p, " \t\r\n") < (size_t)(end - p) ?
					   strcspn(p, " \t\r\n") : (size_t)(end - p));
		base = word;
	}
	for (const char *const *s = shells; *s; s++) {
		if (!strcmp(base, *s)) {
			char *found = which(word[0] == '/' && access(word, X_OK) == 0 ?
						    word : base);

			free(word);
			return found;
		}
	}
	free(word);
	return NULL;
}

int rb_check_script(const char *path, const char *show, struct rb_error *err)
{
	char head[4096];
	struct strbuf out = STRBUF_INIT;
	const char *msg;
	char *shell;
	ssize_t n;
	size_t line = 0;
	int fd, status, ret = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return rb_error(err, RB_ECONFIG, "%s: cannot read: %s", show,
				strerror(errno));
	n = read(fd, head, sizeof(head));
	close(fd);
	if (n < 0)
		return rb_error(err, RB_ECONFIG, "%s: cannot read: %s", show,
				strerror(errno));
	if (memchr(head, '\0', (size_t)n))
		return 0; /* a binary */
	shell = script_shell(head, (size_t)n);
	if (!shell)
		return 0; /* escript, python…: not ours to check */
	{
		const char *argv[] = { shell, "-n", path, NULL };

		status = run_capture(argv, NULL, &out, err);
	}
	if (status < 0)
		goto out;
	if (status == 0) {
		ret = 0;
		goto out;
	}
	/* dash: "PATH: 3: Syntax error: …"; bash: "PATH: line 3: syntax error …" */
	msg = sb_str(&out);
	if (has_prefix(msg, path) && !strncmp(msg + strlen(path), ": ", 2))
		msg += strlen(path) + 2;
	if (has_prefix(msg, "line "))
		msg += 5;
	if (*msg >= '0' && *msg <= '9') {
		char *e;

		line = strtoul(msg, &e, 10);
		if (!strncmp(e, ": ", 2))
			msg = e + 2;
		else
			line = 0;
	}
	{
		size_t len = strcspn(msg, "\n");
		const char *name = strrchr(shell, '/') ? strrchr(shell, '/') + 1 : shell;

		if (line)
			rb_error_at(err, RB_ECONFIG, show, line, 0, "%.*s (%s -n)",
				 (int)len, msg, name);
		else
			rb_error(err, RB_ECONFIG, "%s: %.*s (%s -n)", show, (int)len,
				 msg, name);
	}
out:
	sb_release(&out);
	free(shell);
	return ret;
}

/* The project path for a config value (relative to the project root). */
static char *in_project(const struct rb_project *proj, const char *rel)
{
	return rel[0] == '/' ? xstrdup(rel) : path_join(proj->root, rel);
}

static void push_real(struct strvec *v, const char *path)
{
	char *real = realpath(path, NULL);

	if (real) {
		strvec_push(v, real);
		free(real);
	}
}

/*
 * Where links of an application of the project may lead: its directory,
 * and where mix and rebar3 link its priv/, include/, src/… from _build:
 * the application's source (the link's target and the directory above
 * it), when that lies in the project.
 */
static void app_roots(const char *dir, const char *project,
		      struct strvec *roots)
{
	static const char *const linked[] = {
		"ebin", "priv", "include", "src", "c_src", "lib", NULL,
	};

	push_real(roots, dir);
	for (const char *const *d = linked; *d; d++) {
		char *sub = path_join(dir, *d);
		char *real = NULL, *slash;
		struct stat st;

		if (lstat(sub, &st) == 0 && S_ISLNK(st.st_mode) &&
		    (real = realpath(sub, NULL)) && lies_under(real, project)) {
			strvec_push(roots, real);
			slash = strrchr(real, '/');
			*slash = '\0';
			if (lies_under(real, project))
				strvec_push(roots, real);
		}
		free(real);
		free(sub);
	}
}

/*
 * Every module the .app lists has its ebin/<module>.beam: the check
 * systools:make_script makes (its "module_not_found"), here in C, so that
 * the VM making the boot scripts skips it (no_module_tests, as relx and
 * Distillery pass) and the error points into the .app.
 */
static int check_app_modules(const struct rb_app *app, const char *show,
			     struct rb_error *err)
{
	const struct rb_term *mods = NULL;
	char *path = NULL;
	int ret = 0;

	if (app->term && app->term->nr == 3)
		mods = rb_term_proplist_find(app->term->items[2], "modules");
	for (size_t i = 0; i < app->modules.nr && !ret; i++) {
		struct stat st;

		free(path);
		path = xasprintf("%s/ebin/%s.beam", app->dir, app->modules.v[i]);
		if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
			ret = rb_error_at(err,
				      RB_EFAIL, show, mods ? mods->line : 0, mods ? mods->col : 0, "application '%s' lists module '%s', but there is no ebin/%s.beam",
				      app->name, app->modules.v[i], app->modules.v[i]);
	}
	free(path);
	return ret;
}

static int check_app(const struct rb_plan *plan, const struct rb_project *proj,
		     const char *project, const struct rb_app *app,
		     const struct strvec *allowed, struct rb_error *err)
{
	static const char *const copied[] = { "ebin", "priv", "include", NULL };
	static const char *const sources[] = { "src", "c_src", "lib", NULL };
	struct strvec roots = STRVEC_INIT;
	char *real = realpath(app->dir, NULL), *owner;
	struct rb_link_rules rules = { proj->root, &roots, allowed, NULL };
	int ret = -1;

	if (rb_check_app_keys(app, shown(proj->root, app->app_file), err) < 0 ||
	    check_app_modules(app, shown(proj->root, app->app_file), err) < 0)
		goto out;
	/* Applications the OS installed: followed as they are. */
	if (!real || !lies_under(real, project) || plan->dev_mode) {
		ret = 0;
		goto out;
	}
	app_roots(app->dir, project, &roots);
	owner = xasprintf("application '%s'", app->name);
	rules.owner = owner;
	for (const char *const *d = copied; *d; d++) {
		char *sub = path_join(app->dir, *d);
		/* as copy_app(): what is no directory is not copied */
		int r = is_dir(sub) ? rb_check_tree(&rules, sub, err) : 0;

		free(sub);
		if (r < 0)
			goto done;
	}
	for (const char *const *d = sources; plan->include_src && *d; d++) {
		char *sub = path_join(app->dir, *d);
		int r = is_dir(sub) ? rb_check_tree(&rules, sub, err) : 0;

		free(sub);
		if (r < 0)
			goto done;
	}
	ret = 0;
done:
	free(owner);
out:
	free(real);
	strvec_clear(&roots);
	return ret;
}

/* A file the config names, read whole: "PATH: no such file (KEY:)" else. */
static int read_named(const struct rb_project *proj, const char *key,
		      const char *rel, char **text, size_t *len,
		      struct rb_error *err)
{
	char *path = in_project(proj, rel);
	struct stat st;
	int ret = 0;


	if (stat(path, &st) < 0)
		ret = rb_error(err, RB_ECONFIG, "%s: no such file (%s:)", rel, key);
	else if (!S_ISREG(st.st_mode))
		ret = rb_error(err, RB_ECONFIG, "%s: %s, not a regular file (%s:)",
			       rel, file_kind(st.st_mode), key);
	else if (read_file(path, text, len, err) < 0)
		ret = rb_error(err, RB_ECONFIG, "%s: cannot read (%s:)", rel, key);
	free(path);
	return ret;
}

static int check_config_files(const struct rb_plan *plan,
			      const struct rb_project *proj,
			      struct strvec *warnings, struct rb_error *err)
{
	const struct {
		const char *key, *path;
	} args[] = {
		{ "vm_args", plan->vm_args },
		{ "remote_vm_args", plan->remote_vm_args },
	};
	char *text = NULL;
	size_t len = 0;
	int r;

	if (plan->sys_config) {
		if (read_named(proj, "sys_config", plan->sys_config, &text, &len,
			       err) < 0)
			return -1;
		r = rb_check_sys_config(text, len, plan->sys_config, err);
		free(text);
		if (r < 0)
			return -1;
	}
	for (size_t i = 0; i < sizeof(args) / sizeof(args[0]); i++) {
		if (!args[i].path)
			continue;
		if (read_named(proj, args[i].key, args[i].path, &text, &len,
			       err) < 0)
			return -1;
		r = rb_check_vm_args(text, len, args[i].path, warnings, err);
		free(text);
		if (r < 0)
			return -1;
	}
	if (plan->env_sh) {
		char *path = in_project(proj, plan->env_sh);

		r = is_file(path) ?
			    rb_check_script(path, plan->env_sh, err) :
			    rb_error(err, RB_ECONFIG, "%s: no such file (env_sh:)",
				     plan->env_sh);
		free(path);
		if (r < 0)
			return -1;
	}
	return 0;
}

/* The scripts of hooks (directories of them) and commands (one each). */
static int check_scripts(const struct rb_named_path *v, size_t nr,
			 int dirs, const struct rb_project *proj,
			 const struct rb_link_rules *rules, struct rb_error *err)
{
	for (size_t i = 0; i < nr; i++) {
		char *path = in_project(proj, v[i].path);
		struct strvec names = STRVEC_INIT;
		int r;

		if (dirs && !is_dir(path))
			r = rb_error(err, RB_ECONFIG, "%s: hook '%s': %s",
				     v[i].path, v[i].name,
				     path_exists(path) ? "not a directory" :
							 "no such directory");
		else if (!dirs && !is_file(path))
			r = rb_error(err, RB_ECONFIG, "%s: command '%s': %s",
				     v[i].path, v[i].name,
				     path_exists(path) ? "not a file" : "no such file");
		else
			r = rb_check_tree(rules, path, err);
		if (!r && !dirs)
			r = rb_check_script(path, v[i].path, err);
		if (!r && dirs)
			r = list_dir(path, &names, err);
		for (size_t j = 0; !r && j < names.nr; j++) {
			char *script = path_join(path, names.v[j]);
			char *show = path_join(v[i].path, names.v[j]);

			if (is_file(script))
				r = rb_check_script(script, show, err);
			free(script);
			free(show);
		}
		strvec_clear(&names);
		free(path);
		if (r < 0)
			return -1;
	}
	return 0;
}

int rb_validate_release(const struct rb_plan *plan,
			const struct rb_project *proj,
			const struct rb_app_list *apps,
			struct strvec *warnings, struct rb_error *err)
{
	struct strvec allowed = STRVEC_INIT, inside = STRVEC_INIT;
	char *project = realpath(proj->root, NULL);
	struct rb_link_rules rules = { proj->root, &inside, &allowed, "the project" };
	int ret = -1;

	if (!project)
		return rb_fail_errno(err, "cannot resolve '%s'", proj->root);
	strvec_push(&inside, project);
	for (size_t i = 0; i < plan->follow_links_under.nr; i++) {
		char *path = in_project(proj, plan->follow_links_under.v[i]);
		char *real = realpath(path, NULL);

		free(path);
		if (!real) {
			rb_error(err, RB_ECONFIG, "follow_links_under: '%s': %s",
				 plan->follow_links_under.v[i], strerror(errno));
			goto out;
		}
		strvec_push(&allowed, real);
		free(real);
	}
	for (size_t i = 0; i < apps->nr; i++)
		if (check_app(plan, proj, project, &apps->v[i], &allowed, err) < 0)
			goto out;
	for (size_t i = 0; i < plan->nr_overlays; i++) {
		const struct rb_overlay *o = &plan->overlays[i];
		char *from;
		int r;

		if (!o->from)
			continue;
		from = in_project(proj, o->from);
		r = path_exists(from) ? rb_check_tree(&rules, from, err) :
			rb_error(err, RB_ECONFIG, "%s: overlay source does not exist",
				 o->from);
		free(from);
		if (r < 0)
			goto out;
	}
	if (check_scripts(plan->hooks, plan->nr_hooks, 1, proj, &rules, err) < 0 ||
	    check_scripts(plan->commands, plan->nr_commands, 0, proj, &rules,
			  err) < 0 ||
	    check_config_files(plan, proj, warnings, err) < 0)
		goto out;
	ret = 0;
out:
	strvec_clear(&allowed);
	strvec_clear(&inside);
	free(project);
	return ret;
}
