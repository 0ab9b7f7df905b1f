/*
 * relbuild inspect TARBALL|DIR: what a release holds, read once from
 * its tarball or directory (inspect.c), as lines that each begin with
 * what they are about, or as one JSON document.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "inspect.h"
#include "json_out.h"
#include "sign.h"
#include "tty.h"
#include "util.h"

enum { OPT_PUBKEY = CLI_OPT };

static const struct cli_opt inspect_opts[] = {
	{ "pubkey", OPT_PUBKEY, "PUB.pem",
	  "check releases/<vsn>/SHA256SUMS.sig with this Ed25519\npublic key (without it: only whether there is one)" },
	{ NULL, 0, NULL, NULL },
};

static int inspect_opt(struct cli *cli, void *ctx, int key, const char *arg)
{
	(void)cli;
	if (key == OPT_PUBKEY)
		*(const char **)ctx = arg;
	return 0;
}

/* The verdict: the files match (or there is no manifest), no bad signature. */
static int inspect_ok(const struct rb_inspect *in)
{
	return in->sums != RB_SUMS_MISMATCH && in->sums != RB_SUMS_ERROR &&
	       in->signature != RB_INSPECT_SIG_INVALID;
}

/* "releases/<vsn>/hooks/<event>/10-x.sh" -> "10-x.sh" */
static const char *hook_script(const char *path)
{
	const char *p = strstr(path, "/hooks/");

	p = p ? strchr(p + strlen("/hooks/"), '/') : NULL;
	return p ? p + 1 : path;
}

static void print_sums(const struct rb_inspect *in)
{
	const struct rb_verify_result *v = &in->verify;

	switch (in->sums) {
	case RB_SUMS_OK:
		tty_printf(stdout, "checksums   ok (%zu files)\n", v->nr_files);
		break;
	case RB_SUMS_MISMATCH:
		tty_printf(stdout, "checksums   MISMATCH (%zu %s)\n", v->nr_problems,
			   v->nr_problems == 1 ? "problem" : "problems");
		for (size_t i = 0; i < v->nr_problems; i++) {
			const struct rb_problem *p = &v->problems[i];

			tty_printf(stdout, "  %-9s %s", rb_problem_kind_name(p->kind),
				   p->path);
			if (p->kind == RB_PROBLEM_MODE)
				tty_printf(stdout, " (%04o, expected %04o)", p->mode,
					   p->expected);
			fputc('\n', stdout);
		}
		break;
	case RB_SUMS_NONE:
		tty_printf(stdout, "checksums   none (no releases/%s/SHA256SUMS)\n",
			   in->vsn);
		break;
	case RB_SUMS_ERROR:
		tty_printf(stdout, "checksums   error: %s\n", in->sums_error);
		break;
	case RB_SUMS_UNCHECKED:
		tty_printf(stdout, "checksums   unchecked\n");
		break;
	}
}

static void print_text(struct cli *cli, const struct rb_inspect *in, int key)
{
	char size[32];

	tty_printf(stdout, "release     %s %s\n", in->name, in->vsn);
	tty_printf(stdout, "source      %s (%s)\n", in->target,
		   in->tarball ? "tarball" : "directory");
	cli_format_size(size, sizeof(size), in->erts_size);
	if (in->erts_included)
		tty_printf(stdout, "erts        %s (included, %s)\n", in->erts_vsn, size);
	else
		tty_printf(stdout, "erts        %s (not included: the server's)\n",
			   in->erts_vsn);
	cli_format_size(size, sizeof(size), in->size);
	tty_printf(stdout, "size        %s in %zu entries\n", size, in->nr_files);
	for (size_t i = 0; i < in->nr_apps; i++) {
		const struct rb_inspect_app *a = &in->apps[i];

		cli_format_size(size, sizeof(size), a->size);
		tty_printf(stdout, "application %s %s %s %s %zu modules", a->name,
			   a->vsn, a->start_type, size, a->nr_modules);
		if (!a->present)
			tty_printf(stdout, " (missing)");
		else if (a->link)
			tty_printf(stdout, " (link to %s)", a->link);
		fputc('\n', stdout);
	}
	for (size_t i = 0; i < in->nr_hooks; i++) {
		const struct rb_inspect_hook *h = &in->hooks[i];

		for (size_t j = 0; j < h->nr_scripts; j++)
			tty_printf(stdout, "hook        %s %s%s\n", h->event,
				   hook_script(h->scripts[j]->path),
				   h->known ? "" : " (unknown event: never run)");
	}
	for (size_t i = 0; i < in->nr_commands; i++)
		tty_printf(stdout, "command     %s\n", in->commands[i].name);
	for (size_t i = 0; i < in->nr_apps; i++) {
		const struct rb_migration_list *m = &in->apps[i].migrations;

		for (size_t j = 0; j < m->nr; j++)
			tty_printf(stdout, "migration   %s %s %s %s\n",
				   in->apps[i].name, m->v[j].version, m->v[j].name,
				   m->v[j].rel);
		for (size_t j = 0; cli->verbose && j < m->nr_skipped; j++)
			cli_note(cli, "note: %s: '%s' is not a migration: %s",
				 in->apps[i].name, m->skipped[j].rel,
				 m->skipped[j].why);
	}
	for (size_t i = 0; i < in->nr_overlays; i++) {
		const struct rb_inspect_entry *e = in->overlays[i];

		cli_format_size(size, sizeof(size), e->size);
		if (e->type == RB_ENTRY_DIR)
			tty_printf(stdout, "overlay     %s/\n", e->path);
		else if (e->type == RB_ENTRY_LINK)
			tty_printf(stdout, "overlay     %s -> %s\n", e->path, e->link);
		else
			tty_printf(stdout, "overlay     %s (%s)\n", e->path, size);
	}
	for (size_t i = 0; i < in->other_versions.nr; i++)
		tty_printf(stdout, "kept from   %s\n", in->other_versions.v[i]);
	if (in->signature == RB_INSPECT_SIG_PRESENT && !key)
		tty_printf(stdout, "signature   present (not checked: no --pubkey)\n");
	else
		tty_printf(stdout, "signature   %s\n",
			   rb_inspect_sig_name(in->signature));
	print_sums(in);
	for (size_t i = 0; cli->verbose && i < in->nr_files; i++) {
		const struct rb_inspect_entry *e = &in->files[i];

		tty_printf(stdout, "entry       %s %s %04o %llu %s\n",
			   rb_file_role_name(e->role), rb_entry_type_name(e->type),
			   e->mode, (unsigned long long)e->size, e->path);
	}
}

static struct json_object *json_u64(uint64_t n)
{
	return json_object_new_int64((int64_t)n);
}

static struct json_object *json_app(const struct rb_inspect_app *a)
{
	struct json_object *o = json_object_new_object();
	struct json_object *migs = json_object_new_array();

	cli_json_add_string(o, "name", a->name);
	cli_json_add_string(o, "version", a->vsn);
	cli_json_add_string(o, "start_type", a->start_type);
	json_object_object_add(o, "present", json_object_new_boolean(a->present));
	cli_json_add_string(o, "link", a->link);
	json_object_object_add(o, "size", json_u64(a->size));
	json_object_object_add(o, "files", json_u64(a->nr_files));
	json_object_object_add(o, "modules", json_u64(a->nr_modules));
	cli_json_add_string(o, "description", a->description);
	for (size_t j = 0; j < a->migrations.nr; j++) {
		const struct rb_migration *m = &a->migrations.v[j];
		struct json_object *mo = json_object_new_object();

		cli_json_add_string(mo, "version", m->version);
		cli_json_add_string(mo, "name", m->name);
		cli_json_add_string(mo, "file", m->rel);
		cli_json_add_string(mo, "path", m->path);
		json_object_array_add(migs, mo);
	}
	json_object_object_add(o, "migrations", migs);
	return o;
}

/* The document: the schema is in the README ("relbuild inspect"). */
static void print_json(const struct rb_inspect *in, const char *target,
		       const struct rb_error *err)
{
	struct json_object *doc = json_object_new_object();
	struct json_object *apps, *hooks, *cmds, *overlays, *erts, *sums;

	cli_json_add_string(doc, "target", target);
	if (err) {
		json_object_object_add(doc, "ok", json_object_new_boolean(0));
		cli_json_add_error(doc, err);
		cli_json_print(doc);
		return;
	}
	apps = json_object_new_array();
	hooks = json_object_new_array();
	cmds = json_object_new_array();
	overlays = json_object_new_array();
	erts = json_object_new_object();
	sums = json_object_new_object();
	json_object_object_add(doc, "ok", json_object_new_boolean(inspect_ok(in)));
	cli_json_add_string(doc, "kind", in->tarball ? "tarball" : "directory");
	cli_json_add_string(doc, "name", in->name);
	cli_json_add_string(doc, "version", in->vsn);
	cli_json_add_string(erts, "version", in->erts_vsn);
	json_object_object_add(erts, "included", json_object_new_boolean(in->erts_included));
	json_object_object_add(erts, "size", json_u64(in->erts_size));
	json_object_object_add(doc, "erts", erts);
	json_object_object_add(doc, "size", json_u64(in->size));
	json_object_object_add(doc, "entries", json_u64(in->nr_files));
	for (size_t i = 0; i < in->nr_apps; i++)
		json_object_array_add(apps, json_app(&in->apps[i]));
	json_object_object_add(doc, "applications", apps);
	for (size_t i = 0; i < in->nr_hooks; i++) {
		struct json_object *h = json_object_new_object();
		struct json_object *scripts = json_object_new_array();

		cli_json_add_string(h, "event", in->hooks[i].event);
		json_object_object_add(h, "known", json_object_new_boolean(in->hooks[i].known));
		for (size_t j = 0; j < in->hooks[i].nr_scripts; j++)
			json_object_array_add(scripts, cli_json_string(in->hooks[i].scripts[j]->path));
		json_object_object_add(h, "scripts", scripts);
		json_object_array_add(hooks, h);
	}
	json_object_object_add(doc, "hooks", hooks);
	for (size_t i = 0; i < in->nr_commands; i++) {
		struct json_object *c = json_object_new_object();

		cli_json_add_string(c, "name", in->commands[i].name);
		cli_json_add_string(c, "path", in->commands[i].entry->path);
		json_object_array_add(cmds, c);
	}
	json_object_object_add(doc, "commands", cmds);
	for (size_t i = 0; i < in->nr_overlays; i++) {
		const struct rb_inspect_entry *e = in->overlays[i];
		struct json_object *o = json_object_new_object();

		cli_json_add_string(o, "path", e->path);
		cli_json_add_string(o, "type", rb_entry_type_name(e->type));
		json_object_object_add(o, "size", json_u64(e->size));
		cli_json_add_string(o, "link", e->link);
		json_object_array_add(overlays, o);
	}
	json_object_object_add(doc, "overlays", overlays);
	json_object_object_add(doc, "kept_from", cli_json_strings(&in->other_versions));
	cli_json_add_string(doc, "signature", rb_inspect_sig_name(in->signature));
	cli_json_add_string(sums, "status", rb_inspect_sums_name(in->sums));
	json_object_object_add(sums, "files", json_u64(in->verify.nr_files));
	json_object_object_add(sums, "problems", cli_json_problems(&in->verify));
	cli_json_add_string(sums, "error", in->sums_error);
	json_object_object_add(doc, "checksums", sums);
	cli_json_add_error(doc, NULL);
	cli_json_print(doc);
}

static int run_inspect(struct cli *cli, int argc, char **argv)
{
	struct rb_inspect_opts io = { .verify = 1 };
	struct rb_inspect in;
	struct rb_error err = { 0 };
	struct rb_key key;
	const char *pubkey = NULL, *target;
	int ret, r, at;

	r = cli_parse(cli, &cli_cmd_inspect, argc, argv, inspect_opt, &pubkey, &at);
	if (r >= 0)
		return r;
	if (at == argc)
		return cli_usage(cli, "missing TARBALL or DIR");
	if (argc - at > 1)
		return cli_usage(cli, "too many arguments");
	target = argv[at];
	rb_key_init(&key);
	rb_inspect_init(&in);
	if (pubkey && rb_key_load_public(&key, pubkey, &err) < 0)
		goto fail;
	io.pubkey = pubkey ? &key : NULL;
	if (rb_inspect_with(target, &io, &in, &err) < 0)
		goto fail;
	if (cli->json)
		print_json(&in, target, NULL);
	else
		print_text(cli, &in, pubkey != NULL);
	ret = !inspect_ok(&in);
	goto out;
fail:
	ret = cli_error(cli, &err);
	if (cli->json)
		print_json(&in, target, &err);
out:
	rb_inspect_release(&in);
	rb_key_release(&key);
	return ret;
}

const struct cli_cmd cli_cmd_inspect = {
	.name = "inspect",
	.operands = "TARBALL|DIR",
	.summary = "show what a release tarball or directory holds",
	.description =
		"Read a release tarball (once, as a stream, nothing extracted) or a\n"
		"release directory (a build's, an unpacked tarball, an installed\n"
		"version) and print its name and version, the runtime, every\n"
		"application with its version, start type, size and modules, the hooks\n"
		"per event, the custom commands, the migrations per application, the\n"
		"files a plain release would not have (overlays), and whether its\n"
		"files match SHA256SUMS and its signature.  Each line begins with what\n"
		"it is about (release, erts, application, hook, command, migration,\n"
		"overlay, signature, checksums); -v adds one 'entry' line per file.\n",
	.status = "0 read (the checksums match, or there are none), 1 the files do not\n"
		  "match SHA256SUMS, the signature is invalid, or the release cannot be\n"
		  "read, 2 a usage error or an unusable key\n",
	.opts = inspect_opts,
	.flags = CLI_JSON,
	.run = run_inspect,
};
