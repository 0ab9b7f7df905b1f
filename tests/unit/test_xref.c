#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "apps.h"
#include "util.h"
#include "xref.h"

/*
 * One tree of applications for the whole group, with beams compiled by
 * erlc (the tests skip without it):
 *
 *   lib/gen/            the project's: gen_srv, gen_util (+ a broken beam,
 *                       consolidated/Elixir.Proto.beam)
 *   lib/opt-1/          optional to gen, module opt_mod
 *   lib/hidden-1/       its .app forgets its module forgotten
 *   elixir/lib/elixir/  Elixir's own: elixir_mod calls a missing module
 *   otp/lib/            kernel, stdlib, compiler (compile), erts, and
 *                       yaws-2 (third party in the OTP root, as Debian
 *                       installs it); kernel_mod calls a missing module
 *   otp/releases/99/installed_application_versions   OTP's own
 */
struct fixture {
	char *root; /* real path */
	int have_erl;
	struct rb_app_index idx;
};

static const char gen_srv_erl[] =
	"-module(gen_srv).\n"
	"-export([go/1, loop/0]).\n"
	"go(F) ->\n"
	"    compile:file(F, []),\n"
	"    compile:forms([], []),\n"
	"    lists:reverse([]),\n"
	"    gen_util:x(),\n"
	"    nosuch:go(),\n"
	"    opt_mod:f(),\n"
	"    optx_thing:g(),\n"
	"    relbuild_ctl:ping(),\n"
	"    'Elixir.Proto':impl_for(F),\n"
	"    forgotten:y(),\n"
	"    erts_thing:z(),\n"
	"    _ = self(),\n"
	"    ?MODULE:loop().\n"
	"loop() -> ok.\n";

static const char gen_util_erl[] =
	"-module(gen_util).\n"
	"-export([x/0]).\n"
	"x() -> compile:file(\"a\", []).\n";

static const char forgotten_erl[] =
	"-module(forgotten).\n"
	"-export([y/0]).\n"
	"y() -> ok.\n";

static const char yaws_server_erl[] =
	"-module(yaws_server).\n"
	"-export([start/0]).\n"
	"start() -> compile:file(\"gen.erl\", [binary]).\n";

static const char kernel_mod_erl[] =
	"-module(kernel_mod).\n"
	"-export([x/0]).\n"
	"x() -> missing_in_kernel:x().\n";

static const char elixir_mod_erl[] =
	"-module(elixir_mod).\n"
	"-export([x/0]).\n"
	"x() -> missing_in_elixir:x().\n";

static void put(const struct fixture *f, const char *rel, const char *text)
{
	char *path = path_join(f->root, rel);
	char *dir = xstrdup(path);
	struct rb_error err = { 0 };

	*strrchr(dir, '/') = '\0';
	assert_int_equal(mkdir_p(dir, &err), 0);
	assert_int_equal(write_file(path, text, strlen(text), 0644, &err), 0);
	free(dir);
	free(path);
}

/* rel/ebin/name.app: version, modules and applications as Erlang lists. */
static void put_app(const struct fixture *f, const char *rel, const char *name,
		    const char *modules, const char *apps, const char *optional)
{
	char *path = xasprintf("%s/ebin/%s.app", rel, name);
	char *text = xasprintf(
		"{application,%s,[{vsn,\"1\"},{modules,%s},{applications,%s}%s%s%s]}.\n",
		name, modules, apps, optional ? ",{optional_applications," : "",
		optional ? optional : "", optional ? "}" : "");

	put(f, path, text);
	free(text);
	free(path);
}

/* Compile src (module mod) into rel/ebin with erlc; 0 on success. */
static int compile(const struct fixture *f, const char *rel, const char *mod,
		   const char *src)
{
	char *erl = xasprintf("src/%s.erl", mod);
	char *out = path_join(f->root, rel);
	char *ebin = path_join(out, "ebin");
	const char *argv[] = { "erlc", "-o", ebin, erl, NULL };
	struct strbuf log = STRBUF_INIT;
	struct rb_error err = { 0 };
	int status;

	put(f, erl, src);
	status = run_capture(argv, f->root, &log, &err);
	if (status)
		fprintf(stderr, "erlc %s: %d %s%s\n", mod, status, sb_str(&log),
			status < 0 ? err.msg : "");
	sb_release(&log);
	free(ebin);
	free(out);
	free(erl);
	return status;
}

static int group_setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	char tmpl[] = "/tmp/test_xref.XXXXXX";
	char real[PATH_MAX];
	char *erlc = which("erlc");
	struct strvec libs = STRVEC_INIT;
	struct rb_error err = { 0 };

	if (!mkdtemp(tmpl) || !realpath(tmpl, real))
		return -1;
	f->root = xstrdup(real);
	rb_app_index_init(&f->idx);
	*state = f;
	if (!erlc)
		return 0;
	free(erlc);

	put_app(f, "lib/gen", "gen", "[gen_srv,gen_util]",
		"[kernel,stdlib,opt,optx]", "[opt,optx]");
	put_app(f, "lib/opt-1", "opt", "[opt_mod]", "[kernel,stdlib]", NULL);
	put_app(f, "lib/hidden-1", "hidden", "[]", "[kernel,stdlib]", NULL);
	put_app(f, "elixir/lib/elixir", "elixir", "[elixir_mod]",
		"[kernel,stdlib]", NULL);
	put_app(f, "otp/lib/kernel-1", "kernel", "[kernel_mod]", "[]", NULL);
	put_app(f, "otp/lib/stdlib-1", "stdlib", "[lists]", "[kernel]", NULL);
	put_app(f, "otp/lib/compiler-9", "compiler", "[compile]",
		"[kernel,stdlib]", NULL);
	put_app(f, "otp/lib/erts-1", "erts", "[erlang,erts_thing]", "[]", NULL);
	put_app(f, "otp/lib/yaws-2", "yaws", "[yaws_server]", "[kernel,stdlib]",
		NULL);
	put(f, "otp/releases/99/installed_application_versions",
	    "kernel-1\nstdlib-1\ncompiler-9\nerts-1\n");
	put(f, "lib/gen/ebin/bad.beam", "not a beam at all");

	f->have_erl =
		!compile(f, "lib/gen", "gen_srv", gen_srv_erl) &&
		!compile(f, "lib/gen", "gen_util", gen_util_erl) &&
		!compile(f, "lib/hidden-1", "forgotten", forgotten_erl) &&
		!compile(f, "otp/lib/yaws-2", "yaws_server", yaws_server_erl) &&
		!compile(f, "otp/lib/kernel-1", "kernel_mod", kernel_mod_erl) &&
		!compile(f, "elixir/lib/elixir", "elixir_mod", elixir_mod_erl);
	if (f->have_erl) {
		/* only names count: any beam stands for a consolidated protocol */
		char *from = path_join(f->root, "lib/gen/ebin/gen_util.beam");
		char *to = path_join(f->root, "lib/gen/consolidated/Elixir.Proto.beam");
		char *dir = path_join(f->root, "lib/gen/consolidated");

		assert_int_equal(mkdir_p(dir, &err), 0);
		assert_int_equal(copy_file(from, to, &err), 0);
		free(dir);
		free(from);
		free(to);
	}
	strvec_pushf(&libs, "%s/lib", f->root);
	strvec_pushf(&libs, "%s/elixir/lib", f->root);
	strvec_pushf(&libs, "%s/otp/lib", f->root);
	assert_int_equal(rb_apps_discover(&f->idx, &libs, &err), 0);
	strvec_clear(&libs);
	return 0;
}

static int group_teardown(void **state)
{
	struct fixture *f = *state;
	struct rb_error err;

	if (f) {
		rb_app_index_release(&f->idx);
		remove_tree(f->root, &err);
		free(f->root);
		free(f);
	}
	return 0;
}

/* A release of the named applications (NULL-terminated), copied from the index. */
static void release_of(const struct fixture *f, struct rb_app_list *out,
		       const char *const *names)
{
	rb_app_list_init(out);
	for (size_t i = 0; names[i]; i++) {
		const struct rb_app *app = rb_app_index_find(&f->idx, names[i]);

		assert_non_null(app);
		ALLOC_GROW(out->v, out->nr + 1, out->alloc);
		rb_app_copy(&out->v[out->nr++], app);
	}
}

/* What a test changes in the input; zero: the fixture's defaults. */
struct variant {
	const char *otp_release; /* NULL: "99", which has the list */
	int no_elixir;           /* elixir_lib NULL */
	int no_generated;        /* relbuild_ctl not generated */
	const struct strvec *ignored;
};

/* Check a release of the named applications into res (to release). */
static void check(const struct fixture *f, const char *const *names,
		  const struct variant *v, struct rb_xref_result *res)
{
	static const char *const generated[] = { "relbuild_ctl", NULL };
	struct rb_app_list rel;
	struct rb_error err = { 0 };
	char *otp = path_join(f->root, "otp");
	char *ex = path_join(f->root, "elixir/lib");
	struct rb_xref_input in = {
		.release = &rel, .index = &f->idx, .otp_root = otp,
		.otp_release = v->otp_release ? v->otp_release : "99",
		.elixir_lib = v->no_elixir ? NULL : ex,
		.generated = v->no_generated ? NULL : generated,
		.ignored = v->ignored,
	};

	release_of(f, &rel, names);
	rb_xref_result_init(res);
	if (rb_xref_check(&in, res, &err) < 0)
		fail_msg("rb_xref_check: %s", err.msg);
	rb_app_list_release(&rel);
	free(otp);
	free(ex);
}

/* "app/module(provider): caller f/a …" per finding, one a line. */
static char *summary(const struct rb_xref_result *res)
{
	struct strbuf sb = STRBUF_INIT;

	sb_add(&sb, "", 0);
	for (size_t i = 0; i < res->nr; i++) {
		const struct rb_xref_finding *x = &res->v[i];

		sb_addf(&sb, "%s/%s(%s):", x->app, x->module,
			x->provider ? x->provider : "-");
		for (size_t j = 0; j < x->nr; j++)
			sb_addf(&sb, " %s %s", x->calls[j].caller,
				x->calls[j].function);
		sb_addc(&sb, '\n');
	}
	return sb_detach(&sb);
}

static char *joined(const struct strvec *sv)
{
	struct strbuf sb = STRBUF_INIT;

	sb_add(&sb, "", 0);
	for (size_t i = 0; i < sv->nr; i++)
		sb_addf(&sb, "%s%s", i ? " " : "", sv->v[i]);
	return sb_detach(&sb);
}

static void need_erl(const struct fixture *f)
{
	if (!f->have_erl)
		skip();
}

static void assert_findings(const struct rb_xref_result *res, const char *want)
{
	char *got = summary(res);

	assert_string_equal(got, want);
	free(got);
}

static void assert_checked(const struct rb_xref_result *res, const char *want)
{
	char *got = joined(&res->checked);

	assert_string_equal(got, want);
	free(got);
}

static const char *const base[] = {
	"kernel", "stdlib", "elixir", "gen", "yaws", NULL,
};

/*
 * Found: compile (in compiler, not in the release), forgotten (its .app
 * does not list it, its ebin has it), nosuch (nowhere); one finding per
 * application and module, calls sorted.  Not found: lists, gen_util,
 * gen_srv's call to itself, erlang (self/0), erts's modules, opt_mod
 * (optional opt, absent), optx_thing (optional optx, not installed),
 * relbuild_ctl (generated), Elixir.Proto (consolidated).  Not checked:
 * kernel (OTP's) and elixir (Elixir's); yaws, in the OTP root but not
 * OTP's, is.
 */
static void test_findings(void **state)
{
	struct fixture *f = *state;
	struct variant v = { 0 };
	struct rb_xref_result res;

	need_erl(f);
	check(f, base, &v, &res);
	assert_findings(&res,
		"gen/compile(compiler): gen_srv file/2 gen_srv forms/2 gen_util file/2\n"
		"gen/forgotten(hidden): gen_srv y/0\n"
		"gen/nosuch(-): gen_srv go/0\n"
		"yaws/compile(compiler): yaws_server file/2\n");
	assert_checked(&res, "gen yaws");
	/* gen_srv gen_util yaws_server; bad.beam skipped, not fatal */
	assert_int_equal(res.beams, 3);
	assert_int_equal(res.unreadable.nr, 1);
	assert_non_null(strstr(res.unreadable.v[0], "bad.beam"));
	assert_non_null(strstr(res.unreadable.v[0], "not a BEAM"));
	rb_xref_result_release(&res);
	assert_int_equal(res.nr, 0);
}

/* The applications that have them, once in the release, silence them. */
static void test_added_to_release(void **state)
{
	static const char *const more[] = {
		"kernel", "stdlib", "elixir", "compiler", "hidden", "gen",
		"yaws", NULL,
	};
	static const char *const with_opt[] = {
		"kernel", "stdlib", "gen", "opt", NULL,
	};
	struct fixture *f = *state;
	struct variant v = { 0 };
	struct rb_xref_result res;

	need_erl(f);
	check(f, more, &v, &res);
	assert_findings(&res, "gen/nosuch(-): gen_srv go/0\n");
	rb_xref_result_release(&res);

	/* opt present: provided, nothing changes; compiler absent again */
	check(f, with_opt, &v, &res);
	assert_findings(&res,
		"gen/compile(compiler): gen_srv file/2 gen_srv forms/2 gen_util file/2\n"
		"gen/forgotten(hidden): gen_srv y/0\n"
		"gen/nosuch(-): gen_srv go/0\n");
	assert_checked(&res, "gen opt");
	rb_xref_result_release(&res);
}

/* What the release generates counts only when the caller says so. */
static void test_generated(void **state)
{
	struct fixture *f = *state;
	struct variant v = { .no_generated = 1 };
	struct rb_xref_result res;

	need_erl(f);
	check(f, base, &v, &res);
	assert_findings(&res,
		"gen/compile(compiler): gen_srv file/2 gen_srv forms/2 gen_util file/2\n"
		"gen/forgotten(hidden): gen_srv y/0\n"
		"gen/nosuch(-): gen_srv go/0\n"
		"gen/relbuild_ctl(-): gen_srv ping/0\n"
		"yaws/compile(compiler): yaws_server file/2\n");
	rb_xref_result_release(&res);
}

/* no_warn_undefined: the modules named are not reported, the rest are. */
static void test_ignored(void **state)
{
	struct fixture *f = *state;
	struct strvec ignored = STRVEC_INIT;
	struct variant v = { .ignored = &ignored };
	struct rb_xref_result res;

	need_erl(f);
	strvec_push(&ignored, "nosuch");
	strvec_push(&ignored, "compile");
	check(f, base, &v, &res);
	assert_findings(&res, "gen/forgotten(hidden): gen_srv y/0\n");
	rb_xref_result_release(&res);
	strvec_clear(&ignored);
}

/*
 * Which applications are the runtime's: without Elixir's lib directory
 * elixir is checked; without installed_application_versions, whatever
 * lies in <otp_root>/lib is OTP's (yaws too).
 */
static void test_runtime_apps(void **state)
{
	struct fixture *f = *state;
	struct variant no_ex = { .no_elixir = 1 };
	struct variant no_list = { .otp_release = "98" };
	struct rb_xref_result res;

	need_erl(f);
	check(f, base, &no_ex, &res);
	assert_checked(&res, "elixir gen yaws");
	{
		char *s = summary(&res);

		assert_non_null(strstr(s, "elixir/missing_in_elixir(-): elixir_mod x/0\n"));
		assert_null(strstr(s, "missing_in_kernel"));
		free(s);
	}
	rb_xref_result_release(&res);

	check(f, base, &no_list, &res);
	assert_checked(&res, "gen");
	assert_findings(&res,
		"gen/compile(compiler): gen_srv file/2 gen_srv forms/2 gen_util file/2\n"
		"gen/forgotten(hidden): gen_srv y/0\n"
		"gen/nosuch(-): gen_srv go/0\n");
	rb_xref_result_release(&res);
}

static void test_otp_apps(void **state)
{
	struct fixture *f = *state;
	struct strvec apps = STRVEC_INIT;
	struct rb_error err = { 0 };
	char *otp = path_join(f->root, "otp");
	char *s;

	put(f, "otp/releases/97/installed_application_versions",
	    "stdlib-4.2\r\nkernel-8.5.3 \n\n  \nsasl-4.2");
	assert_int_equal(rb_xref_otp_apps(otp, "97", &apps, &err), 1);
	s = joined(&apps);
	assert_string_equal(s, "kernel-8.5.3 sasl-4.2 stdlib-4.2");
	free(s);
	strvec_clear(&apps);
	assert_int_equal(rb_xref_otp_apps(otp, "96", &apps, &err), 0);
	assert_int_equal(apps.nr, 0);
	assert_int_equal(rb_xref_otp_apps(NULL, NULL, &apps, &err), 0);
	free(otp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_findings),
		cmocka_unit_test(test_added_to_release),
		cmocka_unit_test(test_generated),
		cmocka_unit_test(test_ignored),
		cmocka_unit_test(test_runtime_apps),
		cmocka_unit_test(test_otp_apps),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
