#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"

#define REL "releases:\n  shop:\n    version: 0.1.0\n"

static int parse(struct rb_config *cfg, const char *yaml,
		 struct rb_error *err)
{
	memset(err, 0, sizeof(*err));
	return rb_config_parse(cfg, "t.yml", yaml, strlen(yaml), err);
}

static void parse_ok(struct rb_config *cfg, const char *yaml)
{
	struct rb_error err;

	if (parse(cfg, yaml, &err))
		fail_msg("unexpected error: %s", err.msg);
}

static void expect_error(const char *yaml, const char *msg)
{
	struct rb_config cfg;
	struct rb_error err;

	assert_int_equal(parse(&cfg, yaml, &err), -1);
	assert_int_equal(err.code, RB_ECONFIG);
	assert_string_equal(err.msg, msg);
	assert_null(strchr(err.msg, '\n'));
	rb_config_release(&cfg);
}

static void resolve_ok(const struct rb_config *cfg, const char *rel,
		       const char *env, struct rb_plan *plan)
{
	struct rb_error err = { 0 };

	if (rb_config_resolve(cfg, rel, env, plan, &err))
		fail_msg("unexpected error: %s", err.msg);
}

static void expect_resolve_error(const char *yaml, const char *rel,
				 const char *env, const char *msg)
{
	struct rb_config cfg;
	struct rb_plan plan;
	struct rb_error err = { 0 };

	parse_ok(&cfg, yaml);
	assert_int_equal(rb_config_resolve(&cfg, rel, env, &plan, &err), -1);
	assert_int_equal(err.code, RB_ECONFIG);
	assert_string_equal(err.msg, msg);
	rb_plan_release(&plan);
	rb_config_release(&cfg);
}

static void test_reference_config(void **state)
{
	struct rb_config cfg;
	struct rb_plan plan;
	struct rb_error err = { 0 };
	const char *path = TEST_SOURCE_DIR "/rel/config.yml";

	(void)state;
	if (rb_config_load(&cfg, path, &err))
		fail_msg("%s", err.msg);
	assert_string_equal(cfg.path, path);
	assert_string_equal(cfg.default_release, "myapp");
	assert_string_equal(cfg.default_environment, "prod");
	assert_int_equal(cfg.nr_envs, 2);
	assert_int_equal(cfg.nr_releases, 1);

	unsetenv("MYAPP_COOKIE");
	resolve_ok(&cfg, NULL, NULL, &plan);
	assert_string_equal(plan.release, "myapp");
	assert_string_equal(plan.env, "prod");
	assert_string_equal(plan.version, "0.1.0");
	assert_int_equal(plan.nr_apps, 2);
	assert_string_equal(plan.apps[1].name, "runtime_tools");
	assert_int_equal(plan.apps[1].type, RB_START_LOAD);
	assert_int_equal(plan.include_erts, 1);
	assert_int_equal(plan.strip_debug_info, 1);
	assert_int_equal(plan.tar, 1);
	assert_int_equal(plan.compression, RB_COMPRESS_GZIP);
	assert_null(plan.cookie);
	assert_int_equal(plan.nr_hooks, 1);
	assert_string_equal(plan.hooks[0].name, "post_start");
	assert_int_equal(plan.nr_commands, 1);
	assert_string_equal(plan.commands[0].name, "migrate");
	assert_int_equal(plan.nr_overlays, 1);
	rb_plan_release(&plan);

	setenv("MYAPP_COOKIE", "s3cret", 1);
	resolve_ok(&cfg, NULL, "dev", &plan);
	assert_int_equal(plan.dev_mode, 1);
	assert_int_equal(plan.tar, 0);
	assert_int_equal(plan.include_erts, 0);
	assert_string_equal(plan.cookie, "dev_cookie_not_secret");
	rb_plan_release(&plan);
	resolve_ok(&cfg, NULL, "prod", &plan);
	assert_string_equal(plan.cookie, "s3cret");
	rb_plan_release(&plan);
	unsetenv("MYAPP_COOKIE");
	rb_config_release(&cfg);
}

static const char full_yaml[] =
	"default_release: shop\n"
	"default_environment: prod\n"
	"environments:\n"
	"  prod:\n"
	"    include_erts: /opt/otp-arm\n"
	"    tar: { compression: zstd }\n"
	"releases:\n"
	"  shop:\n"
	"    version: 0.1.0\n"
	"    applications:\n"
	"      - shop\n"
	"      - p1_pgsql: permanent\n"
	"      - a1: transient\n"
	"      - a2: temporary\n"
	"      - runtime_tools: load\n"
	"      - a3: none\n"
	"    dev_mode: false\n"
	"    include_erts: true\n"
	"    include_src: yes\n"
	"    strip_debug_info: TRUE\n"
	"    tar: false\n"
	"    cookie: abc\n"
	"    vm_args: rel/vm.args\n"
	"    sys_config: rel/sys.config\n"
	"    output_dir: out\n"
	"    lib_dirs: [l1, l2]\n"
	"    hooks:\n"
	"      pre_start: rel/hooks/pre_start\n"
	"      post_start: rel/hooks/post_start\n"
	"    commands:\n"
	"      migrate: rel/commands/migrate.sh\n"
	"      db-seed_2: rel/commands/seed.sh\n"
	"    overlays:\n"
	"      - mkdir: var/log\n"
	"      - copy: { from: rel/etc, to: etc }\n"
	"      - template: { from: rel/app.conf.in, to: etc/app.conf }\n"
	"  other:\n"
	"    version: { from_app: shop }\n";

static void test_full_schema(void **state)
{
	struct rb_config cfg;
	const struct rb_release_config *r;
	const struct rb_settings *s;

	(void)state;
	parse_ok(&cfg, full_yaml);
	assert_int_equal(cfg.nr_envs, 1);
	assert_string_equal(cfg.envs[0].name, "prod");
	s = &cfg.envs[0].settings;
	assert_int_equal(s->include_erts, 1);
	assert_string_equal(s->erts_path, "/opt/otp-arm");
	assert_int_equal(s->tar, 1);
	assert_int_equal(s->compression, RB_COMPRESS_ZSTD);
	assert_int_equal(s->dev_mode, RB_UNSET);
	assert_int_equal(s->has_hooks, 0);

	assert_int_equal(cfg.nr_releases, 2);
	r = &cfg.releases[0];
	assert_string_equal(r->name, "shop");
	assert_string_equal(r->version, "0.1.0");
	assert_null(r->version_from_app);
	assert_int_equal(r->nr_apps, 6);
	assert_string_equal(r->apps[0].name, "shop");
	assert_int_equal(r->apps[0].has_type, 0);
	assert_string_equal(r->apps[1].name, "p1_pgsql");
	assert_int_equal(r->apps[1].has_type, 1);
	assert_int_equal(r->apps[1].type, RB_START_PERMANENT);
	assert_int_equal(r->apps[2].type, RB_START_TRANSIENT);
	assert_int_equal(r->apps[3].type, RB_START_TEMPORARY);
	assert_int_equal(r->apps[4].type, RB_START_LOAD);
	assert_int_equal(r->apps[5].type, RB_START_NONE);
	s = &r->settings;
	assert_int_equal(s->dev_mode, 0);
	assert_int_equal(s->include_erts, 1);
	assert_null(s->erts_path);
	assert_int_equal(s->include_src, 1);
	assert_int_equal(s->strip_debug_info, 1);
	assert_int_equal(s->tar, 0);
	assert_int_equal(s->compression, RB_UNSET);
	assert_string_equal(s->cookie, "abc");
	assert_string_equal(s->vm_args, "rel/vm.args");
	assert_string_equal(s->sys_config, "rel/sys.config");
	assert_string_equal(s->output_dir, "out");
	assert_int_equal(s->lib_dirs.nr, 2);
	assert_string_equal(s->lib_dirs.v[1], "l2");
	assert_int_equal(s->nr_hooks, 2);
	assert_string_equal(s->hooks[1].name, "post_start");
	assert_string_equal(s->hooks[1].path, "rel/hooks/post_start");
	assert_int_equal(s->nr_commands, 2);
	assert_string_equal(s->commands[1].name, "db-seed_2");
	assert_int_equal(s->nr_overlays, 3);
	assert_int_equal(s->overlays[0].kind, RB_OVERLAY_MKDIR);
	assert_null(s->overlays[0].from);
	assert_string_equal(s->overlays[0].to, "var/log");
	assert_int_equal(s->overlays[1].kind, RB_OVERLAY_COPY);
	assert_string_equal(s->overlays[1].from, "rel/etc");
	assert_string_equal(s->overlays[1].to, "etc");
	assert_int_equal(s->overlays[2].kind, RB_OVERLAY_TEMPLATE);
	assert_string_equal(s->overlays[2].to, "etc/app.conf");

	r = &cfg.releases[1];
	assert_null(r->version);
	assert_string_equal(r->version_from_app, "shop");
	assert_int_equal(r->nr_apps, 0);
	rb_config_release(&cfg);
	/* Releasing twice is harmless. */
	rb_config_release(&cfg);
}

static void test_resolve_override(void **state)
{
	struct rb_config cfg;
	struct rb_plan plan;

	(void)state;
	parse_ok(&cfg, full_yaml);
	resolve_ok(&cfg, NULL, NULL, &plan);
	assert_string_equal(plan.release, "shop");
	assert_string_equal(plan.env, "prod");
	/* The environment's include_erts comes with its path. */
	assert_int_equal(plan.include_erts, 1);
	assert_string_equal(plan.erts_path, "/opt/otp-arm");
	/* tar: { … } in the environment beats the release's tar: false. */
	assert_int_equal(plan.tar, 1);
	assert_int_equal(plan.compression, RB_COMPRESS_ZSTD);
	assert_int_equal(plan.include_src, 1);
	assert_string_equal(plan.cookie, "abc");
	assert_string_equal(plan.output_dir, "out");
	assert_int_equal(plan.lib_dirs.nr, 2);
	assert_int_equal(plan.nr_hooks, 2);
	assert_int_equal(plan.nr_commands, 2);
	assert_int_equal(plan.nr_overlays, 3);
	assert_string_equal(plan.overlays[1].from, "rel/etc");
	assert_int_equal(plan.nr_apps, 6);
	rb_plan_release(&plan);

	resolve_ok(&cfg, "other", "prod", &plan);
	assert_null(plan.version);
	assert_string_equal(plan.version_from_app, "shop");
	/* No applications: the release's own name. */
	assert_int_equal(plan.nr_apps, 1);
	assert_string_equal(plan.apps[0].name, "other");
	assert_int_equal(plan.apps[0].has_type, 0);
	rb_plan_release(&plan);
	rb_config_release(&cfg);

	parse_ok(&cfg,
		 "environments:\n"
		 "  prod:\n"
		 "    include_src: false\n"
		 "    include_erts: true\n"
		 "    tar: true\n"
		 "    lib_dirs: []\n"
		 "    hooks: { post_stop: h/ps }\n"
		 "    cookie: env\n"
		 "    vm_args: env.args\n"
		 "    env_sh: env.sh\n"
		 "releases:\n"
		 "  shop:\n"
		 "    version: 1.0.0\n"
		 "    include_src: true\n"
		 "    include_erts: /opt/otp\n"
		 "    tar: { compression: none }\n"
		 "    lib_dirs: [a, b]\n"
		 "    hooks: { pre_start: h/a, post_start: h/b }\n"
		 "    commands: { migrate: m.sh }\n"
		 "    overlays: [ { mkdir: x } ]\n"
		 "    cookie: rel\n"
		 "    vm_args: rel.args\n"
		 "    env_sh: rel.sh\n"
		 "    remote_vm_args: rel.remote\n"
		 "    sys_config: rel.config\n");
	resolve_ok(&cfg, "shop", NULL, &plan);
	assert_int_equal(plan.include_src, 0);
	assert_int_equal(plan.include_erts, 1);
	assert_null(plan.erts_path);
	assert_int_equal(plan.tar, 1);
	assert_int_equal(plan.compression, RB_COMPRESS_NONE);
	/* An empty list in the environment still replaces the release's. */
	assert_int_equal(plan.lib_dirs.nr, 0);
	assert_int_equal(plan.nr_hooks, 1);
	assert_string_equal(plan.hooks[0].name, "post_stop");
	assert_int_equal(plan.nr_commands, 1);
	assert_string_equal(plan.commands[0].path, "m.sh");
	assert_int_equal(plan.nr_overlays, 1);
	assert_string_equal(plan.cookie, "env");
	assert_string_equal(plan.vm_args, "env.args");
	assert_string_equal(plan.env_sh, "env.sh");
	assert_string_equal(plan.remote_vm_args, "rel.remote");
	assert_string_equal(plan.sys_config, "rel.config");
	assert_string_equal(plan.output_dir, "_build/prod/rel");
	rb_plan_release(&plan);
	rb_config_release(&cfg);
}

static void test_resolve_defaults(void **state)
{
	struct rb_config cfg;
	struct rb_plan plan;

	(void)state;
	parse_ok(&cfg, REL);
	resolve_ok(&cfg, NULL, NULL, &plan);
	assert_string_equal(plan.release, "shop");
	assert_string_equal(plan.env, "prod");
	assert_string_equal(plan.version, "0.1.0");
	assert_int_equal(plan.nr_apps, 1);
	assert_string_equal(plan.apps[0].name, "shop");
	assert_int_equal(plan.dev_mode, 0);
	assert_int_equal(plan.include_erts, 1);
	assert_null(plan.erts_path);
	assert_int_equal(plan.include_src, 0);
	/* Stripped, as mix release strips. */
	assert_int_equal(plan.strip_debug_info, 1);
	assert_int_equal(plan.tar, 1);
	assert_int_equal(plan.compression, RB_COMPRESS_GZIP);
	assert_null(plan.cookie);
	assert_null(plan.vm_args);
	assert_null(plan.remote_vm_args);
	assert_null(plan.env_sh);
	assert_null(plan.sys_config);
	assert_string_equal(plan.output_dir, "_build/prod/rel");
	assert_int_equal(plan.lib_dirs.nr, 0);
	assert_int_equal(plan.nr_hooks, 0);
	assert_int_equal(plan.nr_commands, 0);
	assert_int_equal(plan.nr_overlays, 0);
	rb_plan_release(&plan);
	rb_config_release(&cfg);
}

/* strip_debug_info: false keeps the debug info, from a release or an environment. */
static void test_resolve_keep_debug_info(void **state)
{
	struct rb_config cfg;
	struct rb_plan plan;

	(void)state;
	parse_ok(&cfg, REL "    strip_debug_info: false\n");
	resolve_ok(&cfg, NULL, NULL, &plan);
	assert_int_equal(plan.strip_debug_info, 0);
	rb_plan_release(&plan);
	rb_config_release(&cfg);

	parse_ok(&cfg, "environments:\n  dev:\n    strip_debug_info: no\n  prod:\n" REL);
	resolve_ok(&cfg, NULL, "dev", &plan);
	assert_int_equal(plan.strip_debug_info, 0);
	rb_plan_release(&plan);
	resolve_ok(&cfg, NULL, "prod", &plan);
	assert_int_equal(plan.strip_debug_info, 1);
	rb_plan_release(&plan);
	rb_config_release(&cfg);
}

static void test_resolve_release_choice(void **state)
{
	static const char two[] =
		"releases:\n"
		"  a: { version: '1' }\n"
		"  b: { version: '2' }\n";
	struct rb_config cfg;
	struct rb_plan plan;

	(void)state;
	expect_resolve_error(two, NULL, NULL,
			     "t.yml: no default_release: choose one of a, b");
	expect_resolve_error(two, "c", NULL,
			     "t.yml: unknown release 'c' (known: a, b)");
	parse_ok(&cfg, two);
	resolve_ok(&cfg, "b", NULL, &plan);
	assert_string_equal(plan.version, "2");
	rb_plan_release(&plan);
	rb_config_release(&cfg);

	parse_ok(&cfg, "default_release: b\n" "releases:\n"
		 "  a: { version: '1' }\n" "  b: { version: '2' }\n");
	resolve_ok(&cfg, NULL, NULL, &plan);
	assert_string_equal(plan.release, "b");
	rb_plan_release(&plan);
	rb_config_release(&cfg);
}

static void test_resolve_env_choice(void **state)
{
	static const char envs[] =
		"environments:\n"
		"  dev: { dev_mode: true }\n"
		"  prod: { include_src: true }\n"
		REL;
	struct rb_config cfg;
	struct rb_plan plan;

	(void)state;
	expect_resolve_error(envs, NULL, "stage",
		"t.yml: unknown environment 'stage' (known: dev, prod)");
	expect_resolve_error(REL, NULL, "prod",
		"t.yml: unknown environment 'prod' (known: none)");

	/* No default_environment: "prod". */
	parse_ok(&cfg, envs);
	resolve_ok(&cfg, NULL, NULL, &plan);
	assert_string_equal(plan.env, "prod");
	assert_int_equal(plan.include_src, 1);
	assert_int_equal(plan.dev_mode, 0);
	rb_plan_release(&plan);
	resolve_ok(&cfg, NULL, "dev", &plan);
	assert_string_equal(plan.env, "dev");
	assert_int_equal(plan.dev_mode, 1);
	assert_int_equal(plan.tar, 0);
	assert_string_equal(plan.output_dir, "_build/dev/rel");
	rb_plan_release(&plan);
	rb_config_release(&cfg);

	parse_ok(&cfg, "default_environment: dev\n"
		 "environments:\n"
		 "  dev: { dev_mode: true }\n"
		 "  prod: { include_src: true }\n"
		 REL);
	resolve_ok(&cfg, NULL, NULL, &plan);
	assert_string_equal(plan.env, "dev");
	assert_int_equal(plan.dev_mode, 1);
	rb_plan_release(&plan);
	rb_config_release(&cfg);

	/* Neither a default nor "prod": the release's settings alone. */
	parse_ok(&cfg, "environments:\n"
		 "  dev: { include_src: true }\n"
		 "releases:\n"
		 "  shop: { version: 0.1.0, include_src: false }\n");
	resolve_ok(&cfg, NULL, NULL, &plan);
	assert_string_equal(plan.env, "prod");
	assert_int_equal(plan.include_src, 0);
	rb_plan_release(&plan);
	rb_config_release(&cfg);

	expect_error("default_environment: stgae\n"
		     "environments: { stage: ~, prod: ~ }\n" REL,
		     "t.yml:1:22: default_environment 'stgae' is not a known "
		     "environment (did you mean 'stage'?)");
	expect_error("default_release: x\n" REL,
		     "t.yml:1:18: default_release 'x' is not a known "
		     "release (known: shop)");
}

static void test_cookie(void **state)
{
	struct rb_config cfg;
	struct rb_plan plan;
	struct rb_error err = { 0 };

	(void)state;
	setenv("RB_TEST_COOKIE", "monster", 1);
	unsetenv("RB_TEST_UNSET");
	setenv("RB_TEST_EMPTY", "", 1);
	parse_ok(&cfg, "environments:\n"
		 "  a: { cookie: '${RB_TEST_COOKIE}' }\n"
		 "  b: { cookie: 'x-${RB_TEST_UNSET:-def}-${RB_TEST_COOKIE}$' }\n"
		 "  c: { cookie: '${RB_TEST_UNSET}${RB_TEST_EMPTY}' }\n"
		 "  d: { cookie: '${RB_TEST_EMPTY:-fallback}' }\n"
		 "  e: { cookie: '' }\n"
		 "  f: { cookie: 'a ${RB_TEST_UNSET}' }\n"
		 REL);
	resolve_ok(&cfg, NULL, "a", &plan);
	assert_string_equal(plan.cookie, "monster");
	rb_plan_release(&plan);
	resolve_ok(&cfg, NULL, "b", &plan);
	assert_string_equal(plan.cookie, "x-def-monster$");
	rb_plan_release(&plan);
	resolve_ok(&cfg, NULL, "c", &plan);
	assert_null(plan.cookie);
	rb_plan_release(&plan);
	resolve_ok(&cfg, NULL, "d", &plan);
	assert_string_equal(plan.cookie, "fallback");
	rb_plan_release(&plan);
	resolve_ok(&cfg, NULL, "e", &plan);
	assert_null(plan.cookie);
	rb_plan_release(&plan);
	assert_int_equal(rb_config_resolve(&cfg, NULL, "f", &plan, &err), -1);
	assert_string_equal(err.msg, "t.yml: 'cookie' holds a space or "
			    "control character once expanded");
	rb_plan_release(&plan);
	rb_config_release(&cfg);

	expect_error(REL "    cookie: ${FOO\n",
		     "t.yml:4:13: bad variable reference in 'cookie' "
		     "(use ${VAR} or ${VAR:-default})");
	expect_error(REL "    cookie: ${1X}\n",
		     "t.yml:4:13: bad variable reference in 'cookie' "
		     "(use ${VAR} or ${VAR:-default})");
	unsetenv("RB_TEST_COOKIE");
	unsetenv("RB_TEST_EMPTY");
}

static void test_unknown_key(void **state)
{
	(void)state;
	expect_error(REL "    incude_erts: true\n",
		     "t.yml:4:5: unknown key 'incude_erts' "
		     "(did you mean 'include_erts'?)");
	expect_error(REL "    verison: 1\n",
		     "t.yml:4:5: unknown key 'verison' "
		     "(did you mean 'version'?)");
	expect_error(REL "    frobnicate: 1\n",
		     "t.yml:4:5: unknown key 'frobnicate'");
	expect_error("release:\n  shop: { version: 1 }\n",
		     "t.yml:1:1: unknown key 'release' "
		     "(did you mean 'releases'?)");
	expect_error("environments:\n  prod:\n    Cookie: x\n" REL,
		     "t.yml:3:5: unknown key 'Cookie' "
		     "(did you mean 'cookie'?)");
	expect_error("environments:\n  prod:\n    version: 1\n" REL,
		     "t.yml:3:5: 'version' is only allowed in a release");
	expect_error("include_erts: true\n" REL,
		     "t.yml:1:1: 'include_erts' belongs in a release or an "
		     "environment, not at the top level");
	expect_error(REL "    tar: { compresion: gzip }\n",
		     "t.yml:4:12: unknown key 'compresion' "
		     "(did you mean 'compression'?)");
	expect_error(REL "    overlays: [ { copy: { from: a, too: b } } ]\n",
		     "t.yml:4:36: unknown key 'too' (did you mean 'to'?)");
	expect_error("releases:\n  shop:\n    version: { from_ap: shop }\n",
		     "t.yml:3:16: unknown key 'from_ap' "
		     "(did you mean 'from_app'?)");
}

static void test_wrong_type(void **state)
{
	(void)state;
	expect_error(REL "    include_src: maybe\n",
		     "t.yml:4:18: 'include_src' must be true or false");
	expect_error(REL "    include_src: 'true'\n",
		     "t.yml:4:18: 'include_src' must be true or false");
	expect_error(REL "    dev_mode: on\n",
		     "t.yml:4:15: 'dev_mode' must be true or false");
	expect_error(REL "    strip_debug_info: [true]\n",
		     "t.yml:4:23: 'strip_debug_info' must be true or false");
	expect_error(REL "    vm_args: [a]\n",
		     "t.yml:4:14: 'vm_args' must be a string");
	expect_error(REL "    sys_config: yes\n",
		     "t.yml:4:17: 'sys_config' must be a string");
	expect_error(REL "    cookie:\n",
		     "t.yml:4:12: 'cookie' must be a string");
	expect_error(REL "    output_dir: ''\n",
		     "t.yml:4:17: 'output_dir' must not be empty");
	expect_error(REL "    lib_dirs: lib\n",
		     "t.yml:4:15: 'lib_dirs' must be a list");
	expect_error(REL "    lib_dirs: [a, {b: c}]\n",
		     "t.yml:4:19: each entry of 'lib_dirs' must be a string");
	expect_error(REL "    hooks: [a]\n",
		     "t.yml:4:12: 'hooks' must be a map");
	expect_error(REL "    hooks: { pre_start: [a] }\n",
		     "t.yml:4:25: hook 'pre_start' must be a string");
	expect_error(REL "    commands: migrate.sh\n",
		     "t.yml:4:15: 'commands' must be a map");
	expect_error(REL "    overlays: { mkdir: x }\n",
		     "t.yml:4:15: 'overlays' must be a list");
	expect_error(REL "    include_erts: [a]\n",
		     "t.yml:4:19: 'include_erts' must be true, false or a path");
	expect_error(REL "    tar: gzip\n",
		     "t.yml:4:10: 'tar' must be false or a map such as "
		     "{ compression: gzip }");
	expect_error(REL "    applications: shop\n",
		     "t.yml:4:19: 'applications' must be a list");
	expect_error("releases:\n  shop:\n    version: [1]\n",
		     "t.yml:3:14: 'version' must be a string or "
		     "{ from_app: NAME }");
	expect_error("releases:\n  shop:\n    version: 1 2\n",
		     "t.yml:3:14: invalid version '1 2'");
	expect_error("environments: [prod]\n" REL,
		     "t.yml:1:15: 'environments' must be a map");
	expect_error("releases: shop\n",
		     "t.yml:1:11: 'releases' must be a map");
	expect_error("environments:\n  prod: true\n" REL,
		     "t.yml:2:9: environment 'prod' must be a map");
	expect_error("default_release: [shop]\n" REL,
		     "t.yml:1:18: 'default_release' must be a string");
	expect_error(REL "    ? [a]\n    : b\n",
		     "t.yml:4:7: keys in release 'shop' must be strings");
}

static void test_booleans(void **state)
{
	struct rb_config cfg;
	const struct rb_settings *s;

	(void)state;
	parse_ok(&cfg, REL
		 "    dev_mode: Yes\n"
		 "    include_src: NO\n"
		 "    strip_debug_info: True\n"
		 "    include_erts: false\n");
	s = &cfg.releases[0].settings;
	assert_int_equal(s->dev_mode, 1);
	assert_int_equal(s->include_src, 0);
	assert_int_equal(s->strip_debug_info, 1);
	assert_int_equal(s->include_erts, 0);
	assert_null(s->erts_path);
	rb_config_release(&cfg);
}

static void test_missing_version(void **state)
{
	(void)state;
	expect_error("releases:\n  shop:\n    include_src: true\n",
		     "t.yml:2:3: release 'shop' has no version");
	expect_error("releases:\n  shop:\n",
		     "t.yml:2:3: release 'shop' has no version");
	expect_error("releases:\n  shop:\n    version: {}\n",
		     "t.yml:3:14: 'version' has no 'from_app'");
}

static void test_yaml_syntax(void **state)
{
	(void)state;
	expect_error("releases:\n  shop: [0.1.0\n",
		     "t.yml:3:1: did not find expected ',' or ']' "
		     "(while parsing a flow sequence at 2:9)");
	expect_error("releases:\n  shop:\n    version: 1\n   bad: 2\n",
		     "t.yml:4:4: did not find expected key "
		     "(while parsing a block mapping at 2:3)");
	expect_error("releases:\n\tshop: 1\n",
		     "t.yml:2:1: found character that cannot start any token "
		     "(while scanning for the next token at 2:1)");
	expect_error("releases:\n  sh\xffop: 1\n",
		     "t.yml:2:5: invalid leading UTF-8 octet");
	expect_error("releases: *nope\n",
		     "t.yml:1:11: found undefined alias");
	expect_error(REL "---\nreleases: {}\n",
		     "t.yml:4:1: only one YAML document is allowed");
}

/*
 * Found fuzzing rb_config_parse(): the walk meets an aliased node once
 * per alias.  One release with 1200 applications, named again by 900
 * aliases (16 KB), took minutes, as each alias checked the list for
 * duplicates again; aliases of aliases grow exponentially; one naming
 * itself never ends.  Now the nodes are counted first.
 */
static void test_alias_bombs(void **state)
{
	static const char laughs[] =
		"a: &a [x, x, x, x, x, x, x, x, x, x]\n"
		"b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
		"c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
		"d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
		"releases: *d\n";
	struct strbuf sb = STRBUF_INIT;
	struct rb_config cfg;

	(void)state;
	sb_adds(&sb, "releases:\n  r0: &r\n    version: '1'\n"
		     "    applications: [");
	for (int i = 0; i < 1200; i++)
		sb_addf(&sb, "%sa%d", i ? "," : "", i);
	sb_adds(&sb, "]\n");
	for (int i = 1; i < 900; i++)
		sb_addf(&sb, "  r%d: *r\n", i);
	/* tests/fuzz/corpus/config/crash-alias-quadratic.yml */
	expect_error(sb_str(&sb), "t.yml:4:1625: the config is too large: more "
		     "than 10000 YAML nodes (an alias counts each time it is used)");
	sb_release(&sb);
	expect_error(laughs, "t.yml:1:23: the config is too large: more than "
		     "10000 YAML nodes (an alias counts each time it is used)");
	expect_error("releases: &r {shop: *r}\n",
		     "t.yml:1:15: the config nests deeper than 64 levels");
	sb_adds(&sb, "releases: ");
	for (int i = 0; i < 200; i++)
		sb_addc(&sb, i < 100 ? '[' : ']');
	expect_error(sb_str(&sb),
		     "t.yml:1:74: the config nests deeper than 64 levels");
	sb_release(&sb);

	/* Within the bounds, aliases are fine. */
	parse_ok(&cfg, "releases:\n"
		       "  a: &r {version: '1', applications: [a, b]}\n"
		       "  b: *r\n");
	assert_int_equal(cfg.nr_releases, 2);
	assert_int_equal(cfg.releases[1].nr_apps, 2);
	rb_config_release(&cfg);
}

static void test_bad_start_type(void **state)
{
	(void)state;
	expect_error(REL "    applications:\n      - p1_pgsql: perm\n",
		     "t.yml:5:19: unknown start type 'perm' (known: permanent, "
		     "transient, temporary, load, none)");
	expect_error(REL "    applications:\n      - p1_pgsql: permanant\n",
		     "t.yml:5:19: unknown start type 'permanant' "
		     "(did you mean 'permanent'?)");
	expect_error(REL "    applications:\n      - p1_pgsql: [load]\n",
		     "t.yml:5:19: the start type of 'p1_pgsql' must be one of "
		     "permanent, transient, temporary, load, none");
	expect_error(REL "    applications:\n      - [shop]\n",
		     "t.yml:5:9: each application must be a name or "
		     "'name: start_type'");
	expect_error(REL "    applications:\n      - { a: load, b: load }\n",
		     "t.yml:5:9: each application must be a name or "
		     "'name: start_type'");
	expect_error(REL "    applications:\n      - Shop\n",
		     "t.yml:5:9: invalid application name 'Shop'");
	expect_error(REL "    applications: [shop, kernel, shop: load]\n",
		     "t.yml:4:34: application 'shop' is listed twice");
}

static void test_duplicate_key(void **state)
{
	(void)state;
	expect_error(REL "    include_src: true\n    include_src: false\n",
		     "t.yml:5:5: duplicate key 'include_src' (first at 4:5)");
	expect_error(REL "releases: {}\n",
		     "t.yml:4:1: duplicate key 'releases' (first at 1:1)");
	expect_error("environments:\n  prod: {}\n  prod: {}\n" REL,
		     "t.yml:3:3: duplicate key 'prod' (first at 2:3)");
}

static void test_overlays(void **state)
{
	(void)state;
	expect_error(REL "    overlays:\n      - cpy: { from: a, to: b }\n",
		     "t.yml:5:9: unknown overlay kind 'cpy' "
		     "(did you mean 'copy'?)");
	expect_error(REL "    overlays:\n      - link: a\n",
		     "t.yml:5:9: unknown overlay kind 'link' "
		     "(known: mkdir, copy, template)");
	expect_error(REL "    overlays:\n      - { mkdir: a, copy: b }\n",
		     "t.yml:5:9: each overlay must be a map with one key: "
		     "mkdir, copy or template");
	expect_error(REL "    overlays:\n      - var/log\n",
		     "t.yml:5:9: each overlay must be a map with one key: "
		     "mkdir, copy or template");
	expect_error(REL "    overlays:\n      - copy: { from: a }\n",
		     "t.yml:5:15: overlay 'copy' has no 'to'");
	expect_error(REL "    overlays:\n      - template: { to: b }\n",
		     "t.yml:5:19: overlay 'template' has no 'from'");
	expect_error(REL "    overlays:\n      - copy: a\n",
		     "t.yml:5:15: overlay 'copy' must be a map "
		     "{ from: ..., to: ... }");
	expect_error(REL "    overlays:\n      - copy: { from: a, to: ../x }\n",
		     "t.yml:5:30: 'to' '../x' must be a relative path inside "
		     "the release");
	expect_error(REL "    overlays:\n      - mkdir: /var/log\n",
		     "t.yml:5:16: 'mkdir' '/var/log' must be a relative path "
		     "inside the release");
	expect_error(REL "    overlays:\n      - mkdir: ./tmp/cache\n",
		     "t.yml:5:16: 'mkdir' './tmp/cache' is under tmp/, the control "
		     "script's scratch directory, which no release ships");
	expect_error(REL "    overlays:\n      - copy: { from: a, to: tmp }\n",
		     "t.yml:5:30: 'to' 'tmp' is under tmp/, the control script's "
		     "scratch directory, which no release ships");
}

static void test_hooks_and_commands(void **state)
{
	(void)state;
	expect_error(REL "    hooks:\n      pre_strat: rel/hooks/pre_start\n",
		     "t.yml:5:7: unknown hook event 'pre_strat' "
		     "(did you mean 'pre_start'?)");
	expect_error(REL "    hooks:\n      on_boot: x\n",
		     "t.yml:5:7: unknown hook event 'on_boot' (known: "
		     "pre_configure, post_configure, pre_start, post_start, "
		     "pre_stop, post_stop, pre_upgrade, post_upgrade)");
	expect_error(REL "    commands:\n      Migrate: m.sh\n",
		     "t.yml:5:7: invalid command name 'Migrate' "
		     "(use a-z, 0-9, '_' and '-')");
	expect_error(REL "    commands:\n      start: s.sh\n",
		     "t.yml:5:7: command 'start' clashes with the built-in "
		     "command of that name");
	expect_error(REL "    commands:\n      remote_console: s.sh\n",
		     "t.yml:5:7: command 'remote_console' clashes with the built-in "
		     "command of that name");
	expect_error(REL "    commands:\n      migrate: ''\n",
		     "t.yml:5:16: command 'migrate' must not be empty");
}

static void test_bad_compression(void **state)
{
	(void)state;
	expect_error(REL "    tar: { compression: bz2 }\n",
		     "t.yml:4:25: unknown compression 'bz2' "
		     "(known: gzip, zstd, none)");
	expect_error(REL "    tar: { compression: zstdd }\n",
		     "t.yml:4:25: unknown compression 'zstdd' "
		     "(did you mean 'zstd'?)");
	expect_error(REL "    tar: { compression: no }\n",
		     "t.yml:4:25: 'compression' must be gzip, zstd or none");
}

/* undefined_calls: warn by default; an environment's wins; bad modes. */
static void test_undefined_calls(void **state)
{
	struct rb_config cfg;
	struct rb_plan plan;

	(void)state;
	parse_ok(&cfg, REL);
	resolve_ok(&cfg, NULL, NULL, &plan);
	assert_int_equal(plan.undefined_calls, RB_UNDEFINED_WARN);
	rb_plan_release(&plan);
	rb_config_release(&cfg);

	parse_ok(&cfg, "environments:\n  ci:\n    undefined_calls: error\n"
		       "  prod:\n" REL "    undefined_calls: ignore\n");
	resolve_ok(&cfg, NULL, "ci", &plan);
	assert_int_equal(plan.undefined_calls, RB_UNDEFINED_ERROR);
	rb_plan_release(&plan);
	resolve_ok(&cfg, NULL, "prod", &plan);
	assert_int_equal(plan.undefined_calls, RB_UNDEFINED_IGNORE);
	rb_plan_release(&plan);
	rb_config_release(&cfg);

	expect_error(REL "    undefined_calls: wran\n",
		     "t.yml:4:22: unknown undefined_calls mode 'wran' "
		     "(did you mean 'warn'?)");
	expect_error(REL "    undefined_calls: loud\n",
		     "t.yml:4:22: unknown undefined_calls mode 'loud' "
		     "(known: warn, error, ignore)");
	expect_error(REL "    undefined_calls: false\n",
		     "t.yml:4:22: 'undefined_calls' must be warn, error or ignore");

	/* no_warn_undefined: a list, replaced whole by an environment's */
	parse_ok(&cfg, "environments:\n  ci:\n    no_warn_undefined: []\n"
		       "  prod:\n" REL
		       "    no_warn_undefined: [scram, Elixir.Jason]\n");
	resolve_ok(&cfg, NULL, "prod", &plan);
	assert_int_equal(plan.no_warn_undefined.nr, 2);
	assert_string_equal(plan.no_warn_undefined.v[0], "scram");
	assert_string_equal(plan.no_warn_undefined.v[1], "Elixir.Jason");
	rb_plan_release(&plan);
	resolve_ok(&cfg, NULL, "ci", &plan);
	assert_int_equal(plan.no_warn_undefined.nr, 0);
	rb_plan_release(&plan);
	rb_config_release(&cfg);
	expect_error(REL "    no_warn_undefined: scram\n",
		     "t.yml:4:24: 'no_warn_undefined' must be a list");
	expect_error(REL "    no_warn_undefined: ['']\n",
		     "t.yml:4:25: each entry of 'no_warn_undefined' must not be empty");
}

static void test_empty_and_shape(void **state)
{
	(void)state;
	expect_error("", "t.yml:1:1: the config is empty (expected 'releases')");
	expect_error("# nothing\n\n",
		     "t.yml:1:1: the config is empty (expected 'releases')");
	expect_error("~\n",
		     "t.yml:1:1: the config is empty (expected 'releases')");
	expect_error("- shop\n", "t.yml:1:1: the config must be a map with "
		     "'releases' and 'environments'");
	expect_error("environments: {}\n",
		     "t.yml:1:1: no releases: define one under 'releases'");
	expect_error("releases: {}\n",
		     "t.yml:1:1: no releases: define one under 'releases'");
	expect_error("releases:\n  a/b: { version: 1 }\n",
		     "t.yml:2:3: invalid release name 'a/b' "
		     "(use letters, digits, '_' and '-')");
	expect_error("environments:\n  '': {}\n" REL,
		     "t.yml:2:3: invalid environment name '' "
		     "(use letters, digits, '_' and '-')");
}

static void test_one_line_errors(void **state)
{
	struct rb_config cfg;
	struct rb_error err;
	static const char yaml[] = REL "    \"inc\\nlude\": 1\n";

	(void)state;
	assert_int_equal(parse(&cfg, yaml, &err), -1);
	assert_string_equal(err.msg, "t.yml:4:5: unknown key 'inc?lude'");
	rb_config_release(&cfg);
}

static void test_load_missing_file(void **state)
{
	struct rb_config cfg;
	struct rb_error err = { 0 };

	(void)state;
	assert_int_equal(rb_config_load(&cfg, TEST_BINARY_DIR "/no/such.yml",
					&err), -1);
	assert_int_equal(err.code, RB_ECONFIG);
	assert_non_null(strstr(err.msg, "no/such.yml"));
	rb_config_release(&cfg);
}

static void test_names(void **state)
{
	(void)state;
	assert_int_equal(rb_nr_hook_events, 8);
	assert_string_equal(rb_hook_events[0], "pre_configure");
	assert_string_equal(rb_hook_events[3], "post_start");
	assert_string_equal(rb_hook_events[7], "post_upgrade");
	assert_null(rb_hook_events[8]);
	assert_int_equal(rb_nr_builtin_commands, 27);
	assert_string_equal(rb_builtin_commands[19], "help");
	assert_string_equal(rb_builtin_commands[21], "nodetool");
	/* the aliases users type, and the control script's internal one */
	assert_string_equal(rb_builtin_commands[22], "daemon_iex");
	assert_string_equal(rb_builtin_commands[23], "start_iex");
	assert_string_equal(rb_builtin_commands[24], "remote_console");
	assert_string_equal(rb_builtin_commands[25], "attach");
	assert_string_equal(rb_builtin_commands[26], "run_erl_daemon");
	assert_null(rb_builtin_commands[27]);
	assert_string_equal(rb_start_type_name(RB_START_PERMANENT),
			    "permanent");
	assert_string_equal(rb_start_type_name(RB_START_NONE), "none");
	assert_string_equal(rb_compression_name(RB_COMPRESS_ZSTD), "zstd");
}

/* systemd: true, false or { root, user, group }; environments override. */
static void test_systemd(void **state)
{
	struct rb_config cfg;
	struct rb_plan plan;

	(void)state;
	/* off by default */
	parse_ok(&cfg, REL);
	resolve_ok(&cfg, NULL, NULL, &plan);
	assert_int_equal(plan.systemd, 0);
	assert_null(plan.systemd_root);
	assert_null(plan.systemd_user);
	assert_null(plan.systemd_group);
	rb_plan_release(&plan);
	rb_config_release(&cfg);

	/* true: every default */
	parse_ok(&cfg, "environments:\n  prod:\n    systemd: true\n" REL);
	assert_int_equal(cfg.envs[0].settings.systemd, 1);
	assert_int_equal(cfg.releases[0].settings.systemd, RB_UNSET);
	resolve_ok(&cfg, NULL, NULL, &plan);
	assert_int_equal(plan.systemd, 1);
	assert_string_equal(plan.systemd_root, "/opt/shop");
	assert_string_equal(plan.systemd_user, "shop");
	assert_string_equal(plan.systemd_group, "shop");
	rb_plan_release(&plan);
	rb_config_release(&cfg);

	/* a map turns it on; the group follows the user */
	parse_ok(&cfg, REL "    systemd: { root: /srv/shop, user: web }\n");
	assert_int_equal(cfg.releases[0].settings.systemd, 1);
	assert_string_equal(cfg.releases[0].settings.systemd_root, "/srv/shop");
	assert_string_equal(cfg.releases[0].settings.systemd_user, "web");
	assert_null(cfg.releases[0].settings.systemd_group);
	resolve_ok(&cfg, NULL, NULL, &plan);
	assert_int_equal(plan.systemd, 1);
	assert_string_equal(plan.systemd_root, "/srv/shop");
	assert_string_equal(plan.systemd_user, "web");
	assert_string_equal(plan.systemd_group, "web");
	rb_plan_release(&plan);
	rb_config_release(&cfg);
	parse_ok(&cfg, REL "    systemd: {}\n");
	resolve_ok(&cfg, NULL, NULL, &plan);
	assert_int_equal(plan.systemd, 1);
	assert_string_equal(plan.systemd_root, "/opt/shop");
	rb_plan_release(&plan);
	rb_config_release(&cfg);

	/*
	 * The environment's keys win one by one; true keeps the release's
	 * keys, false turns the unit off.
	 */
	parse_ok(&cfg,
		 "environments:\n"
		 "  prod:\n"
		 "    systemd: { group: www-data }\n"
		 "  staging:\n"
		 "    systemd: true\n"
		 "  dev:\n"
		 "    systemd: false\n"
		 "releases:\n"
		 "  shop:\n"
		 "    version: 0.1.0\n"
		 "    systemd:\n"
		 "      root: /srv/shop\n"
		 "      user: web\n"
		 "      group: web\n");
	resolve_ok(&cfg, NULL, "prod", &plan);
	assert_int_equal(plan.systemd, 1);
	assert_string_equal(plan.systemd_root, "/srv/shop");
	assert_string_equal(plan.systemd_user, "web");
	assert_string_equal(plan.systemd_group, "www-data");
	rb_plan_release(&plan);
	resolve_ok(&cfg, NULL, "staging", &plan);
	assert_int_equal(plan.systemd, 1);
	assert_string_equal(plan.systemd_group, "web");
	rb_plan_release(&plan);
	resolve_ok(&cfg, NULL, "dev", &plan);
	assert_int_equal(plan.systemd, 0);
	/* what `relbuild systemd-unit` renders with the unit off: the keys */
	{
		struct rb_error err = { 0 };

		assert_int_equal(rb_plan_systemd_defaults(&plan, "t.yml", &err), 0);
		assert_string_equal(plan.systemd_root, "/srv/shop");
		assert_string_equal(plan.systemd_user, "web");
		assert_string_equal(plan.systemd_group, "web");
	}
	rb_plan_release(&plan);
	rb_config_release(&cfg);
	/* …or the defaults */
	parse_ok(&cfg, REL);
	resolve_ok(&cfg, NULL, NULL, &plan);
	{
		struct rb_error err = { 0 };

		assert_int_equal(rb_plan_systemd_defaults(&plan, "t.yml", &err), 0);
		assert_int_equal(plan.systemd, 0);
		assert_string_equal(plan.systemd_root, "/opt/shop");
		assert_string_equal(plan.systemd_user, "shop");
		assert_string_equal(plan.systemd_group, "shop");
	}
	rb_plan_release(&plan);
	rb_config_release(&cfg);
	parse_ok(&cfg, "releases:\n  2fa:\n    version: 1\n");
	resolve_ok(&cfg, NULL, NULL, &plan);
	{
		struct rb_error err = { 0 };

		assert_int_equal(rb_plan_systemd_defaults(&plan, "t.yml", &err), -1);
		assert_int_equal(err.code, RB_ECONFIG);
		assert_string_equal(err.msg, "t.yml: 'systemd' needs a 'user': "
				    "the release name '2fa' is not a valid user name");
	}
	rb_plan_release(&plan);
	rb_config_release(&cfg);

	/* errors at the offending key or value */
	expect_error(REL "    systemd: { root: /srv/shop, usr: web }\n",
		     "t.yml:4:33: unknown key 'usr' (did you mean 'user'?)");
	expect_error(REL "    systemd:\n      root: /srv/shop\n      home: /x\n",
		     "t.yml:6:7: unknown key 'home'");
	expect_error(REL "    systemd: yes please\n",
		     "t.yml:4:14: 'systemd' must be true, false or a map such "
		     "as { root: /opt/NAME, user: NAME }");
	expect_error(REL "    systemd:\n",
		     "t.yml:4:13: 'systemd' must be true, false or a map such "
		     "as { root: /opt/NAME, user: NAME }");
	expect_error(REL "    systemd: [root]\n",
		     "t.yml:4:14: 'systemd' must be true, false or a map such "
		     "as { root: /opt/NAME, user: NAME }");
	expect_error(REL "    systemd: { root: srv/shop }\n",
		     "t.yml:4:22: invalid 'root' in 'systemd': 'srv/shop' (an "
		     "absolute path of letters, digits and '/._-+@', without "
		     "'.' or '..' components)");
	expect_error(REL "    systemd: { root: '/srv/my shop' }\n",
		     "t.yml:4:22: invalid 'root' in 'systemd': '/srv/my shop' "
		     "(an absolute path of letters, digits and '/._-+@', "
		     "without '.' or '..' components)");
	expect_error(REL "    systemd: { root: /srv/%n }\n",
		     "t.yml:4:22: invalid 'root' in 'systemd': '/srv/%n' (an "
		     "absolute path of letters, digits and '/._-+@', without "
		     "'.' or '..' components)");
	expect_error(REL "    systemd: { user: 1000 }\n",
		     "t.yml:4:22: invalid 'user' in 'systemd': '1000' (a "
		     "letter or '_', then letters, digits, '_' or '-', at most "
		     "31)");
	expect_error(REL "    systemd: { group: '' }\n",
		     "t.yml:4:23: 'group' in 'systemd' must not be empty");
	expect_error(REL "    systemd: { user: [a] }\n",
		     "t.yml:4:22: 'user' in 'systemd' must be a string");
	expect_error(REL "    systemd: { user: a, user: b }\n",
		     "t.yml:4:25: duplicate key 'user' (first at 4:16)");
	expect_error("environments:\n  prod:\n    systemd: { Root: /x }\n" REL,
		     "t.yml:3:16: unknown key 'Root' (did you mean 'root'?)");
	expect_error(REL "    systmed: true\n",
		     "t.yml:4:5: unknown key 'systmed' "
		     "(did you mean 'systemd'?)");

	/* a release name that is no user name needs a user */
	expect_resolve_error("releases:\n  2fa:\n    version: 1\n"
			     "    systemd: true\n", NULL, NULL,
			     "t.yml: 'systemd' needs a 'user': the release "
			     "name '2fa' is not a valid user name");
	parse_ok(&cfg, "releases:\n  2fa:\n    version: 1\n"
		 "    systemd: { user: twofa }\n");
	resolve_ok(&cfg, NULL, NULL, &plan);
	assert_string_equal(plan.systemd_user, "twofa");
	assert_string_equal(plan.systemd_group, "twofa");
	rb_plan_release(&plan);
	rb_config_release(&cfg);
}

/* The name rule init checks --name and an app name with. */
static void test_valid_name(void **state)
{
	(void)state;
	assert_true(rb_config_valid_name("shop"));
	assert_true(rb_config_valid_name("shop-web_2"));
	assert_false(rb_config_valid_name(""));
	assert_false(rb_config_valid_name("-shop"));
	assert_false(rb_config_valid_name("shop web"));
	assert_false(rb_config_valid_name("../shop"));
	assert_false(rb_config_valid_name("shop\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reference_config),
		cmocka_unit_test(test_full_schema),
		cmocka_unit_test(test_resolve_override),
		cmocka_unit_test(test_resolve_defaults),
		cmocka_unit_test(test_resolve_keep_debug_info),
		cmocka_unit_test(test_resolve_release_choice),
		cmocka_unit_test(test_resolve_env_choice),
		cmocka_unit_test(test_cookie),
		cmocka_unit_test(test_unknown_key),
		cmocka_unit_test(test_wrong_type),
		cmocka_unit_test(test_booleans),
		cmocka_unit_test(test_missing_version),
		cmocka_unit_test(test_yaml_syntax),
		cmocka_unit_test(test_alias_bombs),
		cmocka_unit_test(test_bad_start_type),
		cmocka_unit_test(test_duplicate_key),
		cmocka_unit_test(test_overlays),
		cmocka_unit_test(test_hooks_and_commands),
		cmocka_unit_test(test_bad_compression),
		cmocka_unit_test(test_undefined_calls),
		cmocka_unit_test(test_empty_and_shape),
		cmocka_unit_test(test_one_line_errors),
		cmocka_unit_test(test_load_missing_file),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_valid_name),
		cmocka_unit_test(test_systemd),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
