#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "assemble.h"
#include "config.h"
#include "helpers.h"
#include "init.h"
#include "templates.h"
#include "util.h"

static void mix_name_is(const char *text, const char *want)
{
	char *got = rb_mix_app_name(text);

	if (!want) {
		if (got)
			fail_msg("expected no name in %s, got '%s'", text, got);
		return;
	}
	if (!got)
		fail_msg("expected '%s' in %s, got none", want, text);
	assert_string_equal(got, want);
	free(got);
}

static void test_mix_app_name(void **state)
{
	(void)state;
	mix_name_is("def project do\n  [\n    app: :shop,\n    version: \"0.1.0\"\n  ]\nend\n",
		    "shop");
	mix_name_is("[app: :my_app2, version: \"1.0.0\"]", "my_app2");
	mix_name_is("[app:\t:x]", "x");
	/* comments, strings and charlists do not count */
	mix_name_is("# app: :old\n[app: :new]", "new");
	mix_name_is("@doc \"app: :not_me \\\" app: :nor_me\"\n[app: :me]", "me");
	mix_name_is("x = 'app: :no'\n[app: :yes]", "yes");
	/* other keys ending in app, and app: with other values */
	mix_name_is("[apps_path: \"apps\", my_app: :a, otp_app: :b]", NULL);
	mix_name_is("[app: false]", NULL);
	mix_name_is("[app: \"shop\"]", NULL);
	mix_name_is("[app: :Shop]", NULL);
	mix_name_is("", NULL);
	mix_name_is("[app: :", NULL);
}

static void test_mix_app_name_of_shop(void **state)
{
	char *text = test_slurp(TEST_SOURCE_DIR "/examples/shop/mix.exs", NULL);

	(void)state;
	mix_name_is(text, "shop");
	free(text);
}

/* Remove root/rel; returns the path for the caller to free. */
static char *path_unlink(const char *root, const char *rel)
{
	char *path = path_join(root, rel);

	assert_int_equal(unlink(path), 0);
	return path;
}

/* rb_project_apps for a project that is about one application. */
static int rb_project_app_name(const struct rb_project *p, char **name,
			       struct rb_error *err)
{
	struct strvec apps = STRVEC_INIT;
	int ret = rb_project_apps(p, &apps, err);

	*name = NULL;
	if (!ret) {
		assert_int_equal(apps.nr, 1);
		*name = xstrdup(apps.v[0]);
	}
	strvec_clear(&apps);
	return ret;
}

static void test_project_app_name(void **state)
{
	char root[] = "/tmp/relbuild-test-init.XXXXXX";
	struct rb_project p;
	struct rb_error err = { 0 };
	char *name = NULL;

	(void)state;
	assert_non_null(mkdtemp(root));
	memset(&p, 0, sizeof(p));
	p.root = root;
	p.kind = RB_PROJECT_REBAR3;

	assert_int_equal(rb_project_app_name(&p, &name, &err), -1);
	assert_string_equal(err.msg, "no src/ directory to find the application's .app.src in");
	/* apps/ without src/: a rebar3 umbrella, which has no apps either */
	test_put(root, "apps/README", "", 0644);
	assert_int_equal(rb_project_app_name(&p, &name, &err), -1);
	assert_string_equal(err.msg, "no applications under apps/");
	free(path_unlink(root, "apps/README"));
	{
		char *apps = path_join(root, "apps");

		assert_int_equal(rmdir(apps), 0);
		free(apps);
	}
	test_put(root, "src/counter.erl", "-module(counter).\n", 0644);
	assert_int_equal(rb_project_app_name(&p, &name, &err), -1);
	assert_string_equal(err.msg, "no src/<app>.app.src");
	test_put(root, "src/counter.app.src",
		 "%% comment\n{application, counter, [{vsn, \"0.1.0\"}]}.\n", 0644);
	assert_int_equal(rb_project_app_name(&p, &name, &err), 0);
	assert_string_equal(name, "counter");
	free(name);
	test_put(root, "src/other.app.src", "{application, other, []}.\n", 0644);
	assert_int_equal(rb_project_app_name(&p, &name, &err), -1);
	assert_string_equal(err.msg,
			    "more than one .app.src in src/ ('counter.app.src', 'other.app.src')");
	assert_null(name);
	free(path_unlink(root, "src/other.app.src"));
	test_put(root, "src/counter.app.src", "{app, counter, []}.\n", 0644);
	assert_int_equal(rb_project_app_name(&p, &name, &err), -1);
	assert_string_equal(err.msg,
			    "'src/counter.app.src' is not {application, Name, [...]}");
	assert_int_equal(remove_tree(root, &err), 0);

	assert_non_null(mkdtemp(strcpy(root, "/tmp/relbuild-test-init.XXXXXX")));
	p.kind = RB_PROJECT_MIX;
	test_put(root, "mix.exs", "defmodule X.MixProject do\nend\n", 0644);
	assert_int_equal(rb_project_app_name(&p, &name, &err), -1);
	assert_string_equal(err.msg, "no 'app: :name' in 'mix.exs'");
	test_put(root, "mix.exs", "def project, do: [app: :x_y]\n", 0644);
	assert_int_equal(rb_project_app_name(&p, &name, &err), 0);
	assert_string_equal(name, "x_y");
	free(name);
	assert_int_equal(remove_tree(root, &err), 0);
}

static const char *const shop_apps[] = { "shop" };
static const struct rb_init_names shop_web = { "shop-web", shop_apps, 1, "ShopWeb" };

static void test_render(void **state)
{
	static const char *const umbrella_apps[] = { "a", "b_c" };
	const struct rb_init_names umbrella = { "x", umbrella_apps, 2, "X" };
	char *s;

	(void)state;
	s = rb_init_render("default_release: myapp\n"
			   "cookie: ${MYAPP_COOKIE}\n"
			   "releases:\n  myapp:\n"
			   "    version: { from_app: myapp }\n"
			   "    applications: # default: [myapp]\n"
			   "      - myapp\n"
			   "%% {myapp, []}\n",
			   &shop_web);
	assert_string_equal(s, "default_release: shop-web\n"
			       "cookie: ${SHOP_WEB_COOKIE}\n"
			       "releases:\n  shop-web:\n"
			       "    version: { from_app: shop }\n"
			       "    applications: # default: [shop]\n"
			       "      - shop\n"
			       "%% {shop, []}\n");
	free(s);

	/* an umbrella: one list item an application; MyApp is the module */
	s = rb_init_render("releases:\n  myapp:\n"
			   "    applications:\n"
			   "      - myapp                 # no start type: permanent\n"
			   "      - runtime_tools: load\n"
			   "# bin/myapp rpc \"Elixir.MyApp.ReleaseTasks.migrate\"\n"
			   "      - myapp",
			   &umbrella);
	assert_string_equal(s, "releases:\n  x:\n"
			       "    applications:\n"
			       "      - a                 # no start type: permanent\n"
			       "      - b_c\n"
			       "      - runtime_tools: load\n"
			       "# bin/x rpc \"Elixir.X.ReleaseTasks.migrate\"\n"
			       "      - a\n"
			       "      - b_c\n");
	free(s);
}

static void test_mix_module(void **state)
{
	char *s;

	(void)state;
	s = rb_mix_module("defmodule Shop.MixProject do\n");
	assert_string_equal(s, "Shop");
	free(s);
	s = rb_mix_module("defmodule MyCo.Web.MixProject do\n");
	assert_string_equal(s, "MyCo.Web");
	free(s);
	assert_null(rb_mix_module("defmodule shop.MixProject do\n"));
	assert_null(rb_mix_module("defmodule Shop.Project do\n"));
	assert_null(rb_mix_module(""));
}

/* The embedded reference, rendered, is a configuration that loads. */
static void test_rendered_reference_loads(void **state)
{
	const struct rb_template *t = rb_template_find("rel/config.yml");
	char dir[] = "/tmp/relbuild-test-init.XXXXXX";
	struct rb_config cfg;
	struct rb_plan plan;
	struct rb_error err = { 0 };
	char *text, *path;

	(void)state;
	assert_non_null(t);
	assert_non_null(rb_template_find("rel/vm.args"));
	assert_non_null(rb_template_find("rel/sys.config"));
	assert_non_null(rb_template_find("rel/commands/migrate.sh"));
	assert_non_null(mkdtemp(dir));
	text = rb_init_render(t->data, &shop_web);
	assert_null(strstr(text, "myapp"));
	assert_null(strstr(text, "MYAPP"));
	test_put(dir, "rel/config.yml", text, 0644);
	free(text);
	path = path_join(dir, "rel/config.yml");
	if (rb_config_load(&cfg, path, &err))
		fail_msg("%s", err.msg);
	setenv("SHOP_WEB_COOKIE", "c00kie", 1);
	if (rb_config_resolve(&cfg, NULL, NULL, &plan, &err))
		fail_msg("%s", err.msg);
	unsetenv("SHOP_WEB_COOKIE");
	assert_string_equal(plan.release, "shop-web");
	assert_string_equal(plan.env, "prod");
	assert_string_equal(plan.apps[0].name, "shop");
	assert_string_equal(plan.cookie, "c00kie");
	assert_string_equal(plan.vm_args, "rel/vm.args");
	assert_string_equal(plan.sys_config, "rel/sys.config");
	rb_plan_release(&plan);
	rb_config_release(&cfg);
	free(path);
	assert_int_equal(remove_tree(dir, &err), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mix_app_name),
		cmocka_unit_test(test_mix_app_name_of_shop),
		cmocka_unit_test(test_project_app_name),
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_mix_module),
		cmocka_unit_test(test_rendered_reference_loads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
