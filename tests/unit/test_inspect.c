#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "helpers.h"

#include <archive.h>
#include <archive_entry.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "inspect.h"
#include "manifest.h"
#include "sign.h"
#include "tarball.h"
#include "util.h"

/*
 * A fake release "shop" 0.1.0 laid out by hand (what relbuild would
 * write, plus hooks, commands, migrations and overlays), its manifest,
 * and its tarball written by the project's writer; hostile tarballs
 * written here with libarchive.
 */
struct fixture {
	char *tmp;
	char *rel;     /* tmp/rel: the release directory */
	char *tarball; /* tmp/shop.tar.gz: its tarball */
	char *key;     /* tmp/k: keygen prefix */
};

static const char shop_rel[] =
	"{release,{\"shop\",\"0.1.0\"},{erts,\"14.2\"},\n"
	" [{kernel,\"9.0\"},\n"
	"  {stdlib,\"5.0\",[]},\n"
	"  {shop,\"0.1.0\"},\n"
	"  {tools,\"3.0\",load},\n"
	"  {sasl,\"4.2\",temporary,[]}]}.\n";

static void make_release(const char *root)
{
	static const struct {
		const char *path, *content;
		mode_t mode;
	} files[] = {
		{ "bin/shop", "#!/bin/sh\n", 0755 },
		{ "bin/nodetool", "#!/bin/sh\n", 0755 },
		{ "erts-14.2/bin/beam.smp", "ELF0123456789", 0755 },
		{ "erts-14.2/bin/erlexec", "ELF", 0755 },
		{ "lib/kernel-9.0/ebin/kernel.app",
		  "{application,kernel,[{vsn,\"9.0\"},{description,\"ERTS  CXC 138 10\"}]}.\n", 0644 },
		{ "lib/shop-0.1.0/ebin/shop.app",
		  "{application,shop,[{description,\"The shop\"},{vsn,\"0.1.0\"},{modules,[shop,shop_srv]}]}.\n", 0644 },
		{ "lib/shop-0.1.0/priv/static/app.css", "body{}\n", 0644 },
		{ "lib/shop-0.1.0/priv/repo/migrations/20240101000000_create_users.exs", "up\n", 0644 },
		{ "lib/shop-0.1.0/priv/repo/migrations/2024/20240301000000_add_tags.sql", "up\n", 0644 },
		{ "lib/shop-0.1.0/priv/repo/migrations/0042_early.exs", "up\n", 0644 },
		{ "lib/shop-0.1.0/priv/repo/migrations/README.md", "notes\n", 0644 },
		{ "lib/shop-0.1.0/priv/repo/migrations/20240401000000_x.ex", "oops\n", 0644 },
		{ "lib/shop-0.1.0/priv/repo/migrations/.drafts/1_draft.exs", "no\n", 0644 },
		{ "lib/shop-0.1.0/priv/repo/migrations/.2_hidden.exs", "no\n", 0644 },
		{ "lib/tools-3.0/ebin/tools.app", "{application,tools,[{vsn,\"3.0\"}]}.\n", 0644 },
		{ "lib/sasl-4.2/ebin/sasl.app", "not a term", 0644 },
		{ "lib/extra/readme.txt", "an overlay under lib/\n", 0644 },
		{ "releases/start_erl.data", "14.2 0.1.0\n", 0644 },
		{ "releases/0.1.0/shop.rel", shop_rel, 0644 },
		{ "releases/0.1.0/start_clean.rel",
		  "{release,{\"shop\",\"0.1.0\"},{erts,\"14.2\"},[{kernel,\"9.0\"}]}.\n", 0644 },
		{ "releases/0.1.0/start.boot", "boot", 0644 },
		{ "releases/0.1.0/start.script", "script", 0644 },
		{ "releases/0.1.0/sys.config", "[].\n", 0644 },
		{ "releases/0.1.0/vm.args", "+K true\n", 0644 },
		{ "releases/0.1.0/ctl/relbuild_ctl.beam", "FOR1", 0644 },
		{ "releases/0.1.0/consolidated/Elixir.Enumerable.beam", "FOR1", 0644 },
		{ "releases/0.1.0/hooks/post_start/10-migrate.sh", "#!/bin/sh\n", 0755 },
		{ "releases/0.1.0/hooks/post_start/20-warm.sh", "#!/bin/sh\n", 0644 },
		{ "releases/0.1.0/hooks/pre_start/nested/a.sh", "#!/bin/sh\n", 0755 },
		{ "releases/0.1.0/hooks/my_event/x.sh", "#!/bin/sh\n", 0755 },
		{ "releases/0.1.0/commands/migrate", "#!/bin/sh\n", 0755 },
		{ "releases/0.1.0/commands/seed", "#!/bin/sh\n", 0755 },
		{ "releases/0.1.0/notes.txt", "an overlay in the version directory\n", 0644 },
		{ "doc/NOTES.txt", "overlay\n", 0644 },
		{ "etc/shop.conf", "port = 4000\n", 0600 },
	};
	struct rb_error err;
	char *empty = path_join(root, "var/empty");

	for (size_t i = 0; i < sizeof(files) / sizeof(*files); i++)
		test_put_bytes(root, files[i].path, files[i].content,
			  strlen(files[i].content), files[i].mode);
	test_put_beam(root, "lib/kernel-9.0/ebin/kernel.beam", "kernel", 0, "k");
	test_put_beam(root, "lib/shop-0.1.0/ebin/shop.beam", "shop", 0, "s1");
	test_put_beam(root, "lib/shop-0.1.0/ebin/shop_srv.beam", "shop_srv", 1, "v1");
	test_put_bytes(root, "lib/tools-3.0/ebin/broken.beam", "FOR1junk", 8, 0644);
	assert_int_equal(mkdir_p(empty, &err), 0);
	free(empty);
	if (rb_manifest_write(root, "0.1.0", NULL, &err) < 0)
		fail_msg("%s", err.msg);
}

static int setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	char tmpl[] = "/tmp/test_inspect.XXXXXX";

	assert_non_null(mkdtemp(tmpl));
	f->tmp = xstrdup(tmpl);
	f->rel = path_join(f->tmp, "rel");
	f->tarball = path_join(f->tmp, "shop.tar.gz");
	f->key = path_join(f->tmp, "k");
	umask(022);
	make_release(f->rel);
	test_write_tarball(f->rel, "0.1.0", f->tarball);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	struct rb_error err;

	remove_tree(f->tmp, &err);
	free(f->tmp);
	free(f->rel);
	free(f->tarball);
	free(f->key);
	free(f);
	return 0;
}

static void inspect_ok(const char *path, const struct rb_inspect_opts *o,
		       struct rb_inspect *in)
{
	struct rb_error err = { 0 };

	rb_inspect_init(in);
	if (rb_inspect_with(path, o, in, &err) < 0)
		fail_msg("inspect '%s': %s", path, err.msg);
}

static const struct rb_inspect_app *app(const struct rb_inspect *in,
					const char *name)
{
	for (size_t i = 0; i < in->nr_apps; i++)
		if (!strcmp(in->apps[i].name, name))
			return &in->apps[i];
	fail_msg("no application '%s'", name);
	return NULL;
}

static enum rb_file_role role(const struct rb_inspect *in, const char *path)
{
	const struct rb_inspect_entry *e = rb_inspect_find(in, path);

	if (!e)
		fail_msg("no entry '%s'", path);
	return e->role;
}

/* The facts a directory and its tarball must both give. */
static void check_release(const struct rb_inspect *in)
{
	const struct rb_inspect_app *a;
	const struct rb_migration_list *m;
	struct strbuf sb = STRBUF_INIT;

	assert_string_equal(in->name, "shop");
	assert_string_equal(in->vsn, "0.1.0");
	assert_string_equal(in->rel, "releases/0.1.0/shop.rel");
	assert_string_equal(in->erts_vsn, "14.2");
	assert_true(in->erts_included);
	assert_int_equal(in->erts_size, strlen("ELF0123456789") + strlen("ELF"));

	assert_int_equal(in->nr_apps, 5);
	assert_string_equal(in->apps[0].name, "kernel");
	assert_string_equal(in->apps[2].name, "shop");
	a = app(in, "kernel");
	assert_string_equal(a->start_type, "permanent");
	assert_false(a->start_type_given);
	assert_true(a->present);
	assert_int_equal(a->nr_modules, 1);
	assert_string_equal(a->app_vsn, "9.0");
	assert_string_equal(a->description, "ERTS  CXC 138 10");
	a = app(in, "stdlib");
	assert_string_equal(a->start_type, "permanent");
	assert_false(a->start_type_given);
	assert_false(a->present);
	assert_int_equal(a->size, 0);
	assert_null(a->app_vsn);
	a = app(in, "tools");
	assert_string_equal(a->start_type, "load");
	assert_true(a->start_type_given);
	assert_int_equal(a->nr_modules, 1);
	a = app(in, "sasl");
	assert_string_equal(a->start_type, "temporary");
	assert_true(a->start_type_given);
	assert_null(a->app_vsn); /* its .app does not parse */
	a = app(in, "shop");
	assert_string_equal(a->dir, "lib/shop-0.1.0");
	assert_string_equal(a->app_vsn, "0.1.0");
	assert_string_equal(a->description, "The shop");
	assert_int_equal(a->nr_modules, 2);
	assert_int_equal(a->nr_files, 11);
	{
		uint64_t sum = 0;

		for (size_t i = 0; i < in->nr_files; i++)
			if (has_prefix(in->files[i].path, "lib/shop-0.1.0/") &&
			    in->files[i].type == RB_ENTRY_FILE)
				sum += in->files[i].size;
		assert_int_equal(a->size, sum);
		assert_true(sum > 0);
	}

	/* migrations: by version as numbers, then the others with the build's reasons */
	m = &a->migrations;
	assert_int_equal(m->nr, 3);
	assert_string_equal(m->v[0].version, "0042");
	assert_string_equal(m->v[0].name, "early");
	assert_string_equal(m->v[1].version, "20240101000000");
	assert_string_equal(m->v[1].name, "create_users");
	assert_string_equal(m->v[1].rel, "20240101000000_create_users.exs");
	assert_string_equal(m->v[1].path,
			    "lib/shop-0.1.0/priv/repo/migrations/20240101000000_create_users.exs");
	assert_string_equal(m->v[2].rel, "2024/20240301000000_add_tags.sql");
	assert_int_equal(m->nr_skipped, 2);
	assert_string_equal(m->skipped[0].rel, "20240401000000_x.ex");
	assert_non_null(strstr(m->skipped[0].why, ".ex"));
	assert_string_equal(m->skipped[1].rel, "README.md");
	assert_string_equal(m->skipped[1].why, "not named <integer>_<name>.exs or .sql");
	assert_int_equal(app(in, "kernel")->migrations.nr, 0);

	/* hooks in firing order, then the unknown event; scripts in run order */
	assert_int_equal(in->nr_hooks, 3);
	assert_string_equal(in->hooks[0].event, "pre_start");
	assert_true(in->hooks[0].known);
	assert_int_equal(in->hooks[0].nr_scripts, 1);
	assert_string_equal(in->hooks[0].scripts[0]->path,
			    "releases/0.1.0/hooks/pre_start/nested/a.sh");
	assert_string_equal(in->hooks[1].event, "post_start");
	assert_int_equal(in->hooks[1].nr_scripts, 2);
	assert_string_equal(in->hooks[1].scripts[0]->path,
			    "releases/0.1.0/hooks/post_start/10-migrate.sh");
	assert_int_equal(in->hooks[1].scripts[0]->mode, 0755);
	assert_int_equal(in->hooks[1].scripts[1]->mode, 0644);
	assert_string_equal(in->hooks[2].event, "my_event");
	assert_false(in->hooks[2].known);

	assert_int_equal(in->nr_commands, 2);
	assert_string_equal(in->commands[0].name, "migrate");
	assert_string_equal(in->commands[1].name, "seed");
	assert_string_equal(in->commands[1].entry->path, "releases/0.1.0/commands/seed");

	/* what a plain release would not have */
	for (size_t i = 0; i < in->nr_overlays; i++)
		sb_addf(&sb, "%s%s ", in->overlays[i]->path,
			in->overlays[i]->type == RB_ENTRY_DIR ? "/" : "");
	assert_string_equal(sb_str(&sb),
			    "doc/NOTES.txt etc/shop.conf lib/extra/readme.txt "
			    "releases/0.1.0/notes.txt var/empty/ ");
	sb_release(&sb);
	assert_int_equal(role(in, "bin/shop"), RB_ROLE_GENERATED);
	assert_int_equal(role(in, "bin/nodetool"), RB_ROLE_GENERATED);
	assert_int_equal(role(in, "releases/0.1.0/start_clean.rel"), RB_ROLE_GENERATED);
	assert_int_equal(role(in, "releases/0.1.0/SHA256SUMS"), RB_ROLE_GENERATED);
	assert_int_equal(role(in, "releases/0.1.0/MODES"), RB_ROLE_GENERATED);
	assert_int_equal(role(in, "releases/0.1.0/ctl/relbuild_ctl.beam"), RB_ROLE_GENERATED);
	assert_int_equal(role(in, "releases/0.1.0/consolidated/Elixir.Enumerable.beam"),
			 RB_ROLE_GENERATED);
	assert_int_equal(role(in, "erts-14.2/bin/beam.smp"), RB_ROLE_ERTS);
	assert_int_equal(role(in, "lib/shop-0.1.0/ebin/shop.beam"), RB_ROLE_APP);
	assert_int_equal(role(in, "releases/0.1.0/hooks/post_start/10-migrate.sh"), RB_ROLE_HOOK);
	assert_int_equal(role(in, "releases/0.1.0/commands/seed"), RB_ROLE_COMMAND);
	assert_int_equal(role(in, "doc"), RB_ROLE_OVERLAY);
	assert_int_equal(in->other_versions.nr, 0);
	assert_int_equal(rb_inspect_find(in, "etc/shop.conf")->mode, 0600);
	assert_string_equal(sb_str(rb_inspect_kept(in, "releases/0.1.0/shop.rel")), shop_rel);
}

static void test_directory(void **state)
{
	struct fixture *f = *state;
	struct rb_inspect in;
	struct rb_error err;

	rb_inspect_init(&in);
	assert_int_equal(rb_inspect(f->rel, NULL, &in, &err), 0);
	assert_false(in.tarball);
	check_release(&in);
	assert_int_equal(in.sums, RB_SUMS_OK);
	assert_int_equal(in.verify.nr_problems, 0);
	assert_string_equal(in.verify.manifest, "releases/0.1.0/SHA256SUMS");
	assert_int_equal(in.signature, RB_INSPECT_SIG_NONE);
	/* a directory is not hashed unless asked */
	assert_string_equal(rb_inspect_find(&in, "bin/shop")->hash, "");
	rb_inspect_release(&in);
}

static void test_tarball(void **state)
{
	struct fixture *f = *state;
	struct rb_inspect_opts o = { NULL, 1, 1, 0 };
	struct rb_inspect in, dir;
	char hex[RB_SHA256_HEX];
	struct rb_error err;
	char *full;

	rb_inspect_init(&in);
	assert_int_equal(rb_inspect(f->tarball, NULL, &in, &err), 0);
	assert_true(in.tarball);
	check_release(&in);
	assert_int_equal(in.sums, RB_SUMS_OK);
	assert_int_equal(in.verify.nr_problems, 0);
	assert_true(in.verify.modes);
	assert_int_equal(in.signature, RB_INSPECT_SIG_NONE);

	/* the same entries as the directory, hashed alike */
	inspect_ok(f->rel, &o, &dir);
	assert_int_equal(in.nr_files, dir.nr_files);
	for (size_t i = 0; i < in.nr_files; i++) {
		assert_string_equal(in.files[i].path, dir.files[i].path);
		assert_int_equal(in.files[i].type, dir.files[i].type);
		assert_int_equal(in.files[i].size, dir.files[i].size);
		assert_string_equal(in.files[i].hash, dir.files[i].hash);
		assert_int_equal(in.files[i].role, dir.files[i].role);
	}
	assert_int_equal(in.size, dir.size);
	full = path_join(f->rel, "bin/shop");
	assert_int_equal(rb_sha256_file(full, hex, &err), 0);
	assert_string_equal(rb_inspect_find(&in, "bin/shop")->hash, hex);
	free(full);
	rb_inspect_release(&dir);
	rb_inspect_release(&in);
}

static void test_beams(void **state)
{
	struct fixture *f = *state;
	struct rb_inspect_opts o = { NULL, 0, 0, 1 };
	const char *targets[] = { f->rel, f->tarball };

	for (size_t t = 0; t < 2; t++) {
		struct rb_inspect in;
		const struct rb_inspect_entry *e;

		inspect_ok(targets[t], &o, &in);
		assert_int_equal(in.sums, RB_SUMS_UNCHECKED);
		e = rb_inspect_find(&in, "lib/shop-0.1.0/ebin/shop_srv.beam");
		assert_true(e->code_change);
		assert_null(e->beam_error);
		e = rb_inspect_find(&in, "lib/shop-0.1.0/ebin/shop.beam");
		assert_false(e->code_change);
		assert_null(e->beam_error);
		e = rb_inspect_find(&in, "lib/tools-3.0/ebin/broken.beam");
		assert_false(e->code_change);
		assert_non_null(e->beam_error);
		/* consolidated protocols are no application's modules */
		assert_null(rb_inspect_find(&in, "releases/0.1.0/consolidated/Elixir.Enumerable.beam")->beam_error);
		rb_inspect_release(&in);
	}
}

static void test_tampered_directory(void **state)
{
	struct fixture *f = *state;
	struct rb_inspect in;
	struct rb_error err;

	test_put_text(f->rel, "releases/0.1.0/vm.args", "+K false\n");
	test_put_text(f->rel, "lib/shop-0.1.0/priv/extra.txt", "x");
	rb_inspect_init(&in);
	assert_int_equal(rb_inspect(f->rel, NULL, &in, &err), 0);
	assert_int_equal(in.sums, RB_SUMS_MISMATCH);
	assert_int_equal(in.verify.nr_problems, 2);
	assert_true(test_has_problem(&in.verify, RB_PROBLEM_CHANGED, "releases/0.1.0/vm.args"));
	assert_true(test_has_problem(&in.verify, RB_PROBLEM_EXTRA, "lib/shop-0.1.0/priv/extra.txt"));
	/* the rest is still inspected */
	assert_string_equal(in.name, "shop");
	rb_inspect_release(&in);
}

static void test_no_manifest(void **state)
{
	struct fixture *f = *state;
	struct rb_inspect in;
	struct rb_error err;
	char *m = path_join(f->rel, "releases/0.1.0/SHA256SUMS");
	char *tar = path_join(f->tmp, "bare.tar.gz");

	assert_int_equal(unlink(m), 0);
	test_write_tarball(f->rel, "0.1.0", tar);
	for (int t = 0; t < 2; t++) {
		rb_inspect_init(&in);
		assert_int_equal(rb_inspect(t ? tar : f->rel, NULL, &in, &err), 0);
		assert_int_equal(in.sums, RB_SUMS_NONE);
		assert_int_equal(in.verify.nr_problems, 0);
		assert_null(in.sums_error);
		assert_int_equal(in.nr_apps, 5);
		rb_inspect_release(&in);
	}
	/* a manifest that cannot be read: the check cannot run */
	test_put_text(f->rel, "releases/0.1.0/SHA256SUMS", "not a manifest\n");
	test_write_tarball(f->rel, "0.1.0", tar);
	for (int t = 0; t < 2; t++) {
		rb_inspect_init(&in);
		assert_int_equal(rb_inspect(t ? tar : f->rel, NULL, &in, &err), 0);
		assert_int_equal(in.sums, RB_SUMS_ERROR);
		assert_non_null(strstr(in.sums_error, "SHA256SUMS:1"));
		assert_int_equal(in.verify.nr_problems, 0);
		rb_inspect_release(&in);
	}
	free(m);
	free(tar);
}

static void test_signature(void **state)
{
	struct fixture *f = *state;
	struct rb_key priv, pub, other;
	struct rb_error err;
	char *tar = path_join(f->tmp, "signed.tar.gz");
	char *other_prefix = path_join(f->tmp, "o");
	char *path;

	rb_key_init(&priv);
	rb_key_init(&pub);
	rb_key_init(&other);
	assert_int_equal(rb_keygen(f->key, NULL, NULL, &err), 0);
	assert_int_equal(rb_keygen(other_prefix, NULL, NULL, &err), 0);
	path = xasprintf("%s.pem", f->key);
	assert_int_equal(rb_key_load_private(&priv, path, &err), 0);
	free(path);
	path = xasprintf("%s.pub.pem", f->key);
	assert_int_equal(rb_key_load_public(&pub, path, &err), 0);
	free(path);
	path = xasprintf("%s.pub.pem", other_prefix);
	assert_int_equal(rb_key_load_public(&other, path, &err), 0);
	free(path);
	assert_int_equal(rb_sign_manifest(&priv, f->rel, "0.1.0", &err), 0);
	test_write_tarball(f->rel, "0.1.0", tar);

	for (int t = 0; t < 2; t++) {
		const char *target = t ? tar : f->rel;
		struct rb_inspect in;

		rb_inspect_init(&in);
		assert_int_equal(rb_inspect(target, NULL, &in, &err), 0);
		assert_int_equal(in.signature, RB_INSPECT_SIG_PRESENT);
		assert_int_equal(in.sums, RB_SUMS_OK);
		assert_int_equal(role(&in, "releases/0.1.0/SHA256SUMS.sig"), RB_ROLE_GENERATED);
		rb_inspect_release(&in);

		rb_inspect_init(&in);
		assert_int_equal(rb_inspect(target, &pub, &in, &err), 0);
		assert_int_equal(in.signature, RB_INSPECT_SIG_VALID);
		assert_int_equal(in.sums, RB_SUMS_OK);
		rb_inspect_release(&in);

		rb_inspect_init(&in);
		assert_int_equal(rb_inspect(target, &other, &in, &err), 0);
		assert_int_equal(in.signature, RB_INSPECT_SIG_INVALID);
		assert_int_equal(in.sums, RB_SUMS_MISMATCH);
		assert_true(test_has_problem(&in.verify, RB_PROBLEM_SIGNATURE,
					     "releases/0.1.0/SHA256SUMS.sig"));
		rb_inspect_release(&in);
	}
	{
		/* without the checksum check, the signature is checked alone */
		struct rb_inspect_opts o = { &pub, 0, 0, 0 };
		struct rb_inspect in;

		inspect_ok(tar, &o, &in);
		assert_int_equal(in.sums, RB_SUMS_UNCHECKED);
		assert_int_equal(in.signature, RB_INSPECT_SIG_VALID);
		rb_inspect_release(&in);
		o.pubkey = &other;
		inspect_ok(f->rel, &o, &in);
		assert_int_equal(in.signature, RB_INSPECT_SIG_INVALID);
		rb_inspect_release(&in);
	}
	{
		/* a key given, no signature: none */
		struct rb_inspect in;
		char *sig = path_join(f->rel, "releases/0.1.0/SHA256SUMS.sig");

		assert_int_equal(unlink(sig), 0);
		free(sig);
		rb_inspect_init(&in);
		assert_int_equal(rb_inspect(f->rel, &pub, &in, &err), 0);
		assert_int_equal(in.signature, RB_INSPECT_SIG_NONE);
		assert_int_equal(in.sums, RB_SUMS_MISMATCH);
		rb_inspect_release(&in);
	}
	rb_key_release(&priv);
	rb_key_release(&pub);
	rb_key_release(&other);
	free(other_prefix);
	free(tar);
}

/* A tarball written entry by entry: type 'f' file, 'd' dir, 'l' symlink, 'h' hard link, 'p' fifo. */
struct tar_item {
	char type;
	const char *path;
	const char *data; /* file content, or link target */
};

static void write_items(const char *dest, const struct tar_item *items,
			size_t nr)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();

	assert_int_equal(archive_write_set_format_pax_restricted(a), ARCHIVE_OK);
	assert_int_equal(archive_write_add_filter_gzip(a), ARCHIVE_OK);
	assert_int_equal(archive_write_open_filename(a, dest), ARCHIVE_OK);
	for (size_t i = 0; i < nr; i++) {
		const struct tar_item *it = &items[i];

		archive_entry_clear(e);
		archive_entry_set_pathname(e, it->path);
		archive_entry_set_mtime(e, RB_DEFAULT_EPOCH, 0);
		switch (it->type) {
		case 'f':
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_perm(e, 0644);
			archive_entry_set_size(e, (la_int64_t)strlen(it->data));
			break;
		case 'd':
			archive_entry_set_filetype(e, AE_IFDIR);
			archive_entry_set_perm(e, 0755);
			break;
		case 'l':
			archive_entry_set_filetype(e, AE_IFLNK);
			archive_entry_set_perm(e, 0777);
			archive_entry_set_symlink(e, it->data);
			break;
		case 'h':
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_perm(e, 0644);
			archive_entry_set_hardlink(e, it->data);
			archive_entry_set_size(e, 0);
			break;
		case 'p':
			archive_entry_set_filetype(e, AE_IFIFO);
			archive_entry_set_perm(e, 0644);
			break;
		}
		assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
		if (it->type == 'f' && *it->data)
			assert_int_equal(archive_write_data(a, it->data, strlen(it->data)),
					 (la_ssize_t)strlen(it->data));
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	archive_entry_free(e);
}

static const char mini_rel[] =
	"{release,{\"mini\",\"1.0\"},{erts,\"14.2\"},[{mini,\"1.0\"}]}.";

static void test_hostile_tarball(void **state)
{
	struct fixture *f = *state;
	const struct tar_item items[] = {
		{ 'd', "./", NULL },
		{ 'f', "./bin/mini", "#!/bin/sh\n" },
		{ 'f', "lib/mini-1.0/ebin/mini.app", "first\n" },
		{ 'f', "lib/mini-1.0/ebin/mini.app", "{application,mini,[{vsn,\"1.0\"}]}.\n" },
		{ 'h', "lib/mini-1.0/priv/copy.app", "lib/mini-1.0/ebin/mini.app" },
		{ 'h', "lib/mini-1.0/priv/dangling", "lib/nowhere" },
		{ 'f', "../evil", "x" },
		{ 'f', "/etc/passwd", "x" },
		{ 'p', "lib/mini-1.0/priv/fifo", NULL },
		{ 'l', "lib/mini-1.0/priv/link", "../ebin/mini.app" },
		{ 'f', "releases/start_erl.data", "14.2 1.0\n" },
		{ 'f', "releases/1.0/mini.rel", mini_rel },
	};
	char *tar = path_join(f->tmp, "hostile.tar.gz");
	struct rb_inspect in;
	const struct rb_inspect_entry *e, *copy;
	struct rb_error err;

	write_items(tar, items, sizeof(items) / sizeof(*items));
	rb_inspect_init(&in);
	assert_int_equal(rb_inspect(tar, NULL, &in, &err), 0);
	assert_string_equal(in.name, "mini");
	assert_string_equal(in.vsn, "1.0");
	assert_false(in.erts_included);
	/* the last of a path counts, as an extraction leaves it */
	assert_string_equal(in.apps[0].app_vsn, "1.0");
	e = rb_inspect_find(&in, "lib/mini-1.0/ebin/mini.app");
	copy = rb_inspect_find(&in, "lib/mini-1.0/priv/copy.app");
	assert_non_null(copy);
	assert_int_equal(copy->type, RB_ENTRY_FILE);
	assert_string_equal(copy->hash, e->hash);
	assert_int_equal(copy->size, e->size);
	assert_string_equal(rb_inspect_find(&in, "lib/mini-1.0/priv/link")->link,
			    "../ebin/mini.app");
	assert_non_null(rb_inspect_find(&in, "bin/mini"));
	assert_null(rb_inspect_find(&in, "../evil"));
	assert_null(rb_inspect_find(&in, "lib/mini-1.0/priv/fifo"));
	assert_null(rb_inspect_find(&in, "lib/mini-1.0/priv/dangling"));
	/* no manifest: the pass's problems are no verdict */
	assert_int_equal(in.sums, RB_SUMS_NONE);
	rb_inspect_release(&in);

	/* with a manifest, the pass's problems are verify's */
	{
		char *sums = xasprintf("%064d  bin/mini\n", 0);
		struct tar_item with[sizeof(items) / sizeof(*items) + 1];

		memcpy(with, items, sizeof(items));
		with[sizeof(items) / sizeof(*items)] =
			(struct tar_item){ 'f', "releases/1.0/SHA256SUMS", sums };
		write_items(tar, with, sizeof(with) / sizeof(*with));
		rb_inspect_init(&in);
		assert_int_equal(rb_inspect(tar, NULL, &in, &err), 0);
		assert_int_equal(in.sums, RB_SUMS_MISMATCH);
		assert_true(test_has_problem(&in.verify, RB_PROBLEM_DUPLICATE,
					     "lib/mini-1.0/ebin/mini.app"));
		assert_true(test_has_problem(&in.verify, RB_PROBLEM_UNSAFE, "../evil"));
		assert_true(test_has_problem(&in.verify, RB_PROBLEM_UNSAFE, "/etc/passwd"));
		assert_true(test_has_problem(&in.verify, RB_PROBLEM_UNSAFE,
					     "lib/mini-1.0/priv/fifo"));
		assert_true(test_has_problem(&in.verify, RB_PROBLEM_UNSAFE,
					     "lib/mini-1.0/priv/dangling"));
		assert_true(test_has_problem(&in.verify, RB_PROBLEM_CHANGED, "bin/mini"));
		assert_true(test_has_problem(&in.verify, RB_PROBLEM_EXTRA,
					     "releases/1.0/mini.rel"));
		rb_inspect_release(&in);
		free(sums);
	}
	free(tar);
}

static void test_versions(void **state)
{
	struct fixture *f = *state;
	struct rb_inspect in;
	struct rb_error err;
	char *sed = path_join(f->rel, "releases/start_erl.data");

	/* what a hot upgrade from 0.0.9 left: its releases/ and lib/ */
	test_put_text(f->rel, "releases/0.0.9/shop.rel",
		 "{release,{\"shop\",\"0.0.9\"},{erts,\"14.1\"},[{kernel,\"8.0\"},{shop,\"0.0.9\"}]}.\n");
	test_put_text(f->rel, "lib/shop-0.0.9/ebin/shop.app", "old");
	test_put_text(f->rel, "erts-14.1/bin/beam.smp", "old");
	rb_inspect_init(&in);
	assert_int_equal(rb_inspect(f->rel, NULL, &in, &err), 0);
	assert_string_equal(in.vsn, "0.1.0");
	assert_int_equal(role(&in, "lib/shop-0.0.9/ebin/shop.app"), RB_ROLE_OTHER_VERSION);
	assert_int_equal(role(&in, "erts-14.1/bin/beam.smp"), RB_ROLE_OTHER_VERSION);
	assert_null(rb_inspect_find(&in, "releases/0.0.9/shop.rel"));
	assert_int_equal(in.other_versions.nr, 1);
	assert_string_equal(in.other_versions.v[0], "0.0.9");
	for (size_t i = 0; i < in.nr_overlays; i++)
		assert_false(has_prefix(in.overlays[i]->path, "lib/shop-0.0.9"));
	rb_inspect_release(&in);

	/* start_erl.data naming the other version: that one is inspected */
	test_put_text(f->rel, "releases/start_erl.data", "14.1 0.0.9\n");
	rb_inspect_init(&in);
	assert_int_equal(rb_inspect(f->rel, NULL, &in, &err), 0);
	assert_string_equal(in.vsn, "0.0.9");
	assert_string_equal(in.erts_vsn, "14.1");
	assert_int_equal(in.sums, RB_SUMS_NONE);
	rb_inspect_release(&in);

	/* none named, two there: which one is not guessed */
	assert_int_equal(unlink(sed), 0);
	rb_inspect_init(&in);
	assert_int_equal(rb_inspect(f->rel, NULL, &in, &err), -1);
	assert_non_null(strstr(err.msg, "several versions"));
	rb_inspect_release(&in);
	free(sed);
}

static void test_not_a_release(void **state)
{
	struct fixture *f = *state;
	struct rb_inspect in;
	struct rb_error err;
	char *empty = path_join(f->tmp, "empty");
	char *missing = path_join(f->tmp, "missing.tar.gz");
	char *truncated = path_join(f->tmp, "truncated.tar.gz");
	char *noname = path_join(f->tmp, "norel");
	size_t len;
	char *bytes = test_slurp(f->tarball, &len);

	assert_int_equal(mkdir_p(empty, &err), 0);
	rb_inspect_init(&in);
	assert_int_equal(rb_inspect(empty, NULL, &in, &err), -1);
	assert_non_null(strstr(err.msg, "is not a release"));
	rb_inspect_release(&in);

	rb_inspect_init(&in);
	assert_int_equal(rb_inspect(missing, NULL, &in, &err), -1);
	assert_non_null(strstr(err.msg, "missing.tar.gz"));
	rb_inspect_release(&in);

	test_put_bytes(f->tmp, "truncated.tar.gz", bytes, len / 2, 0644);
	rb_inspect_init(&in);
	assert_int_equal(rb_inspect(truncated, NULL, &in, &err), -1);
	assert_non_null(strstr(err.msg, "truncated.tar.gz"));
	rb_inspect_release(&in);

	/* a version directory without a .rel */
	test_put_text(noname, "releases/1.0/start_clean.rel", mini_rel);
	rb_inspect_init(&in);
	assert_int_equal(rb_inspect(noname, NULL, &in, &err), -1);
	assert_non_null(strstr(err.msg, "releases/1.0/<name>.rel"));
	rb_inspect_release(&in);

	/* a .rel that is not one */
	test_put_text(noname, "releases/1.0/x.rel", "{release,{\"x\",\"1.0\"}}.");
	rb_inspect_init(&in);
	assert_int_equal(rb_inspect(noname, NULL, &in, &err), -1);
	assert_non_null(strstr(err.msg, "releases/1.0/x.rel:1:1: not {release"));
	rb_inspect_release(&in);

	/* a .rel of another version than its directory's */
	test_put_text(noname, "releases/1.0/x.rel", "{release,{\"x\",\"2.0\"},{erts,\"1\"},[]}.");
	rb_inspect_init(&in);
	assert_int_equal(rb_inspect(noname, NULL, &in, &err), -1);
	assert_non_null(strstr(err.msg, "release 2.0, not 1.0"));
	rb_inspect_release(&in);

	free(bytes);
	free(empty);
	free(missing);
	free(truncated);
	free(noname);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(rb_file_role_name(RB_ROLE_OTHER_VERSION), "other_version");
	assert_string_equal(rb_file_role_name(RB_ROLE_OVERLAY), "overlay");
	assert_string_equal(rb_entry_type_name(RB_ENTRY_LINK), "link");
	assert_string_equal(rb_inspect_sig_name(RB_INSPECT_SIG_PRESENT), "present");
	assert_string_equal(rb_inspect_sums_name(RB_SUMS_MISMATCH), "mismatch");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_directory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tarball, setup, teardown),
		cmocka_unit_test_setup_teardown(test_beams, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tampered_directory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_manifest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_signature, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_tarball, setup, teardown),
		cmocka_unit_test_setup_teardown(test_versions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_a_release, setup, teardown),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
