#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "helpers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "inspect.h"
#include "manifest.h"
#include "reldiff.h"
#include "tarball.h"
#include "term.h"
#include "upgrade.h"
#include "util.h"

/*
 * Two fake releases of "shop", 0.1.0 and 0.2.0, laid out by hand with
 * their manifests and tarballs, so that every kind of change is there:
 *
 *   kernel  9.0 in both, the same files                  unchanged
 *   shop    0.1.0 -> 0.2.0: keep the same, plain changed, srv changed
 *           (exports code_change/3), gone deleted, fresh added;
 *           its .app and priv/data.txt changed, priv/new.txt added
 *   tools   3.0 in both, load -> permanent                start type
 *   stale   1.0 in both, a module changed                 unbumped
 *   cfg     1.0 in both, priv/x.conf changed              content only
 *   oldapp  only in 0.1.0                                  removed
 *   newapp  only in 0.2.0                                  added
 *   erts    14.2 -> 14.3: one file the same, one changed, one each
 *           added and removed
 *   others  sys.config changed, vm.args the same, a hook added, an
 *           overlay added, one removed, one whose mode changed
 */
struct fixture {
	char *tmp;
	char *old_dir, *new_dir;
	char *old_tar, *new_tar;
};

static void app_file(const char *root, const char *app, const char *vsn)
{
	char *rel = xasprintf("lib/%s-%s/ebin/%s.app", app, vsn, app);
	char *text = xasprintf("{application,%s,[{vsn,\"%s\"}]}.\n", app, vsn);

	test_put_text(root, rel, text);
	free(rel);
	free(text);
}

/* Release 0.1.0 (v 1) or 0.2.0 (v 2) at root, with its manifest. */
static void make_release(const char *root, int v)
{
	const char *vsn = v == 1 ? "0.1.0" : "0.2.0";
	const char *shop = v == 1 ? "lib/shop-0.1.0" : "lib/shop-0.2.0";
	char *path, *text;
	struct rb_error err;

	test_put_bytes(root, "bin/shop", "#!/bin/sh\n", 10, 0755);
	test_put_bytes(root, "bin/nodetool", "#!/bin/sh\n", 10, 0755);
	test_put_bytes(root, "bin/extra-tool", "#!/bin/sh\n", 10, v == 1 ? 0644 : 0755);
	if (v == 1) {
		test_put_text(root, "erts-14.2/bin/beam.smp", "A");
		test_put_text(root, "erts-14.2/bin/erlexec", "E");
		test_put_text(root, "erts-14.2/bin/gone", "G");
	} else {
		test_put_text(root, "erts-14.3/bin/beam.smp", "A");
		test_put_text(root, "erts-14.3/bin/erlexec", "E2");
		test_put_text(root, "erts-14.3/bin/new", "N");
	}
	app_file(root, "kernel", "9.0");
	test_put_beam(root, "lib/kernel-9.0/ebin/kernel.beam", "kernel", 0, "k");

	app_file(root, "shop", vsn);
	path = xasprintf("%s/ebin/keep.beam", shop);
	test_put_beam(root, path, "keep", 0, "same");
	free(path);
	path = xasprintf("%s/ebin/plain.beam", shop);
	test_put_beam(root, path, "plain", 0, v == 1 ? "p1" : "p2");
	free(path);
	path = xasprintf("%s/ebin/srv.beam", shop);
	test_put_beam(root, path, "srv", 1, v == 1 ? "s1" : "s2");
	free(path);
	path = xasprintf("%s/ebin/%s.beam", shop, v == 1 ? "gone" : "fresh");
	test_put_beam(root, path, v == 1 ? "gone" : "fresh", 0, "x");
	free(path);
	path = xasprintf("%s/priv/data.txt", shop);
	test_put_text(root, path, v == 1 ? "v1" : "v2");
	free(path);
	path = xasprintf("%s/priv/same.txt", shop);
	test_put_text(root, path, "same");
	free(path);
	if (v == 2) {
		path = xasprintf("%s/priv/new.txt", shop);
		test_put_text(root, path, "new");
		free(path);
	}

	app_file(root, "tools", "3.0");
	test_put_beam(root, "lib/tools-3.0/ebin/t.beam", "t", 0, "t");
	app_file(root, "stale", "1.0");
	test_put_beam(root, "lib/stale-1.0/ebin/stale.beam", "stale", 0, v == 1 ? "a" : "b");
	app_file(root, "cfg", "1.0");
	test_put_text(root, "lib/cfg-1.0/priv/x.conf", v == 1 ? "a" : "b");
	if (v == 1)
		app_file(root, "oldapp", "1.0");
	else
		app_file(root, "newapp", "1.0");

	text = xasprintf("%s %s\n", v == 1 ? "14.2" : "14.3", vsn);
	test_put_text(root, "releases/start_erl.data", text);
	free(text);
	text = xasprintf("{release,{\"shop\",\"%s\"},{erts,\"%s\"},\n"
			 " [{kernel,\"9.0\"},{shop,\"%s\"},{tools,\"3.0\"%s},\n"
			 "  %s{stale,\"1.0\"},{cfg,\"1.0\"}]}.\n",
			 vsn, v == 1 ? "14.2" : "14.3", vsn,
			 v == 1 ? ",load" : "",
			 v == 1 ? "{oldapp,\"1.0\"}," : "{newapp,\"1.0\"},");
	path = xasprintf("releases/%s/shop.rel", vsn);
	test_put_text(root, path, text);
	free(path);
	free(text);
	path = xasprintf("releases/%s/start_clean.rel", vsn);
	text = xasprintf("{release,{\"shop\",\"%s\"},{erts,\"14\"},[]}.\n", vsn);
	test_put_text(root, path, text);
	free(path);
	free(text);
	path = xasprintf("releases/%s/sys.config", vsn);
	test_put_text(root, path, v == 1 ? "[].\n" : "[{shop,[]}].\n");
	free(path);
	path = xasprintf("releases/%s/vm.args", vsn);
	test_put_text(root, path, "+K true\n");
	free(path);
	path = xasprintf("releases/%s/hooks/pre_stop/a.sh", vsn);
	test_put_text(root, path, "#!/bin/sh\n");
	free(path);
	if (v == 2) {
		path = xasprintf("releases/%s/hooks/post_start/b.sh", vsn);
		test_put_text(root, path, "#!/bin/sh\n");
		free(path);
	}
	test_put_text(root, "doc/KEEP.txt", "keep");
	test_put_text(root, v == 1 ? "doc/OLD.txt" : "doc/NEW.txt", "x");
	if (rb_manifest_write(root, vsn, NULL, &err) < 0)
		fail_msg("%s", err.msg);
}

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	char tmpl[] = "/tmp/test_reldiff.XXXXXX";

	assert_non_null(mkdtemp(tmpl));
	f->tmp = xstrdup(tmpl);
	f->old_dir = path_join(f->tmp, "old");
	f->new_dir = path_join(f->tmp, "new");
	f->old_tar = path_join(f->tmp, "shop-0.1.0.tar.gz");
	f->new_tar = path_join(f->tmp, "shop-0.2.0.tar.gz");
	umask(022);
	make_release(f->old_dir, 1);
	make_release(f->new_dir, 2);
	test_write_tarball(f->old_dir, "0.1.0", f->old_tar);
	test_write_tarball(f->new_dir, "0.2.0", f->new_tar);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	struct rb_error err;

	remove_tree(f->tmp, &err);
	free(f->tmp);
	free(f->old_dir);
	free(f->new_dir);
	free(f->old_tar);
	free(f->new_tar);
	free(f);
	return 0;
}

static void join(struct strbuf *sb, const struct strvec *sv)
{
	for (size_t i = 0; i < sv->nr; i++)
		sb_addf(sb, "%s%s", i ? "," : "", sv->v[i]);
}

static void describe_file(struct strbuf *sb, const struct rb_reldiff_file *f)
{
	sb_addf(sb, "  %s %s", rb_change_name(f->change),
		f->new_path ? f->new_path : f->old_path);
	if (f->old_path && f->new_path && strcmp(f->old_path, f->new_path))
		sb_addf(sb, " from %s", f->old_path);
	if (f->mode_changed)
		sb_addf(sb, " mode %04o->%04o", f->old_mode, f->new_mode);
	if (f->change == RB_CHANGE_CHANGED && !f->content_changed)
		sb_adds(sb, " same content");
	sb_addf(sb, " [%s]\n", rb_file_role_name(f->role));
}

/* Every fact of a diff, one line each: what the tests compare. */
static char *describe(const struct rb_reldiff *d)
{
	struct strbuf sb = STRBUF_INIT;

	sb_addf(&sb, "%s %s -> %s %s\n", d->old_name, d->old_vsn, d->new_name,
		d->new_vsn);
	sb_addf(&sb, "erts %s%s -> %s%s changed=%d +%zu -%zu ~%zu\n",
		d->erts.old_vsn, d->erts.old_included ? "" : "(out)",
		d->erts.new_vsn, d->erts.new_included ? "" : "(out)",
		d->erts.changed, d->erts.nr_added, d->erts.nr_removed,
		d->erts.nr_changed);
	for (size_t i = 0; i < d->nr_apps; i++) {
		const struct rb_reldiff_app *a = &d->apps[i];

		sb_addf(&sb, "app %s %s %s -> %s (%s -> %s) vsn=%d type=%d content=%d\n",
			a->name, rb_change_name(a->change),
			a->old_vsn ? a->old_vsn : "-", a->new_vsn ? a->new_vsn : "-",
			a->old_start_type ? a->old_start_type : "-",
			a->new_start_type ? a->new_start_type : "-",
			a->vsn_changed, a->start_type_changed, a->content_changed);
		sb_adds(&sb, "  modules +");
		join(&sb, &a->modules.added);
		sb_adds(&sb, " ~");
		join(&sb, &a->modules.changed);
		sb_adds(&sb, " -");
		join(&sb, &a->modules.deleted);
		sb_adds(&sb, " advanced ");
		join(&sb, &a->modules.advanced);
		sb_addc(&sb, '\n');
		for (size_t j = 0; j < a->nr_files; j++)
			describe_file(&sb, &a->files[j]);
		sb_addf(&sb, "  appup %s", rb_appup_status_name(a->appup_status));
		if (a->appup) {
			sb_addf(&sb, " source=%d %s ", (int)a->appup_source,
				a->appup_file ? a->appup_file : "-");
			rb_term_format(a->appup, &sb);
		}
		if (a->appup_error)
			sb_addf(&sb, " %s", a->appup_error);
		sb_addc(&sb, '\n');
	}
	sb_addf(&sb, "unchanged %zu\n", d->nr_unchanged_apps);
	for (size_t i = 0; i < d->nr_files; i++)
		describe_file(&sb, &d->files[i]);
	return sb_detach(&sb);
}

static const char expected[] =
	"shop 0.1.0 -> shop 0.2.0\n"
	"erts 14.2 -> 14.3 changed=1 +1 -1 ~1\n"
	"app shop changed 0.1.0 -> 0.2.0 (permanent -> permanent) vsn=1 type=0 content=1\n"
	"  modules +fresh ~plain,srv -gone advanced srv\n"
	"  changed lib/shop-0.2.0/ebin/shop.app from lib/shop-0.1.0/ebin/shop.app [app]\n"
	"  changed lib/shop-0.2.0/priv/data.txt from lib/shop-0.1.0/priv/data.txt [app]\n"
	"  added lib/shop-0.2.0/priv/new.txt [app]\n"
	"  appup made source=0 - {\"0.2.0\",[{\"0.1.0\",[{add_module,fresh},{load_module,plain},"
	"{update,srv,{advanced,[]}},{delete_module,gone}]}],[{\"0.1.0\",[{add_module,gone},"
	"{load_module,plain},{update,srv,{advanced,[]}},{delete_module,fresh}]}]}\n"
	"app tools changed 3.0 -> 3.0 (load -> permanent) vsn=0 type=1 content=0\n"
	"  modules + ~ - advanced \n"
	"  appup none\n"
	"app newapp added - -> 1.0 (- -> permanent) vsn=0 type=0 content=0\n"
	"  modules + ~ - advanced \n"
	"  appup none\n"
	"app stale changed 1.0 -> 1.0 (permanent -> permanent) vsn=0 type=0 content=1\n"
	"  modules + ~stale - advanced \n"
	"  appup unbumped\n"
	"app cfg changed 1.0 -> 1.0 (permanent -> permanent) vsn=0 type=0 content=1\n"
	"  modules + ~ - advanced \n"
	"  changed lib/cfg-1.0/priv/x.conf [app]\n"
	"  appup none\n"
	"app oldapp removed 1.0 -> - (permanent -> -) vsn=0 type=0 content=0\n"
	"  modules + ~ - advanced \n"
	"  appup none\n"
	"unchanged 1\n"
	"  changed bin/extra-tool mode 0644->0755 same content [overlay]\n"
	"  added doc/NEW.txt [overlay]\n"
	"  removed doc/OLD.txt [overlay]\n"
	"  changed releases/0.2.0/MODES from releases/0.1.0/MODES [generated]\n"
	"  changed releases/0.2.0/SHA256SUMS from releases/0.1.0/SHA256SUMS [generated]\n"
	"  added releases/0.2.0/hooks/post_start/b.sh [hook]\n"
	"  changed releases/0.2.0/shop.rel from releases/0.1.0/shop.rel [generated]\n"
	"  changed releases/0.2.0/start_clean.rel from releases/0.1.0/start_clean.rel [generated]\n"
	"  changed releases/0.2.0/sys.config from releases/0.1.0/sys.config [generated]\n"
	"  changed releases/start_erl.data [generated]\n";

static char *diff_text(const char *old, const char *new_)
{
	struct rb_reldiff d;
	struct rb_error err = { 0 };
	char *text;

	rb_reldiff_init(&d);
	if (rb_reldiff(old, new_, &d, &err) < 0)
		fail_msg("diff '%s' '%s': %s", old, new_, err.msg);
	text = describe(&d);
	rb_reldiff_release(&d);
	return text;
}

static void test_directories(void **state)
{
	struct fixture *f = *state;
	char *text = diff_text(f->old_dir, f->new_dir);

	assert_string_equal(text, expected);
	free(text);
}

/* Tarballs, and one of each: the same facts. */
static void test_tarballs(void **state)
{
	struct fixture *f = *state;
	const char *pairs[][2] = {
		{ f->old_tar, f->new_tar },
		{ f->old_tar, f->new_dir },
		{ f->old_dir, f->new_tar },
	};

	for (size_t i = 0; i < 3; i++) {
		char *text = diff_text(pairs[i][0], pairs[i][1]);

		assert_string_equal(text, expected);
		free(text);
	}
}

/* The appup is the one relbuild's generator makes from the build's own module diff. */
static void test_appup_as_built(void **state)
{
	struct fixture *f = *state;
	struct rb_module_diff md = RB_MODULE_DIFF_INIT;
	struct rb_reldiff d;
	struct rb_error err;
	char *old_app = path_join(f->old_dir, "lib/shop-0.1.0");
	char *new_app = path_join(f->new_dir, "lib/shop-0.2.0");
	char *built, *ours;
	const struct rb_reldiff_app *a;

	assert_int_equal(rb_module_diff(old_app, new_app, &md, &err), 0);
	built = rb_appup_text("0.1.0", "0.2.0", &md);
	rb_reldiff_init(&d);
	assert_int_equal(rb_reldiff(f->old_tar, f->new_tar, &d, &err), 0);
	a = &d.apps[0];
	assert_string_equal(a->name, "shop");
	ours = rb_appup_text(a->old_vsn, a->new_vsn, &a->modules);
	assert_string_equal(ours, built);
	{
		struct strbuf sb = STRBUF_INIT;

		rb_term_format_pretty(a->appup, &sb, 0);
		sb_adds(&sb, ".\n");
		assert_string_equal(sb_str(&sb), built);
		sb_release(&sb);
	}
	free(ours);
	free(built);
	rb_reldiff_release(&d);
	rb_module_diff_release(&md);
	free(old_app);
	free(new_app);
}

static const struct rb_reldiff_app *diff_shop(const char *old, const char *new_,
					      struct rb_reldiff *d)
{
	struct rb_error err = { 0 };

	rb_reldiff_init(d);
	if (rb_reldiff(old, new_, d, &err) < 0)
		fail_msg("%s", err.msg);
	assert_string_equal(d->apps[0].name, "shop");
	return &d->apps[0];
}

/* Where a build takes the appup from, as the new release tells. */
static void test_appup_source(void **state)
{
	struct fixture *f = *state;
	struct rb_reldiff d;
	const struct rb_reldiff_app *a;
	char *priv = path_join(f->new_dir, "lib/shop-0.2.0/priv/appups/0.1.0_to_0.2.0.appup");

	/* its own ebin/<app>.appup, when it covers the old version */
	test_put_text(f->new_dir, "lib/shop-0.2.0/ebin/shop.appup",
		 "{\"0.2.0\",[{\"0.1.0\",[]}],[{\"0.1.0\",[]}]}.\n");
	a = diff_shop(f->old_dir, f->new_dir, &d);
	assert_int_equal(a->appup_status, RB_APPUP_STATUS_MADE);
	assert_int_equal(a->appup_source, RB_APPUP_SHIPPED);
	assert_string_equal(a->appup_file, "lib/shop-0.2.0/ebin/shop.appup");
	assert_non_null(a->appup); /* the generated one all the same */
	rb_reldiff_release(&d);

	/* one that does not: generated */
	test_put_text(f->new_dir, "lib/shop-0.2.0/ebin/shop.appup",
		 "{\"0.2.0\",[{\"0.0.1\",[]}],[{\"0.0.1\",[]}]}.\n");
	a = diff_shop(f->old_dir, f->new_dir, &d);
	assert_int_equal(a->appup_source, RB_APPUP_GENERATED);
	assert_null(a->appup_file);
	rb_reldiff_release(&d);

	/* priv/appups/<old>_to_<new>.appup wins */
	test_put_text(f->new_dir, "lib/shop-0.2.0/priv/appups/0.1.0_to_0.2.0.appup", "{}.\n");
	a = diff_shop(f->old_dir, f->new_dir, &d);
	assert_int_equal(a->appup_source, RB_APPUP_PRIV);
	assert_string_equal(a->appup_file, "lib/shop-0.2.0/priv/appups/0.1.0_to_0.2.0.appup");
	rb_reldiff_release(&d);
	free(priv);
}

/* A changed module whose new beam cannot be read: the build would fail. */
static void test_unreadable(void **state)
{
	struct fixture *f = *state;
	struct rb_reldiff d;
	const struct rb_reldiff_app *a;
	char *tar = path_join(f->tmp, "bad.tar.gz");

	test_put_text(f->new_dir, "lib/shop-0.2.0/ebin/srv.beam", "FOR1 not a beam");
	test_write_tarball(f->new_dir, "0.2.0", tar);
	a = diff_shop(f->old_tar, tar, &d);
	assert_int_equal(a->appup_status, RB_APPUP_STATUS_UNREADABLE);
	assert_null(a->appup);
	assert_non_null(strstr(a->appup_error,
			       "cannot read the exports of 'lib/shop-0.2.0/ebin/srv.beam'"));
	rb_reldiff_release(&d);
	free(tar);
}

/* The same release twice: nothing differs. */
static void test_same(void **state)
{
	struct fixture *f = *state;
	struct rb_reldiff d;
	struct rb_error err;

	rb_reldiff_init(&d);
	assert_int_equal(rb_reldiff(f->new_tar, f->new_dir, &d, &err), 0);
	assert_int_equal(d.nr_apps, 0);
	assert_int_equal(d.nr_files, 0);
	assert_int_equal(d.nr_unchanged_apps, 6);
	assert_false(d.erts.changed);
	rb_reldiff_release(&d);
}

static void test_errors(void **state)
{
	struct fixture *f = *state;
	struct rb_reldiff d;
	struct rb_inspect a, b;
	struct rb_inspect_opts plain = { NULL, 0, 0, 0 };
	struct rb_error err;
	char *none = path_join(f->tmp, "none");

	assert_int_equal(mkdir_p(none, &err), 0);
	rb_reldiff_init(&d);
	assert_int_equal(rb_reldiff(f->old_dir, none, &d, &err), -1);
	assert_non_null(strstr(err.msg, none));
	rb_reldiff_release(&d);

	/* not hashed: no comparison */
	rb_inspect_init(&a);
	rb_inspect_init(&b);
	assert_int_equal(rb_inspect_with(f->old_dir, &plain, &a, &err), 0);
	assert_int_equal(rb_inspect_with(f->new_tar, &plain, &b, &err), 0);
	rb_reldiff_init(&d);
	assert_int_equal(rb_reldiff_inspected(&a, &b, &d, &err), -1);
	assert_non_null(strstr(err.msg, "without hashing"));
	rb_reldiff_release(&d);
	rb_inspect_release(&a);
	rb_inspect_release(&b);
	free(none);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(rb_change_name(RB_CHANGE_ADDED), "added");
	assert_string_equal(rb_change_name(RB_CHANGE_REMOVED), "removed");
	assert_string_equal(rb_appup_status_name(RB_APPUP_STATUS_UNBUMPED), "unbumped");
	assert_string_equal(rb_appup_status_name(RB_APPUP_STATUS_MADE), "made");
	assert_string_equal(rb_appup_source_name(RB_APPUP_SHIPPED), "shipped");
	assert_string_equal(rb_appup_source_name(RB_APPUP_PRIV), "priv");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_directories, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tarballs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_appup_as_built, setup, teardown),
		cmocka_unit_test_setup_teardown(test_appup_source, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unreadable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_same, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
