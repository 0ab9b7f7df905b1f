#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "project.h"
#include "util.h"

struct fixture {
	char root[64];
	struct rb_project p;
	struct rb_error err;
};

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));

	strcpy(f->root, "/tmp/relbuild-test-project.XXXXXX");
	assert_non_null(mkdtemp(f->root));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	struct rb_error err = { 0 };

	rb_project_release(&f->p);
	remove_tree(f->root, &err);
	free(f);
	return 0;
}

static void detect(struct fixture *f)
{
	rb_project_release(&f->p);
	assert_int_equal(rb_project_detect(&f->p, f->root, "prod", &f->err), 0);
}

/* The project's lib dirs, relative to its root, joined with spaces. */
static char *lib_dirs(const struct fixture *f)
{
	struct strbuf sb = STRBUF_INIT;

	for (size_t i = 0; i < f->p.lib_dirs.nr; i++) {
		const char *d = f->p.lib_dirs.v[i];

		assert_true(has_prefix(d, f->root));
		d += strlen(f->root);
		sb_addf(&sb, "%s%s", i ? " " : "", *d ? d + 1 : ".");
	}
	return sb_detach(&sb);
}

#define assert_lib_dirs(f, want) do {                   \
		char *got_ = lib_dirs(f);               \
		assert_string_equal(got_, (want));      \
		free(got_);                             \
	} while (0)

static void test_mix(void **state)
{
	struct fixture *f = *state;

	test_put(f->root, "mix.exs", "def project, do: [app: :shop]\n", 0644);
	detect(f);
	assert_int_equal(f->p.kind, RB_PROJECT_MIX);
	assert_false(f->p.umbrella);
	assert_lib_dirs(f, "_build/prod/lib");
	assert_string_equal(rb_project_compile_hint(&f->p, "prod"), "MIX_ENV=prod mix compile");
	assert_false(rb_project_compiled(&f->p, "prod", &f->err));
	assert_non_null(strstr(f->err.msg, "run 'MIX_ENV=prod mix compile' first"));
	test_put(f->root, "_build/prod/lib/shop/ebin/shop.app", "", 0644);
	assert_true(rb_project_compiled(&f->p, "prod", &f->err));

	/* apps_path: outside a comment makes an umbrella */
	test_put(f->root, "mix.exs", "# apps_path: \"no\"\n[app: :x]\n", 0644);
	detect(f);
	assert_false(f->p.umbrella);
	test_put(f->root, "mix.exs", "@doc \"apps_path: x\"\n[my_apps_path: 1, app: :x]\n", 0644);
	detect(f);
	assert_false(f->p.umbrella);
	test_put(f->root, "mix.exs", "[\n  apps_path: \"apps\",\n  version: \"0.1.0\"\n]\n", 0644);
	detect(f);
	assert_true(f->p.umbrella);
	assert_string_equal(rb_project_kind_name(f->p.kind), "mix");
}

static void test_rebar3(void **state)
{
	struct fixture *f = *state;

	test_put(f->root, "rebar.config", "{erl_opts, []}.\n", 0644);
	detect(f);
	assert_int_equal(f->p.kind, RB_PROJECT_REBAR3);
	assert_lib_dirs(f, "_build/prod/lib");
	test_put(f->root, "_build/default/lib/c/ebin/c.app", "", 0644);
	detect(f);
	assert_lib_dirs(f, "_build/default/lib");
	assert_string_equal(rb_project_compile_hint(&f->p, "prod"), "rebar3 as prod compile");
	assert_string_equal(rb_project_compile_hint(&f->p, "default"), "rebar3 compile");

	/* rebar.config and erlang.mk: rebar3 when it built the project */
	test_put(f->root, "erlang.mk", "# erlang.mk\n", 0644);
	detect(f);
	assert_int_equal(f->p.kind, RB_PROJECT_REBAR3);
}

static void test_erlang_mk(void **state)
{
	struct fixture *f = *state;

	test_put(f->root, "Makefile", "PROJECT = hello\n\n  include $(CURDIR)/erlang.mk\n", 0644);
	detect(f);
	assert_int_equal(f->p.kind, RB_PROJECT_ERLANG_MK);
	assert_lib_dirs(f, ". apps deps");
	assert_string_equal(rb_project_compile_hint(&f->p, "prod"), "make");
	assert_false(rb_project_compiled(&f->p, "prod", &f->err));
	assert_non_null(strstr(f->err.msg, "holds no .app file: the project has not been compiled; run 'make' first"));
	test_put(f->root, "ebin/hello.app", "{application, hello, []}.\n", 0644);
	assert_true(rb_project_compiled(&f->p, "prod", &f->err));

	/* a Makefile that does not include erlang.mk, but erlang.mk is there */
	test_put(f->root, "Makefile", "all:\n\techo erlang.mk\n", 0644);
	detect(f);
	assert_int_equal(f->p.kind, RB_PROJECT_PLAIN);
	test_put(f->root, "erlang.mk", "# erlang.mk\n", 0644);
	detect(f);
	assert_int_equal(f->p.kind, RB_PROJECT_ERLANG_MK);
	/* rebar.config too, but not built by rebar3: erlang.mk */
	test_put(f->root, "rebar.config", "{deps, []}.\n", 0644);
	detect(f);
	assert_int_equal(f->p.kind, RB_PROJECT_ERLANG_MK);
	assert_string_equal(rb_project_kind_name(f->p.kind), "erlang.mk");
}

static void test_plain(void **state)
{
	struct fixture *f = *state;

	test_put(f->root, "rel/config.yml", "releases: {web: {version: 1.0.0}}\n", 0644);
	detect(f);
	assert_int_equal(f->p.kind, RB_PROJECT_PLAIN);
	assert_null(f->p.build_lib);
	assert_int_equal(f->p.lib_dirs.nr, 0);
	assert_null(rb_project_compile_hint(&f->p, "prod"));
	assert_true(rb_project_compiled(&f->p, "prod", &f->err));
	assert_string_equal(rb_project_kind_name(f->p.kind), "plain");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_mix, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rebar3, setup, teardown),
		cmocka_unit_test_setup_teardown(test_erlang_mk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plain, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
