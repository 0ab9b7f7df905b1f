/*
 * Calls into modules a release does not have, from the import tables of
 * its applications' beams (see xref.h).
 */
#include "xref.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "beam.h"

/*
 * The runtime's preloaded modules (erts/preloaded): always loaded, in no
 * application a release lists.  The erts application's `modules` adds
 * whatever a newer OTP preloads.
 */
static const char *const preloaded[] = {
	"atomics", "counters", "erl_init", "erl_prim_loader", "erl_tracer",
	"erlang", "erts_code_purger", "erts_dirty_process_signal_handler",
	"erts_internal", "erts_literal_area_collector", "erts_trace_cleaner",
	"init", "persistent_term", "prim_buffer", "prim_eval", "prim_file",
	"prim_inet", "prim_net", "prim_socket", "prim_tty", "prim_zip",
	"socket_registry", "zlib", NULL,
};

void rb_xref_result_init(struct rb_xref_result *res)
{
	memset(res, 0, sizeof(*res));
}

static void finding_release(struct rb_xref_finding *f)
{
	for (size_t i = 0; i < f->nr; i++) {
		free(f->calls[i].caller);
		free(f->calls[i].function);
	}
	free(f->calls);
	free(f->app);
	free(f->module);
	free(f->provider);
}

void rb_xref_result_release(struct rb_xref_result *res)
{
	for (size_t i = 0; i < res->nr; i++)
		finding_release(&res->v[i]);
	free(res->v);
	strvec_clear(&res->checked);
	strvec_clear(&res->unreadable);
	memset(res, 0, sizeof(*res));
}

/* sv sorted with strvec_sort(). */
static int sorted_contains(const struct strvec *sv, const char *s)
{
	size_t lo = 0, hi = sv->nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(sv->v[mid], s);

		if (!c)
			return 1;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

int rb_xref_otp_apps(const char *otp_root, const char *otp_release,
		     struct strvec *out, struct rb_error *err)
{
	char *path, *text = NULL, *line, *save = NULL;
	size_t len;

	if (!otp_root || !otp_release)
		return 0;
	path = xasprintf("%s/releases/%s/installed_application_versions",
			 otp_root, otp_release);
	if (!path_exists(path)) {
		free(path);
		return 0;
	}
	if (read_file(path, &text, &len, err) < 0) {
		free(path);
		return -1;
	}
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		line[strcspn(line, " \t\r")] = '\0';
		if (*line)
			strvec_push(out, line);
	}
	free(text);
	free(path);
	strvec_sort(out);
	return 1;
}

/* Whether path lies in dir (both resolved through symlinks when they can be). */
static int is_under(const char *path, const char *dir)
{
	char rp[PATH_MAX], rd[PATH_MAX];
	const char *p = realpath(path, rp) ? rp : path;
	const char *d = realpath(dir, rd) ? rd : dir;
	size_t n = strlen(d);

	return !strncmp(p, d, n) && p[n] == '/';
}

/* One of the runtime's own applications, which are not checked. */
static int is_runtime_app(const struct rb_xref_input *in,
			  const struct rb_app *app,
			  const struct strvec *otp_apps, int have_list)
{
	int ret;

	if (in->elixir_lib && is_under(app->dir, in->elixir_lib))
		return 1;
	if (have_list) {
		char *nv = xasprintf("%s-%s", app->name, app->vsn);

		ret = sorted_contains(otp_apps, nv);
		free(nv);
		return ret;
	}
	if (in->otp_root) {
		char *lib = path_join(in->otp_root, "lib");

		ret = is_under(app->dir, lib);
		free(lib);
		return ret;
	}
	return 0;
}

/* The names of the *.beam files in dir, pushed onto out; a missing dir adds none. */
static int beam_names(const char *dir, struct strvec *out,
		      struct rb_error *err)
{
	struct strvec names = STRVEC_INIT;

	if (!is_dir(dir))
		return 0;
	if (list_dir(dir, &names, err) < 0)
		return -1;
	for (size_t i = 0; i < names.nr; i++) {
		size_t n = strlen(names.v[i]);

		if (n > 5 && has_suffix(names.v[i], ".beam")) {
			char *mod = xstrndup(names.v[i], n - 5);

			strvec_push(out, mod);
			free(mod);
		}
	}
	strvec_clear(&names);
	return 0;
}

/* Every module the release provides, sorted. */
static int provided_modules(const struct rb_xref_input *in,
			    struct strvec *out, struct rb_error *err)
{
	const struct rb_app *erts = rb_app_index_find(in->index, "erts");

	for (size_t i = 0; preloaded[i]; i++)
		strvec_push(out, preloaded[i]);
	for (size_t i = 0; erts && i < erts->modules.nr; i++)
		strvec_push(out, erts->modules.v[i]);
	for (size_t i = 0; in->generated && in->generated[i]; i++)
		strvec_push(out, in->generated[i]);
	for (size_t i = 0; in->ignored && i < in->ignored->nr; i++)
		strvec_push(out, in->ignored->v[i]);
	for (size_t i = 0; i < in->release->nr; i++) {
		const struct rb_app *app = &in->release->v[i];
		char *ebin = path_join(app->dir, "ebin");
		char *cons = path_join(app->dir, "consolidated");
		int r;

		for (size_t j = 0; j < app->modules.nr; j++)
			strvec_push(out, app->modules.v[j]);
		r = beam_names(ebin, out, err) < 0 || beam_names(cons, out, err) < 0;
		free(ebin);
		free(cons);
		if (r)
			return -1;
	}
	strvec_sort(out);
	return 0;
}

/* A missing module and who has it, looked up once. */
struct provider_cache {
	char **module;
	char **provider; /* NULL: no application has it */
	size_t nr;
	size_t alloc;
	size_t palloc;
};

static const char *find_provider(const struct rb_app_index *idx,
				 struct provider_cache *c, const char *mod)
{
	const char *found = NULL;

	for (size_t i = 0; i < c->nr; i++)
		if (!strcmp(c->module[i], mod))
			return c->provider[i];
	for (size_t i = 0; !found && i < idx->apps.nr; i++)
		if (strvec_contains(&idx->apps.v[i].modules, mod))
			found = idx->apps.v[i].name;
	/* a .app whose modules list forgets one */
	for (size_t i = 0; !found && i < idx->apps.nr; i++) {
		char *beam = xasprintf("%s/ebin/%s.beam", idx->apps.v[i].dir, mod);

		if (is_file(beam))
			found = idx->apps.v[i].name;
		free(beam);
	}
	ALLOC_GROW(c->module, c->nr + 1, c->alloc);
	ALLOC_GROW(c->provider, c->nr + 1, c->palloc);
	c->module[c->nr] = xstrdup(mod);
	c->provider[c->nr] = found ? xstrdup(found) : NULL;
	return c->provider[c->nr++];
}

static void provider_cache_release(struct provider_cache *c)
{
	for (size_t i = 0; i < c->nr; i++) {
		free(c->module[i]);
		free(c->provider[i]);
	}
	free(c->module);
	free(c->provider);
}

/* s lowercased, without "Elixir." and without '.' and '_'. */
static char *squash(const char *s)
{
	char *out, *o;

	if (has_prefix(s, "Elixir."))
		s += strlen("Elixir.");
	out = o = xmalloc(strlen(s) + 1);
	for (; *s; s++)
		if (*s != '.' && *s != '_')
			*o++ = (char)((*s >= 'A' && *s <= 'Z') ? *s - 'A' + 'a' : *s);
	*o = '\0';
	return out;
}

/*
 * Whether a call from app into mod goes to one of its absent
 * optional_applications: the discovered application that has mod is
 * one, or, when none has it, mod is named after one (jason:
 * Elixir.Jason.Encoder; telemetry: telemetry_handler_table).
 */
static int optional_call(const struct rb_xref_input *in,
			 const struct rb_app *app, const char *mod,
			 const char *provider)
{
	const struct strvec *opt = &app->optional_applications;
	char *m;
	int ret = 0;

	if (provider)
		return strvec_contains(opt, provider);
	m = squash(mod);
	for (size_t i = 0; !ret && i < opt->nr; i++) {
		char *o = squash(opt->v[i]);

		ret = *o && !rb_app_list_find(in->release, opt->v[i]) &&
		      has_prefix(m, o);
		free(o);
	}
	free(m);
	return ret;
}

static struct rb_xref_finding *finding_for(struct rb_xref_result *res,
					   const char *app, const char *mod,
					   const char *provider)
{
	struct rb_xref_finding *f;

	for (size_t i = 0; i < res->nr; i++)
		if (!strcmp(res->v[i].app, app) && !strcmp(res->v[i].module, mod))
			return &res->v[i];
	ALLOC_GROW(res->v, res->nr + 1, res->alloc);
	f = &res->v[res->nr++];
	memset(f, 0, sizeof(*f));
	f->app = xstrdup(app);
	f->module = xstrdup(mod);
	f->provider = provider ? xstrdup(provider) : NULL;
	return f;
}

static void add_call(struct rb_xref_finding *f, const char *caller,
		     const char *function, unsigned arity)
{
	char *fa = xasprintf("%s/%u", function, arity);

	for (size_t i = 0; i < f->nr; i++)
		if (!strcmp(f->calls[i].caller, caller) &&
		    !strcmp(f->calls[i].function, fa)) {
			free(fa);
			return;
		}
	ALLOC_GROW(f->calls, f->nr + 1, f->alloc);
	f->calls[f->nr].caller = xstrdup(caller);
	f->calls[f->nr].function = fa;
	f->nr++;
}

/* The imports of one beam of app into res; an unreadable beam is noted. */
static void check_beam(const struct rb_xref_input *in, const struct rb_app *app,
		       const char *path, const struct strvec *provided,
		       struct provider_cache *cache, struct rb_xref_result *res)
{
	struct rb_beam beam = RB_BEAM_INIT;
	struct rb_beam_info info = RB_BEAM_INFO_INIT;
	struct rb_error e = { 0 };
	const char *self;

	if (rb_beam_load(&beam, path, &e) < 0) {
		/* rb_beam_load() names the file */
		strvec_push(&res->unreadable, e.msg);
		return;
	}
	if (rb_beam_read_info(&beam, &info, &e) < 0 ||
	    rb_beam_read_imports(&beam, &info, &e) < 0) {
		strvec_pushf(&res->unreadable, "'%s': %s", path, e.msg);
		goto out;
	}
	res->beams++;
	self = rb_beam_info_module(&info);
	for (size_t i = 0; i < info.imports_nr; i++) {
		const struct rb_beam_import *im = &info.imports[i];
		const char *provider;

		if ((self && !strcmp(im->module, self)) ||
		    sorted_contains(provided, im->module))
			continue;
		provider = find_provider(in->index, cache, im->module);
		if (optional_call(in, app, im->module, provider))
			continue;
		add_call(finding_for(res, app->name, im->module, provider),
			 self ? self : path, im->function, im->arity);
	}
out:
	rb_beam_info_release(&info);
	rb_beam_release(&beam);
}

static int cmp_call(const void *a, const void *b)
{
	const struct rb_xref_call *x = a, *y = b;
	int c = strcmp(x->caller, y->caller);

	return c ? c : strcmp(x->function, y->function);
}

static int cmp_finding(const void *a, const void *b)
{
	const struct rb_xref_finding *x = a, *y = b;
	int c = strcmp(x->app, y->app);

	return c ? c : strcmp(x->module, y->module);
}

int rb_xref_check(const struct rb_xref_input *in, struct rb_xref_result *res,
		  struct rb_error *err)
{
	struct strvec provided = STRVEC_INIT, otp_apps = STRVEC_INIT;
	struct strvec beams = STRVEC_INIT;
	struct provider_cache cache = { 0 };
	int have_list, ret = -1;

	have_list = rb_xref_otp_apps(in->otp_root, in->otp_release, &otp_apps,
				     err);
	if (have_list < 0 || provided_modules(in, &provided, err) < 0)
		goto out;
	for (size_t i = 0; i < in->release->nr; i++) {
		const struct rb_app *app = &in->release->v[i];
		char *ebin;
		int r;

		if (is_runtime_app(in, app, &otp_apps, have_list))
			continue;
		strvec_push(&res->checked, app->name);
		ebin = path_join(app->dir, "ebin");
		strvec_clear(&beams);
		r = beam_names(ebin, &beams, err);
		for (size_t j = 0; !r && j < beams.nr; j++) {
			char *path = xasprintf("%s/%s.beam", ebin, beams.v[j]);

			check_beam(in, app, path, &provided, &cache, res);
			free(path);
		}
		free(ebin);
		if (r < 0)
			goto out;
	}
	for (size_t i = 0; i < res->nr; i++)
		qsort(res->v[i].calls, res->v[i].nr, sizeof(*res->v[i].calls),
		      cmp_call);
	if (res->nr)
		qsort(res->v, res->nr, sizeof(*res->v), cmp_finding);
	ret = 0;
out:
	provider_cache_release(&cache);
	strvec_clear(&beams);
	strvec_clear(&otp_apps);
	strvec_clear(&provided);
	return ret;
}
