/*
 * relbuild diff OLD NEW: what changed between two releases, tarballs or
 * directories (reldiff.c): applications and their modules, the runtime,
 * every other file, and the appup a build with --upgrade would make.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json_out.h"
#include "reldiff.h"
#include "term.h"
#include "tty.h"
#include "util.h"

static const struct cli_opt diff_opts[] = {
	{ NULL, 0, NULL, NULL },
};

static int diff_opt(struct cli *cli, void *ctx, int key, const char *arg)
{
	(void)cli, (void)ctx, (void)key, (void)arg;
	return 0;
}

static char change_mark(enum rb_change c)
{
	return c == RB_CHANGE_ADDED ? '+' : c == RB_CHANGE_REMOVED ? '-' : '~';
}

/*
 * "~ releases/0.2.0/vm.args (mode 0644 -> 0755)": the path in the new
 * release (the old one when removed; the two differ only by versions);
 * an application's files below its directory ("~ ebin/counter.app").
 */
static void print_file(const struct rb_reldiff_file *f, const char *indent)
{
	const char *path = f->new_path ? f->new_path : f->old_path;

	if (*indent && has_prefix(path, "lib/") && strchr(path + 4, '/'))
		path = strchr(path + 4, '/') + 1;
	tty_printf(stdout, "%s%c %s", indent, change_mark(f->change), path);
	if (f->mode_changed)
		tty_printf(stdout, " (mode %04o -> %04o)", f->old_mode, f->new_mode);
	if (!*indent)
		tty_printf(stdout, "  %s", rb_file_role_name(f->role));
	fputc('\n', stdout);
}

static void print_modules(const struct rb_module_diff *m)
{
	for (size_t i = 0; i < m->added.nr; i++)
		tty_printf(stdout, "    + module %s\n", m->added.v[i]);
	for (size_t i = 0; i < m->changed.nr; i++)
		tty_printf(stdout, "    ~ module %s%s\n", m->changed.v[i],
			   strvec_contains(&m->advanced, m->changed.v[i]) ?
				   " (code_change)" : "");
	for (size_t i = 0; i < m->deleted.nr; i++)
		tty_printf(stdout, "    - module %s\n", m->deleted.v[i]);
}

static void print_app(const struct rb_reldiff_app *a)
{
	struct strbuf sb = STRBUF_INIT;

	if (a->change == RB_CHANGE_ADDED)
		tty_printf(stdout, "+ %s %s\n", a->name, a->new_vsn);
	else if (a->change == RB_CHANGE_REMOVED)
		tty_printf(stdout, "- %s %s\n", a->name, a->old_vsn);
	if (a->change != RB_CHANGE_CHANGED)
		return;
	if (a->vsn_changed)
		tty_printf(stdout, "~ %s %s -> %s", a->name, a->old_vsn, a->new_vsn);
	else
		tty_printf(stdout, "~ %s %s", a->name, a->new_vsn);
	if (a->start_type_changed)
		tty_printf(stdout, " (start type %s -> %s)", a->old_start_type,
			   a->new_start_type);
	fputc('\n', stdout);
	print_modules(&a->modules);
	for (size_t i = 0; i < a->nr_files; i++)
		print_file(&a->files[i], "    ");
	switch (a->appup_status) {
	case RB_APPUP_STATUS_NONE:
		break;
	case RB_APPUP_STATUS_UNBUMPED:
		tty_printf(stdout, "    appup: none: its code changed but not its version; a build with --upgrade fails (bump vsn in its .app)\n");
		break;
	case RB_APPUP_STATUS_UNREADABLE:
		tty_printf(stdout, "    appup: none: %s\n", a->appup_error);
		break;
	case RB_APPUP_STATUS_MADE:
		if (a->appup_source != RB_APPUP_GENERATED) {
			tty_printf(stdout, "    appup (%s): a build uses %s\n",
				   rb_appup_source_name(a->appup_source),
				   a->appup_file);
			break;
		}
		tty_printf(stdout, "    appup (generated):\n      ");
		rb_term_format_pretty(a->appup, &sb, 6);
		tty_printf(stdout, "%s\n", sb_str(&sb));
		break;
	}
	sb_release(&sb);
}

static void print_text(const struct rb_reldiff *d)
{
	const struct rb_reldiff_erts *e = &d->erts;

	tty_printf(stdout, "%s %s -> %s %s\n", d->old_name, d->old_vsn,
		   d->new_name, d->new_vsn);
	if (!e->changed)
		tty_printf(stdout, "erts %s (unchanged)\n", e->new_vsn);
	else if (strcmp(e->old_vsn, e->new_vsn))
		tty_printf(stdout, "erts %s -> %s", e->old_vsn, e->new_vsn);
	else
		tty_printf(stdout, "erts %s", e->new_vsn);
	if (e->changed) {
		if (e->old_included != e->new_included)
			tty_printf(stdout, " (%s)", e->new_included ? "now included" :
					       "no longer included");
		tty_printf(stdout, " (%zu added, %zu removed, %zu changed)\n",
			   e->nr_added, e->nr_removed, e->nr_changed);
	}
	for (size_t i = 0; i < d->nr_apps; i++)
		print_app(&d->apps[i]);
	tty_printf(stdout, "%zu application%s unchanged\n", d->nr_unchanged_apps,
		   d->nr_unchanged_apps == 1 ? "" : "s");
	for (size_t i = 0; i < d->nr_files; i++)
		print_file(&d->files[i], "");
}

static struct json_object *json_file(const struct rb_reldiff_file *f)
{
	struct json_object *o = json_object_new_object();
	char mode[16];

	cli_json_add_string(o, "change", rb_change_name(f->change));
	cli_json_add_string(o, "old_path", f->old_path);
	cli_json_add_string(o, "new_path", f->new_path);
	cli_json_add_string(o, "role", rb_file_role_name(f->role));
	json_object_object_add(o, "content_changed",
			       json_object_new_boolean(f->content_changed));
	json_object_object_add(o, "mode_changed",
			       json_object_new_boolean(f->mode_changed));
	snprintf(mode, sizeof(mode), "%04o", f->old_mode);
	cli_json_add_string(o, "old_mode", f->old_path ? mode : NULL);
	snprintf(mode, sizeof(mode), "%04o", f->new_mode);
	cli_json_add_string(o, "new_mode", f->new_path ? mode : NULL);
	cli_json_add_string(o, "old_sha256", f->old_hash[0] ? f->old_hash : NULL);
	cli_json_add_string(o, "new_sha256", f->new_hash[0] ? f->new_hash : NULL);
	return o;
}

static struct json_object *json_app(const struct rb_reldiff_app *a)
{
	struct json_object *o = json_object_new_object();
	struct json_object *mods = json_object_new_object();
	struct json_object *files = json_object_new_array();
	struct json_object *appup = json_object_new_object();
	struct strbuf sb = STRBUF_INIT;

	cli_json_add_string(o, "name", a->name);
	cli_json_add_string(o, "change", rb_change_name(a->change));
	cli_json_add_string(o, "old_version", a->old_vsn);
	cli_json_add_string(o, "new_version", a->new_vsn);
	cli_json_add_string(o, "old_start_type", a->old_start_type);
	cli_json_add_string(o, "new_start_type", a->new_start_type);
	json_object_object_add(mods, "added", cli_json_strings(&a->modules.added));
	json_object_object_add(mods, "changed", cli_json_strings(&a->modules.changed));
	json_object_object_add(mods, "removed", cli_json_strings(&a->modules.deleted));
	json_object_object_add(mods, "code_change", cli_json_strings(&a->modules.advanced));
	json_object_object_add(o, "modules", mods);
	for (size_t i = 0; i < a->nr_files; i++)
		json_object_array_add(files, json_file(&a->files[i]));
	json_object_object_add(o, "files", files);
	cli_json_add_string(appup, "status", rb_appup_status_name(a->appup_status));
	if (a->appup_status == RB_APPUP_STATUS_MADE) {
		cli_json_add_string(appup, "source", rb_appup_source_name(a->appup_source));
		rb_term_format(a->appup, &sb);
		cli_json_add_string(appup, "term", sb_str(&sb));
	}
	cli_json_add_string(appup, "file", a->appup_file);
	cli_json_add_string(appup, "error", a->appup_error);
	json_object_object_add(o, "appup", appup);
	sb_release(&sb);
	return o;
}

/* The document: the schema is in the README ("relbuild diff"). */
static void print_json(const char *old, const char *new_,
		       const struct rb_reldiff *d, const struct rb_error *err)
{
	struct json_object *doc = json_object_new_object();
	struct json_object *apps = json_object_new_array();
	struct json_object *files = json_object_new_array();
	struct json_object *erts = json_object_new_object();

	json_object_object_add(doc, "ok", json_object_new_boolean(!err));
	cli_json_add_string(doc, "old", old);
	cli_json_add_string(doc, "new", new_);
	if (!err) {
		cli_json_add_string(doc, "old_name", d->old_name);
		cli_json_add_string(doc, "new_name", d->new_name);
		cli_json_add_string(doc, "old_version", d->old_vsn);
		cli_json_add_string(doc, "new_version", d->new_vsn);
		cli_json_add_string(erts, "old_version", d->erts.old_vsn);
		cli_json_add_string(erts, "new_version", d->erts.new_vsn);
		json_object_object_add(erts, "old_included",
				       json_object_new_boolean(d->erts.old_included));
		json_object_object_add(erts, "new_included",
				       json_object_new_boolean(d->erts.new_included));
		json_object_object_add(erts, "changed", json_object_new_boolean(d->erts.changed));
		json_object_object_add(erts, "added", json_object_new_int64((int64_t)d->erts.nr_added));
		json_object_object_add(erts, "removed", json_object_new_int64((int64_t)d->erts.nr_removed));
		json_object_object_add(erts, "changed_files", json_object_new_int64((int64_t)d->erts.nr_changed));
		json_object_object_add(doc, "erts", erts);
		for (size_t i = 0; i < d->nr_apps; i++)
			json_object_array_add(apps, json_app(&d->apps[i]));
		json_object_object_add(doc, "applications", apps);
		json_object_object_add(doc, "unchanged_applications",
				       json_object_new_int64((int64_t)d->nr_unchanged_apps));
		for (size_t i = 0; i < d->nr_files; i++)
			json_object_array_add(files, json_file(&d->files[i]));
		json_object_object_add(doc, "files", files);
	} else {
		json_object_put(apps);
		json_object_put(files);
		json_object_put(erts);
	}
	cli_json_add_error(doc, err);
	cli_json_print(doc);
}

static int run_diff(struct cli *cli, int argc, char **argv)
{
	struct rb_reldiff d;
	struct rb_error err = { 0 };
	int ret, at;

	ret = cli_parse(cli, &cli_cmd_diff, argc, argv, diff_opt, NULL, &at);
	if (ret >= 0)
		return ret;
	if (argc - at != 2)
		return cli_usage(cli, "%s OLD and NEW", argc - at < 2 ? "missing" :
				 "too many arguments: only");
	rb_reldiff_init(&d);
	if (rb_reldiff(argv[at], argv[at + 1], &d, &err) < 0) {
		ret = cli_error(cli, &err);
		if (cli->json)
			print_json(argv[at], argv[at + 1], &d, &err);
	} else {
		if (cli->json)
			print_json(argv[at], argv[at + 1], &d, NULL);
		else
			print_text(&d);
		ret = 0;
	}
	rb_reldiff_release(&d);
	return ret;
}

const struct cli_cmd cli_cmd_diff = {
	.name = "diff",
	.operands = "OLD NEW",
	.summary = "show what changed between two releases",
	.description =
		"Compare two releases, each a tarball or a directory: the runtime, the\n"
		"applications added (+), removed (-) and changed (~), with the modules\n"
		"added, changed (code_change: the new module exports code_change/3,4)\n"
		"and removed and the other files of each, the appup a build with\n"
		"--upgrade would make for it, then every other file that differs, with\n"
		"its role (generated, hook, command, overlay).  Files are compared by\n"
		"their bytes as released (relbuild strips beams, so the same code\n"
		"gives the same bytes); lib/<app>-<old>/X against lib/<app>-<new>/X.\n",
	.status = "0 compared (whether or not they differ), 1 a release cannot be\n"
		  "read, 2 a usage error\n",
	.opts = diff_opts,
	.flags = CLI_JSON,
	.run = run_diff,
};
