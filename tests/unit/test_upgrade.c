#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apps.h"
#include "manifest.h"
#include "runtime.h"
#include "tarball.h"
#include "term.h"
#include "upgrade.h"
#include "util.h"

/*
 * Two versions of an application "app" are compiled once for the whole
 * group with erlc: 0.1.0 from src1/ (relative paths, with debug_info)
 * and 0.2.0 from src2/ (absolute paths, without), so that neither the
 * debug information nor the build directory may count as a change.
 *
 *   keep   the same code in both
 *   dbg    the same code in both
 *   plain  changed, no code_change: load_module
 *   srv    changed, exports code_change/3: update
 *   fsm    changed, exports code_change/4: update
 *   fresh  only in 0.2.0: add_module
 *   gone   only in 0.1.0: delete_module
 *
 * The release tests lay out whole releases "rel" around it (kernel,
 * stdlib and sasl as their .app files alone: systools reads no more)
 * and run rb_upgrade_make(), which runs erl for the relup.
 */
struct fixture {
	char *tmp;
	int have_erl;
	char *app1, *app2;   /* application directories: ebin/ inside */
	char *erts_vsn;
	struct strvec otp;   /* name, vsn, .app path, for kernel stdlib sasl */
	char *erl;
};

static const char expected_appup[] =
	"{\"0.2.0\","
	"[{\"0.1.0\",[{add_module,fresh},{update,fsm,{advanced,[]}},"
	"{load_module,plain},{update,srv,{advanced,[]}},{delete_module,gone}]}],"
	"[{\"0.1.0\",[{add_module,gone},{update,fsm,{advanced,[]}},"
	"{load_module,plain},{update,srv,{advanced,[]}},{delete_module,fresh}]}]}";

static int run(const char *const *argv, const char *cwd, struct strbuf *out)
{
	struct strbuf own = STRBUF_INIT;
	struct rb_error err;
	int status;

	if (!out)
		out = &own;
	status = run_capture(argv, cwd, out, &err);
	if (status != 0)
		fprintf(stderr, "%s exited %d: %s%s\n", argv[0], status,
			sb_str(out), status < 0 ? err.msg : "");
	sb_release(&own);
	return status;
}

static void write_text(const char *path, const char *text)
{
	char *dir = xstrdup(path);
	struct rb_error err;

	*strrchr(dir, '/') = '\0';
	assert_int_equal(mkdir_p(dir, &err), 0);
	assert_int_equal(write_file(path, text, strlen(text), 0644, &err), 0);
	free(dir);
}

static void write_mod(const char *dir, const char *mod, const char *body)
{
	char *path = xasprintf("%s/%s.erl", dir, mod);
	char *text = xasprintf("-module(%s).\n%s", mod, body);

	write_text(path, text);
	free(path);
	free(text);
}

static void write_sources(const char *dir, int v)
{
	write_mod(dir, "keep", "-export([f/1]).\nf(X) -> {X, lists:reverse(X)}.\n");
	write_mod(dir, "dbg", "-export([g/0]).\ng() -> erlang:now().\n");
	write_mod(dir, "plain", v == 1 ? "-export([h/0]).\nh() -> one.\n" :
					 "-export([h/0]).\nh() -> two.\n");
	write_mod(dir, "srv", v == 1 ?
		  "-export([code_change/3]).\ncode_change(_, S, _) -> {ok, S}.\n" :
		  "-export([code_change/3, x/0]).\ncode_change(_, S, _) -> {ok, {S}}.\nx() -> 2.\n");
	write_mod(dir, "fsm", v == 1 ?
		  "-export([code_change/4]).\ncode_change(_, St, D, _) -> {ok, St, D}.\n" :
		  "-export([code_change/4]).\ncode_change(_, St, D, _) -> {ok, St, {D}}.\n");
	if (v == 1)
		write_mod(dir, "gone", "-export([y/0]).\ny() -> gone.\n");
	else
		write_mod(dir, "fresh", "-export([z/0]).\nz() -> fresh.\n");
}

static char *app_text(const char *vsn, int v)
{
	return xasprintf("{application,app,[{description,\"app\"},{vsn,\"%s\"},"
			 "{modules,[keep,dbg,plain,srv,fsm,%s]},{registered,[]},"
			 "{applications,[kernel,stdlib]}]}.\n",
			 vsn, v == 1 ? "gone" : "fresh");
}

/* Compile the sources of version v into app/ebin, with its .app. */
static int build_app(struct fixture *f, const char *src, const char *app,
		     const char *vsn, int v)
{
	char *srcdir = xasprintf("%s/%s", f->tmp, src);
	char *ebin = xasprintf("%s/%s/ebin", f->tmp, app);
	char *app_file = xasprintf("%s/app.app", ebin);
	char *text = app_text(vsn, v);
	struct strvec argv = STRVEC_INIT;
	struct rb_error err;
	static const char *const mods1[] = { "keep", "dbg", "plain", "srv", "fsm", "gone", NULL };
	static const char *const mods2[] = { "keep", "dbg", "plain", "srv", "fsm", "fresh", NULL };
	int status;

	write_sources(srcdir, v);
	if (mkdir_p(ebin, &err) < 0)
		return -1;
	write_text(app_file, text);
	strvec_push(&argv, "erlc");
	if (v == 1)
		strvec_push(&argv, "+debug_info");
	strvec_push(&argv, "-o");
	strvec_push(&argv, ebin);
	for (const char *const *m = v == 1 ? mods1 : mods2; *m; m++) {
		if (v == 1) /* relative to the fixture */
			strvec_pushf(&argv, "%s/%s.erl", src, *m);
		else
			strvec_pushf(&argv, "%s/%s.erl", srcdir, *m);
	}
	status = run((const char *const *)argv.v, f->tmp, NULL);
	strvec_clear(&argv);
	free(srcdir);
	free(ebin);
	free(app_file);
	free(text);
	return status;
}

static int find_otp(struct fixture *f)
{
	static const char *const names[] = { "kernel", "stdlib", "sasl", NULL };
	struct rb_runtime rt = { 0 };
	struct rb_app_index idx;
	struct strvec dirs = STRVEC_INIT;
	struct rb_error err;
	int ret = -1;

	rb_app_index_init(&idx);
	if (rb_runtime_find(&rt, NULL, 0, &err) < 0)
		goto out;
	strvec_pushf(&dirs, "%s/lib", rt.otp_root);
	if (rb_apps_discover(&idx, &dirs, &err) < 0)
		goto out;
	for (const char *const *n = names; *n; n++) {
		const struct rb_app *a = rb_app_index_find(&idx, *n);

		if (!a)
			goto out;
		strvec_push(&f->otp, a->name);
		strvec_push(&f->otp, a->vsn);
		strvec_push(&f->otp, a->app_file);
	}
	f->erts_vsn = xstrdup(rt.erts_vsn);
	f->erl = xstrdup(rt.erl);
	ret = 0;
out:
	strvec_clear(&dirs);
	rb_app_index_release(&idx);
	rb_runtime_release(&rt);
	return ret;
}

static int group_setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	char tmpl[] = "/tmp/test_upgrade.XXXXXX";
	char real[PATH_MAX];
	char *erlc = which("erlc"), *erl = which("erl");

	if (!mkdtemp(tmpl) || !realpath(tmpl, real))
		return -1;
	f->tmp = xstrdup(real);
	f->app1 = xasprintf("%s/app1", f->tmp);
	f->app2 = xasprintf("%s/app2", f->tmp);
	if (erlc && erl)
		f->have_erl = build_app(f, "src1", "app1", "0.1.0", 1) == 0 &&
			      build_app(f, "src2", "app2", "0.2.0", 2) == 0 &&
			      find_otp(f) == 0;
	free(erlc);
	free(erl);
	*state = f;
	return 0;
}

static int group_teardown(void **state)
{
	struct fixture *f = *state;
	struct rb_error err;

	remove_tree(f->tmp, &err);
	free(f->tmp);
	free(f->app1);
	free(f->app2);
	free(f->erts_vsn);
	free(f->erl);
	strvec_clear(&f->otp);
	free(f);
	return 0;
}

static void need_erl(const struct fixture *f)
{
	if (!f->have_erl)
		skip();
}

static struct rb_term *parse(const char *text)
{
	struct rb_term *t = NULL;
	struct rb_error err;
	char *s = xasprintf("%s.", text);

	if (rb_term_parse_one(&t, "test", s, strlen(s), &err) < 0)
		fail_msg("%s", err.msg);
	free(s);
	return t;
}

static void assert_strvec(const struct strvec *sv, const char *joined)
{
	struct strbuf sb = STRBUF_INIT;

	for (size_t i = 0; i < sv->nr; i++)
		sb_addf(&sb, "%s%s", i ? "," : "", sv->v[i]);
	assert_string_equal(sb_str(&sb), joined);
	sb_release(&sb);
}

static void test_module_diff(void **state)
{
	struct fixture *f = *state;
	struct rb_module_diff d = RB_MODULE_DIFF_INIT;
	struct rb_error err;

	need_erl(f);
	assert_int_equal(rb_module_diff(f->app1, f->app2, &d, &err), 0);
	assert_strvec(&d.added, "fresh");
	assert_strvec(&d.changed, "fsm,plain,srv");
	assert_strvec(&d.deleted, "gone");
	assert_strvec(&d.advanced, "fsm,srv");
	rb_module_diff_release(&d);

	/* a tree against itself: nothing */
	assert_int_equal(rb_module_diff(f->app1, f->app1, &d, &err), 0);
	assert_false(rb_module_diff_any(&d));
	rb_module_diff_release(&d);
}

static void test_appup_terms(void **state)
{
	struct fixture *f = *state;
	struct rb_module_diff d = RB_MODULE_DIFF_INIT;
	struct rb_term *got, *want;
	struct strbuf sb = STRBUF_INIT;
	struct rb_error err;

	need_erl(f);
	assert_int_equal(rb_app_diff("app", "0.1.0", f->app1, "0.2.0", f->app2,
				     &d, &err), 0);
	got = rb_appup_term("0.1.0", "0.2.0", &d);
	rb_term_format(got, &sb);
	assert_string_equal(sb_str(&sb), expected_appup);
	want = parse(expected_appup);
	assert_true(rb_term_equal(got, want));
	assert_true(rb_appup_covers(got, "0.1.0", "0.2.0"));
	assert_false(rb_appup_covers(got, "0.0.9", "0.2.0"));
	assert_false(rb_appup_covers(got, "0.1.0", "0.3.0"));
	rb_term_free(got);
	rb_term_free(want);
	sb_release(&sb);
	rb_module_diff_release(&d);
}

/* What erl's file:consult/1 reads from the written text, printed on one line. */
static void test_appup_consults(void **state)
{
	struct fixture *f = *state;
	struct rb_module_diff d = RB_MODULE_DIFF_INIT;
	struct strbuf out = STRBUF_INIT;
	struct rb_error err;
	char *path = xasprintf("%s/consult.appup", f->tmp);
	char *text;
	const char *argv[] = {
		"erl", "-noshell", "-noinput", "-eval",
		"[P] = init:get_plain_arguments(), {ok, [T]} = file:consult(P),"
		" io:format(\"~99999p\", [T]), halt().",
		"-extra", path, NULL,
	};

	need_erl(f);
	assert_int_equal(rb_app_diff("app", "0.1.0", f->app1, "0.2.0", f->app2,
				     &d, &err), 0);
	text = rb_appup_text("0.1.0", "0.2.0", &d);
	assert_non_null(strstr(text, "\n")); /* pretty: broken over lines */
	write_text(path, text);
	assert_int_equal(run(argv, NULL, &out), 0);
	assert_string_equal(sb_str(&out), expected_appup);
	free(text);
	free(path);
	sb_release(&out);
	rb_module_diff_release(&d);
}

static void test_same_version(void **state)
{
	struct fixture *f = *state;
	struct rb_module_diff d = RB_MODULE_DIFF_INIT;
	struct rb_error err = { 0 };

	need_erl(f);
	assert_int_equal(rb_app_diff("app", "0.1.0", f->app1, "0.1.0", f->app2,
				     &d, &err), -1);
	assert_string_equal(err.msg,
			    "application 'app' changed but its version is still 0.1.0: bump vsn in its .app");
	rb_module_diff_release(&d);
	/* unchanged with the same version is fine */
	assert_int_equal(rb_app_diff("app", "0.1.0", f->app1, "0.1.0", f->app1,
				     &d, &err), 0);
	rb_module_diff_release(&d);
}

static void test_covers_regex(void **state)
{
	struct rb_term *t = parse(
		"{\"8.5.3\","
		" [{<<\"^8\\\\.5\\\\.2(?:\\\\.[0-9]+)*$\">>, [restart_new_emulator]},"
		"  {<<\"0\\\\.1\">>, []}, {\"7.0\", []}],"
		" [{<<\"^8\\\\.5\\\\.\\\\d+(?:\\\\.\\\\d+)*$\">>, []}, {<<\"0\\\\.1\">>, []},"
		"  {\"7.0\", []}]}");

	(void)state;
	assert_true(rb_appup_covers(t, "8.5.2", "8.5.3"));
	assert_true(rb_appup_covers(t, "8.5.2.1", "8.5.3"));
	assert_false(rb_appup_covers(t, "8.5.21", "8.5.3"));
	assert_true(rb_appup_covers(t, "7.0", "8.5.3"));
	/* systools wants the first match to be all of the version */
	assert_false(rb_appup_covers(t, "0.1.0", "8.5.3"));
	assert_false(rb_appup_covers(t, "8.5.2", "8.5.4"));
	rb_term_free(t);
}

/* Release tests */

/* Lay out release "rel" vsn at root with app (directory appdir) at appvsn. */
static void lay_out(struct fixture *f, const char *root, const char *vsn,
		    const char *appdir, const char *appvsn)
{
	struct strbuf rel = STRBUF_INIT;
	struct rb_error err;
	char *p;

	sb_addf(&rel, "{release,{\"rel\",\"%s\"},{erts,\"%s\"},[", vsn, f->erts_vsn);
	for (size_t i = 0; i < f->otp.nr; i += 3) {
		p = xasprintf("%s/lib/%s-%s/ebin/%s.app", root, f->otp.v[i],
			      f->otp.v[i + 1], f->otp.v[i]);
		write_text(p, "");
		assert_int_equal(copy_file(f->otp.v[i + 2], p, &err), 0);
		free(p);
		sb_addf(&rel, "{%s,\"%s\"},", f->otp.v[i], f->otp.v[i + 1]);
	}
	sb_addf(&rel, "{app,\"%s\"}]}.\n", appvsn);
	p = xasprintf("%s/lib/app-%s/ebin", root, appvsn);
	assert_int_equal(mkdir_p(p, &err), 0);
	free(p);
	p = xasprintf("%s/lib/app-%s", root, appvsn);
	{
		char *from = xasprintf("%s/ebin", appdir), *to = xasprintf("%s/ebin", p);

		assert_int_equal(copy_tree(from, to, &err), 0);
		free(from);
		free(to);
	}
	free(p);
	p = xasprintf("%s/releases/%s/rel.rel", root, vsn);
	write_text(p, rel.buf);
	free(p);
	p = xasprintf("%s/releases/start_erl.data", root);
	free(rel.buf);
	rel.buf = xasprintf("%s %s\n", f->erts_vsn, vsn);
	write_text(p, rel.buf);
	free(p);
	free(rel.buf);
}

/* Remove all of root but releases/<keep>/, as rb_assemble() does. */
static void clean(const char *root, const char *keep)
{
	struct strvec names = STRVEC_INIT;
	struct rb_error err;
	char *releases = path_join(root, "releases");
	char *lib = path_join(root, "lib");

	assert_int_equal(remove_tree(lib, &err), 0);
	assert_int_equal(list_dir(releases, &names, &err), 0);
	for (size_t i = 0; i < names.nr; i++) {
		char *sub = path_join(releases, names.v[i]);

		if (strcmp(names.v[i], keep))
			assert_int_equal(remove_tree(sub, &err), 0);
		free(sub);
	}
	strvec_clear(&names);
	free(releases);
	free(lib);
}

struct rel_case {
	char *project; /* project root: rel/appups/ */
	char *root;    /* <project>/out/rel */
	char *out;     /* <project>/out */
	struct rb_upgrade_summary sum;
	struct rb_error err;
};

/* A project whose out/rel holds release 0.1.0's tarball, and 0.2.0 laid out. */
static struct rel_case *rel_case_new(struct fixture *f, const char *name,
				     const char *new_appdir,
				     const char *new_appvsn)
{
	struct rel_case *c = xcalloc(1, sizeof(*c));
	struct rb_tarball tar = { 0 };

	c->project = xasprintf("%s/%s", f->tmp, name);
	c->out = xasprintf("%s/out", c->project);
	c->root = xasprintf("%s/rel", c->out);
	rb_upgrade_summary_init(&c->sum);
	lay_out(f, c->root, "0.1.0", f->app1, "0.1.0");
	assert_int_equal(rb_manifest_write(c->root, "0.1.0", NULL, &c->err), 0);
	assert_int_equal(rb_tarball_make(&tar, c->root, "rel", "0.1.0",
					 &(struct rb_pack){ .compression = RB_COMPRESS_GZIP }, RB_DEFAULT_EPOCH,
					 &c->err), 0);
	rb_tarball_release(&tar);
	clean(c->root, "0.1.0");
	lay_out(f, c->root, "0.2.0", new_appdir, new_appvsn);
	return c;
}

static void rel_case_free(struct rel_case *c)
{
	rb_upgrade_summary_release(&c->sum);
	free(c->project);
	free(c->root);
	free(c->out);
	free(c);
}

static int upgrade(struct fixture *f, struct rel_case *c, const char *upfrom)
{
	struct rb_upgrade_job job = {
		.project = c->project, .root = c->root, .name = "rel",
		.vsn = "0.2.0", .upfrom = upfrom, .erl = f->erl,
	};

	return rb_upgrade_make(&job, &c->sum, &c->err);
}

static char *slurp(const char *path)
{
	char *text = NULL;
	struct rb_error err;

	if (read_file(path, &text, NULL, &err) < 0)
		fail_msg("%s", err.msg);
	return text;
}

/* Nothing but the release directory is left in the output directory. */
static void assert_no_temp(const struct rel_case *c)
{
	struct strvec names = STRVEC_INIT;
	struct rb_error err;

	assert_int_equal(list_dir(c->out, &names, &err), 0);
	assert_int_equal(names.nr, 1);
	assert_string_equal(names.v[0], "rel");
	strvec_clear(&names);
}

static void test_release_generated(void **state)
{
	struct fixture *f = *state;
	struct rel_case *c;
	struct rb_module_diff d = RB_MODULE_DIFF_INIT;
	struct rb_error err;
	struct strbuf sb = STRBUF_INIT;
	char *appup, *want, *relup, *text;
	struct stat st;
	mode_t old_umask;

	need_erl(f);
	c = rel_case_new(f, "generated", f->app2, "0.2.0");
	old_umask = umask(077); /* the relup is 0644 all the same */
	if (upgrade(f, c, NULL) < 0)
		fail_msg("%s", c->err.msg);
	umask(old_umask);

	appup = xasprintf("%s/lib/app-0.2.0/ebin/app.appup", c->root);
	text = slurp(appup);
	assert_int_equal(rb_app_diff("app", "0.1.0", f->app1, "0.2.0", f->app2,
				     &d, &err), 0);
	want = rb_appup_text("0.1.0", "0.2.0", &d);
	assert_string_equal(text, want);
	free(text);

	relup = xasprintf("%s/releases/0.2.0/relup", c->root);
	assert_string_equal(c->sum.relup, relup);
	assert_int_equal(stat(relup, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	text = slurp(relup);
	assert_non_null(strstr(text, "{load_object_code,{app,\"0.2.0\",[fresh,fsm,plain,srv]}}"));
	assert_non_null(strstr(text, "{load_object_code,{app,\"0.1.0\",[gone,fsm,plain,srv]}}"));
	assert_non_null(strstr(text, "{code_change,up,[{fsm,[]}]}"));
	assert_non_null(strstr(text, "{code_change,up,[{srv,[]}]}"));
	assert_non_null(strstr(text, "{code_change,down,[{srv,[]}]}"));
	assert_non_null(strstr(text, "{remove,{gone,"));
	assert_non_null(strstr(text, "{remove,{fresh,"));
	assert_null(strstr(text, "{code_change,up,[{plain"));
	free(text);

	assert_string_equal(c->sum.old_vsn, "0.1.0");
	assert_string_equal(c->sum.new_vsn, "0.2.0");
	assert_int_equal(c->sum.nr, 1);
	assert_string_equal(c->sum.apps[0].name, "app");
	assert_int_equal(c->sum.apps[0].source, RB_APPUP_GENERATED);
	assert_int_equal(c->sum.apps[0].nr_added, 1);
	assert_int_equal(c->sum.apps[0].nr_changed, 3);
	assert_int_equal(c->sum.apps[0].nr_deleted, 1);
	rb_upgrade_describe(&c->sum, &sb);
	text = xasprintf("upgrade 0.1.0 -> 0.2.0: erts %s (unchanged)\n"
			 "upgrade 0.1.0 -> 0.2.0: app app 0.1.0 -> 0.2.0 (generated appup: 1 added, 3 changed, 1 deleted)\n",
			 f->erts_vsn);
	assert_non_null(strstr(sb_str(&sb), text));
	free(text);
	assert_no_temp(c);

	sb_release(&sb);
	rb_module_diff_release(&d);
	free(want);
	free(appup);
	free(relup);
	rel_case_free(c);
}

static const char hand_project[] =
	"%% from rel/appups\n{\"0.2.0\",[{\"0.1.0\",[{load_module,plain}]}],[{\"0.1.0\",[{load_module,plain}]}]}.\n";
static const char hand_priv[] =
	"%% from priv/appups\n{\"0.2.0\",[{\"0.1.0\",[{load_module,srv}]}],[{\"0.1.0\",[{load_module,srv}]}]}.\n";
static const char hand_shipped[] =
	"%% shipped\n{\"0.2.0\",[{<<\"^0\\\\.1\\\\.[0-9]+$\">>,[]}],[{<<\"^0\\\\.1\\\\.[0-9]+$\">>,[]}]}.\n";
static const char stale_shipped[] =
	"{\"0.2.0\",[{\"0.0.1\",[]}],[{\"0.0.1\",[]}]}.\n";

/* Which appup wins, given the hand-written ones present. */
static void check_precedence(struct fixture *f, const char *name,
			     const char *project, const char *priv,
			     const char *shipped, const char *expect,
			     enum rb_appup_source source)
{
	struct rel_case *c = rel_case_new(f, name, f->app2, "0.2.0");
	char *dest = xasprintf("%s/lib/app-0.2.0/ebin/app.appup", c->root);
	char *p, *text;

	if (project) {
		p = xasprintf("%s/rel/appups/app/0.1.0_to_0.2.0.appup", c->project);
		write_text(p, project);
		free(p);
	}
	if (priv) {
		p = xasprintf("%s/lib/app-0.2.0/priv/appups/0.1.0_to_0.2.0.appup", c->root);
		write_text(p, priv);
		free(p);
	}
	if (shipped)
		write_text(dest, shipped);
	if (upgrade(f, c, "0.1.0") < 0)
		fail_msg("%s", c->err.msg);
	text = slurp(dest);
	if (expect) {
		assert_string_equal(text, expect);
	} else {
		struct rb_term *got = NULL, *want = parse(expected_appup);
		struct rb_error err;

		assert_int_equal(rb_term_parse_one(&got, dest, text, strlen(text),
						   &err), 0);

		assert_true(rb_term_equal(got, want));
		rb_term_free(got);
		rb_term_free(want);
	}
	assert_int_equal(c->sum.apps[0].source, source);
	assert_no_temp(c);
	free(text);
	free(dest);
	rel_case_free(c);
}

static void test_release_precedence(void **state)
{
	struct fixture *f = *state;

	need_erl(f);
	check_precedence(f, "p1", hand_project, hand_priv, hand_shipped,
			 hand_project, RB_APPUP_PROJECT);
	check_precedence(f, "p2", NULL, hand_priv, hand_shipped, hand_priv,
			 RB_APPUP_PRIV);
	check_precedence(f, "p3", NULL, NULL, hand_shipped, hand_shipped,
			 RB_APPUP_SHIPPED);
	check_precedence(f, "p4", NULL, NULL, stale_shipped, NULL,
			 RB_APPUP_GENERATED);
}

static void test_release_bad_hand_appup(void **state)
{
	struct fixture *f = *state;
	struct rel_case *c;
	char *p, *want;

	need_erl(f);
	c = rel_case_new(f, "badhand", f->app2, "0.2.0");
	p = xasprintf("%s/rel/appups/app/0.1.0_to_0.2.0.appup", c->project);
	write_text(p, stale_shipped);
	assert_int_equal(upgrade(f, c, NULL), -1);
	want = xasprintf("%s: not an appup from 0.1.0 to 0.2.0", p);
	assert_true(has_prefix(c->err.msg, want));
	assert_no_temp(c);
	free(want);
	free(p);
	rel_case_free(c);
}

static void test_release_same_version(void **state)
{
	struct fixture *f = *state;
	struct rel_case *c;

	need_erl(f);
	c = rel_case_new(f, "samevsn", f->app2, "0.1.0");
	assert_int_equal(upgrade(f, c, NULL), -1);
	assert_string_equal(c->err.msg,
			    "application 'app' changed but its version is still 0.1.0: bump vsn in its .app");
	assert_no_temp(c);
	rel_case_free(c);
}

static void test_release_old_errors(void **state)
{
	struct fixture *f = *state;
	struct rel_case *c;
	char *p, *want;

	need_erl(f);
	c = rel_case_new(f, "olderr", f->app2, "0.2.0");

	assert_int_equal(upgrade(f, c, "0.2.0"), -1);
	assert_int_equal(c->err.code, RB_ECONFIG);
	assert_non_null(strstr(c->err.msg, "0.2.0"));

	assert_int_equal(upgrade(f, c, "9.9.9"), -1);
	assert_true(has_prefix(c->err.msg, "no release 9.9.9 to upgrade from"));

	p = xasprintf("%s/missing.tar.gz", f->tmp);
	assert_int_equal(upgrade(f, c, p), -1);
	want = xasprintf("--upfrom: '%s' does not exist", p);
	assert_string_equal(c->err.msg, want);
	free(want);
	free(p);

	/* nothing to upgrade from */
	p = xasprintf("%s/releases/0.1.0", c->root);
	{
		struct rb_error err;

		assert_int_equal(remove_tree(p, &err), 0);
	}
	free(p);
	assert_int_equal(upgrade(f, c, NULL), -1);
	want = xasprintf("no earlier release to upgrade from in '%s/releases': build the old version first, or give --upfrom TARBALL",
			 c->root);
	assert_string_equal(c->err.msg, want);
	free(want);
	assert_no_temp(c);
	rel_case_free(c);
}

/* An old tarball that does not match its SHA256SUMS is refused. */
static void test_release_tampered(void **state)
{
	struct fixture *f = *state;
	struct rel_case *c;
	struct rb_tarball tar = { 0 };
	struct rb_error err;
	char *root, *p, *want;

	need_erl(f);
	c = rel_case_new(f, "tampered", f->app2, "0.2.0");
	root = xasprintf("%s/other/rel", c->project);
	lay_out(f, root, "0.1.0", f->app1, "0.1.0");
	assert_int_equal(rb_manifest_write(root, "0.1.0", NULL, &err), 0);
	p = xasprintf("%s/lib/app-0.1.0/ebin/app.app", root);
	write_text(p, "{application,app,[{vsn,\"0.1.0\"}]}.\n");
	free(p);
	assert_int_equal(rb_tarball_make(&tar, root, "rel", "0.1.0",
					 &(struct rb_pack){ .compression = RB_COMPRESS_GZIP }, RB_DEFAULT_EPOCH,
					 &err), 0);
	assert_int_equal(upgrade(f, c, tar.path), -1);
	want = xasprintf("'%s' does not match its SHA256SUMS (changed 'lib/app-0.1.0/ebin/app.app')",
			 tar.path);
	assert_true(has_prefix(c->err.msg, want));
	assert_no_temp(c);
	free(want);
	free(root);
	rb_tarball_release(&tar);
	rel_case_free(c);
}

/* --upfrom TARBALL: the version comes from its releases/start_erl.data. */
static void test_release_upfrom_path(void **state)
{
	struct fixture *f = *state;
	struct rel_case *c;
	char *moved, *p;

	need_erl(f);
	c = rel_case_new(f, "bypath", f->app2, "0.2.0");
	p = xasprintf("%s/releases/0.1.0/rel.tar.gz", c->root);
	moved = xasprintf("%s/elsewhere.tar.gz", c->project);
	assert_int_equal(rename(p, moved), 0);
	if (upgrade(f, c, moved) < 0)
		fail_msg("%s", c->err.msg);
	assert_string_equal(c->sum.old_vsn, "0.1.0");
	assert_string_equal(c->sum.old_tarball, moved);
	assert_no_temp(c);
	free(p);
	free(moved);
	rel_case_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_module_diff),
		cmocka_unit_test(test_appup_terms),
		cmocka_unit_test(test_appup_consults),
		cmocka_unit_test(test_same_version),
		cmocka_unit_test(test_covers_regex),
		cmocka_unit_test(test_release_generated),
		cmocka_unit_test(test_release_precedence),
		cmocka_unit_test(test_release_bad_hand_appup),
		cmocka_unit_test(test_release_same_version),
		cmocka_unit_test(test_release_old_errors),
		cmocka_unit_test(test_release_tampered),
		cmocka_unit_test(test_release_upfrom_path),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
