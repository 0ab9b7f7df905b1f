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
#include "cmd.h"
#include "cmd_opt.h"
#include "cmd_project.h"
#include "config.h"
#include "manifest.h"
#include "migrations.h"
#include "runtime.h"
#include "sign.h"
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
	int verbose;         /* -v, --verbose */
	int quiet;           /* -q, --quiet */
	int strict;          /* --strict: undefined_calls: error */
	const char *jobs;    /* --jobs N: threads compressing the tarball */
};

static void build_usage(FILE *f)
{
	fputs("usage: relbuild [build] [options]\n\n"
	      "  --env ENV          environment from rel/config.yml (default: default_environment)\n"
	      "  --release NAME     release to build (default: default_release)\n"
	      "  --config PATH      configuration file (default: rel/config.yml)\n"
	      "  --no-tar           assemble the release directory only\n"
	      "  --dev              dev_mode: symlink applications, no tarball\n"
	      "  --sign KEY.pem     sign SHA256SUMS with this Ed25519 key (SHA256SUMS.sig)\n"
	      "  --upgrade          add appups and a relup to upgrade from an earlier release\n"
	      "  --upfrom OLD       that release: a version in the output directory, or a\n"
	      "                     tarball (default: the newest other version; implies --upgrade)\n"
	      "  --strict           fail on calls into modules the release lacks\n"
	      "                     (undefined_calls: error)\n"
	      "  -j, --jobs N       compress the tarball on N threads (default: one per\n"
	      "                     CPU; the bytes are the same for any N)\n"
	      "  -v, --verbose      list applications and migrations\n"
	      "  -q, --quiet        print nothing but errors\n", f);
}

static int parse_args(struct build_opts *o, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char **val = NULL;

		if (!strcmp(a, "--env"))
			val = &o->env;
		else if (!strcmp(a, "--release"))
			val = &o->release;
		else if (!strcmp(a, "--config"))
			val = &o->config;
		else if (!strcmp(a, "--sign"))
			val = &o->sign;
		else if (!strcmp(a, "--upfrom"))
			val = &o->upfrom;
		else if (!strcmp(a, "-j") || !strcmp(a, "--jobs"))
			val = &o->jobs;
		else if (!strcmp(a, "--upgrade"))
			o->upgrade = 1;
		else if (!strcmp(a, "--no-tar"))
			o->no_tar = 1;
		else if (!strcmp(a, "--dev"))
			o->dev = 1;
		else if (!strcmp(a, "-v") || !strcmp(a, "--verbose"))
			o->verbose = 1;
		else if (!strcmp(a, "-q") || !strcmp(a, "--quiet"))
			o->quiet = 1;
		else if (!strcmp(a, "--strict"))
			o->strict = 1;
		else if (!strcmp(a, "-h") || !strcmp(a, "--help"))
			return 1;
		else if (!strncmp(a, "--env=", 6))
			o->env = a + 6;
		else if (!strncmp(a, "--release=", 10))
			o->release = a + 10;
		else if (!strncmp(a, "--config=", 9))
			o->config = a + 9;
		else if (!strncmp(a, "--sign=", 7))
			o->sign = a + 7;
		else if (!strncmp(a, "--upfrom=", 9))
			o->upfrom = a + 9;
		else if (!strncmp(a, "--jobs=", 7))
			o->jobs = a + 7;
		else if (!strncmp(a, "-j", 2) && a[2])
			o->jobs = a + 2;
		else
			return usage_error("build", "unknown option '%s'", a);
		if (val) {
			if (i + 1 >= argc)
				return usage_error("build", "option '%s' needs a value", a);
			*val = argv[++i];
		}
	}
	if (o->upfrom)
		o->upgrade = 1;
	if (o->jobs) {
		char *end;
		long n;

		errno = 0;
		n = strtol(o->jobs, &end, 10);
		if (*o->jobs < '1' || *o->jobs > '9' || *end || errno || n > 64)
			return usage_error("build", "--jobs must be a number from 1 to 64, not '%s'",
					   o->jobs);
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

/* "relbuild: PREFIXmsg": msg names modules read from beams, sanitized. */
static void say(const char *prefix, const char *msg)
{
	tty_printf(stderr, "relbuild: %s%s\n", prefix, msg);
}

/*
 * Calls from the release's applications into modules it does not have
 * (xref.h): warnings, or with --strict or undefined_calls: error, a
 * failed build before anything is written.
 */
static int check_undefined_calls(const struct project *p,
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
	if (o->verbose) {
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
		if (sb.len)
			say(fatal ? "" : "warning: ", sb_str(&sb));
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
		say("hint: ", sb_str(&sb));
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
		say("hint: ", sb_str(&sb));
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
};

static int begin_tarball(void *data, const struct rb_assembly *rel,
			 struct rb_error *err)
{
	struct early_tarball *t = data;

	return rb_tarball_begin(&t->early, rel->root, rel->name, rel->vsn,
				&t->pk, t->epoch, err);
}

int cmd_build(int argc, char **argv)
{
	struct build_opts o = { .config = "rel/config.yml" };
	struct project p;
	struct rb_plan *plan = &p.plan;
	struct rb_app_list apps;
	struct rb_assembly rel = { 0 };
	struct rb_tarball tar = { 0 };
	struct rb_key key = { NULL, 0 };
	struct early_tarball early = { { 0 }, 0, NULL };
	struct rb_upgrade_summary up;
	struct rb_app_ref *refs = NULL;
	size_t nr_refs = 0;
	struct strvec warnings = STRVEC_INIT;
	char *tarball = NULL; /* where it is once committed */
	const char *vsn;
	struct rb_error err = { 0 };
	long long epoch;
	int ret = 1, r;

	memset(&p, 0, sizeof(p));
	rb_app_list_init(&apps);
	rb_upgrade_summary_init(&up);
	r = parse_args(&o, argc, argv);
	if (r) {
		if (r == 1) {
			build_usage(stdout);
			return 0;
		}
		return r;
	}
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
	if (check_undefined_calls(&p, &apps, &o, &err) < 0)
		goto fail;

	for (size_t i = 0; i < apps.nr; i++) {
		struct rb_migration_list migs;

		rb_migration_list_init(&migs);
		if (rb_migrations_check(apps.v[i].dir, &migs, &err) < 0) {
			rb_migration_list_release(&migs);
			goto fail;
		}
		if (o.verbose) {
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
		say("warning: ", warnings.v[i]);
	if (o.verbose)
		for (size_t i = 0; i < apps.nr; i++)
			tty_printf(stdout, "application %s %s %s\n", apps.v[i].name,
			       apps.v[i].vsn, rb_start_type_name(apps.v[i].type));

	/* the manifest and its signature from the files as they are packed */
	early.pk = (struct rb_pack){ plan->compression, o.jobs ? atoi(o.jobs) : 0,
				     1, key.pkey ? &key : NULL };
	early.epoch = epoch;
	/* --upgrade writes appups into lib/ after: no head start then */
	if (plan->tar && !o.upgrade) {
		rel.meanwhile = begin_tarball;
		rel.meanwhile_data = &early;
	}
	if (rb_assemble(plan, &p.proj, &p.rt, &apps, &rel, &err) < 0)
		goto fail;
	if (o.verbose && rel.sys_config_from_mix)
		tty_printf(stdout, "sys.config from config/config.exs%s%s%s\n",
		       plan->sys_config ? " (+ " : "",
		       plan->sys_config ? plan->sys_config : "",
		       plan->sys_config ? ")" : "");
	if (o.verbose && rel.runtime_config)
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
		if (o.verbose)
			rb_upgrade_describe(&up, &sb);
		print_sanitized(stdout, sb_str(&sb));
		sb_release(&sb);
	}
	if (o.verbose && !plan->dev_mode) {
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
		tarball = rb_assembly_final_path(&rel, tar.path);
	} else if (!plan->dev_mode) {
		if (rb_manifest_write(rel.root, rel.vsn, NULL, &err) < 0 ||
		    (key.pkey && rb_sign_manifest(&key, rel.root, rel.vsn, &err) < 0))
			goto fail;
	}
	if (rb_assembly_commit(&rel, &err) < 0)
		goto fail;
	if (!o.quiet) {
		tty_printf(stdout, "release %s %s (%s) at %s\n", rel.name, rel.vsn, plan->env,
		       rel.root);
		if (plan->tar)
			tty_printf(stdout, "tarball %s\nsha256  %s\n", tarball, tar.hash);
		if (key.pkey)
			tty_printf(stdout, "signed  %s/releases/%s/SHA256SUMS.sig\n", rel.root,
			       rel.vsn);
		if (o.upgrade)
			tty_printf(stdout, "relup   %s (from %s)\n", up.relup, up.old_vsn);
	}

	ret = 0;
	goto out;
fail:
	ret = report_error(&err);
out:
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
