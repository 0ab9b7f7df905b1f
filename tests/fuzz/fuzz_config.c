/*
 * libFuzzer target for rb_config_parse(), the rel/config.yml loader,
 * and rb_config_resolve() on what it accepts.  Whatever the bytes, an
 * error is RB_ECONFIG and one line starting with the path, as the
 * front end prints it; what is accepted names nothing outside the
 * release (overlay targets) and nothing a script would trip on.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

#define PATH "rel/config.yml"

static void check_error(const struct rb_error *err, const char *what)
{
	const char *bad = NULL;

	if (err->code != RB_ECONFIG)
		bad = "not RB_ECONFIG";
	else if (strncmp(err->msg, PATH ":", strlen(PATH ":")))
		bad = "does not start with the path";
	for (const char *s = err->msg; !bad && *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			bad = "holds a control character";
	if (bad) {
		fprintf(stderr, "fuzz_config: %s: error message %s: %s\n", what,
			bad, err->msg);
		abort();
	}
}

static void die(const char *what, const char *s)
{
	fprintf(stderr, "fuzz_config: %s: '%s'\n", what, s);
	abort();
}

/* An overlay's target stays inside the release, out of tmp/. */
static void check_target(const char *to)
{
	int first = 1;

	if (*to == '/')
		die("absolute overlay target", to);
	for (const char *c = to; *c;) {
		size_t n = strcspn(c, "/");

		if (n == 2 && !strncmp(c, "..", 2))
			die("overlay target with '..'", to);
		if (n && !(n == 1 && *c == '.')) {
			if (first && n == 3 && !strncmp(c, "tmp", 3))
				die("overlay target under tmp/", to);
			first = 0;
		}
		c += n + (c[n] == '/');
	}
}

/* What the build makes paths and scripts of must be safe to. */
static void check_plan(const struct rb_plan *plan)
{
	if (!plan->nr_apps || !plan->output_dir)
		abort();
	if (!rb_config_valid_name(plan->release))
		die("invalid release name", plan->release);
	if (!rb_config_valid_name(plan->env))
		die("invalid environment name", plan->env);
	if (plan->version && (!*plan->version || strchr(plan->version, '/') ||
			      !strcmp(plan->version, ".") ||
			      !strcmp(plan->version, "..")))
		die("invalid version", plan->version);
	for (size_t i = 0; i < plan->nr_overlays; i++)
		check_target(plan->overlays[i].to);
	for (size_t i = 0; i < plan->nr_commands; i++)
		for (size_t j = 0; j < rb_nr_builtin_commands; j++)
			if (!strcmp(plan->commands[i].name,
				    rb_builtin_commands[j]))
				die("a command shadows a built-in one",
				    plan->commands[i].name);
	if (plan->cookie)
		for (const char *s = plan->cookie; *s; s++)
			if ((unsigned char)*s <= ' ' || *s == 0x7f)
				die("cookie with a space or control character",
				    plan->cookie);
}

static void resolve(const struct rb_config *cfg, const char *release,
		    const char *env)
{
	struct rb_plan plan;
	struct rb_error err;

	err.code = 0;
	if (rb_config_resolve(cfg, release, env, &plan, &err) < 0)
		check_error(&err, "rb_config_resolve");
	else
		check_plan(&plan);
	rb_plan_release(&plan);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rb_config cfg;
	struct rb_error err;

	err.code = 0;
	if (rb_config_parse(&cfg, PATH, (const char *)data, size, &err) < 0) {
		check_error(&err, "rb_config_parse");
	} else {
		/* The defaults, and a few of the release × environment pairs. */
		resolve(&cfg, NULL, NULL);
		for (size_t r = 0; r < cfg.nr_releases && r < 3; r++) {
			resolve(&cfg, cfg.releases[r].name, NULL);
			for (size_t e = 0; e < cfg.nr_envs && e < 3; e++)
				resolve(&cfg, cfg.releases[r].name,
					cfg.envs[e].name);
		}
		resolve(&cfg, "no-such-release", "no-such-env");
	}
	rb_config_release(&cfg);
	return 0;
}
