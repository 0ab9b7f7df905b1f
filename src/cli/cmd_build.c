/*
 * relbuild [build]: assemble the release, then write its manifest and
 * tarball.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apps.h"
#include "tarball.h"
#include "assemble.h"
#include "cli.h"
#include "cmd_project.h"
#include "json_out.h"
#include "meter.h"
#include "config.h"
#include "manifest.h"
#include "migrations.h"
#include "runtime.h"
#include "selfextract.h"
#include "sign.h"
#include "tty.h"
#include "upgrade.h"
#include "util.h"
#include "validate.h"
#include "xref.h"

struct build_opts {
	const char *config;  /* --config, default rel/config.yml */
	const char *env;     /* --env */
	const char *release; /* --release */
	const char *sign;    /* --sign KEY.pem: Ed25519 private key */
	const char *upfrom;  /* --upfrom OLD: a version in the output dir or a tarball */
	int upgrade;         /* --upgrade (or --upfrom): appups and relup from OLD */
	int no_tar;          /* --no-tar */
	int dev;             /* --dev */
	int strict;          /* --strict: undefined_calls: error */
	int jobs;            /* --jobs N: threads compressing the tarball; 0: one a CPU */
	int executable;      /* --executable: also <name>-<vsn>.run */
};

enum {
	OPT_ENV = CLI_OPT, OPT_RELEASE, OPT_CONFIG, OPT_NO_TAR, OPT_DEV,
	OPT_SIGN, OPT_UPGRADE, OPT_UPFROM, OPT_STRICT, OPT_EXECUTABLE,
};

static const struct cli_opt build_opts[] = {
	{ "env", OPT_ENV, "ENV", "environment from rel/config.yml (default: default_environment)" },
	{ "release", OPT_RELEASE, "NAME", "release to build (default: default_release)" },
	{ "config", OPT_CONFIG, "PATH", "configuration file (default: rel/config.yml)" },
	{ "no-tar", OPT_NO_TAR, NULL, "assemble the release directory only" },
	{ "dev", OPT_DEV, NULL, "dev_mode: symlink applications, no tarball" },
	{ "sign", OPT_SIGN, "KEY.pem", "sign SHA256SUMS with this Ed25519 key (SHA256SUMS.sig)" },
	{ "upgrade", OPT_UPGRADE, NULL, "add appups and a relup to upgrade from an earlier release" },
	{ "upfrom", OPT_UPFROM, "OLD",
	  "that release: a version in the output directory, or a\ntarball (default: the newest other version; implies --upgrade)" },
	{ "strict", OPT_STRICT, NULL,
	  "fail on calls into modules the release lacks\n(undefined_calls: error)" },
	{ "jobs", 'j', "N",
	  "compress the tarball on N threads (default: one per\nCPU; the bytes are the same for any N)" },
	{ "executable", OPT_EXECUTABLE, NULL,
	  "also write <name>-<vsn>.run, a self-extracting release\n(executable: in the config)" },
	{ NULL, 0, NULL, NULL },
};

static int build_opt(struct cli *cli, void *ctx, int key, const char *arg)
{
	struct build_opts *o = ctx;
	char *end;
	long n;

	switch (key) {
	case OPT_ENV: o->env = arg; break;
	case OPT_RELEASE: o->release = arg; break;
	case OPT_CONFIG: o->config = arg; break;
	case OPT_NO_TAR: o->no_tar = 1; break;
	case OPT_DEV: o->dev = 1; break;
	case OPT_SIGN: o->sign = arg; break;
	case OPT_UPGRADE: o->upgrade = 1; break;
	case OPT_UPFROM: o->upfrom = arg; o->upgrade = 1; break;
	case OPT_STRICT: o->strict = 1; break;
	case OPT_EXECUTABLE: o->executable = 1; break;
	case 'j':
		errno = 0;
		n = strtol(arg, &end, 10);
		if (*arg < '1' || *arg > '9' || *end || errno || n > 64)
			return cli_usage(cli, "--jobs must be a number from 1 to 64, not '%s'",
					 arg);
		o->jobs = (int)n;
		break;
	}
	return 0;
}

/*
 * The applications to close over: the configured ones, and for mix
 * projects sasl (permanent) and iex (none) as mix release adds them.
 * The entries borrow the plan's strings; the caller frees the array.
 */
static struct rb_app_ref *root_apps(const struct rb_plan *plan,
				    const struct rb_project *proj, size_t *nr)
{
	static const struct rb_app_ref mix_extras[] = {
		{ .name = "sasl", .type = RB_START_PERMANENT, .has_type = 1 },
		{ .name = "iex", .type = RB_START_NONE, .has_type = 1 },
	};
	struct rb_app_ref *refs = xcalloc(plan->nr_apps + 2, sizeof(*refs));
	size_t n = 0;

	for (size_t i = 0; i < plan->nr_apps; i++)
		refs[n++] = plan->apps[i];
	for (size_t e = 0; proj->kind == RB_PROJECT_MIX && e < 2; e++) {
		size_t i;

		for (i = 0; i < plan->nr_apps; i++)
			if (!strcmp(plan->apps[i].name, mix_extras[e].name))
				break;
		if (i == plan->nr_apps)
			refs[n++] = mix_extras[e];
	}
	*nr = n;
	return refs;
}

/* "a, b, c and 2 more WHATs": the first few of list, each quoted with q. */
static void add_list(struct strbuf *sb, const struct strvec *list,
		     const char *q, const char *what)
{
	enum { SHOWN = 3 };

	for (size_t i = 0; i < list->nr && i < SHOWN; i++)
		sb_addf(sb, "%s%s%s%s", i ? ", " : "", q, list->v[i], q);
	if (list->nr > SHOWN)
		sb_addf(sb, " and %zu more %s%s", list->nr - SHOWN, what,
			list->nr - SHOWN > 1 ? "s" : "");
}

static int same_provider(const struct rb_xref_finding *a,
			 const struct rb_xref_finding *b)
{
	return !strcmp(a->app, b->app) &&
	       (a->provider && b->provider ? !strcmp(a->provider, b->provider)
					   : a->provider == b->provider);
}

/*
 * The findings of one application whose modules one other application
 * has (or none has), starting at res->v[at], as one message:
 * "application 'gen': gen_srv calls compile:file/2, but module 'compile'
 * is in application 'compiler', which the release does not include".
 * Empty when an earlier message covered res->v[at].
 */
static void describe_group(struct strbuf *sb, const struct rb_xref_result *res,
			   size_t at)
{
	const struct rb_xref_finding *first = &res->v[at];
	struct strvec callers = STRVEC_INIT, funs = STRVEC_INIT;
	struct strvec mods = STRVEC_INIT;

	for (size_t i = 0; i < at; i++)
		if (same_provider(&res->v[i], first))
			return;
	for (size_t i = at; i < res->nr; i++) {
		const struct rb_xref_finding *f = &res->v[i];

		if (!same_provider(f, first))
			continue;
		strvec_push(&mods, f->module);
		for (size_t j = 0; j < f->nr; j++) {
			char *fun = xasprintf("%s:%s", f->module,
					      f->calls[j].function);

			if (!strvec_contains(&callers, f->calls[j].caller))
				strvec_push(&callers, f->calls[j].caller);
			if (!strvec_contains(&funs, fun))
				strvec_push(&funs, fun);
			free(fun);
		}
	}
	strvec_sort(&callers);
	strvec_sort(&funs);
	sb_addf(sb, "application '%s': ", first->app);
	add_list(sb, &callers, "", "module");
	sb_adds(sb, callers.nr > 1 ? " call " : " calls ");
	add_list(sb, &funs, "", "function");
	if (first->provider) {
		sb_addf(sb, ", but module%s ", mods.nr > 1 ? "s" : "");
		add_list(sb, &mods, "'", "module");
		sb_addf(sb, " %s in application '%s', which the release does not include",
			mods.nr > 1 ? "are" : "is", first->provider);
	} else {
		sb_addf(sb, ", but no application has module%s ",
			mods.nr > 1 ? "s" : "");
		add_list(sb, &mods, "'", "module");
	}
	strvec_clear(&callers);
	strvec_clear(&funs);
	strvec_clear(&mods);
}

/*
 * Calls from the release's applications into modules it does not have
 * (xref.h): warnings, or with --strict or undefined_calls: error, a
 * failed build before anything is written.
 */
static int check_undefined_calls(struct cli *cli, const struct project *p,
				 const struct rb_app_list *apps,
				 const struct build_opts *o,
				 struct rb_error *err)
{
	static const char *const generated[] = { "relbuild_ctl", NULL };
	struct rb_xref_input in = {
		.release = apps, .index = &p->index, .otp_root = p->rt.otp_root,
		.otp_release = p->rt.otp_release, .elixir_lib = p->rt.elixir_lib,
		.generated = generated, .ignored = &p->plan.no_warn_undefined,
	};
	struct rb_xref_result res;
	int fatal = o->strict || p->plan.undefined_calls == RB_UNDEFINED_ERROR;
	struct strvec providers = STRVEC_INIT; /* for the hint */
	int ret = -1;

	if (p->plan.undefined_calls == RB_UNDEFINED_IGNORE && !o->strict)
		return 0;
	rb_xref_result_init(&res);
	if (rb_xref_check(&in, &res, err) < 0)
		goto out;
	if (cli->verbose) {
		tty_printf(stdout, "checked %zu beams of", res.beams);
		for (size_t i = 0; i < res.checked.nr; i++)
			tty_printf(stdout, " %s", res.checked.v[i]);
		tty_printf(stdout, " for calls into modules the release lacks\n");
		for (size_t i = 0; i < res.unreadable.nr; i++)
			tty_printf(stdout, "note: not checked: %s\n", res.unreadable.v[i]);
	}
	fflush(stdout); /* the verbose lines first, then the warnings */
	for (size_t i = 0; i < res.nr; i++) {
		struct strbuf sb = STRBUF_INIT;
		const char *app = res.v[i].provider;

		describe_group(&sb, &res, i);
		if (sb.len && fatal)
			cli_note(cli, "%s", sb_str(&sb));
		else if (sb.len)
			cli_warn(cli, "%s", sb_str(&sb));
		sb_release(&sb);
		if (app && !strvec_contains(&providers, app))
			strvec_push(&providers, app);
	}
	if (providers.nr) {
		struct strbuf sb = STRBUF_INIT;

		strvec_sort(&providers);
		sb_addf(&sb, "to ship %s, add ", providers.nr > 1 ? "them" : "it");
		for (size_t i = 0; i < providers.nr; i++)
			sb_addf(&sb, "%s'- %s: load'", i ? ", " : "",
				providers.v[i]);
		sb_addf(&sb, " to the release's 'applications' in '%s', or list %s in the calling application's .app",
			o->config, providers.nr > 1 ? "them" : "it");
		cli_note(cli, "hint: %s", sb_str(&sb));
		sb_release(&sb);
	}
	if (res.nr) {
		struct strvec mods = STRVEC_INIT;
		struct strbuf sb = STRBUF_INIT;

		for (size_t i = 0; i < res.nr; i++)
			if (!strvec_contains(&mods, res.v[i].module))
				strvec_push(&mods, res.v[i].module);
		strvec_sort(&mods);
		sb_adds(&sb, "if those calls are never made, 'no_warn_undefined: [");
		for (size_t i = 0; i < mods.nr; i++)
			sb_addf(&sb, "%s%s", i ? ", " : "", mods.v[i]);
		sb_addf(&sb, "]' silences them%s",
			fatal ? "" : "; 'undefined_calls: ignore' skips the check");
		cli_note(cli, "hint: %s", sb_str(&sb));
		sb_release(&sb);
		strvec_clear(&mods);
	}
	if (res.nr && fatal) {
		ret = rb_fail(err, "release '%s' calls modules it does not have (%s): nothing was built",
			      p->plan.release,
			      o->strict ? "--strict" : "undefined_calls: error");
		goto out;
	}
	ret = 0;
out:
	strvec_clear(&providers);
	rb_xref_result_release(&res);
	return ret;
}

/* The tarball, begun while the boot scripts are made (assemble.h). */
struct early_tarball {
	struct rb_pack pk;
	long long epoch;
	struct rb_tarball_early *early;
	struct cli_meter *copying; /* its line ends where the tarball's begins */
};

static int begin_tarball(void *data, const struct rb_assembly *rel,
			 struct rb_error *err)
{
	struct early_tarball *t = data;

	cli_meter_end(t->copying);
	return rb_tarball_begin(&t->early, rel->root, rel->name, rel->vsn,
				&t->pk, t->epoch, err);
}

/* What --json prints: {"ok", "release", ..., "warnings", "error"}. */
static void print_json(const struct rb_assembly *rel, const struct rb_plan *plan,
		       const char *tarball, const struct rb_tarball *tar,
		       const char *run, int sig, const struct rb_upgrade_summary *up,
		       const struct strvec *warnings, const struct rb_error *err)
{
	struct json_object *doc = json_object_new_object();
	struct json_object *w = json_object_new_array();

	json_object_object_add(doc, "ok", json_object_new_boolean(!err));
	cli_json_add_string(doc, "release", rel->name);
	cli_json_add_string(doc, "version", rel->vsn);
	cli_json_add_string(doc, "environment", plan->env);
	cli_json_add_string(doc, "path", err ? NULL : rel->root);
	cli_json_add_string(doc, "tarball", err ? NULL : tarball);
	cli_json_add_string(doc, "sha256", err || !tarball ? NULL : tar->hash);
	cli_json_add_string(doc, "executable", err ? NULL : run);
	json_object_object_add(doc, "signed", json_object_new_boolean(!err && sig));
	cli_json_add_string(doc, "relup", err ? NULL : up->relup);
	cli_json_add_string(doc, "upfrom", err ? NULL : up->old_vsn);
	for (size_t i = 0; i < warnings->nr; i++)
		json_object_array_add(w, cli_json_string(warnings->v[i]));
	json_object_object_add(doc, "warnings", w);
	cli_json_add_error(doc, err);
	cli_json_print(doc);
}

static int run_build(struct cli *cli, int argc, char **argv)
{
	struct build_opts o = { .config = "rel/config.yml" };
	char *run = NULL; /* the .run, with --executable */
	struct project p;
	struct rb_plan *plan = &p.plan;
	struct rb_app_list apps;
	struct rb_assembly rel = { 0 };
	struct rb_tarball tar = { 0 };
	struct rb_key key = { NULL, 0 };
	struct cli_meter copying = { 0 }, meter = { 0 };
	struct early_tarball early = { { 0 }, 0, NULL, &copying };
	struct rb_upgrade_summary up;
	struct rb_app_ref *refs = NULL;
	size_t nr_refs = 0;
	struct strvec warnings = STRVEC_INIT;
	char *tarball = NULL; /* where it is once committed */
	const char *vsn;
	struct rb_error err = { 0 };
	long long epoch;
	int ret = 1, r, at;

	memset(&p, 0, sizeof(p));
	rb_app_list_init(&apps);
	rb_upgrade_summary_init(&up);
	r = cli_parse(cli, &cli_cmd_build, argc, argv, build_opt, &o, &at);
	if (r >= 0)
		return r;
	if (at < argc)
		return cli_usage(cli, "unexpected argument '%s'", argv[at]);
	if (rb_source_date_epoch(&epoch, &err) < 0)
		goto fail;
	/* A bad key must stop the build before anything is built. */
	if (o.sign && rb_key_load_private(&key, o.sign, &err) < 0)
		goto fail;
	if (project_open(&p, o.config, o.release, o.env, &err) < 0)
		goto fail;
	if (o.dev)
		plan->dev_mode = 1;
	if (o.no_tar || plan->dev_mode)
		plan->tar = 0;
	o.executable |= plan->executable;
	if (o.executable && !plan->tar) {
		rb_error(&err, RB_ECONFIG, "%s: this build writes no tarball to make it from (--no-tar, --dev or dev_mode)",
			 plan->executable ? "executable" : "--executable");
		goto fail;
	}
	if (o.sign && plan->dev_mode) {
		rb_error(&err, RB_ECONFIG, "--sign: dev_mode writes no manifest to sign");
		goto fail;
	}
	if (o.upgrade && plan->dev_mode) {
		rb_error(&err, RB_ECONFIG, "--upgrade: dev_mode links the applications, it makes no release to upgrade to");
		goto fail;
	}

	/* The VMs the assembly needs boot while the project is checked. */
	if (rb_assembly_start(plan, &p.proj, &p.rt, &rel, &err) < 0)
		goto fail;

	refs = root_apps(plan, &p.proj, &nr_refs);
	if (rb_apps_closure(&p.index, refs, nr_refs, o.config,
			    rb_project_compile_hint(&p.proj, plan->env), &apps, &err) < 0)
		goto fail;
	if (!(vsn = project_version(&p, &apps, o.config, &err)))
		goto fail;
	if (!plan->version)
		plan->version = xstrdup(vsn);
	if (check_undefined_calls(cli, &p, &apps, &o, &err) < 0)
		goto fail;

	for (size_t i = 0; i < apps.nr; i++) {
		struct rb_migration_list migs;

		rb_migration_list_init(&migs);
		if (rb_migrations_check(apps.v[i].dir, &migs, &err) < 0) {
			rb_migration_list_release(&migs);
			goto fail;
		}
		if (cli->verbose) {
			for (size_t j = 0; j < migs.nr; j++)
				tty_printf(stdout, "migration %s %s %s %s\n", apps.v[i].name,
				       migs.v[j].version, migs.v[j].name,
				       migs.v[j].rel);
			/* Ecto skips them too: worth a note, not a failed build. */
			for (size_t j = 0; j < migs.nr_skipped; j++)
				tty_printf(stdout, "note: %s: '" RB_MIGRATIONS_DIR "/%s' is not a migration: %s\n",
				       apps.v[i].name, migs.skipped[j].rel,
				       migs.skipped[j].why);
		}
		rb_migration_list_release(&migs);
	}
	if (rb_validate_release(plan, &p.proj, &apps, &warnings, &err) < 0)
		goto fail;
	for (size_t i = 0; i < warnings.nr; i++)
		cli_warn(cli, "%s", warnings.v[i]);
	if (cli->verbose)
		for (size_t i = 0; i < apps.nr; i++)
			tty_printf(stdout, "application %s %s %s\n", apps.v[i].name,
			       apps.v[i].vsn, rb_start_type_name(apps.v[i].type));

	/* the manifest and its signature from the files as they are packed */
	cli_meter_start(&meter, cli, "tarball");
	early.pk = (struct rb_pack){ plan->compression, o.jobs, 1,
				     key.pkey ? &key : NULL,
				     cli_meter_hook(&meter) };
	early.epoch = epoch;
	/* --upgrade writes appups into lib/ after: no head start then */
	if (plan->tar && !o.upgrade) {
		rel.meanwhile = begin_tarball;
		rel.meanwhile_data = &early;
	}
	cli_meter_start(&copying, cli, "assemble");
	copying.unit = "applications";
	rel.progress = cli_meter_hook(&copying);
	r = rb_assemble(plan, &p.proj, &p.rt, &apps, &rel, &err);
	cli_meter_end(&copying);
	if (r < 0)
		goto fail;
	if (cli->verbose && rel.sys_config_from_mix)
		tty_printf(stdout, "sys.config from config/config.exs%s%s%s\n",
		       plan->sys_config ? " (+ " : "",
		       plan->sys_config ? plan->sys_config : "",
		       plan->sys_config ? ")" : "");
	if (cli->verbose && rel.runtime_config)
		tty_printf(stdout, "config/runtime.exs shipped, read at every boot\n");
	/* Before the manifest, which lists the appups and the relup. */
	if (o.upgrade) {
		struct rb_upgrade_job job = {
			.project = p.proj.root, .root = rel.root,
			.old_root = rel.final, .name = rel.name,
			.vsn = rel.vsn, .upfrom = o.upfrom, .erl = p.rt.erl,
		};

		struct strbuf sb = STRBUF_INIT;
		char *relup;

		if (rb_upgrade_make(&job, &up, &err) < 0)
			goto fail;
		/* named where it will be once the release is in place */
		relup = rb_assembly_final_path(&rel, up.relup);
		free(up.relup);
		up.relup = relup;
		if (cli->verbose)
			rb_upgrade_describe(&up, &sb);
		print_sanitized(stdout, sb_str(&sb));
		sb_release(&sb);
	}
	if (cli->verbose && !plan->dev_mode) {
		struct strvec priv = STRVEC_INIT;

		if (rb_tree_private(rel.root, &priv, &err) < 0)
			goto fail;
		for (size_t i = 0; i < priv.nr; i++)
			tty_printf(stdout, "private %s (others cannot read it in the project)\n",
				   priv.v[i]);
		strvec_clear(&priv);
	}
	if (plan->tar) {
		if ((early.early ? rb_tarball_finish(&tar, early.early, &err)
				 : rb_tarball_make(&tar, rel.root, rel.name, rel.vsn,
						   &early.pk, epoch, &err)) < 0)
			goto fail;
		cli_meter_end(&meter);
		tarball = rb_assembly_final_path(&rel, tar.path);
		/* in the stage, so that it comes and goes with the release */
		if (o.executable) {
			char *stage_run = xasprintf("%s/releases/%s/%s-%s.run",
						    rel.root, rel.vsn, rel.name,
						    rel.vsn);

			r = rb_write_executable(tar.path, stage_run, rel.name,
						rel.vsn, &err);
			run = rb_assembly_final_path(&rel, stage_run);
			free(stage_run);
			if (r < 0)
				goto fail;
		}
	} else if (!plan->dev_mode) {
		if (rb_manifest_write(rel.root, rel.vsn, NULL, &err) < 0 ||
		    (key.pkey && rb_sign_manifest(&key, rel.root, rel.vsn, &err) < 0))
			goto fail;
	}
	if (rb_assembly_commit(&rel, &err) < 0)
		goto fail;
	if (cli->json) {
		print_json(&rel, plan, tarball, &tar, run, key.pkey != NULL, &up,
			   &warnings, NULL);
	} else if (!cli->quiet) {
		tty_printf(stdout, "release %s %s (%s) at %s\n", rel.name, rel.vsn, plan->env,
		       rel.root);
		if (plan->tar)
			tty_printf(stdout, "tarball %s\nsha256  %s\n", tarball, tar.hash);
		if (key.pkey)
			tty_printf(stdout, "signed  %s/releases/%s/SHA256SUMS.sig\n", rel.root,
			       rel.vsn);
		if (o.upgrade)
			tty_printf(stdout, "relup   %s (from %s)\n", up.relup, up.old_vsn);
		if (run)
			tty_printf(stdout, "executable %s\n", run);
	}

	ret = 0;
	goto out;
fail:
	cli_meter_end(&copying);
	cli_meter_end(&meter);
	ret = cli_error(cli, &err);
	if (cli->json)
		print_json(&rel, plan, NULL, &tar, NULL, 0, &up, &warnings, &err);
out:
	free(run);
	rb_tarball_early_free(early.early);
	rb_tarball_release(&tar);
	rb_upgrade_summary_release(&up);
	rb_key_release(&key);
	rb_assembly_release(&rel);
	free(refs);
	free(tarball);
	strvec_clear(&warnings);
	rb_app_list_release(&apps);
	project_release(&p);
	return ret;
}

const struct cli_cmd cli_cmd_build = {
	.name = "build",
	.summary = "build the release and its tarball (the default)",
	.description =
		"Assemble the release of the compiled project in the current directory\n"
		"(rel/config.yml) into _build/<env>/rel/<name>, then write its manifest\n"
		"and tarball.\n",
	.status = "0 built, 1 the build failed, 2 bad configuration or usage\n",
	.opts = build_opts,
	.flags = CLI_JSON | CLI_BARE,
	.run = run_build,
};
